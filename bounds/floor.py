"""Prop 4.1 (ii): the collapse floor, derived from the innovation inequality and Prop 3.3.

Source: THEORY.md §3 (Prop 4.1, stated in v2; the algebra below is ours). If eventually
eps2_i >= eps_floor and eta_i >= eta_floor (in the small-error regime of Prop 3.3's second form),
then D_{i+1} + (1-alpha)^2 D_i >= alpha/2 I_i >= alpha/2 * 1/8 eta_floor eps_floor. With
L = limsup D_i, eventually D_i, D_{i+1} <= L + delta for any delta > 0, so
(1 + (1-alpha)^2)(L + delta) >= alpha eta_floor eps_floor / 16, and delta -> 0 gives
limsup D_i >= alpha eta_floor eps_floor / (16 (1 + (1-alpha)^2)).
"""
from __future__ import annotations

import sympy as sp

from . import symbols as S

_L = sp.Symbol("L", nonnegative=True)
_delta = sp.Symbol("delta", positive=True)


def derive_floor(innovation_quantity, innovation_lower, small_error_lower) -> sp.Expr:
    """The floor on limsup D implied by `quantity >= innovation_lower(I)` and `I >= small_error_lower`.

    Checks the monotonicity each substitution needs, then solves for L and lets delta -> 0.
    """
    if not sp.diff(innovation_lower, S.I).is_nonnegative:
        raise ValueError("the innovation lower bound must increase in I")
    for sym in (S.eta, S.eps2):
        if not sp.diff(small_error_lower, sym).is_nonnegative:
            raise ValueError(f"the small-error lower bound must increase in {sym}")
    for sym in (S.D_next, S.D):
        if not sp.diff(innovation_quantity, sym).is_nonnegative:
            raise ValueError(f"the innovation left side must increase in {sym}")
    floor_rhs = innovation_lower.subs(S.I, small_error_lower).subs(
        {S.eta: S.eta_floor, S.eps2: S.eps_floor})
    lhs = innovation_quantity.subs({S.D_next: _L + _delta, S.D: _L + _delta})
    (solution,) = sp.solve(sp.Eq(lhs, floor_rhs), _L)
    if not sp.diff(lhs, _L).is_positive:
        raise ValueError("the left side must increase in L")
    return sp.factor(sp.limit(solution, _delta, 0))
