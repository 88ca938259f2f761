"""Divergences between laws on one grid, by the trapezoid rule (THEORY.md sections 2 and 7).

* KL(p || q) = int p log(p / q) (terms with p = 0 are 0; +inf where q = 0 < p);
* chi2(p || q) = int (p - q)^2 / q (+inf where q = 0 and p != 0); renyi2 = log(1 + chi2). chi2 is
  tail-sensitive: when the integrand grows outward at a face of the box (p's tail heavier than
  sqrt(q)'s, e.g. N(0, v_p) against N(0, v_q) with 2/v_p < 1/v_q) the integral over R^d diverges and
  +inf is returned; `box=True` gives the integral over the box instead (finite; what the algebraic
  identities between grid integrals, e.g. the one-step identity, hold for);
* inner(f, g; r) = int f g / r, the weighted inner product of the one-step identity (THEORY.md
  section 3), for signed differences f, g of laws.
The densities are used as they are on the grid (no renormalisation: each holds 1 - mass_outside).
Where q's density underflows to 0 but its closed-form log density is known (`GridLaw.log_density`,
mixtures and mixes with them), the integrands are evaluated in logs: p log(p/q) = p (log p - log q)
and (p - q)^2 / q = exp(2 log p - log q).
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
    a, logq = p.density, q.logp
    pos = a > 0
    if np.any(pos & ~np.isfinite(logq)):
        return math.inf
    val = np.where(pos, a * (np.log(np.where(pos, a, 1.0)) - np.where(pos, logq, 0.0)), 0.0)
    return max(0.0, p.integrate(val))


def grid_chi2(p: GridLaw, q: GridLaw, box: bool = False, region=None) -> float:
    """chi2(p || q) = int (p - q)^2 / q on the grid (module docstring); +inf when it diverges beyond
    the box unless box=True. `region` (a boolean array of the grid's shape) restricts the box
    integral to those nodes (e.g. where a reference density does not underflow)."""
    _pair(p, q)
    a, b, logq = p.density, q.density, q.logp
    if region is not None:
        a, b, logq = np.where(region, a, 0.0), np.where(region, b, 0.0), np.where(region, logq, -np.inf)
    under = (b <= 0) & (a != 0)                      # q underflows where p does not
    if np.any(under & ~np.isfinite(logq)):
        return math.inf
    pos = b > 0
    with np.errstate(over="ignore"):                 # a ratio beyond 1e308 is +inf, and so is chi2
        f = np.where(pos, (a - b) ** 2 / np.where(pos, b, 1.0), 0.0)
    if np.any(under):
        with np.errstate(over="ignore"):
            f = np.where(under, np.exp(2 * np.log(np.where(under, a, 1.0)) - np.where(under, logq, 0.0)), f)
    value = max(0.0, p.integrate(f))
    if not box and beyond_box(f, p.axes) > TAIL_SHARE * max(value, 1e-300):
        return math.inf
    return value


TAIL_SHARE = 1e-6   # chi2 counts as divergent when the tail beyond the box may exceed this share
FACE_FLOOR = 1e-14  # integrand values at the faces below this share of its peak are ignored


def beyond_box(f: np.ndarray, axes) -> float:
    """Estimate of int f beyond the box for a non-negative integrand, assuming exponential decay past
    each face at the rate measured on the last cell: sum over faces of f(face) / decay rate (+inf
    where f does not decay outward). Face values below FACE_FLOOR times the peak of f are ignored
    (rounding noise; a divergence that starts below that level is not detected)."""
    total = 0.0
    floor = FACE_FLOOR * float(np.max(f)) if f.size else 0.0
    for axis in range(f.ndim):
        moved = np.moveaxis(f, axis, 0)
        dx = axes[axis][1] - axes[axis][0]
        other = 1.0 if f.ndim == 1 else (axes[1 - axis][1] - axes[1 - axis][0])
        for edge, inner in ((moved[0], moved[1]), (moved[-1], moved[-2])):
            edge, inner = np.atleast_1d(edge), np.atleast_1d(inner)
            live = edge > max(floor, 1e-300)
            if not np.any(live):
                continue
            if np.any(edge[live] >= inner[live]):
                return math.inf
            rate = (np.log(inner[live]) - np.log(edge[live])) / dx
            total += float(np.sum(edge[live] / rate)) * other
    return total


def grid_renyi2(p: GridLaw, q: GridLaw) -> float:
    """log(1 + chi2(p || q))."""
    return math.log1p(grid_chi2(p, q))


def grid_inner(f: np.ndarray, g: np.ndarray, r: GridLaw, region=None) -> float:
    """int f g / r on r's grid for arrays f, g of its shape (e.g. p^i - data, p^{i+1} - q_i), over the
    nodes in `region` (default all)."""
    f, g = np.asarray(f, dtype=float), np.asarray(g, dtype=float)
    if region is not None:
        f, g = np.where(region, f, 0.0), np.where(region, g, 0.0)
    if f.shape != r.shape or g.shape != r.shape:
        raise ValueError(f"f and g must have the grid's shape {r.shape}, got {f.shape} and {g.shape}")
    nz = (f * g) != 0
    if np.any(nz & (r.density <= 0)):
        return math.inf
    pos = r.density > 0
    return r.integrate(np.where(pos, f * g / np.where(pos, r.density, 1.0), 0.0))
