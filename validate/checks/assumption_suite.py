"""The assumptions, the proof's steps and the companion laws checked on grid-exact runs
(THEORY.md section 8; metrics of `neural.grid_theory.theory_metrics`).

Per run (scope "run"), per generation:

* informative rows, one per assumption: A1 (eps2, epshat2 finite), A2 (log E* exp(<M>/2) finite),
  A3 (the largest order a tried with E*[Lambda^a] finite, against 2), A4 (K = E*<M>^2 / eps2^2 finite)
  and the small-error regime eps2 <= 1;
* `not_applicable(rows)`: per generation, why the chi2 results (Prop 3.3, Thm 3.4, Prop 4.1, Thm 4.2)
  do not apply: "not applicable: A3 fails (E*[Lambda^a] = inf for a >= 1.5)", "... A3 undecided ...",
  "... A1 fails ...", "... eps2 = 1.3 > 1 ...". `mark_not_applicable` turns such rows of those checks
  into `vacuous` rows with that reason (Prop 4.1 and Thm 4.2 concern the whole run: all their rows);
* binding, the proof's steps (a)-(e4) (`gaussian_exact.proof_skeleton`), lhs against rhs; the equality
  (a)'s mutation control (1/2 -> 0.49) on the run itself; the inequalities' controls cannot fail on a
  run where the step is loose, so they are checked, with the step itself, on the cases built to make
  each step tight (`proof_step_examples`, scope "example");
* binding, Thm 3.4 (both sides) and Prop 3.3 (first form) with the run's own constants
  C = K/8 + C' and c = K + 2 C' (computed, not fitted);
* binding, the companion laws: `tv.mix` (TV(q_g, data) = (1 - alpha) rho_g), `tv.step`,
  `tv.accumulation` and `hellinger.mix`, `hellinger.step`, `hellinger.accumulation` one transition at a
  time (from the measured rho_g, H_g) and accumulated from the first generation after which alpha stays
  fixed, and `renyi.dpi` (R_a(p^{g+1} || p*^{g+1}) <= R_a(P_hat || P*) for each order measured); the
  control `tv.mix` with (1-alpha)^2 on the run (where rho_g > 0); the accumulation controls that drop
  the bias (b_i, c_i) on an exact Gaussian chain whose early-stopping bias dominates
  (`companion_examples`).

On exact Gaussian runs (`gaussian_companion_checks`, scope "run"): `tv.step`, `tv.accumulation`,
`hellinger.step` and `hellinger.accumulation`, one generation at a time and from generation 0, every
distance exact (TV by `gaussian_exact.tv`), the bias replaced by its bound over q_i's components. Their
controls (`exact_run_companion_examples`, scope "example"): the accumulation laws with the bias dropped on
a d = 10 exact run with t0 = 0.5 (`bias_dominated_exact_run`), and `tv.accumulation` with the chi2
discount (1 - alpha)^2 on a 1-D exact chain started off the data (`discount_tight_chain`).
"""
from __future__ import annotations

import math

import numpy as np

import bounds
from bounds import symbols as S
from gaussian_exact import Gaussian, reverse, skeleton_from_moments
from gaussian_exact.quadrature_1d import tv_distance
from gaussian_exact.total_variation import TOLERANCE as TV_TOLERANCE
from validate.checks.check import Check, attribute, check, verdict_rows
from validate.checks.verdict import HOLDS, INCONCLUSIVE, VACUOUS, VIOLATED, verdicts

CHI2_RESULTS = ("thm3.4", "prop3.3", "prop4.1", "thm4.2")   # results whose assumptions A1-A4 carry
WHOLE_RUN = ("prop4.1", "thm4.2")
SMALL_ERROR = ("thm3.4", "prop3.3")
STEP_TOL = 1e-9        # relative slack of an inequality step (rounding)
EQUALITY_TOL = {1: 1e-4, 2: 1e-4}   # relative slack of the equality (a), by grid dimension: the quadrature of
# E*[M] = int g_K = 0 (trapezoid derivatives in the transition's div terms); 2-D grids of the default run
# (95 x 95 nodes, K = 50) measured 1e-12 to 1.2e-6, the coarse 1-D KDE grids of the tiny test scale up to
# 6e-6; the control's mutation (0.49 for 1/2) is 2e-2, 200 times the slack


