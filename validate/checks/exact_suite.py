"""The catalog checked on the exact Gaussian pipeline (`gaussian_exact.generations`).

What is measured where (THEORY.md §3, §4), transition i = generation i -> i+1:

* lemmaF.1   chi2(q_i || data) (exact) against (1-alpha)^2 D_i;
* identity   D_{i+1} (exact) against (1-alpha)^2 D_i + 2(1-alpha) cross_i + J_i (all exact);
* innovation J_i >= alpha I_i and D_{i+1} + (1-alpha)^2 D_i >= alpha/2 I_i, with I_i = chi2(p^{i+1} || q_i)
  to the mixture q_i (numerical; its standard error widens the verdict);
* prop3.1    KL(p^{i+1} || ideal output) <= 1/2 epshat2_i: the Girsanov bound compares the learned and
  the ideal reverse path laws, so the exact endpoint quantity is the divergence to the ideal output
  (with t0 > 0 and a N(0, I) start the ideal output is not q_i itself; THEORY.md §5);
* thm3.4 / prop3.3 / prop3.3b  chi2(p^{i+1} || ideal output) against eta_i eps2_i and eps2_i, the
  unknown C and c fitted on the first half of the generations and checked on the second;
* prop4.1    limsup D (max over the second half) against the floor with eta_floor, eps_floor the minima
  over the second half;
* thm4.2     D_{N+1} against c1 R_N and c2 R_N (`catalog()["thm4.2.R"]`), R from `bounds.drift_path` of the measured eps2_i,
  c1 and c2 fitted on the first half and loosened by validate.checks.check.CONSTANT_SLACK (C_bias = 0).

Binding (must hold): Lemma F.1, the identity, the innovation inequalities, Prop 3.1. Informative
(assumptions such as the tail condition and the unknown constants cannot be certified from the
numbers): Thm 3.4, Prop 3.3b, Prop 4.1, Thm 4.2.
Controls (must be violated): Lemma F.1 with (1-alpha) for (1-alpha)^2, the identity without its
cross term, Prop 3.1 with 49/100 for 1/2 on the tight Brownian example.
"""
from __future__ import annotations

import numpy as np

import bounds
from bounds import symbols as S
from gaussian_exact import Gaussian, kl
from validate.checks.check import Check, attribute, check
from validate.checks.verdict import VIOLATED

EXACT_ATOL = 1e-9  # closed-form Gaussian integrals summed with cancellation
#: the structured run fields (`validate.checks.check.Check.run`) of a check on an exact Gaussian run
EXACT_RUN = {"learner": "exact Gaussian, affine score error", "target": "gaussian"}
ALL_FIELDS = ("alpha", "D_chi2", "chi2_q_data", "cross", "J", "I_chi2", "I_chi2_se", "kl_ideal",
              "chi2_ideal", "eps2", "epshat2", "eta", "hel_p_ideal", "hel_ideal_q_bound", "tv_p_ideal",
              "tv_ideal_q_bound", "tv_error")


def arrays_from_rows(rows: list[dict]) -> dict:
    """Per-generation arrays from `GenerationsResult.rows()` (or metrics.jsonl rows): D has N+1
    entries, transition fields N (the last row's NaNs dropped).

    Parameters
    ----------
    rows : list of dict
        One row per generation.

    Returns
    -------
    dict
        Field name -> numpy.ndarray.
    """
    out = {"D_chi2": np.array([r["D_chi2"] for r in rows], dtype=float)}
    for law in ("D_hel", "D_tv"):   # THEORY.md section 8: Hellinger and TV distances to data, N + 1 entries
        if law in rows[0]:
            out[law] = np.array([r[law] for r in rows], dtype=float)
    for k in ALL_FIELDS:
        if k != "D_chi2" and k in rows[0]:
            out[k] = np.array([r[k] for r in rows[:-1]], dtype=float)
    return out


