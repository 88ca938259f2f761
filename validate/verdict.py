"""Measured value against a bound, with the measurement's uncertainty.

For an upper bound B on a quantity measured as x with standard error s (z standard errors wide):
  holds         if x + z s <= B,
  violated      if x - z s >  B,
  inconclusive  otherwise.
Lower bounds mirror this. Exact measurements have s = 0, so they are never inconclusive; a
relative tolerance `rtol` absorbs floating-point error in exact computations, and `atol` the rounding of sums with cancellation.
The margin is B - x for an upper bound and x - B for a lower bound (positive when it holds).
"""
from __future__ import annotations

import numpy as np

HOLDS, VIOLATED, INCONCLUSIVE = "holds", "violated", "inconclusive"
FITTED = "fitted"  # rows used to fit a constant: they hold by construction and do not count
SIDES = ("upper", "lower", "equal")


def verdicts(measured, bound, side: str, stderr=0.0, z: float = 2.0, rtol: float = 1e-9, atol: float = 0.0):
    """Per-element verdict strings and margins for `measured` against `bound` on `side`."""
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    if z < 0:
        raise ValueError(f"z must be >= 0, got {z}")
    x = np.asarray(measured, dtype=float)
    b = np.asarray(bound, dtype=float)
    s = np.broadcast_to(np.asarray(stderr, dtype=float), np.broadcast(x, b).shape)
    x, b = np.broadcast_arrays(x, b)
    finite = np.isfinite(x) & np.isfinite(b)
    tol = np.where(finite, rtol * np.maximum(np.abs(np.where(finite, x, 0)), np.abs(np.where(finite, b, 0))), 0) + atol
    with np.errstate(invalid="ignore"):  # inf - inf: a nan margin, inconclusive unless x == b
        if side == "equal":
            margin = -np.abs(x - b)
            out = np.where(-margin <= z * s + tol, HOLDS, VIOLATED)
        else:
            margin = b - x if side == "upper" else x - b
            out = np.where(margin - z * s >= -tol, HOLDS,
                           np.where(margin + z * s < -tol, VIOLATED, INCONCLUSIVE))
    out = np.where(np.isnan(margin), INCONCLUSIVE, out)
    out = np.where(x == b, HOLDS, out)  # also inf == inf (an infinite chi2 on both sides)
    return out, margin


def overall(verdict_array) -> str:
    """One word for many: violated if any is, else inconclusive if any is, else holds
    (rows marked "fitted" are ignored)."""
    v = np.asarray(verdict_array)
    v = v[v != FITTED]
    if v.size == 0:
        return INCONCLUSIVE
    if np.any(v == VIOLATED):
        return VIOLATED
    if np.any(v == INCONCLUSIVE):
        return INCONCLUSIVE
    return HOLDS