def has_theory_metrics(rows: list[dict]) -> bool:
    """True when a grid-exact run's rows carry `neural.grid_theory` metrics."""
    return bool(rows) and "proof_rows" in rows[0] and "A3_holds" in rows[0]


def not_applicable(rows: list[dict]) -> list[str]:
    """Per generation, why the chi2 results do not apply ("" where A1-A3 hold; module docstring)."""
    out = []
    for r in rows:
        why = []
        if r["A3_holds"] is False:
            why.append(f"A3 fails (E*[Lambda^a] = inf for a >= {float(r['A3_smallest_infinite_a']):g})")
        elif r["A3_holds"] is None:
            why.append(f"A3 undecided (E*[Lambda^a] finite up to a = {float(r['A3_largest_finite_a']):g}, "
                       f"orders {r.get('A3_undecided')} undecided on the grid)")
        if not r.get("A1_holds", True):
            why.append("A1 fails (a path energy is infinite)")
        if r.get("A2_exact", True) and not math.isfinite(float(r["A2_log_novikov"])):
            why.append("A2 fails (E* exp(<M>/2) = inf)")
        out.append("not applicable: " + "; ".join(why) if why else "")
    return out


def mark_not_applicable(checks: list, rows: list[dict]) -> list:
    """Rows of the chi2 results' checks (CHI2_RESULTS) turned `vacuous` with the reason of
    `not_applicable` (and eps2 > 1 for Prop 3.3 / Thm 3.4) where an assumption fails; in place."""
    reasons = not_applicable(rows)
    eps2 = [float(r["eps2"]) for r in rows]
    whole = "; ".join(dict.fromkeys(x for x in reasons if x))
    for c in checks:
        if c.result_id not in CHI2_RESULTS and not c.result_id.startswith(CHI2_RESULTS):
            continue
        for row in c.rows:
            g = int(row["generation"])
            if c.result_id in WHOLE_RUN:
                why = whole
            else:
                why = reasons[g] if g < len(reasons) else ""
                if c.result_id in SMALL_ERROR and g < len(eps2) and eps2[g] > 1:
                    why = "; ".join(x for x in (why, f"not applicable: eps2 = {eps2[g]:.3g} > 1 (small-error regime)") if x)
            if why and row["verdict"] != "fitted" and why not in row.get("reason", ""):
                row["verdict"] = VACUOUS
                row["reason"] = "; ".join(x for x in (row.get("reason", ""), why) if x)
    return checks


def _rows_check(name, result_id, side, gens, measured, bound, *, binding=True, expect=HOLDS, rtol=STEP_TOL,
                note="", reasons=None) -> Check:
    measured, bound = np.asarray(measured, dtype=float), np.asarray(bound, dtype=float)
    if side == "equal":
        v, margin = verdicts(measured, bound, "equal", rtol=rtol, atol=1e-14)
    else:
        v, margin = verdicts(measured, bound, side, rtol=rtol, atol=1e-14)
    rows = verdict_rows(gens, measured, 0.0, bound, margin, v, reasons)
    return Check(name, result_id, side, rows, expect=expect, binding=binding, note=note,
                 sources={"measured": "exact", "bound": "exact"})


