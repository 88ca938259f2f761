"""The limit law of THEORY.md §5 (reconstructed; arXiv 2606.13796) checked on exact laws.

Every measured number comes from `gaussian_exact` (Gaussian convolution of mixtures, or of grid laws,
and quadrature); every bound from `bounds.catalog()` (derived in SymPy). The two routes share nothing
but the conventions, so agreement tests the reconstruction.

Checks (binding: they must hold where the reconstructed statements are right):

* "limit.hermite_step": c_n(P_t0 data) / c_n(data) = e^{-n t0/2}, modes 1..8.
* "limit.multiplier": c_n(p_inf) / c_n(data) = m_n(alpha, t0) for 1-D non-Gaussian data: a skewed
  three-component mixture (modes 1..8) and the paper's 1-D projected mixture `gmm1d`
  0.2 N(0, 0.36) + 0.4 N(-4, 0.36) + 0.4 N(4, 0.36) (symmetric: its odd coefficients vanish, so modes
  2, 4, 6, 8), by the mixture route for every alpha and by the grid route (`GridLaw`) for alpha >= 0.5.
* "limit.rate" / "limit.rate.hermite": TV(p^{i+1}, p_inf) / TV(p^i, p_inf) <= 1 - alpha and the
  Hermite-norm ratio <= (1 - alpha) e^{-t0/2}, generation by generation.
* "limit.annealed.geometric": per mode, ``|c_n^N / c_n^data - 1|`` under t0(i) = t0 rho^i below the
  closed-form bound at every generation (annealing returns to data); "limit.mode_rate" with
  "limit.multiplier": under constant t0 each mode follows (m_n - 1)(1 - ((1-alpha) e^{-n t0/2})^N)
  exactly, so it does not return.
* invisible error (arXiv 2606.06179; THEORY.md §7): a skew-symmetric W on N(0, 0.36 I) in 2-D, continuous
  time: endpoint KL = chi2 = eta = 0 while epshat2 > 0; Prop 3.1 holds but is loose by its whole size,
  Prop 3.3's lower bound (1/4 eta eps2 - C eps2^2 with C = 0) is zero, as it must be.

Controls (must be violated): the multiplier and the one-round step with e^{-n t0} for e^{-n t0/2}
(`bounds.limit_catalog.MULTIPLIER_CONTROL`); the TV rate with (1-alpha)^2 for (1-alpha); the annealed
bound with 1/4 for its 1/2 and the annealed bound applied to the constant-t0 run; "KL = 0" for a
symmetric W of the same size.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import sympy as sp

import bounds
import gaussian_exact as ge
from bounds import symbols as S
from bounds.limit_catalog import multiplier_control
from gaussian_exact import quadrature_1d, schedules
from run_files import atomic_write_text
from validate.checks.check import Check, check, verdict_rows
from validate.checks.verdict import VIOLATED, verdicts

T0 = 0.02
ALPHAS = (0.1, 0.5, 0.9)
MODES = 8
RTOL = 1e-8   # quadrature and convolution agree with the closed forms to ~1e-12; this is generous
GRID_ALPHAS = (0.5, 0.9)   # the grid route sums 1 / alpha log(1/tail) convolutions: cheap from 0.5 on


def gmm1d() -> ge.GaussianMixture:
    """The paper's 10-D mixture (documented means) projected on its first coordinate.

    Returns
    -------
    gaussian_exact.GaussianMixture
        The 1-D mixture.
    """
    return ge.GaussianMixture([0.2, 0.4, 0.4], [ge.Gaussian([0.0], [0.36]), ge.Gaussian([-4.0], [0.36]),
                                                ge.Gaussian([4.0], [0.36])])


def skewed1d() -> ge.GaussianMixture:
    """A skewed 1-D mixture whose Hermite coefficients of orders 1..8 are all visibly nonzero.

    Returns
    -------
    gaussian_exact.GaussianMixture
        The 1-D mixture.
    """
    return ge.GaussianMixture([0.5, 0.3, 0.2], [ge.Gaussian([-1.0], [0.25]), ge.Gaussian([1.5], [0.36]),
                                                ge.Gaussian([0.3], [0.5])])


def _as_grid(mix: ge.GaussianMixture) -> ge.GridLaw:
    return ge.GridLaw.mixture(mix.weights, [g.mean for g in mix.components], [float(g.var[0]) for g in mix.components])


def _visible_modes(c: np.ndarray, modes: int) -> np.ndarray:
    n = np.arange(1, modes + 1)
    return n[np.abs(c[1:modes + 1]) > 1e-8 * np.max(np.abs(c[1:modes + 1]))]


def multiplier_rows(data, alpha: float, t0: float = T0, modes: int = MODES, data_name: str = "", route: str = "mixture"):
    """Rows (alpha, mode, predicted, measured, ...) of the limit multipliers of `data` (one route).

    Parameters
    ----------
    data : gaussian_exact.GaussianMixture
        The 1-D data law.
    alpha : float
        Fresh-data fraction.
    t0 : float
        Early-stopping time (default T0).
    modes : int
        Highest Hermite order (default MODES).
    data_name : str
        Label of the data in the rows.
    route : {"mixture", "grid"}
        Compute the limit with mixtures or on a GridLaw (default "mixture").

    Returns
    -------
    list of dict
        One row per mode.
    """
    law = _as_grid(data) if route == "grid" else data
    c_data = ge.hermite_coefficients(law, modes)
    c_lim = ge.hermite_coefficients(ge.limit_law(law, alpha, t0), modes)
    n = _visible_modes(c_data, modes)
    predicted = bounds.limit_multipliers(alpha, t0, n)
    return [{"data": data_name, "route": route, "alpha": alpha, "t0": t0, "mode": int(k),
             "multiplier": float(p), "measured": float(c_lim[k] / c_data[k]), "c_data": float(c_data[k]),
             "c_limit": float(c_lim[k])} for k, p in zip(n, predicted)]


def multiplier_checks(alphas=ALPHAS, t0: float = T0, modes: int = MODES, grid: bool = True) -> tuple[list, list]:
    """(checks, table rows) for "limit.multiplier" and "limit.hermite_step" with their controls.

    Parameters
    ----------
    alphas : sequence of float
        Fresh-data fractions (default ALPHAS).
    t0 : float
        Early-stopping time (default T0).
    modes : int
        Highest Hermite order (default MODES).
    grid : bool
        Also run the grid route (alpha in GRID_ALPHAS; default True).

    Returns
    -------
    checks, rows : list
        The checks and controls, and the multiplier table's rows.
    """
    cat = bounds.catalog()
    mult, step = cat["limit.multiplier"], cat["limit.hermite_step"]
    checks, table = [], []
    for name, data in (("skewed1d", skewed1d()), ("gmm1d", gmm1d())):
        c_data = ge.hermite_coefficients(data, modes)
        n = _visible_modes(c_data, modes)
        one = ge.hermite_coefficients(ge.ideal_recursion(data, 1.0, t0, 1)[1], modes)[n] / c_data[n]
        params = {"t0": t0, "mode": n}
        checks += check(step, one, params, generations=n, name=f"limit.hermite_step [{name}, t0={t0:g}]", rtol=RTOL,
                        note="rows are Hermite orders n")
        checks += check(multiplier_control(step), one, params, generations=n, expect=VIOLATED, rtol=RTOL,
                        name=f"control: one round with e^(-n t0) [{name}]")
        for route in ("mixture", "grid") if grid else ("mixture",):
            for alpha in alphas:
                if route == "grid" and alpha not in GRID_ALPHAS:
                    continue
                rows = multiplier_rows(data, alpha, t0, modes, name, route)
                table += rows
                measured = np.array([r["measured"] for r in rows])
                modes_ = np.array([r["mode"] for r in rows])
                params = {"alpha": alpha, "t0": t0, "mode": modes_}
                tag = f"[{name}, {route}, alpha={alpha:g}]"
                checks += check(mult, measured, params, generations=modes_, name=f"limit.multiplier {tag}",
                                rtol=RTOL, note="rows are Hermite orders n")
                checks += check(multiplier_control(mult), measured, params, generations=modes_, expect=VIOLATED,
                                rtol=RTOL, name=f"control: multiplier with e^(-n t0) {tag}")
    return checks, table


def contraction_series(data, alpha: float, t0: float = T0, generations: int = 10) -> dict:
    """TV and Hermite-norm distances of the iterates to the limit, and their ratios.

    Parameters
    ----------
    data : gaussian_exact.GaussianMixture
        The 1-D data law.
    alpha : float
        Fresh-data fraction.
    t0 : float
        Early-stopping time (default T0).
    generations : int
        Number of iterates (default 10).

    Returns
    -------
    dict
        Distances per generation and their ratios.
    """
    lim = ge.limit_law(data, alpha, t0)
    laws = ge.ideal_recursion(data, alpha, t0, generations)
    tv = np.array([quadrature_1d.tv_distance(p, lim) for p in laws])
    l2 = np.array([quadrature_1d.hermite_norm_distance(p, lim) for p in laws])
    return {"generation": np.arange(generations + 1), "tv": tv, "hermite_norm": l2,
            "tv_ratio": tv[1:] / tv[:-1], "hermite_ratio": l2[1:] / l2[:-1]}


def contraction_checks(alphas=ALPHAS, t0: float = T0) -> list:
    """The contraction of the limit law (TV and Hermite norm shrink by the predicted factor), with controls.

    Parameters
    ----------
    alphas : sequence of float
        Fresh-data fractions (default ALPHAS).
    t0 : float
        Early-stopping time (default T0).

    Returns
    -------
    list of validate.checks.check.Check
        The checks and their controls.
    """
    cat = bounds.catalog()
    out = []
    for alpha in alphas:
        G = max(2, min(10, int(math.log(1e-6) / math.log1p(-alpha))))   # stay far above the 1e-12 tail
        s = contraction_series(skewed1d(), alpha, t0, G)
        gens = np.arange(G)
        tag = f"[skewed1d, alpha={alpha:g}]"
        out += check(cat["limit.rate"], s["tv_ratio"], {"alpha": alpha}, generations=gens,
                     name=f"limit.rate (TV) {tag}", rtol=1e-9)
        out += check(cat["limit.rate.hermite"], s["hermite_ratio"], {"alpha": alpha, "t0": t0}, generations=gens,
                     name=f"limit.rate.hermite {tag}", rtol=1e-9)
        bad = cat["limit.rate"].substitute(1 - S.alpha, (1 - S.alpha) ** 2, label="(1-alpha) -> (1-alpha)^2")
        out += check(bad, s["tv_ratio"], {"alpha": alpha}, generations=gens, expect=VIOLATED, rtol=1e-9,
                     name=f"control: TV rate (1-alpha)^2 {tag}")
    return out


def annealed_series(data, alpha: float = 0.1, t0: float = T0, rho: float = 0.8, generations: int = 40,
                    modes: int = MODES) -> dict:
    """Constant t0 against t0(i) = t0 rho^i: per-mode deviations delta_n^i and TV to data over generations.

    Parameters
    ----------
    data : gaussian_exact.GaussianMixture
        The 1-D data law.
    alpha : float
        Fresh-data fraction (default 0.1).
    t0 : float
        First stopping time (default T0).
    rho : float
        Ratio of the geometric schedule (default 0.8).
    generations : int
        Number of generations (default 40).
    modes : int
        Highest Hermite order (default MODES).

    Returns
    -------
    dict
        Deviations and TV per generation, constant and annealed.
    """
    out = {"generation": np.arange(generations + 1), "alpha": alpha, "t0": t0, "rho": rho}
    c_data = ge.hermite_coefficients(data, modes)
    n = _visible_modes(c_data, modes)
    out["modes"] = n
    for name, sched in (("constant", t0), ("annealed", schedules.geometric(t0, rho))):
        laws = ge.ideal_recursion(data, alpha, sched, generations)
        out[f"tv_{name}"] = np.array([quadrature_1d.tv_distance(p, data) for p in laws])
        c = np.array([ge.hermite_coefficients(p, modes) for p in laws])
        out[f"dev_{name}"] = c[:, n] / c_data[n] - 1     # (generations + 1, len(n))
    return out


def annealed_checks(alpha: float = 0.1, t0: float = T0, rho: float = 0.8, generations: int = 40) -> tuple[list, dict]:
    """The annealed-truncation bound ("limit.annealed.geometric") on the annealed series, with controls.

    Parameters
    ----------
    alpha : float
        Fresh-data fraction (default 0.1).
    t0 : float
        First stopping time (default T0).
    rho : float
        Ratio of the geometric schedule (default 0.8).
    generations : int
        Number of generations (default 40).

    Returns
    -------
    checks, series : list, dict
        The checks and controls, and the ``annealed_series`` data.
    """
    cat = bounds.catalog()
    s = annealed_series(gmm1d(), alpha, t0, rho, generations)
    geo = cat["limit.annealed.geometric"]
    half_to_quarter = geo.substitute(sp.Rational(1, 2), sp.Rational(1, 4), label="1/2 -> 1/4")
    N = np.arange(1, generations + 1)
    out = []
    for j, n in enumerate(s["modes"]):
        params = {"alpha": alpha, "t0": t0, "rho": rho, "mode": int(n), "N": N, "dev0": 0.0}
        ann = np.abs(s["dev_annealed"][1:, j])
        const = s["dev_constant"][1:, j]
        tag = f"[gmm1d, mode {n}, alpha={alpha:g}, rho={rho:g}]"
        out += check(geo, ann, params, generations=N, name=f"limit.annealed.geometric {tag}", rtol=1e-9)
        exact = (float(bounds.limit_multipliers(alpha, t0, int(n))) - 1) * (
            1 - np.asarray(cat["limit.mode_rate"].expression_fn(alpha=alpha, t0=t0, mode=int(n))) ** N)
        verdict, margin = verdicts(const, exact, "equal", rtol=RTOL, atol=1e-12)
        out.append(Check(f"constant t0 does not return: delta_n^N = (m_n - 1)(1 - r_n^N) [gmm1d, mode {n}]",
                         "limit.mode_rate", "equal", verdict_rows(N, const, 0.0, exact, margin, verdict),
                         note=f"m_n - 1 = {float(bounds.limit_multipliers(alpha, t0, int(n))) - 1:.4g}: no return"))
        out += check(geo, np.abs(const), params, generations=N, expect=VIOLATED, rtol=1e-9,
                     name=f"control: constant t0 held to the annealed bound {tag}")
        out += check(half_to_quarter, ann, params, generations=N, expect=VIOLATED, rtol=1e-9,
                     name=f"control: annealed bound with 1/4 for 1/2 {tag}")
    return out, s


def invisible_error(beta: float = 0.5, s2: float = 0.36) -> dict:
    """Exact continuous-time numbers for e(x) = beta [[0, 1], [-1, 0]] x on N(0, s2 I_2), and for the
    symmetric W = beta [[0, 1], [1, 0]] of the same size (the control).

    Parameters
    ----------
    beta : float
        Size of the error (default 0.5).
    s2 : float
        Variance of the data (default 0.36).

    Returns
    -------
    dict
        "skew" and "symmetric": the kl, chi2, eta and energies of each.
    """
    target = ge.Gaussian(np.zeros(2), s2 * np.ones(2))
    ideal = ge.reverse(target)
    out = {}
    for name, W in (("skew", beta * np.array([[0.0, 1.0], [-1.0, 0.0]])), ("symmetric", beta * np.array([[0.0, 1.0], [1.0, 0.0]]))):
        err = ge.AffineError(W=W)
        learned = ge.reverse(target, err)
        out[name] = {"kl": ge.kl(learned, ideal), "chi2": ge.chi2(learned, ideal),
                     "eta": ge.observability(target, err), "eps2": ge.path_energy(target, err, path="ideal"),
                     "epshat2": ge.path_energy(target, err, path="learned")}
    return out


def invisible_error_checks(beta: float = 0.5) -> list:
    """The invisible (skew) error has KL = chi2 = eta = 0; the symmetric control of the same size does not.

    Parameters
    ----------
    beta : float
        Size of the error (default 0.5).

    Returns
    -------
    list of validate.checks.check.Check
        The checks and their controls.
    """
    cat = bounds.catalog()
    v = invisible_error(beta)
    sk, sym = v["skew"], v["symmetric"]
    out = []
    for key in ("kl", "chi2", "eta"):
        verdict, margin = verdicts([sk[key]], [0.0], "equal", atol=1e-9)
        out.append(Check(f"invisible error: {key} = 0 (skew W, continuous time)", "limit.invisible", "equal",
                         verdict_rows([0], [sk[key]], 0.0, [0.0], margin, verdict),
                         note=f"epshat2 = {sk['epshat2']:.4g}; arXiv 2606.06179, THEORY.md §7"))
    verdict, margin = verdicts([sk["epshat2"]], [1e-3], "lower")
    out.append(Check("invisible error: epshat2 > 0 (skew W)", "limit.invisible", "lower",
                     verdict_rows([0], [sk["epshat2"]], 0.0, [1e-3], margin, verdict)))
    out += check(cat["prop3.1"], [sk["kl"]], {"epshat2": sk["epshat2"]}, generations=[0], atol=1e-9,
                 name="prop3.1 on the invisible error (holds, loose by its whole size 1/2 epshat2)")
    out += check(cat["prop3.3"], [sk["chi2"]], {"eta": min(max(sk["eta"], 0.0), 1.0), "eps2": sk["eps2"], "C": 0.0},
                 generations=[0], atol=1e-9, name="prop3.3 lower bound on the invisible error (zero: eta = 0)",
                 binding=True)
    verdict, margin = verdicts([sym["kl"]], [0.0], "equal", atol=1e-9)
    out.append(Check("control: KL = 0 for a symmetric W of the same size", "limit.invisible", "equal",
                     verdict_rows([0], [sym["kl"]], 0.0, [0.0], margin, verdict), expect=VIOLATED))
    return out


def limit_checks(grid: bool = True) -> tuple[list, dict]:
    """Every limit-law check and control, and the data behind the figures and tables.

    Parameters
    ----------
    grid : bool
        Also run the grid route (default True).

    Returns
    -------
    checks, data : list, dict
        Every check and control, and the figure and table data.
    """
    mult, table = multiplier_checks(grid=grid)
    ann, series = annealed_checks()
    checks = mult + contraction_checks() + ann + invisible_error_checks()
    return checks, {"multipliers": table, "annealed": series}


# ---- persistence: `collapse reproduce` writes them, `collapse report` reads them back ---------------
LIMIT_CHECKS_FILE = Path("limit") / "checks.json"  # in a `collapse reproduce` directory


def save_checks(path, checks: list) -> None:
    """The checks as JSON (their fields), atomically.

    Parameters
    ----------
    path : str or path-like
        The JSON file.
    checks : list of validate.checks.check.Check
        The checks.
    """
    atomic_write_text(path, json.dumps([c.__dict__ for c in checks], default=float, indent=1))


def checks_from_saved(saved: list | None) -> list:
    """`Check`s from the field dicts `save_checks` wrote ([] for None).

    Parameters
    ----------
    saved : list of dict or None
        What ``save_checks`` wrote.

    Returns
    -------
    list of validate.checks.check.Check
        The checks.
    """
    return [Check(**d) for d in saved or []]
