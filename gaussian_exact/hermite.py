"""Hermite coefficients of a 1-D law's density ratio to the standard normal gamma = N(0, 1)
(THEORY.md §5, the Hermite view of the limit law; reconstructed).

Normalisation: the orthonormal probabilists' Hermite polynomials h_n = He_n / sqrt(n!)
(int h_n h_m gamma = delta_nm), so `p / gamma = sum_n c_n h_n` with `c_n = int p h_n = E_p h_n(X)`,
c_0 = 1 and sum_n c_n^2 = 1 + chi2(p || gamma) (Parseval). One OU round P_t multiplies c_n by
exp(-n t/2) (`bounds.catalog()["limit.hermite_step"]`); any normalisation proportional to E_p He_n has
the same multipliers, so the ratios c_n(p_inf) / c_n(data) are the m_n of `bounds.limit_multipliers`.

Stable recurrence: the products f_n = p h_n are built directly,
f_0 = p, f_1 = x p, f_{n+1} = (x f_n - sqrt(n) f_{n-1}) / sqrt(n+1), so nothing overflows where p is
tiny and h_n huge; the integral is the composite Gauss-Legendre rule of `quadrature_1d` for
Gaussians and mixtures, the trapezoid rule on the grid for a `GridLaw` (normalised by its mass on the
grid, like `GridLaw.mean`).
"""
from __future__ import annotations

import math

import numpy as np

from .grid_law import GridLaw
from .quadrature_1d import density, nodes_for


def hermite_functions(x, modes: int, weight=None) -> np.ndarray:
    """Array (modes + 1, len(x)) of weight(x) h_n(x), n = 0..modes (weight: an array, default 1).

    Raises ValueError naming `modes` unless it is an integer >= 0.

    h_n are the orthonormal (probabilists') Hermite polynomials of the module docstring, by the
    recursion h_{n+1} = (x h_n - sqrt(n) h_{n-1}) / sqrt(n+1).

    Parameters
    ----------
    x : array_like
        Points (flattened).
    modes : int >= 0
        Highest order.
    weight : array_like or None
        Factor applied to every row, of x's size (default 1).

    Returns
    -------
    numpy.ndarray, shape (modes + 1, x.size)
        Row n holds weight(x) h_n(x).

    Raises
    ------
    ValueError
        If modes is a bool, not an integer, or negative.
    """
    if isinstance(modes, bool) or int(modes) != modes or modes < 0:
        raise ValueError(f"modes must be an integer >= 0, got {modes!r}")
    x = np.asarray(x, dtype=float).ravel()
    f = np.empty((int(modes) + 1, x.size))
    f[0] = 1.0 if weight is None else np.asarray(weight, dtype=float).ravel()
    if modes >= 1:
        f[1] = x * f[0]
    for n in range(1, int(modes)):
        f[n + 1] = (x * f[n] - math.sqrt(n) * f[n - 1]) / math.sqrt(n + 1)
    return f


def hermite_coefficients(law, modes: int) -> np.ndarray:
    """c_n = E_law h_n(X), n = 0..modes: the Hermite coefficients of law / N(0, 1) (module docstring).

    Parameters
    ----------
    law : a 1-D Gaussian, GaussianMixture, SmoothedMixture (e.g. from `ideal_recursion`, `limit_law`)
        or GridLaw
    modes : int >= 0, the highest order

    Returns
    -------
    ndarray of shape (modes + 1,)

    Raises
    ------
    ValueError naming `law` (not 1-D, or not a supported law) or `modes`.
    """
    if isinstance(law, GridLaw):
        if law.dim != 1:
            raise ValueError(f"law must be a 1-D law, got a GridLaw of dimension {law.dim}")
        w = law.weights / law.total_mass
        return hermite_functions(law.axes[0], modes, weight=law.density) @ w
    x, w = nodes_for(law)
    f = hermite_functions(x, modes, weight=density(law, x))
    return f @ w