def assumption_checks(rows: list[dict], label: str) -> list[Check]:
    """Informative rows per assumption (module docstring)."""
    gens = [int(r.get("generation", i)) for i, r in enumerate(rows)]
    col = lambda k: np.array([float(r[k]) for r in rows])  # noqa: E731
    inf_a = col("A3_smallest_infinite_a")
    out = [
        _rows_check(f"A1: epshat2 finite [{label}]", "assumption.A1", "upper", gens, col("epshat2"), np.full(len(rows), 1e11),
                    binding=False, note="both path energies finite (eps2 < inf too)"),
        _rows_check(f"A2 (Novikov): log E* exp(<M>/2) finite [{label}]", "assumption.A2", "upper", gens,
                    col("A2_log_novikov"), np.full(len(rows), 1e11), binding=False),
        _rows_check(f"A3: largest a with E*[Lambda^a] finite > 2 [{label}]", "assumption.A3", "lower", gens,
                    col("A3_largest_finite_a"), np.full(len(rows), 2.0 + 1e-12), binding=False,
                    note="orders tried: " + ", ".join(f"{a:g}" for a in rows[0]["A3_orders"]) + "; smallest infinite: "
                         + ", ".join(f"{a:g}" for a in inf_a)),
        _rows_check(f"A4: K = E*<M>^2 / eps2^2 finite [{label}]", "assumption.A4", "upper", gens, col("A4_K"),
                    np.full(len(rows), 1e11), binding=False,
                    note="E*<M>^3 / eps2^3: " + ", ".join(f"{x:.3g}" for x in col("A4_ratio_3"))),
        _rows_check(f"small errors: eps2 <= 1 [{label}]", "assumption.small_error", "upper", gens, col("eps2"),
                    np.ones(len(rows)), binding=False),
    ]
    return out


def proof_step_checks(rows: list[dict], label: str) -> list[Check]:
    """The steps (a)-(e4) per generation (binding), the (a) control on the run, and Thm 3.4 / Prop 3.3
    with the run's own constants (module docstring)."""
    gens = [int(r.get("generation", i)) for i, r in enumerate(rows)]
    out = []
    for name in rows[0]["proof_rows"]:
        steps = [r["proof_rows"][name] for r in rows]
        rel = steps[0]["relation"]
        side = {"=": "equal", ">=": "lower", "<=": "upper"}[rel]
        lhs = [s["lhs"] for s in steps]
        tol = EQUALITY_TOL[int(rows[0].get("grid_dim", 1))] if rel == "=" else STEP_TOL
        out.append(_rows_check(f"proof step {name}: {steps[0]['statement']} [{label}]", f"proof.{name}", side, gens, lhs,
                               [s["rhs"] for s in steps], rtol=tol))
        if rel == "=":
            out.append(_rows_check(f"control: proof step {name} with {steps[0]['mutation']} [{label}]", f"proof.{name}",
                                   side, gens, lhs, [s["control_rhs"] for s in steps], expect=VIOLATED, rtol=tol))
    cat = bounds.catalog()
    col = lambda k: np.array([float(r[k]) for r in rows])  # noqa: E731
    params = {"eps2": col("eps2"), "eta": col("proof_var_cond_mean") / col("eps2"), "C": col("proof_C"),
              "c": col("proof_c")}
    const = "C = K/8 + C', c = K + 2 C' computed per generation from the run's own moments (not fitted)"
    out += check(cat["thm3.4"], col("proof_chi2"), params, generations=gens, note=const, rtol=STEP_TOL)
    out[-2].name, out[-1].name = f"thm3.4 (lower, computed C) [{label}]", f"thm3.4 (upper, computed c) [{label}]"
    out += check(cat["prop3.3"], col("proof_chi2"), {k: params[k] for k in ("eps2", "eta", "C")}, generations=gens,
                 note=const, rtol=STEP_TOL, name=f"prop3.3 (computed C) [{label}]")
    return out


