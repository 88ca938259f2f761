"""The paper's assumptions A1-A4 measured exactly on one chain (THEORY.md section 8; issue 18 point 2).

* A1: both path energies finite (eps2 = E*<M>, epshat2 = E_hat<M>);
* A2 (Novikov): E* exp(<M>/2) < inf (Gaussian: the Riccati recursion with tilt weight 1 and no mean
  shift; grid: n_{k+1} = K_k[n_k exp(a_k / 2)]);
* A3: E*[Lambda^{1+delta}] < inf for some delta > 1, i.e. a finite tilted moment of some order a > 2.
  a -> log E*[Lambda^a] is convex, so the orders with a finite moment form an interval (0, a*): the
  Gaussian report bisects a* (to `a_tol`, up to `a_max`), the grid report tries the orders `a_grid`
  in one pass;
* A4: the normalised moments E*<M>^j / eps2^j (j = 2: K), grid only (moment recursions of
  grid_path_moments.py);
* the small-error regime eps2 <= 1.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .time_grid import keyword_form
from .gaussian import Gaussian
from .grid_law import GridLaw
from .grid_path_moments import grid_path_moments
from .linear_sde import check_error, check_schedule, propagate_learned_and_ideal
from .path_moments import gaussian_log_tilted

A_GRID = (1.25, 1.5, 2.0, 2.25, 2.5, 3.0, 4.0, 6.0, 8.0)   # orders tried on grids


@dataclass
class AssumptionReport:
    """A1-A4 for one chain (module docstring). Infinite values come with their reason.

    Parameters
    ----------
    eps2, epshat2 : float
        The ideal and learned path energies (A1).
    log_novikov : float
        log E* exp(<M>/2) (+inf when infinite; A2).
    novikov_reason : str or None
    largest_finite_a : float
        The largest order found with E*[Lambda^a] < inf (1 when none above 1 was; a lower bound when
        `a_bound_reached`).
    smallest_infinite_a : float
        The smallest order found with E*[Lambda^a] = inf (+inf when none).
    a_bound_reached : bool
        Every order tried was finite (then largest_finite_a is only a lower bound on a*).
    a3_reason : str or None
        The reason of the smallest infinite order.
    qv_moment_ratios : dict
        {j: E*<M>^j / eps2^j} for j = 2..max_moment (empty for Gaussian targets).
    novikov_exact : bool
        False when the grid only gave a lower bound for E* exp(<M>/2) (its field left the box).
    unresolved_a : list of float
        Grid orders whose tilted field left the box (only lower bounds: infinite or grid too narrow).
    """

    eps2: float
    epshat2: float
    log_novikov: float
    novikov_reason: str | None
    largest_finite_a: float
    smallest_infinite_a: float
    a_bound_reached: bool
    a3_reason: str | None
    qv_moment_ratios: dict = field(default_factory=dict)
    novikov_exact: bool = True
    unresolved_a: list = field(default_factory=list)

    @property
    def a1(self) -> bool:
        """A1: eps2 and epshat2 finite."""
        return math.isfinite(self.eps2) and math.isfinite(self.epshat2)

    @property
    def a2(self) -> bool | None:
        """A2 (Novikov): E* exp(<M>/2) finite (None: the grid gave only a lower bound)."""
        if not self.novikov_exact:
            return None
        return math.isfinite(self.log_novikov)

    @property
    def a3(self) -> bool | None:
        """A3: some a > 2 with E*[Lambda^a] finite (None: undecided, a* may lie between 2 and the
        smallest order tried that was not shown finite)."""
        if self.largest_finite_a > 2:
            return True
        if self.smallest_infinite_a <= 2:   # the finite orders form an interval (log-convexity)
            return False
        return None

    @property
    def small_error(self) -> bool:
        """eps2 <= 1."""
        return self.eps2 <= 1


def assumption_report(target, error=None, T: float = 4.0, t0: float = 0.02, steps=None, init="prior",
                      score=None, a_max: float = 16.0, a_tol: float = 1e-3, a_grid=A_GRID,
                      max_moment: int = 4, *, schedule=None) -> AssumptionReport:
    """Measure A1-A4 on the K-step chain of `target` with `error` (module docstring).

    Parameters
    ----------
    target : Gaussian or GridLaw
        The training law.
    error, score
        As in `reverse` (AffineError for a Gaussian; any callable, or score=, for a GridLaw).
    T, t0, steps, init
        As in `reverse`; steps required.
    a_max, a_tol : float
        Gaussian targets: the bisection for a* runs on (1, a_max] to the width a_tol.
    a_grid : sequence of float > 1
        GridLaw targets: the orders tried.
    max_moment : int >= 2
        GridLaw targets: the highest moment of <M> reported.
    schedule : TimeGrid, optional
        T, t0, steps and init as one object (a uniform grid; time_grid.py), instead of the keywords.

    Returns
    -------
    AssumptionReport

    Raises
    ------
    ValueError
        Naming target, a_max, a_tol, a_grid, or as `tilted_moment` / grid_path_moments.
    """
    T, t0, steps, init = keyword_form(schedule, T, t0, steps, init)
    if isinstance(target, GridLaw):
        return _grid_report(target, error, T, t0, steps, init, score, a_grid, max_moment)
    if not isinstance(target, Gaussian):
        raise ValueError(f"target must be a Gaussian or a GridLaw, got {type(target).__name__}")
    if score is not None:
        raise ValueError("score= is for GridLaw targets; for a Gaussian target give an AffineError")
    if not (math.isfinite(a_max) and a_max > 1):
        raise ValueError(f"a_max must be a finite number > 1, got {a_max}")
    if not (math.isfinite(a_tol) and 0 < a_tol < a_max - 1):
        raise ValueError(f"a_tol must be in (0, a_max - 1), got {a_tol}")
    T, t0, steps = check_schedule(T, t0, steps)
    if steps is None:
        raise ValueError("steps must be an integer >= 1 (the assumptions are measured on the K-step chain)")
    error = check_error(error, target.dim)
    learned, ideal = propagate_learned_and_ideal(target, error, T, t0, steps, init=init)
    nov, nov_reason = gaussian_log_tilted(target, error, 0.0, 1.0, T, t0, steps, init)

    def log_moment(a):
        return gaussian_log_tilted(target, error, a, a * (a - 1.0), T, t0, steps, init)

    value, reason = log_moment(a_max)
    if math.isfinite(value):
        return AssumptionReport(ideal.energy, learned.energy, nov, nov_reason, a_max, math.inf, True, None)
    lo, hi, hi_reason = 1.0, a_max, reason
    while hi - lo > a_tol:
        mid = 0.5 * (lo + hi)
        value, reason = log_moment(mid)
        if math.isfinite(value):
            lo = mid
        else:
            hi, hi_reason = mid, reason
    return AssumptionReport(ideal.energy, learned.energy, nov, nov_reason, lo, hi, False, hi_reason)


def _grid_report(law, error, T, t0, steps, init, score, a_grid, max_moment) -> AssumptionReport:
    orders = sorted(float(a) for a in a_grid)
    if not orders or orders[0] <= 1:
        raise ValueError(f"a_grid must hold orders > 1, got {a_grid!r}")
    r = grid_path_moments(law, error, orders, T, t0, steps, init, score, max_moment=max_moment, laws=True)
    finite = [tm.a for tm in r.tilted if tm.finite]
    infinite = [tm for tm in r.tilted if tm.infinite]
    unresolved = [tm for tm in r.tilted if not tm.exact]
    ratios = {j: r.qv_moments[j] / r.eps2 ** j if r.eps2 > 0 else math.nan for j in range(2, max_moment + 1)}
    return AssumptionReport(r.eps2, r.epshat2, r.novikov.log_moment, r.novikov.reason,
                            max(finite, default=1.0), infinite[0].a if infinite else math.inf,
                            not infinite and not unresolved, infinite[0].reason if infinite else None, ratios,
                            r.novikov.exact, [tm.a for tm in unresolved])
