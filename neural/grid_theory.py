"""The theory's assumptions, its proof steps and its finite companions, measured exactly on one
generation of a grid-exact run (THEORY.md section 8; issue 18 points 2-4).

One `gaussian_exact.grid_path_moments(q, score=..., a_values=THEORY_ORDERS, conditional=True)` pass over
the generation's chain gives, exactly up to quadrature:

* A1: eps2, epshat2 (`A1_holds` when both are finite);
* A2 (Novikov): `A2_log_novikov` = log E* exp(<M>/2) (+inf with `A2_reason`; `A2_exact` False when the
  grid gave only a lower bound);
* A3: E*[Lambda^a] for a in THEORY_ORDERS (`renyi_path` {a: R_a(P_hat || P*)}), `A3_largest_finite_a`,
  `A3_smallest_infinite_a` (with `A3_reason`), `A3_holds` (some a > 2 finite: True; an infinite order
  <= 2: False; else None, undecided) and `A3_undecided` (orders the grid could not decide);
* A4: `A4_K` = E*<M>^2 / eps2^2 and `A4_ratio_3` = E*<M>^3 / eps2^3; `small_error` = eps2 <= 1;
* the proof skeleton of Prop 3.3 / Thm 3.4 (`gaussian_exact.skeleton_from_moments`): `proof_E_Zbar`,
  `proof_E_Zbar2`, `proof_E_Psi2`, `proof_E_Z2`, `proof_var_cond_mean` (eta eps2), `proof_E_qv2`, the
  constants `proof_K`, `proof_C_prime`, `proof_C` = K/8 + C', `proof_c` = K + 2 C', and `proof_rows`
  {name: {statement, lhs, relation, rhs, mutation, control_rhs}} for the steps (a)-(e4). chi2 there is
  chi2(p^{g+1} || ideal output) over R^d (`chi2_ideal`, tails decided by the fitted log tails), and
  E*[Psi^2] is +inf when that chi2 is (E[Psi^2] >= chi2 / 2 - E[Zbar^2]);
* the companion laws' quantities, from the exact grid laws: `tv_prev_data` = rho_g = TV(p^g, data),
  `tv_p_data` = rho_{g+1}, `tv_q_data` = TV(q_g, data), `tv_ideal_q` = b_g = TV(p*^{g+1}, q_g),
  `tv_p_ideal` = TV(p^{g+1}, p*^{g+1}), and the Hellinger distances `hel_*` likewise (H^2 = 1/2 int
  (sqrt p - sqrt q)^2), each by the trapezoid rule on the grid (the laws' mass outside the box,
  `companion_error`, bounds the error of each); `renyi_output` {a: R_a(p^{g+1} || p*^{g+1})} for the
  path-Renyi data-processing bound (+inf when p^a q^{1-a} does not decay at a face, from the fitted
  log tails; the box sum plus the fitted tails otherwise; in 2-D the box sum, NaN (undecided) when the
  integrand's estimated mass beyond the box, `gaussian_exact.box_tails.beyond_box`, exceeds TAIL_SHARE).
The added time is measured in bench/bench_theory_metrics.py (metrics stay deterministic).
"""
from __future__ import annotations

import math

import numpy as np

from gaussian_exact import GridLaw, grid_path_moments, skeleton_from_moments
from gaussian_exact.box_tails import TAIL_SHARE, beyond_box
from gaussian_exact.tilted_log_field import fitted_log_tails

THEORY_ORDERS = (1.5, 2.0, 2.5, 3.0)   # orders of E*[Lambda^a]: A3 (some a > 2 finite) and the Renyi DPI


def tv_grid(p: GridLaw, q: GridLaw) -> float:
    """TV(p, q) = 1/2 int |p - q| on the grid of p and q (trapezoid)."""
    return 0.5 * p.integrate(np.abs(p.density - q.density))


def hellinger_grid(p: GridLaw, q: GridLaw) -> float:
    """H(p, q) = (1/2 int (sqrt p - sqrt q)^2)^{1/2} on the grid of p and q (trapezoid)."""
    return math.sqrt(max(0.0, 0.5 * p.integrate((np.sqrt(p.density) - np.sqrt(q.density)) ** 2)))


def renyi_grid(p: GridLaw, q: GridLaw, a: float) -> float:
    """R_a(p || q) = log int p^a q^{1-a} / (a - 1) on a 1-D or 2-D grid: the box sum in logs, plus in
    1-D the fitted tails beyond the faces; +inf where q vanishes under p (a > 1) or, in 1-D, where the
    integrand's fitted log tail does not decay."""
    lp, lq = p.logp, q.logp
    with np.errstate(invalid="ignore"):
        log_f = np.where(np.isfinite(lp), a * lp + (1.0 - a) * np.where(np.isfinite(lq), lq, 0.0), -np.inf)
    if a > 1 and np.any(np.isfinite(lp) & ~np.isfinite(lq)):
        return math.inf
    finite = np.isfinite(log_f)
    terms = log_f[finite] + np.log(p.weights[finite])
    top = float(np.max(terms))
    total = float(np.sum(np.exp(terms - top)))
    if p.dim == 1:
        for _, log_tail in fitted_log_tails(log_f, float(p.spacing[0])):
            if math.isinf(log_tail) and log_tail > 0:
                return math.inf if a > 1 else -math.inf
            if math.isfinite(log_tail):
                total += math.exp(log_tail - top)
    else:   # d = 2: the box sum, unless the integrand's estimated mass beyond the box is not negligible
        beyond = beyond_box(np.exp(log_f - float(np.max(log_f))), p.axes)
        if math.isinf(beyond):
            return math.inf if a > 1 else -math.inf
        if beyond * math.exp(float(np.max(log_f)) - top) > TAIL_SHARE * total:
            return math.nan
    return (top + math.log(total)) / (a - 1.0)