def companion_checks(rows: list[dict], label: str) -> list[Check]:
    """TV, Hellinger and path-Renyi companion laws on a grid-exact run, binding, with the tv.mix control
    (module docstring)."""
    cat = bounds.catalog()
    gens = np.array([int(r.get("generation", i)) for i, r in enumerate(rows)])
    col = lambda k: np.array([float(r[k]) for r in rows])  # noqa: E731
    alpha, eps = col("fresh_fraction"), col("epshat2")
    atol = max(1e-9, float(np.max(col("companion_error"))))
    rho, rho_next, H, H_next = col("tv_prev_data"), col("tv_p_data"), col("hel_prev_data"), col("hel_p_data")
    out = []
    out += check(cat["tv.mix"], col("tv_q_data"), {"alpha": alpha, "tv": rho}, generations=gens, rtol=1e-7, atol=atol,
                 name=f"tv.mix [{label}]")
    keep = (rho > 10 * atol) & (alpha > 0) & (alpha < 1)
    if np.any(keep):
        mutated = cat["tv.mix"].substitute(1 - S.alpha, (1 - S.alpha) ** 2)
        out += check(mutated, col("tv_q_data")[keep], {"alpha": alpha[keep], "tv": rho[keep]}, generations=gens[keep],
                     rtol=1e-7, atol=atol, expect=VIOLATED, name=f"control: tv.mix with (1-alpha)^2 [{label}]")
    out += check(cat["hellinger.mix"], col("hel_q_data"), {"alpha": alpha, "hel": H}, generations=gens, atol=atol,
                 name=f"hellinger.mix [{label}]")
    out += check(cat["tv.step"], col("tv_p_ideal"), {"epshat2": eps}, generations=gens, atol=atol,
                 name=f"tv.step [{label}]")
    out += check(cat["hellinger.step"], col("hel_p_ideal"), {"epshat2": eps}, generations=gens, atol=atol,
                 name=f"hellinger.step [{label}]")
    one = np.ones(len(rows), dtype=int)
    out += check(cat["tv.accumulation"], rho_next, {"alpha": alpha, "epshat2": eps[:, None], "tv_bias": col("tv_ideal_q")[:, None],
                                                    "tv0": rho, "N": one}, generations=gens, atol=atol,
                 name=f"tv.accumulation, one generation at a time [{label}]")
    out += check(cat["hellinger.accumulation"], H_next, {"alpha": alpha, "epshat2": eps[:, None],
                                                         "hel_bias": col("hel_ideal_q")[:, None], "hel0": H, "N": one},
                 generations=gens, atol=atol, name=f"hellinger.accumulation, one generation at a time [{label}]")
    i0 = fixed_alpha_from(alpha)
    if len(rows) - i0 >= 2:
        n = np.arange(1, len(rows) - i0 + 1)
        a0 = float(alpha[i0])
        out += check(cat["tv.accumulation"], rho_next[i0:], {"alpha": a0, "epshat2": eps[i0:], "tv_bias": col("tv_ideal_q")[i0:],
                                                             "tv0": rho[i0], "N": n}, generations=gens[i0:], atol=atol,
                     name=f"tv.accumulation from generation {i0} [{label}]")
        out += check(cat["hellinger.accumulation"], H_next[i0:], {"alpha": a0, "epshat2": eps[i0:],
                                                                  "hel_bias": col("hel_ideal_q")[i0:], "hel0": H[i0], "N": n},
                     generations=gens[i0:], atol=atol, name=f"hellinger.accumulation from generation {i0} [{label}]")
    for a in rows[0]["renyi_path"]:
        path = np.array([float(r["renyi_path"][a]) for r in rows])
        output = np.array([float(r["renyi_output"][a]) for r in rows])
        why = np.where(np.isnan(path), f"E*[Lambda^{a}] not decided on the grid", "")
        why = np.where(np.isnan(output), f"output R_{a} not decided (its integrand's mass beyond the box)", why)
        out += check(cat["renyi.dpi"], output, {"renyi_path": np.where(np.isnan(path), np.inf, path)}, generations=gens,
                     rtol=1e-7, atol=1e-9, vacuous=why, name=f"renyi.dpi, a = {a} [{label}]")
    return out


def fixed_alpha_from(alpha: np.ndarray) -> int:
    """The first generation from which the realised fresh fraction stays the same."""
    i0 = len(alpha) - 1
    while i0 > 0 and alpha[i0 - 1] == alpha[-1]:
        i0 -= 1
    return i0