def bound_curves(a: dict) -> dict:
    """The catalog's bounds along one exact run's arrays `a` (see `arrays_from_rows`), for tables
    and figures: "recursion" R_i (`bounds.drift_path`, D_0..D_N), "kl_bound" 1/2 epshat2_i
    (Prop 3.1), "thm34_lower" 1/4 eta_i eps2_i and "thm34_upper" 4 eps2_i (Thm 3.4 with C = c = 0),
    "prop33b_lower" 1/8 eta_i eps2_i (Prop 3.3b).

    Parameters
    ----------
    a : dict
        Arrays of one exact run (alpha, D_chi2, eps2, epshat2, eta, ...).

    Returns
    -------
    dict of ndarray
    """
    cat = bounds.catalog()
    return {"recursion": bounds.drift_path(a["eps2"], a["alpha"], a["D_chi2"][0]),
            "kl_bound": cat["prop3.1"].upper_fn(epshat2=a["epshat2"]),
            "thm34_lower": cat["thm3.4"].function("lower")(eta=a["eta"], eps2=a["eps2"], C=0.0),
            "thm34_upper": cat["thm3.4"].function("upper")(eps2=a["eps2"], c=0.0),
            "prop33b_lower": cat["prop3.3b"].lower_fn(eta=a["eta"], eps2=a["eps2"])}


def exact_checks(a: dict, label: str = "", z: float = 2.0) -> list[Check]:
    """Every catalog check on one exact run's arrays `a` (see `arrays_from_rows`).

    Parameters
    ----------
    a : dict
        The run's arrays.
    label : str
        Suffix of the check names (e.g. the alpha).
    z : float
        Standard errors of tolerance (default 2).

    Returns
    -------
    list of validate.checks.check.Check
        The checks.
    """
    cat = bounds.catalog()
    D, Dn = a["D_chi2"][:-1], a["D_chi2"][1:]
    alpha = a["alpha"]
    gens = np.arange(len(alpha))
    tag = f" [{label}]" if label else ""
    I, I_se = a.get("I_chi2"), a.get("I_chi2_se", 0.0)
    out: list[Check] = []
    out += check(cat["lemmaF.1"], a["chi2_q_data"], {"alpha": alpha, "D": D}, generations=gens,
                 name="lemmaF.1" + tag, rtol=1e-7, atol=EXACT_ATOL)
    out += check(cat["identity"], Dn, {"alpha": alpha, "D": D, "cross": a["cross"], "J": a["J"]},
                 generations=gens, name="identity" + tag, rtol=1e-7, atol=EXACT_ATOL)
    if I is not None and np.all(np.isfinite(I)):
        out += check(cat["innovation.J"], a["J"], {"alpha": alpha, "I": I}, alpha * I_se,
                     generations=gens, name="innovation (alpha I <= J)" + tag, z=z, atol=EXACT_ATOL)
        out += check(cat["innovation"], None, {"alpha": alpha, "I": I, "D": D, "D_next": Dn},
                     alpha / 2 * I_se, generations=gens, name="innovation" + tag, z=z, atol=EXACT_ATOL)
    out += check(cat["prop3.1"], a["kl_ideal"], {"epshat2": a["epshat2"]}, generations=gens,
                 name="prop3.1" + tag, rtol=1e-7, atol=EXACT_ATOL)
    pert = {"eps2": a["eps2"], "eta": a["eta"]}
    out += check(cat["thm3.4"], a["chi2_ideal"], pert, generations=gens, fit=("C", "c"),
                 note="C, c fitted on the first half", binding=False)
    out[-2].name, out[-1].name = "thm3.4 (lower)" + tag, "thm3.4 (upper)" + tag
    lower_c = out[-2].constants.get("C", {}).get("value", 0.0)
    out += check(cat["prop3.3b"], a["chi2_ideal"], dict(pert, C=lower_c), generations=gens,
                 in_regime_only=True, name="prop3.3b" + tag, note=f"C = {lower_c:.3g} from thm3.4 (lower)",
                 binding=False)
    out.append(_prop41(cat["prop4.1"], a, tag))
    out += _thm42(a, tag, z)
    return out


