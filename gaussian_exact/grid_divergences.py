"""Divergences between laws on one grid, by the trapezoid rule (THEORY.md sections 2 and 7).

* KL(p || q) = int p log(p / q) (terms with p = 0 are 0; +inf where q = 0 < p);
* chi2(p || q) = int (p - q)^2 / q (+inf where q = 0 and p != 0); renyi2 = log(1 + chi2);
* inner(f, g; r) = int f g / r, the weighted inner product of the one-step identity (THEORY.md
  section 3), for signed differences f, g of laws.
The densities are used as they are on the grid (no renormalisation: each holds 1 - mass_outside).
"""
from __future__ import annotations

import math

import numpy as np

from .grid_law import GridLaw


def _pair(p, q) -> None:
    if not isinstance(p, GridLaw) or not isinstance(q, GridLaw):
        raise ValueError("p and q must both be GridLaw instances")
    p.check_same_grid(q, "q")


def grid_kl(p: GridLaw, q: GridLaw) -> float:
    """KL(p || q) in nats on the grid (module docstring)."""
    _pair(p, q)
    a, b = p.density, q.density
    if np.any((b <= 0) & (a > 0)):
        return math.inf
    pos = a > 0
    val = np.where(pos, a * (np.log(np.where(pos, a, 1.0)) - np.log(np.where(pos, b, 1.0))), 0.0)
    return max(0.0, p.integrate(val))


def grid_chi2(p: GridLaw, q: GridLaw) -> float:
    """chi2(p || q) = int (p - q)^2 / q on the grid (module docstring)."""
    _pair(p, q)
    a, b = p.density, q.density
    if np.any((b <= 0) & (a != 0)):
        return math.inf
    pos = b > 0
    return max(0.0, p.integrate(np.where(pos, (a - b) ** 2 / np.where(pos, b, 1.0), 0.0)))


def grid_renyi2(p: GridLaw, q: GridLaw) -> float:
    """log(1 + chi2(p || q))."""
    return math.log1p(grid_chi2(p, q))


def grid_inner(f: np.ndarray, g: np.ndarray, r: GridLaw) -> float:
    """int f g / r on r's grid for arrays f, g of its shape (e.g. p^i - data, p^{i+1} - q_i)."""
    f, g = np.asarray(f, dtype=float), np.asarray(g, dtype=float)
    if f.shape != r.shape or g.shape != r.shape:
        raise ValueError(f"f and g must have the grid's shape {r.shape}, got {f.shape} and {g.shape}")
    nz = (f * g) != 0
    if np.any(nz & (r.density <= 0)):
        return math.inf
    pos = r.density > 0
    return r.integrate(np.where(pos, f * g / np.where(pos, r.density, 1.0), 0.0))