def theory_run_checks(rows: list[dict], label: str, run: dict) -> list[Check]:
    """Assumptions, proof steps and companion laws of one grid-exact run (empty without theory metrics)."""
    if not has_theory_metrics(rows):
        return []
    checks = assumption_checks(rows, label) + proof_step_checks(rows, label) + companion_checks(rows, label)
    mark_not_applicable(checks, rows)
    return attribute(checks, scope="run", run=run)


#: per distance on an exact Gaussian run: (law field, step field, bias-bound field, bias symbol, start symbol, note)
GAUSSIAN_COMPANIONS = {
    "tv": ("D_tv", "tv_p_ideal", "tv_ideal_q_bound", "tv_bias", "tv0",
           "b_i <= sum_j w_j TV(p*, q_i component j) (convexity); TV exact (gaussian_exact.tv, Imhof)"),
    "hellinger": ("D_hel", "hel_p_ideal", "hel_ideal_q_bound", "hel_bias", "hel0",
                  "c_i <= (sum_j w_j H^2(p*, q_i component j))^(1/2) (joint convexity); Hellinger in closed form"),
}


def gaussian_companion_checks(a: dict, label: str) -> list[Check]:
    """The TV and Hellinger laws on an exact Gaussian run (`validate.checks.exact_suite.arrays_from_rows` arrays
    with D_tv, tv_p_ideal, tv_ideal_q_bound, tv_error and D_hel, hel_p_ideal, hel_ideal_q_bound; a distance
    whose fields are missing is skipped): `tv.step`, `tv.accumulation`, `hellinger.step` and
    `hellinger.accumulation` one generation at a time and accumulated from generation 0 (alpha fixed). Every
    distance is exact: Hellinger in closed form, TV by `gaussian_exact.tv` (error estimate tv_error, within
    the tolerance). q_i is a mixture, so the bias is replaced by its upper bound over q_i's components
    (convexity of TV, joint convexity of H^2: the law with it is implied by the law with b_i, c_i). The
    controls (bias dropped, the TV law with the chi2 discount) are on `companion_examples`."""
    cat = bounds.catalog()
    alpha, eps = a["alpha"], a["epshat2"]
    gens = np.arange(len(alpha))
    out = []
    for name, (law, step, bias, bias_sym, start, note) in GAUSSIAN_COMPANIONS.items():
        if law not in a or step not in a:
            continue
        D, c = a[law], a[bias]
        atol, why, why_acc = 1e-12, "", ""
        if name == "tv":   # the rows of a transition whose TV is not resolved to TV_TOLERANCE are vacuous
            err = np.asarray(a["tv_error"], dtype=float)
            unresolved = ~(err <= TV_TOLERANCE)
            atol = 1e-9 + (len(alpha) + 2) * float(np.max(np.where(unresolved, 0.0, err)))
            text = np.array([f"TV not resolved (error estimate {e:.3g} > {TV_TOLERANCE:g})" for e in err])
            why = np.where(unresolved, text, "")
            why_acc = np.where(np.maximum.accumulate(unresolved), "TV not resolved at or before this generation", "")
        out += check(cat[f"{name}.step"], a[step], {"epshat2": eps}, generations=gens, atol=atol, vacuous=why,
                     name=f"{name}.step [{label}]")
        out += check(cat[f"{name}.accumulation"], D[1:], {"alpha": alpha, "epshat2": eps[:, None], bias_sym: c[:, None],
                                                         start: D[:-1], "N": np.ones(len(alpha), dtype=int)},
                     generations=gens, atol=atol, note=note, vacuous=why,
                     name=f"{name}.accumulation, one generation at a time [{label}]")
        if np.all(alpha == alpha[0]):
            out += check(cat[f"{name}.accumulation"], D[1:], {"alpha": float(alpha[0]), "epshat2": eps, bias_sym: c,
                                                             start: D[0], "N": np.arange(1, len(alpha) + 1)},
                         generations=gens, atol=atol, note=note, vacuous=why_acc,
                         name=f"{name}.accumulation from generation 0 [{label}]")
    return out