def _second_half(x):
    x = np.asarray(x)
    return x[len(x) // 2:]


def _prop41(result, a: dict, tag: str) -> Check:
    limsup = float(np.max(_second_half(a["D_chi2"])))
    params = {"alpha": float(np.mean(a["alpha"])), "eta_floor": float(np.min(_second_half(a["eta"]))),
              "eps_floor": float(np.min(_second_half(a["eps2"])))}
    (c,) = check(result, limsup, params, generations=[len(a["D_chi2"]) - 1], name="prop4.1 (ii)" + tag,
                 note="limsup D, eta_floor and eps_floor over the second half of the generations",
                 binding=False)
    return c


def _thm42(a: dict, tag: str, z: float) -> list[Check]:
    """Both additive bounds of `catalog()["thm4.2.R"]` with C_bias = 0, D_{N+1} <= c2 R_N and
    D_{N+1} >= c1 R_N: c1, c2 fitted on the first half and checked on the second."""
    R = bounds.drift_path(a["eps2"], a["alpha"], a["D_chi2"][0])[1:]
    D = a["D_chi2"][1:]
    thm = bounds.catalog()["thm4.2.R"]
    out = []
    for side, name in (("upper", "c2"), ("lower", "c1")):
        (c,) = check(thm, D, {"R": R}, side=side, generations=np.arange(1, len(D) + 1), fit=(name,),
                     fixed={"C_bias": 0.0}, name=f"thm4.2 ({side}, C_bias = 0){tag}", z=z,
                     note="R_N from bounds.drift_path of the measured eps2_i", binding=False)
        c.result_id = "thm4.2"  # the per-generation form of Thm 4.2
        out.append(c)
    return out


def controls(a: dict, label: str = "") -> list[Check]:
    """Mutated results that must be violated by the same exact numbers.

    Parameters
    ----------
    a : dict
        The run's arrays.
    label : str
        Suffix of the check names.

    Returns
    -------
    list of validate.checks.check.Check
        The controls (expect "violated").
    """
    cat = bounds.catalog()
    tag = f" [{label}]" if label else ""
    D, Dn, alpha = a["D_chi2"][:-1], a["D_chi2"][1:], a["alpha"]
    gens = np.arange(len(alpha))
    # where the mutation changes nothing it cannot fail: D = 0 (generation 0) or a realised alpha of 0 or 1
    keep = (D > 1e-8) & (alpha > 0) & (alpha < 1)
    out = []
    lemma = cat["lemmaF.1"].substitute((1 - S.alpha) ** 2, 1 - S.alpha)
    out += check(lemma, a["chi2_q_data"][keep], {"alpha": alpha[keep], "D": D[keep]}, generations=gens[keep],
                 expect=VIOLATED, name="control: lemmaF.1 with (1-alpha)" + tag, rtol=1e-7)
    ident = cat["identity"].substitute(S.cross, 0)
    out += check(ident, Dn[keep], {"alpha": alpha[keep], "D": D[keep], "J": a["J"][keep]},
                 generations=gens[keep], expect=VIOLATED, name="control: identity without cross term" + tag,
                 rtol=1e-7)
    return out


def tight_brownian_controls(xi: float = 0.3, T: float = 1.0) -> list[Check]:
    """Prop 3.1 on its tight example (Brownian motion from a fixed point, constant drift error xi on
    [0, T]: endpoint KL = KL(N(xi T, T) || N(0, T)) = 1/2 xi^2 T = 1/2 epshat2), and the 49/100 control.

    Parameters
    ----------
    xi : float
        Drift error (default 0.3).
    T : float
        Horizon (default 1).

    Returns
    -------
    list of validate.checks.check.Check
        The check on the tight example and its 49/100 control (scope "example": they do not
        concern any run).
    """
    measured = kl(Gaussian([xi * T], [[T]]), Gaussian([0.0], [[T]]))
    params = {"epshat2": xi ** 2 * T}
    cat = bounds.catalog()
    out = (check(cat["prop3.1"], measured, params, name="prop3.1 on the tight Brownian example", rtol=1e-9)
           + check(cat["prop3.1"].with_coefficient("1/2", "49/100"), measured, params, expect=VIOLATED,
                   name="control: prop3.1 with 49/100 on the tight example", rtol=1e-9))
    return attribute(out, scope="example", run={"learner": f"Brownian motion, drift error xi = {xi:g}",
                                                "target": "point mass"})
