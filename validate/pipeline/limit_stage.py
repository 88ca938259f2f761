"""The limit-law part of `collapse reproduce` (THEORY.md §5, reconstructed): checks, tables and figures
of `validate.checks.limit_suite`, written into a run directory.

Writes DIR/limit/checks.json (read back by `validate.report.build` into checks.json and summary.md),
DIR/tables/limit_multipliers.{md,csv,tex} (m_n by alpha and mode, beside the exact measurement),
DIR/figures/limit_hermite_spectrum.{png,pdf} and DIR/figures/limit_annealed_drift.{png,pdf}.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import bounds
import gaussian_exact as ge
from validate.report import figures
from validate.report.tables import write_table
from validate.checks.limit_suite import LIMIT_CHECKS_FILE, T0, annealed_checks, contraction_checks, gmm1d, invisible_error_checks, \
    multiplier_checks, save_checks

MULTIPLIER_COLUMNS = ("data", "route", "alpha", "t0", "mode", "multiplier", "measured")


def spectrum_data(data, alpha: float = 0.1, t0: float = T0, modes: int = 16, iterates=(1, 5, 20)) -> dict:
    """``|c_n|`` of data, of the given iterates and of the limit, and the predicted ``m_n c_n^data``.

    Hermite coefficients of the density ratio to N(0, 1) (`gaussian_exact.hermite_coefficients`);
    the prediction is the low-pass multiplier of THEORY.md §5 (reconstructed), `bounds.limit_multipliers`.

    Parameters
    ----------
    data : a law `gaussian_exact.hermite_coefficients` accepts (1-D)
    alpha : float in [0, 1]
    t0 : float >= 0
    modes : int >= 1, the highest Hermite order
    iterates : generations of the ideal recursion to include

    Returns
    -------
    dict with keys "modes" (the orders n >= 1 kept: even modes only when the odd ones vanish, as for
    the symmetric gmm1d), "data", "limit", "predicted" (arrays over those modes) and "iterates"
    ({generation: array}).

    Raises
    ------
    ValueError from `gaussian_exact` naming alpha, t0 or modes when out of range.
    """
    c = ge.hermite_coefficients(data, modes)
    n = np.arange(1, modes + 1)
    n = n[np.abs(c[1:]) > 1e-8 * np.abs(c[1:]).max()]
    laws = ge.ideal_recursion(data, alpha, t0, max(iterates))
    lim = ge.hermite_coefficients(ge.limit_law(data, alpha, t0), modes)
    return {"modes": n, "data": c[n], "limit": lim[n], "predicted": bounds.limit_multipliers(alpha, t0, n) * c[n],
            "iterates": {g: ge.hermite_coefficients(laws[g], modes)[n] for g in iterates}}


def limit_law_stage(out_dir, grid: bool = True, log=lambda m: None) -> dict:
    """Run every limit-law check and write its checks, tables and figures into `out_dir`; returns
    {"checks": [...], "figures": [paths]}.

    Parameters
    ----------
    out_dir : str or path-like
        The output directory.
    grid : bool
        Also run the grid route (default True).
    log : callable
        ``log(message)`` for progress lines (default: silent).

    Returns
    -------
    dict
        "checks" (the checks) and "figures" (their paths).
    """
    out = Path(out_dir)

    log("limit law: multipliers, contraction, annealed truncation, invisible error")
    mult, table = multiplier_checks(grid=grid)
    ann, series = annealed_checks()
    checks = mult + contraction_checks() + ann + invisible_error_checks()
    save_checks(out / LIMIT_CHECKS_FILE, checks)
    write_table(out, "limit_multipliers", table, "Limit multipliers m_n(alpha, t0) (bounds) beside the exact "
                "c_n(p_inf)/c_n(data) (gaussian_exact); THEORY.md §5, reconstructed", columns=MULTIPLIER_COLUMNS)
    transfer = {}
    for a in (0.1, 0.5, 0.9):
        rows = [r for r in table if r["data"] == "skewed1d" and r["route"] == "mixture" and r["alpha"] == a]
        transfer[a] = {"modes": [r["mode"] for r in rows], "measured": [r["measured"] for r in rows],
                       "predicted": [r["multiplier"] for r in rows]}
    made = figures.hermite_spectrum(spectrum_data(gmm1d()), transfer, out / "figures" / "limit_hermite_spectrum",
                                    title="gmm1d, alpha = 0.1, t0 = 0.02")
    label_a = f"t0(i) = {series['t0']:g} * {series['rho']:g}^i"
    made += figures.annealed_drift({f"constant t0 = {series['t0']:g}": {"generation": series["generation"],
                                                                       "value": series["tv_constant"]},
                                    label_a: {"generation": series["generation"], "value": series["tv_annealed"]}},
                                   out / "figures" / "limit_annealed_drift",
                                   title=f"gmm1d, alpha = {series['alpha']:g}: ideal recursion (exact)")
    return {"checks": checks, "figures": [str(p) for p in made]}