# ---- cases built for the controls (scope "example") ---------------------------------------------------
def _two_atom(M, QV, R):
    """The skeleton's scalars on two equally likely atoms (Y-measurable M, <M>, R): Z = -M - <M>/2 = Zbar."""
    M, QV, R = (np.asarray(v, dtype=float) for v in (M, QV, R))
    Z = -M - QV / 2
    Psi = R - 1 - Z
    return skeleton_from_moments(eps2=QV.mean(), chi2=((R - 1) ** 2).mean(), E_Zbar=Z.mean(), E_Zbar2=(Z * Z).mean(),
                                 E_Psi2=(Psi * Psi).mean(), E_Z2=(Z * Z).mean(), var_cond_mean=(M * M).mean(),
                                 E_qv2=(QV * QV).mean())


TIGHT_STEPS = {   # (M, <M>, R) on two atoms making each step an equality (THEORY.md section 8)
    "(b)": ([-0.2, 0.2], [0.0, 0.0], [1.1, 0.9]),
    "(c)": ([-1.0, -3.0], [1.0, 3.0], [1.0, 1.0]),
    "(d)": ([-1.0, -3.0], [1.0, 3.0], [1.25, 1.75]),
    "(e1)": ([-0.2, 0.2], [0.0, 0.0], [1.0, 1.0]),
    "(e2)": ([2.0, 2.0], [4.0, 4.0], [1.0, 1.0]),
    "(e3)": ([-0.2, 0.2], [0.0, 0.0], [1.4, 0.6]),
    "(e4)": ([2.0, 2.0], [4.0, 4.0], [-7.0, -7.0]),
}


def proof_step_examples() -> list[Check]:
    """Each inequality step on the case built to make it tight: the step holds, its mutated control
    (`gaussian_exact.InequalityRow.control_rhs`) is violated."""
    out = []
    for name, case in TIGHT_STEPS.items():
        row = next(r for r in _two_atom(*case).rows if r.name == name)
        side = {">=": "lower", "<=": "upper"}[row.relation]
        out.append(_rows_check(f"proof step {name} on its tight two-atom case", f"proof.{name}", side, [0], [row.lhs],
                               [row.rhs], rtol=STEP_TOL))
        out.append(_rows_check(f"control: proof step {name} with {row.mutation} on its tight case", f"proof.{name}",
                               side, [0], [row.lhs], [row.control_rhs], rtol=STEP_TOL, expect=VIOLATED))
    return attribute(out, scope="example", run={"learner": "two-atom probability space", "target": "tight case"})


def bias_dominated_chain(generations: int = 4, alpha: float = 0.0, t0: float = 0.5, steps: int = 20):
    """An exact Gaussian chain without score error whose early-stopping bias dominates: data N(0.3, 0.36),
    p^{i+1} = the K-step EM chain's output for q_i = p^i (alpha = 0; all laws Gaussian), t0 = 0.5. Returns
    the arrays rho (TV(p^i, data)), H, b (TV(p*^{i+1}, q_i)), c and epshat2 (= 0), TV by quadrature and
    Hellinger in closed form."""
    data = Gaussian([0.3], [0.36])
    p = data
    rho, H, b, c = [0.0], [0.0], [], []
    for _ in range(generations):
        out = reverse(p, None, t0=t0, steps=steps)
        b.append(tv_distance(out, p))
        c.append(_hellinger_gauss(out, p))
        p = out
        rho.append(tv_distance(p, data))
        H.append(_hellinger_gauss(p, data))
    return {"alpha": alpha, "rho": np.array(rho), "H": np.array(H), "b": np.array(b), "c": np.array(c),
            "epshat2": np.zeros(generations)}


