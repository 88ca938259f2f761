"""Composite Gauss-Legendre quadrature for 1-D laws with a density (Gaussians, Gaussian mixtures):
nodes covering every component, densities on them, and two distances used by the limit-law checks
(THEORY.md §5, reconstructed): total variation and the norm ||p - q||_{1/gamma} = (int (p-q)^2/gamma)^{1/2}
against the standard normal gamma (the Hermite norm: sum_n (c_n^p - c_n^q)^2, Parseval).

Panels: [min_j (m_j - 14 s_j), max_j (m_j + 14 s_j)] cut into panels no wider than min_j s_j / 4 (and
0.25), 16 Gauss-Legendre nodes each: the integrands (a density times a polynomial of degree <= 2 x 50 or
divided by gamma) are smooth on that scale, so the rule is accurate to near machine precision
(tested against closed forms). When a `GridLaw` (1-D) is involved the distances use its grid and
trapezoid weights instead, the other law evaluated on the nodes (a GridLaw on another grid by its
piecewise-linear `pdf`).
"""
from __future__ import annotations

import math

import numpy as np

from .grid_law import GridLaw
from .smoothed_mixture import as_mixture

SPAN = 14.0          # standard deviations covered beyond every component
MAX_PANEL = 0.25     # widest panel
NODES = 16


def _check_1d(law, name: str):
    mix = as_mixture(law, name)
    if mix.dim != 1:
        raise ValueError(f"{name} must be a 1-D law, got dimension {mix.dim}")
    return mix


def nodes_for(*laws, span: float = SPAN) -> tuple[np.ndarray, np.ndarray]:
    """(x, w): quadrature nodes and weights covering every component of the 1-D `laws` (module docstring)."""
    means, sds = [], []
    for k, law in enumerate(laws):
        mix = _check_1d(law, f"law {k}")
        means += [float(g.mean[0]) for g in mix.components]
        sds += [math.sqrt(float(g.var[0])) for g in mix.components]
    means, sds = np.array(means), np.array(sds)
    lo, hi = float(np.min(means - span * sds)), float(np.max(means + span * sds))
    width = min(MAX_PANEL, float(sds.min()) / 4.0)
    panels = max(1, math.ceil((hi - lo) / width))
    edges = np.linspace(lo, hi, panels + 1)
    z, wz = np.polynomial.legendre.leggauss(NODES)
    half = 0.5 * np.diff(edges)
    x = (0.5 * (edges[:-1] + edges[1:])[:, None] + half[:, None] * z).ravel()
    w = (half[:, None] * wz).ravel()
    return x, w


def density(law, x: np.ndarray, block: int = 2 ** 22) -> np.ndarray:
    """The density of a 1-D Gaussian or Gaussian mixture at points x (shape (m,)): sum_j w_j N(x; m_j, v_j),
    vectorised over components (in blocks of about `block` numbers)."""
    mix = _check_1d(law, "law")
    x = np.asarray(x, dtype=float).ravel()
    m = np.array([float(g.mean[0]) for g in mix.components])
    v = np.array([float(g.var[0]) for g in mix.components])
    logw = np.log(mix.weights) - 0.5 * np.log(2 * math.pi * v)
    out = np.empty_like(x)
    step = max(1, block // max(1, len(m)))
    for s in range(0, x.size, step):
        xs = x[s:s + step, None]
        out[s:s + step] = np.exp(logw - 0.5 * (xs - m) ** 2 / v).sum(axis=1)
    return out


def _on_common_nodes(p, q):
    """(x, w, p(x), q(x)) on the nodes of the first GridLaw among p, q, else on `nodes_for(p, q)`."""
    grid = next((law for law in (p, q) if isinstance(law, GridLaw)), None)
    if grid is None:
        x, w = nodes_for(p, q)
        return x, w, density(p, x), density(q, x)
    if grid.dim != 1:
        raise ValueError(f"laws must be 1-D, got a GridLaw of dimension {grid.dim}")
    x, w = grid.axes[0], grid.weights

    def values(law):
        if isinstance(law, GridLaw):
            return law.density if grid.same_grid(law) else law.pdf(x[:, None])
        return density(law, x)

    return x, w, values(p), values(q)


def tv_distance(p, q) -> float:
    """TV(p, q) = 1/2 int |p - q| for 1-D laws (quadrature; a GridLaw's grid if one is given)."""
    _, w, px, qx = _on_common_nodes(p, q)
    return 0.5 * float(np.sum(w * np.abs(px - qx)))


def hermite_norm_distance(p, q) -> float:
    """||p - q||_{1/gamma} = (int (p - q)^2 / gamma)^{1/2}, gamma = N(0, 1) (quadrature; inf if divergent).

    The integrand is formed as exp(2 log|p - q| - log gamma), so it cannot overflow in the tails; it is
    +inf when a component is at least twice as wide as gamma (variance >= 2), where the integral diverges.
    """
    for k, law in enumerate((p, q)):
        if not isinstance(law, GridLaw) and any(float(g.var[0]) >= 2.0 for g in _check_1d(law, f"law {k}").components):
            return math.inf
    x, w, px, qx = _on_common_nodes(p, q)
    diff = np.abs(px - qx)
    log_gamma = -0.5 * x * x - 0.5 * math.log(2 * math.pi)
    with np.errstate(divide="ignore"):
        vals = np.exp(2 * np.log(diff) - log_gamma)
    return math.sqrt(float(np.sum(w * vals)))
