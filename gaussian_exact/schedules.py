"""Schedules over generations for the ideal recursion: the truncation time t0(i) and the fresh
fraction alpha_i (THEORY.md §5, annealed truncation; reconstructed).

A schedule is a number (constant), a sequence with one value per generation, or a function
i -> value (i = 0, 1, ...). `as_schedule` turns any of these into a float array and checks its range.
Named schedules: `constant(value)`, `geometric(t0, ratio)` (t0 ratio^i: the closed form of
`bounds.catalog()["limit.annealed.geometric"]`), `harmonic(t0, power)` (t0 / (i+1)^power).
Every mode returns to data iff t0(i) -> 0 (alpha > 0; THEORY.md §5): geometric with ratio < 1 and
harmonic with power > 0 do, constant t0 > 0 does not.
"""
from __future__ import annotations

import math

import numpy as np


def _check_value(name: str, value: float, lo: float, hi: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValueError(f"{name} must be a finite number in [{lo:g}, {hi:g}], got {value}")
    return value


def as_schedule(value, generations: int, name: str = "t0") -> np.ndarray:
    """The schedule's values for generations 0..generations-1 as a float array.

    Parameters
    ----------
    value : number, sequence of `generations` numbers, or callable i -> number
    generations : int >= 0
    name : "t0" (values >= 0) or "alpha" (values in [0, 1]); names the argument in errors

    Returns
    -------
    ndarray of shape (generations,)

    Raises
    ------
    ValueError naming `name` for a value out of range or a sequence of the wrong length.
    """
    if isinstance(generations, bool) or int(generations) != generations or generations < 0:
        raise ValueError(f"generations must be an integer >= 0, got {generations!r}")
    n = int(generations)
    lo, hi = (0.0, 1.0) if name == "alpha" else (0.0, math.inf)
    if callable(value):
        values = [value(i) for i in range(n)]
    elif isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != n:
            raise ValueError(f"{name} schedule must have {n} entries (one per generation), got {len(value)}")
        values = list(value)
    else:
        values = [value] * n
    return np.array([_check_value(name, v, lo, hi) for v in values], dtype=float)


def constant(value: float):
    """i -> value.

    Parameters
    ----------
    value : float
        The constant.

    Returns
    -------
    callable
        ``i -> value``.
    """
    value = float(value)
    return lambda i: value


def geometric(t0: float, ratio: float):
    """i -> t0 ratio^i, ratio in (0, 1] (1: constant). Raises ValueError naming t0 or ratio.

    The closed form of `bounds.catalog()["limit.annealed.geometric"]` (THEORY.md §5, reconstructed).

    Parameters
    ----------
    t0 : float
        Finite first value >= 0.
    ratio : float in (0, 1]
        Ratio of consecutive values.

    Returns
    -------
    callable
        ``i -> t0 ratio^i``.

    Raises
    ------
    ValueError
        If t0 is negative or not finite, or ratio is outside (0, 1].
    """
    t0 = _check_value("t0", t0, 0.0, math.inf)
    if not (0.0 < float(ratio) <= 1.0):
        raise ValueError(f"ratio must be in (0, 1], got {ratio}")
    ratio = float(ratio)
    return lambda i: t0 * ratio ** i


def harmonic(t0: float, power: float = 1.0):
    """i -> t0 / (i + 1)^power, power >= 0 (0: constant). Raises ValueError naming t0 or power.

    Parameters
    ----------
    t0 : float
        Finite first value >= 0.
    power : float
        Finite decay exponent >= 0 (default 1).

    Returns
    -------
    callable
        ``i -> t0 / (i + 1)^power``.

    Raises
    ------
    ValueError
        If t0 or power is negative or not finite.
    """
    t0 = _check_value("t0", t0, 0.0, math.inf)
    power = _check_value("power", power, 0.0, math.inf)
    return lambda i: t0 / (i + 1) ** power