def _hellinger_gauss(p: Gaussian, q: Gaussian) -> float:
    """H(p, q) for 1-D Gaussians: H^2 = 1 - sqrt(2 s_p s_q / (v_p + v_q)) exp(-(m_p - m_q)^2 / (4 (v_p + v_q)))."""
    vp, vq = float(p.cov[0, 0]), float(q.cov[0, 0])
    dm = float(p.mean[0] - q.mean[0])
    bc = math.sqrt(2 * math.sqrt(vp * vq) / (vp + vq)) * math.exp(-dm * dm / (4 * (vp + vq)))
    return math.sqrt(max(0.0, 1.0 - bc))


def companion_examples() -> list[Check]:
    """The TV and Hellinger accumulation laws on `bias_dominated_chain`, and their controls with the bias
    dropped (b_i, c_i = 0), which must fail there."""
    ch = bias_dominated_chain()
    cat, bad = bounds.catalog(), bounds.companion_controls()
    G = len(ch["b"])
    n = np.arange(1, G + 1)
    tv = {"alpha": ch["alpha"], "epshat2": ch["epshat2"], "tv_bias": ch["b"], "tv0": ch["rho"][0], "N": n}
    hel = {"alpha": ch["alpha"], "epshat2": ch["epshat2"], "hel_bias": ch["c"], "hel0": ch["H"][0], "N": n}
    out = check(cat["tv.accumulation"], ch["rho"][1:], tv, generations=n, atol=1e-9,
                name="tv.accumulation on an exact Gaussian chain (early-stopping bias only)")
    out += check(bad["tv.accumulation[no b]"], ch["rho"][1:], tv, generations=n, atol=1e-9, expect=VIOLATED,
                 name="control: tv.accumulation with b_i dropped, same chain")
    out += check(cat["hellinger.accumulation"], ch["H"][1:], hel, generations=n, atol=1e-9,
                 name="hellinger.accumulation on an exact Gaussian chain (early-stopping bias only)")
    out += check(bad["hellinger.accumulation[no c]"], ch["H"][1:], hel, generations=n, atol=1e-9, expect=VIOLATED,
                 name="control: hellinger.accumulation with c_i dropped, same chain")
    return attribute(out, scope="example", run={"learner": "exact Gaussian, no score error, t0 = 0.5",
                                                "target": "gaussian"})


def bias_dominated_exact_run(dim: int = 10, alpha: float = 0.5, generations: int = 4, t0: float = 0.5,
                             seed: int = 0) -> dict:
    """The exact Gaussian run of `collapse exact` (data N(0, 0.36 I + 0.05 A A^T / d), A seeded; score error
    -0.03 x + 0.05 (1, ..., 1) / sqrt(d)), but with early stopping at t0 = 0.5 instead of 0.02, so that the
    bias b_i = TV(p*^{i+1}, q_i) dominates the step min(sqrt(epshat2_i)/2, ...): its arrays
    (`validate.checks.exact_suite.arrays_from_rows`), every TV exact (`gaussian_exact.tv`)."""
    from gaussian_exact import AffineError, generations as run_generations
    from validate.checks.exact_suite import arrays_from_rows

    a = np.random.default_rng(seed).standard_normal((dim, dim))
    data = Gaussian(np.zeros(dim), 0.36 * np.eye(dim) + 0.05 * (a @ a.T) / dim)
    error = AffineError(W=-0.03, xi=0.05 * np.ones(dim) / math.sqrt(dim))
    res = run_generations(data, alpha, generations, error=error, t0=t0, mixture_samples=0, compute_eta=False)
    return arrays_from_rows(res.rows())


