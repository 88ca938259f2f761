"""Prop 4.1 (ii) evaluated: the collapse floor from `catalog()["prop4.1"]` (derived in `floor`)."""
from __future__ import annotations

import sympy as sp

from . import symbols as S
from .catalog import catalog
from .validation import check_nonnegative, check_unit_interval


def collapse_floor(alpha, eta_floor, eps_floor):
    """Prop 4.1 (ii): limsup D_i >= alpha eta_floor eps_floor / (16 (1 + (1-alpha)^2)).

    THEORY.md §3 (stated, v2). Numbers or arrays in: float64 (array) out; SymPy in: SymPy out.

    Parameters
    ----------
    alpha : float, array_like or SymPy expression in [0, 1]
        Fraction of fresh data per generation.
    eta_floor : float, array_like or SymPy expression in [0, 1]
        Lower bound on the observability eta_i.
    eps_floor : float, array_like or SymPy expression >= 0
        Lower bound on the per-generation error.

    Returns
    -------
    numpy.float64, numpy.ndarray or sympy.Expr
        The floor.

    Raises
    ------
    ValueError
        If a numeric alpha or eta_floor is outside [0, 1], eps_floor is negative, or any is NaN
        or not numeric.
    """
    result = catalog()["prop4.1"]
    values = {"alpha": alpha, "eta_floor": eta_floor, "eps_floor": eps_floor}
    if any(isinstance(v, sp.Basic) and not v.is_number for v in values.values()):
        return result.lower.subs({S.BY_NAME[k]: v for k, v in values.items()})
    check_unit_interval("alpha", alpha)
    check_unit_interval("eta_floor", eta_floor)
    check_nonnegative("eps_floor", eps_floor)
    out = result.lower_fn(**values)
    return out[()] if out.ndim == 0 else out