def theory_metrics(q: GridLaw, data: GridLaw, previous: GridLaw, learned: GridLaw, ideal: GridLaw, score,
                   steps: int, T: float, t0: float, chi2_ideal: float, orders=THEORY_ORDERS, step_fields=None) -> dict:
    """The module docstring's metrics for one generation.

    Parameters
    ----------
    q, data, previous : GridLaw
        The training law q_g, the data law and p^g.
    learned, ideal : GridLaw
        p^{g+1} and the ideal chain's output p*^{g+1} (from `run_grid_chain`).
    score : callable
        The learned score as f(x, t) on numpy arrays (`grid_exact.NumpyScore`).
    steps, T, t0
        The sampler's schedule.
    chi2_ideal : float
        chi2(p^{g+1} || p*^{g+1}) over R^d (+inf when divergent).
    orders : sequence of float
        Orders of the tilted moments (> 1).
    step_fields : gaussian_exact.StepFields or None
        The scores kept by the generation's `run_grid_chain` pass (same q, score and schedule),
        replayed instead of evaluated again (the same values).

    Returns
    -------
    dict
        JSON-ready values (module docstring).
    """
    r = grid_path_moments(q, None, orders, T, t0, steps, init="prior", score=score, max_moment=3, conditional=True,
                          step_fields=step_fields)
    c = r.conditional
    eps2, epshat2 = r.eps2, r.epshat2
    E_Psi2 = c.E_Psi2 if math.isfinite(chi2_ideal) else math.inf
    sk = skeleton_from_moments(eps2, chi2_ideal, c.E_Zbar, c.E_Zbar2, E_Psi2, c.E_Z2, c.var_cond_mean, r.qv_moments[2])
    finite = [tm.a for tm in r.tilted if tm.finite]
    infinite = [tm for tm in r.tilted if tm.infinite]
    largest = max(finite, default=1.0)
    smallest_inf = min((tm.a for tm in infinite), default=math.inf)
    a3 = True if largest > 2 else (False if smallest_inf <= 2 else None)
    out = {
        "grid_dim": int(q.dim),
        "A1_holds": bool(math.isfinite(eps2) and math.isfinite(epshat2)),
        "A2_log_novikov": r.novikov.log_moment, "A2_exact": bool(r.novikov.exact), "A2_reason": r.novikov.reason,
        "A3_orders": list(orders), "A3_largest_finite_a": largest, "A3_smallest_infinite_a": smallest_inf,
        "A3_holds": a3, "A3_reason": min(infinite, key=lambda tm: tm.a).reason if infinite else None,
        "A3_undecided": [tm.a for tm in r.tilted if not tm.exact],
        "A4_K": sk.K, "A4_ratio_3": r.qv_moments[3] / eps2 ** 3 if eps2 > 0 else math.nan,
        "small_error": bool(eps2 <= 1),
        "renyi_path": {str(tm.a): (tm.renyi if tm.exact else math.nan) for tm in r.tilted},
        "renyi_output": {str(a): renyi_grid(learned, ideal, a) for a in orders},
        "proof_chi2": chi2_ideal, "proof_E_Zbar": c.E_Zbar, "proof_E_Zbar2": c.E_Zbar2, "proof_E_Psi2": E_Psi2,
        "proof_E_Z2": c.E_Z2, "proof_var_cond_mean": c.var_cond_mean, "proof_E_qv2": r.qv_moments[2],
        "proof_K": sk.K, "proof_C_prime": sk.C_prime, "proof_C": sk.C, "proof_c": sk.c,
        "proof_rows": {row.name: {"statement": row.statement, "lhs": row.lhs, "relation": row.relation,
                                  "rhs": row.rhs, "mutation": row.mutation, "control_rhs": row.control_rhs}
                       for row in sk.rows},
        "tv_prev_data": tv_grid(previous, data), "tv_p_data": tv_grid(learned, data), "tv_q_data": tv_grid(q, data),
        "tv_ideal_q": tv_grid(ideal, q), "tv_p_ideal": tv_grid(learned, ideal),
        "hel_prev_data": hellinger_grid(previous, data), "hel_p_data": hellinger_grid(learned, data),
        "hel_q_data": hellinger_grid(q, data), "hel_ideal_q": hellinger_grid(ideal, q),
        "hel_p_ideal": hellinger_grid(learned, ideal),
        "companion_error": float(sum(law.mass_outside for law in (q, data, previous, learned, ideal))),
    }
    return out
