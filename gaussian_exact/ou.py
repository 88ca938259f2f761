"""The forward variance-preserving Ornstein-Uhlenbeck process dX = -1/2 X dt + dB (THEORY.md section 1).

Kernel: X_t | X_0 ~ N(a_t X_0, s_t^2 I), a_t = exp(-t/2), s_t^2 = 1 - exp(-t).
Marginal of N(m, S): N(a_t m, a_t^2 S + s_t^2 I); its score -(a_t^2 S + s_t^2 I)^-1 (x - a_t m)
(THEORY.md section 4, derived).
"""
from __future__ import annotations

import math

import numpy as np

from .gaussian import Gaussian
from .validation import real_scalar


def _check_time(t: float, name: str = "t") -> float:
    t = real_scalar(name, t)
    if not np.isfinite(t) or t < 0:
        raise ValueError(f"{name} must be a finite time >= 0, got {t}")
    return t


#: the slope of the linear part of the reverse drift ``+y/2 + score`` (THEORY.md section 1: NOT ``-y/2 - score``)
REVERSE_DRIFT_SLOPE = 0.5


def _check_times(t, name: str = "t") -> np.ndarray:
    t = np.asarray(t, dtype=float)
    if not np.all(np.isfinite(t) & (t >= 0)):
        raise ValueError(f"{name} must hold finite times >= 0")
    return t


def signal_scale(t):
    """a_t = exp(-t/2) for a finite time t >= 0 (a float), or an array of them (ValueError naming t otherwise).

    THEORY.md section 1.

    Parameters
    ----------
    t : float or array_like
        Finite times >= 0.

    Returns
    -------
    float or numpy.ndarray
        a_t, like t.

    Raises
    ------
    ValueError
        If a time is negative, NaN or infinite, or t is not numeric.
    """
    if np.ndim(t) == 0:
        return math.exp(-0.5 * _check_time(t))
    return np.exp(-0.5 * _check_times(t))


def noise_variance(t):
    """s_t^2 = 1 - exp(-t) (computed as -expm1(-t) for small t), for finite times t >= 0; float or array like t.

    THEORY.md section 1.

    Parameters
    ----------
    t : float or array_like
        Finite times >= 0.

    Returns
    -------
    float or numpy.ndarray
        s_t^2, like t.

    Raises
    ------
    ValueError
        If a time is negative, NaN or infinite, or t is not numeric.
    """
    if np.ndim(t) == 0:
        return -math.expm1(-_check_time(t))
    return -np.expm1(-_check_times(t))


def reverse_drift(y, score):
    """The reverse-time SDE drift ``y/2 + score`` at a state y given the score's value there."""
    return REVERSE_DRIFT_SLOPE * y + score


def forward(p: Gaussian, t: float) -> Gaussian:
    """The OU marginal at time t started from p: N(a_t m, a_t^2 S + s_t^2 I) (THEORY.md section 4).

    Parameters
    ----------
    p : Gaussian
        Law at time 0.
    t : float
        Finite time >= 0.

    Returns
    -------
    Gaussian
        The marginal at time t (diagonal if p is).

    Raises
    ------
    ValueError
        If p is not a Gaussian or t is not a finite number >= 0.
    """
    if not isinstance(p, Gaussian):
        raise ValueError(f"p must be a Gaussian, got {type(p).__name__}")
    t = _check_time(t)
    a, s2 = signal_scale(t), noise_variance(t)
    if p.is_diagonal:
        return Gaussian(a * p.mean, a * a * p.var + s2)
    return Gaussian(a * p.mean, a * a * p.cov + s2 * np.eye(p.dim))


def forward_score(p: Gaussian, t: float, x) -> np.ndarray:
    """Exact score of the OU marginal of p at time t: -(a_t^2 S + s_t^2 I)^-1 (x - a_t m).

    THEORY.md section 4 (derived).

    Parameters
    ----------
    p : Gaussian
        Law at time 0.
    t : float
        Finite time >= 0.
    x : array_like, shape (..., d)
        Points.

    Returns
    -------
    numpy.ndarray, shape (..., d)
        The score at x.

    Raises
    ------
    ValueError
        As `forward`, or if the last dimension of x is not d.
    """
    return forward(p, t).score(x)
