"""The one tolerance rule of every check: `Result.holds` and `validate.checks.verdict` both use it.

A measured value x against a bound b on a side ("upper": x <= b, "lower": x >= b, "equal":
x = b) has the margin b - x, x - b or -|x - b| (positive when it holds with room) and passes
within the slack `rtol * max(|x|, |b|) + atol` (rounding of exact computations; `atol` for sums
with cancellation). x == b always passes, inf == inf included; an undefined margin (inf - inf)
never does.
"""
from __future__ import annotations

import numpy as np

SIDES = ("upper", "lower", "equal")


def margin_and_slack(measured, bound, side: str, rtol: float = 1e-9, atol: float = 0.0):
    """(margin, slack) arrays broadcast over `measured` and `bound`.

    Parameters
    ----------
    measured, bound : array_like
        The value and the bound.
    side : {"upper", "lower", "equal"}
        Which statement: measured <= bound, measured >= bound, measured = bound.
    rtol, atol : float
        Relative and absolute slack (see the module docstring).

    Returns
    -------
    margin, slack : ndarray
        The margin (nan where undefined) and the slack (atol where either side is infinite).

    Raises
    ------
    ValueError
        If `side` is not one of `SIDES`.
    """
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    x, b = np.broadcast_arrays(np.asarray(measured, dtype=float), np.asarray(bound, dtype=float))
    finite = np.isfinite(x) & np.isfinite(b)
    slack = np.where(finite, rtol * np.maximum(np.abs(np.where(finite, x, 0)), np.abs(np.where(finite, b, 0))), 0)
    with np.errstate(invalid="ignore"):  # inf - inf: a nan margin
        margin = -np.abs(x - b) if side == "equal" else (b - x if side == "upper" else x - b)
    return margin, slack + atol


def passes(measured, bound, side: str, rtol: float = 1e-9, atol: float = 0.0) -> np.ndarray:
    """Boolean array: does `measured` satisfy `side` of `bound` within the slack?"""
    margin, slack = margin_and_slack(measured, bound, side, rtol, atol)
    with np.errstate(invalid="ignore"):
        ok = margin >= -slack
    return ok | (np.asarray(measured, dtype=float) == np.asarray(bound, dtype=float))