def discount_tight_chain(generations: int = 3, alpha: float = 0.5, shift: float = 0.5) -> dict:
    """A 1-D exact chain on which the TV law's discount (1 - alpha) is nearly attained: data N(0, 1), p^0 =
    N(shift, 1), no score error, no early stopping (t0 = 0) and the exact start, so p^{i+1} = p*^{i+1} = the
    moment-matched Gaussian of q_i; then rho_{i+1} is close to TV(q_i, data) = (1 - alpha) rho_i and the bias
    b_i = TV(p*^{i+1}, q_i) (by quadrature: q_i is a mixture) is of third order in the shift. Returns alpha,
    rho (exact TV), b and epshat2 (= 0)."""
    from gaussian_exact import generations as run_generations

    data = Gaussian([0.0], [[1.0]])
    res = run_generations(data, alpha, generations, p0=Gaussian([shift], [[1.0]]), t0=0.0, init="exact",
                          mixture_samples=0, compute_eta=False)
    return {"alpha": alpha, "rho": np.asarray(res.D_tv, dtype=float),
            "b": np.array([tv_distance(out, q) for out, q in zip(res.ideal_outputs, res.training)]),
            "epshat2": np.asarray(res.epshat2, dtype=float)}


def exact_run_companion_examples() -> list[Check]:
    """The controls of the TV law on exact Gaussian runs (scope "example"): on `bias_dominated_exact_run`
    (d = 10, t0 = 0.5) `tv.accumulation` and `hellinger.accumulation` hold (`gaussian_companion_checks`) and
    their mutations with the bias dropped (b_i, c_i = 0) are violated, one generation at a time and from
    generation 0; on `discount_tight_chain` `tv.accumulation` holds and its mutation with the chi2 discount
    (1 - alpha)^2 is violated."""
    bad = bounds.companion_controls()
    a = bias_dominated_exact_run()
    G = len(a["alpha"])
    gens, one, n = np.arange(G), np.ones(G, dtype=int), np.arange(1, G + 1)
    label = "d = 10, t0 = 0.5: early-stopping bias dominates"
    out = [c for c in gaussian_companion_checks(a, label) if "accumulation" in c.name]
    atol = 1e-9 + (G + 2) * float(np.max(a["tv_error"]))
    for mutation, law, bias, start in (("tv.accumulation[no b]", "D_tv", "tv_bias", "tv0"),
                                       ("hellinger.accumulation[no c]", "D_hel", "hel_bias", "hel0")):
        D, what = a[law], "b_i" if law == "D_tv" else "c_i"
        out += check(bad[mutation], D[1:], {"alpha": a["alpha"], "epshat2": a["epshat2"][:, None], bias: 0.0 * D[:-1, None],
                                            start: D[:-1], "N": one}, generations=gens, atol=atol, expect=VIOLATED,
                     name=f"control: {mutation.split('[')[0]} with {what} dropped, one generation at a time [{label}]")
        out += check(bad[mutation], D[1:], {"alpha": float(a["alpha"][0]), "epshat2": a["epshat2"], bias: 0.0 * D[1:],
                                            start: D[0], "N": n}, generations=gens, atol=atol, expect=VIOLATED,
                     name=f"control: {mutation.split('[')[0]} with {what} dropped, from generation 0 [{label}]")
    out = attribute(out, scope="example", run={"learner": "exact Gaussian, affine score error, t0 = 0.5", "target": "gaussian"})
    ch = discount_tight_chain()
    k = len(ch["b"])
    params = {"alpha": ch["alpha"], "epshat2": ch["epshat2"], "tv_bias": ch["b"], "tv0": ch["rho"][0], "N": np.arange(1, k + 1)}
    tight = check(bounds.catalog()["tv.accumulation"], ch["rho"][1:], params, generations=np.arange(k), atol=1e-8,
                  name="tv.accumulation on a 1-D exact chain started off the data (no error, t0 = 0)")
    tight += check(bad["tv.accumulation[(1-alpha)^2]"], ch["rho"][1:], params, generations=np.arange(k), atol=1e-8,
                   expect=VIOLATED, name="control: tv.accumulation with the chi2 discount (1-alpha)^2, same chain")
    return out + attribute(tight, scope="example", run={"learner": "exact Gaussian, no score error, t0 = 0, exact start",
                                                        "target": "gaussian, p^0 shifted by 0.5"})
