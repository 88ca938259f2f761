"""Which long-run regime a pipeline is in (THEORY.md §3 "Regimes", derived).

* "unbounded": alpha = 0, or non-summable errors: sum_i D_i = inf (Prop 4.1 (i); at alpha = 0
  the recursion D_N = D0 + sum eps2 forgets nothing).
* "persistent_drift": alpha > 0 and a persistent error floor (liminf eps2 > 0): D stays bounded
  but limsup D >= the Prop 4.1 (ii) floor > 0.
* "geometric_forgetting": alpha > 0 and summable errors: bounded drift, errors forgotten at rate
  (1-alpha)^2 per generation (Thm 4.2).
The large-error regime has no lower bound in the paper (open); it is not classified here.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import sympy as sp

from .symbols import n
from .validation import check_nonnegative, check_unit_interval


@dataclasses.dataclass(frozen=True)
class Regime:
    """A regime name and the reason (which result decides it). Unpacks as (name, reason)."""

    name: str
    reason: str

    def __iter__(self):
        return iter((self.name, self.reason))


_NON_SUMMABLE = "errors are not summable: sum D_i = inf (Prop 4.1 (i))"
_FLOOR = "alpha > 0 with a persistent error floor: limsup D_i >= alpha eta eps_floor / (16 (1 + (1-alpha)^2)) > 0 (Prop 4.1 (ii))"
_SUMMABLE = "alpha > 0 with summable errors: bounded drift, weights (1-alpha)^{2m} (Thm 4.2)"


def regime(alpha, eps2, *, persistent_slope: float = 0.1, tail_fraction: float = 0.5) -> Regime:
    """Classify (alpha, eps2) into "geometric_forgetting", "persistent_drift" or "unbounded".

    eps2 may be a number or SymPy constant (constant errors), a SymPy expression in
    `bounds.symbols.n` (decided symbolically: summability via Sum.is_convergent, floor via the
    limit n -> oo), or an array over generations. Arrays use a documented numeric rule: fit the
    log-log slope s of eps2_n against n + 1 over the last `tail_fraction` of generations;
    s > -persistent_slope: "persistent_drift"; -1 <= s <= -persistent_slope (decay no faster than
    1/n, not summable): "unbounded"; s < -1 (or an all-zero tail): "geometric_forgetting".
    A finite array cannot prove summability: treat the array rule as a diagnostic.
    """
    if isinstance(alpha, sp.Basic) and not alpha.is_number:
        if not alpha.is_positive:
            raise ValueError("alpha must be a number in [0, 1] or a symbol known to be positive")
        zero_alpha = False
    else:
        check_unit_interval("alpha", alpha)
        zero_alpha = float(alpha) == 0.0
    if zero_alpha:
        return Regime("unbounded", "alpha = 0: D_N = D_0 + sum eps2_n forgets nothing; sum D_i = inf (Prop 4.1 (i))")
    if isinstance(eps2, sp.Basic):
        return _symbolic(sp.sympify(eps2))
    e = np.asarray(eps2, dtype=float)
    check_nonnegative("eps2", e)
    if e.ndim == 0:
        return Regime("persistent_drift", _FLOOR) if e > 0 else Regime("geometric_forgetting", _SUMMABLE)
    return _numeric(e, persistent_slope, tail_fraction)


def _symbolic(e: sp.Expr) -> Regime:
    if n not in e.free_symbols:
        if e.is_zero:
            return Regime("geometric_forgetting", _SUMMABLE)
        if e.is_nonnegative is False:
            raise ValueError(f"eps2 must be >= 0, got {e}")
        return Regime("persistent_drift", _FLOOR + ("" if e.is_positive else " (assuming eps2 > 0)"))
    scale, shape = e.as_independent(n, as_Add=False)  # eps2 * (n-dependent part)
    if scale.is_zero:
        return Regime("geometric_forgetting", _SUMMABLE)
    e = shape
    tail = sp.limit(e, n, sp.oo)
    if isinstance(tail, sp.AccumBounds):
        tail = tail.min
    if tail.is_positive:  # persistent floor (the constant factor is taken as > 0)
        return Regime("persistent_drift", _FLOOR)
    try:
        convergent = sp.Sum(e, (n, 0, sp.oo)).is_convergent()
    except NotImplementedError:
        convergent = None
    if convergent is sp.true or convergent is True:
        return Regime("geometric_forgetting", _SUMMABLE)
    if convergent is sp.false or convergent is False:
        return Regime("unbounded", _NON_SUMMABLE)
    raise ValueError(f"cannot decide whether sum_n {e} converges")


def _numeric(e: np.ndarray, persistent_slope: float, tail_fraction: float) -> Regime:
    if e.ndim != 1 or e.size < 4:
        raise ValueError(f"eps2 must be a 1-D array of at least 4 generations, got shape {e.shape}")
    if not 0 < tail_fraction <= 1:
        raise ValueError(f"tail_fraction must be in (0, 1], got {tail_fraction}")
    start = e.size - max(2, int(np.ceil(tail_fraction * e.size)))
    idx = np.arange(start, e.size)
    keep = e[idx] > 0
    if keep.sum() < 2:
        return Regime("geometric_forgetting", _SUMMABLE + " [array rule: errors vanish in the tail]")
    slope = np.polyfit(np.log(idx[keep] + 1.0), np.log(e[idx][keep]), 1)[0]
    rule = f" [array rule: tail log-log slope {slope:.3g}]"
    if slope > -persistent_slope:
        return Regime("persistent_drift", _FLOOR + rule)
    if slope >= -1.0 - 1e-9:
        return Regime("unbounded", _NON_SUMMABLE + rule)
    return Regime("geometric_forgetting", _SUMMABLE + rule)
