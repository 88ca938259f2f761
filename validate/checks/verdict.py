"""Measured value against a bound, with the measurement's uncertainty.

For an upper bound B on a quantity measured as x with standard error s (z standard errors wide)::

  holds         if x + z s <= B,
  violated      if x - z s >  B,
  inconclusive  otherwise.

Lower bounds mirror this. Exact measurements have s = 0, so they are never inconclusive. The
margin and the slack (rtol, atol) are `bounds.tolerance.margin_and_slack`, the rule
`bounds.Result.holds` uses too, so a bound that holds for one holds for the other.
"""
from __future__ import annotations

import numpy as np

from bounds.tolerance import margin_and_slack

HOLDS, VIOLATED, INCONCLUSIVE = "holds", "violated", "inconclusive"
FITTED = "fitted"  # rows used to fit a constant: they hold by construction and do not count


def verdicts(measured, bound, side: str, stderr=0.0, z: float = 2.0, rtol: float = 1e-9, atol: float = 0.0):
    """Per-element verdict strings and margins for `measured` against `bound` on `side`.

    Holds when the margin is at least ``-(z stderr + slack)``, violated when below it by more than
    ``z stderr`` (equality: holds within ``z stderr + slack``), inconclusive otherwise or for a NaN
    margin; the slack is the tolerance rule of `bounds.tolerance` shared with `bounds.Result.holds`.

    Parameters
    ----------
    measured, bound : array_like
        Measured values and bounds (broadcast).
    side : {"lower", "upper", "equal"}
        Which side of the bound the value must lie on.
    stderr : float or array_like
        Standard errors of the measured values (default 0).
    z : float >= 0
        Number of standard errors allowed (default 2).
    rtol, atol : float
        Relative and absolute slack (defaults 1e-9 and 0).

    Returns
    -------
    verdict, margin : numpy.ndarray
        "holds", "violated" or "inconclusive" per element, and the signed margins.

    Raises
    ------
    ValueError
        If z < 0 or side is not one of the three.
    """
    if z < 0:
        raise ValueError(f"z must be >= 0, got {z}")
    margin, tol = margin_and_slack(measured, bound, side, rtol, atol)
    x, b = np.broadcast_arrays(np.asarray(measured, dtype=float), np.asarray(bound, dtype=float))
    s = np.broadcast_to(np.asarray(stderr, dtype=float), x.shape)
    with np.errstate(invalid="ignore"):  # a nan margin (inf - inf) is inconclusive unless x == b
        if side == "equal":
            out = np.where(-margin <= z * s + tol, HOLDS, VIOLATED)
        else:
            out = np.where(margin - z * s >= -tol, HOLDS,
                           np.where(margin + z * s < -tol, VIOLATED, INCONCLUSIVE))
    out = np.where(np.isnan(margin), INCONCLUSIVE, out)
    out = np.where(x == b, HOLDS, out)  # also inf == inf (an infinite chi2 on both sides)
    return out, margin


def overall(verdict_array) -> str:
    """One word for many: violated if any is, else inconclusive if any is, else holds
    (rows marked "fitted" are ignored).

    Parameters
    ----------
    verdict_array : array_like of str
        Per-row verdicts.

    Returns
    -------
    str
        "violated", "inconclusive" or "holds" ("inconclusive" when no row counts).
    """
    v = np.asarray(verdict_array)
    v = v[v != FITTED]
    if v.size == 0:
        return INCONCLUSIVE
    if np.any(v == VIOLATED):
        return VIOLATED
    if np.any(v == INCONCLUSIVE):
        return INCONCLUSIVE
    return HOLDS
