"""The exact law of DDPM's last, noiseless step: the pushforward of a grid law under x -> clip(m(x)).

DDPM ancestral sampling (Ho et al. 2020, Algorithm 2; THEORY.md §8, gaussian_sampler.py) ends with
``x_0 = mu_1(x_1)`` without noise. For diffusers' `DDPMScheduler` at timestep 0 the posterior
coefficients are 1 and 0, so ``x_0`` is the predicted x0 at OU time t_1 = -log abar_1,

    m(x) = (x + (1 - abar_1) s(x, t_1)) / sqrt(abar_1),     x_0 = clip(m(x_1), -c, c) componentwise

(no clip without ``clip_sample``). The law of x_0 is the pushforward of the law p of x_1 (a `GridLaw`,
the chain's output) under this map. It has no density in general: where the clip is active on a set
of positive mass it puts atoms at +-c (1-D) and mass on the edges and corners of the square [-c, c]^2
(2-D). `FinalStepLaw` gives its CDF (1-D), the CDF of any projection ``u . x_0`` (2-D; the marginals
are u = e_0, e_1), left limits (for tests with atoms), mean, covariance and the atom masses as data.
`final_step_gaussian` is the closed form for a Gaussian x_1 and an affine score (no clipping).

How (derived here; the error is measured in tests/test_exact_final_step.py):

* Between the grid nodes log p and m are interpolated by not-a-knot cubic splines (1-D) or bicubic
  tensor splines (2-D): exact for a Gaussian p (quadratic log density) and an affine m (a Gaussian
  target with its exact score), whatever the spacing. log p is floored LOG_FLOOR below its maximum
  (mass below e^-60 relative is dropped, never turned into spline overshoot).
* 1-D: each grid cell is cut into `refine` pieces; each piece's mass is a 6-point Gauss-Legendre
  integral of exp(spline). The unclipped CDF ``F(c) = int p 1[m <= c]`` sums, over the monotone runs of
  the map, the pieces wholly below c plus the part of the one piece whose image holds c, its end found
  by Newton on the map's spline and its mass by Gauss-Legendre again. The clip acts on the CDF only:
  ``F_clip(c) = 0 (c < -c_), F(c) (-c_ <= c < c_), 1 (c >= c_)``, atoms ``F(-c_)`` and ``1 - F(c_)``.
  Measured against the Gaussian closed form: 1e-10 or better.
* 2-D: each cell is cut into refine x refine sub-cells; in each sub-cell the
  projection ``g = u . clip(m)`` is taken affine through its values at the sub-cell's corners, so the
  sub-cell's mass (2 x 2 Gauss-Legendre) is spread over ``g_c + A (U - 1/2) + B (V - 1/2)``, U, V
  uniform (a trapezoid law), centred at g's mean over the sub-cell (Simpson's corners and centre, shifted
  by the density's tilt across the sub-cell).
  The CDF is then a sum of truncated quadratics (exact cumulative sums over the sorted breakpoints).
  Sub-cells whose corners straddle a clip bound, or where the map bends by more than CURVED of its
  change (near a fold), are cut again (`refine` x `refine`) so that kinks and folds are resolved.
  Axis marginals use the unclipped map and clamp the CDF as in 1-D (exact at the atoms). Measured
  against the Gaussian closed form (spacing 0.13, refine 4): axis marginals 5e-6 (the sub-cells line up
  with the level lines), oblique projections 1e-9, edge masses 2e-9, corner masses 1e-5 (sub-cell
  classification), covariance 1e-8; a strongly bent map with a fold (x^2 - 1): 2.5e-4.

Everything is normalised by the interpolated total mass of p (the grid law's own mass outside the box,
`mass_outside`, is below its mass_tol and is reported, not placed).
"""
from __future__ import annotations

import math
from functools import cached_property

import numpy as np
from scipy.interpolate import CubicSpline, RectBivariateSpline

from .affine_error import as_matrix
from .gaussian import Gaussian
from .grid_law import GridLaw
from .gaussian_sampler import GaussianSampler, predicted_x0
from .linear_sde import check_error
from .validation import count, float_array

LOG_FLOOR = 60.0          # log p is floored this far below its maximum before interpolation
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(6)


def final_map(sampler: GaussianSampler, points: np.ndarray, score: np.ndarray) -> np.ndarray:
    """The unclipped predicted x0 at OU time t_1, ``(x + (1 - abar_1) s) / sqrt(abar_1)`` (module docstring;
    `gaussian_sampler.predicted_x0`)."""
    return predicted_x0(math.exp(-sampler.schedule.t0), points, score)


class FinalStepLaw:
    """Law of DDPM's output x_0 = clip(m(x_1)) for x_1 ~ `output` (module docstring).

    Parameters
    ----------
    output : GridLaw
        The law of x_1 (the chain's output at OU time t_1, e.g. ``run_grid_chain(...).learned``).
    sampler : GaussianSampler
        A DDPM sampler (`ddpm_ancestral`); its t_1 and clip_range are used.
    score : array or callable
        The score at t_1 on `output`'s nodes, shape ``output.shape + (d,)`` (or (m, d) in C order), or a
        callable ``f(x, t)`` (x of shape (m, d)) evaluated there at t = t_1.
    refine : int
        Pieces per grid cell and axis (default 8 in 1-D, 4 in 2-D).

    Attributes
    ----------
    clip_range : float or None
        c (None: no clipping, no atoms).
    t1 : float
        The OU time of the final step.
    grid_mass : float
        The interpolated total mass of p before normalisation (1 - O(mass_outside)).
    mass_outside : float
        `output.mass_outside`.

    Raises
    ------
    ValueError
        Naming output, sampler, score or refine.
    """

    CURVED = 0.01     # 2-D: a sub-cell is cut again where the map bends by more than this share of its change

    def __init__(self, output: GridLaw, sampler: GaussianSampler, score, refine: int | None = None):
        if not isinstance(output, GridLaw):
            raise ValueError(f"output must be a GridLaw (the law of x_1), got {type(output).__name__}")
        if not isinstance(sampler, GaussianSampler) or sampler.abar is None:
            raise ValueError("sampler must be a DDPM GaussianSampler (ddpm_ancestral): only it has a final "
                             f"noiseless step, got {getattr(sampler, 'name', type(sampler).__name__)}")
        d = output.dim
        self.output, self.sampler, self.dim = output, sampler, d
        self.t1 = float(sampler.schedule.t0)
        self.clip_range = sampler.clip_range
        self.refine = count("refine", 8 if d == 1 else 4, 1, 64) if refine is None else count("refine", refine, 1, 64)
        X = output.points
        if callable(score):
            s = np.asarray(score(X, self.t1), dtype=float)
        else:
            s = float_array("score", score)
        if s.size != X.size:
            raise ValueError(f"score must give one value per node and coordinate, shape {output.shape + (d,)}, "
                             f"got {np.shape(s)}")
        s = s.reshape(X.shape)
        if not np.all(np.isfinite(s)):
            raise ValueError(f"score holds {int(np.sum(~np.isfinite(s)))} NaN or infinite values at t_1={self.t1:.6g}")
        self.map_on_grid = final_map(sampler, X, s).reshape(output.shape + (d,))
        self.mass_outside = float(output.mass_outside)
        logp = np.array(output.logp, dtype=float)
        if not np.any(np.isfinite(logp)):
            raise ValueError("output must have positive density somewhere")
        top = float(np.max(logp[np.isfinite(logp)]))
        self._logp = np.maximum(np.where(np.isfinite(logp), logp, -np.inf), top - LOG_FLOOR)
        self._projections = {}

    # --- 1-D ----------------------------------------------------------------------------------
    @cached_property
    def _pieces_1d(self):
        x = self.output.axes[0]
        logp = CubicSpline(x, self._logp)
        m = CubicSpline(x, self.map_on_grid[:, 0])
        r = self.refine
        u = np.concatenate([np.linspace(x[i], x[i + 1], r, endpoint=False) for i in range(x.size - 1)] + [x[-1:]])
        mid, half = (u[1:] + u[:-1]) / 2, (u[1:] - u[:-1]) / 2
        nodes = mid[:, None] + half[:, None] * _GL_NODES[None, :]
        dens = np.exp(logp(nodes))
        w = dens @ _GL_WEIGHTS * half
        total = float(np.sum(w))
        values = m(u)
        mom = [float(np.sum((dens * np.clip(m(nodes), *self._bounds) ** k) @ _GL_WEIGHTS * half)) / total for k in (1, 2)]
        return dict(logp=logp, m=m, u=u, w=w / total, total=total, values=values, moments=mom, runs=_runs(values))

    @property
    def _bounds(self):
        c = self.clip_range
        return (-np.inf, np.inf) if c is None else (-c, c)

    def _partial(self, a, b):
        """int_a^b p (a, b arrays; b may be left of a: the absolute value)."""
        P = self._pieces_1d
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        mid, half = (lo + hi) / 2, (hi - lo) / 2
        return (np.exp(P["logp"](mid[:, None] + half[:, None] * _GL_NODES[None, :])) @ _GL_WEIGHTS) * half / P["total"]

    def _unclipped_cdf_1d(self, c: np.ndarray) -> np.ndarray:
        P = self._pieces_1d
        u, w, V, m = P["u"], P["w"], P["values"], P["m"]
        out = np.zeros(c.shape)
        for start, stop, sign in P["runs"]:           # pieces start..stop-1, breakpoints start..stop
            if sign == 0:                              # a flat run: its mass sits at one value
                out += np.where(c >= V[start], float(np.sum(w[start:stop])), 0.0)
                continue
            idx = np.arange(start, stop + 1)
            if sign < 0:
                idx = idx[::-1]
            vals, pos = V[idx], u[idx]
            pw = w[start:stop] if sign > 0 else w[start:stop][::-1]
            cum = np.concatenate([[0.0], np.cumsum(pw)])
            j = np.searchsorted(vals, c, side="right") - 1         # vals[j] <= c < vals[j + 1]
            out += np.where(j >= len(pw), cum[-1], 0.0)
            inside = (j >= 0) & (j < len(pw))
            if np.any(inside):
                jj, ci = j[inside], c[inside]
                a, b = pos[jj], pos[jj + 1]
                va, vb = vals[jj], vals[jj + 1]
                end = a + (ci - va) / (vb - va) * (b - a)
                lo, hi = np.minimum(a, b), np.maximum(a, b)
                for _ in range(3):                     # Newton on the spline, kept inside the piece
                    slope = m(end, 1)
                    step = np.where(slope != 0, (m(end) - ci) / np.where(slope != 0, slope, 1.0), 0.0)
                    end = np.clip(end - step, lo, hi)
                out[inside] += cum[jj] + self._partial(a, end)
        return np.clip(out, 0.0, 1.0)

    # --- 2-D ----------------------------------------------------------------------------------
    @cached_property
    def _cells_2d(self):
        ax0, ax1 = self.output.axes
        logp = RectBivariateSpline(ax0, ax1, self._logp, kx=3, ky=3, s=0)
        maps = [RectBivariateSpline(ax0, ax1, self.map_on_grid[..., c], kx=3, ky=3, s=0) for c in range(2)]
        r = self.refine
        e0, e1 = (np.linspace(a[0], a[-1], (a.size - 1) * r + 1) for a in (ax0, ax1))
        corners = np.stack([f(e0, e1) for f in maps], -1)                     # (n0, n1, 2) at sub-cell corners
        c0, c1 = (e0[1:] + e0[:-1]) / 2, (e1[1:] + e1[:-1]) / 2
        centre = np.stack([f(c0, c1) for f in maps], -1)
        cells = _sub_cells(corners, centre, *_gauss_2x2(logp, e0, e1))
        # sub-cells where the affine fit is poor are cut again (refine x refine): across a clip bound, and
        # where the map bends by more than CURVED of its change across the sub-cell (near a fold)
        lo, hi = _corner_range(corners)
        mean4 = (corners[:-1, :-1] + corners[1:, :-1] + corners[:-1, 1:] + corners[1:, 1:]) / 4
        cut = np.any(np.abs(centre - mean4) > self.CURVED * (hi - lo) + 1e-12 * (1 + np.abs(centre)), axis=-1)
        if self.clip_range is not None:
            c = self.clip_range
            cut |= np.any(((lo < c) & (hi > c)) | ((lo < -c) & (hi > -c)), axis=-1)
        if np.any(cut) and r > 1:
            i, j = np.nonzero(cut)
            keep = ~cut.ravel()
            cells = {k: v[keep] for k, v in cells.items()}
            fine = _refined_cells(e0, e1, i, j, r, logp, maps)
            cells = {k: np.concatenate([cells[k], fine[k]]) for k in cells}
        total = float(np.sum(cells["w"]))
        cells["w"] = cells["w"] / total
        return dict(cells=cells, total=total)

    def _projection(self, direction, clipped: bool):
        key = (tuple(direction), clipped)
        if key not in self._projections:
            cells = self._cells_2d["cells"]
            corners = cells["corners"]                  # (m, 5, 2): the map at the 4 corners (00, 10, 01, 11), centre
            if clipped and self.clip_range is not None:
                corners = np.clip(corners, -self.clip_range, self.clip_range)
            g = corners @ np.asarray(direction, float)  # (m, 5)
            self._projections[key] = _TrapezoidSum(g, cells["w"], cells["tilt"])
        return self._projections[key]

    # --- public -------------------------------------------------------------------------------
    def _check_direction(self, direction):
        if self.dim == 1:
            if direction is not None:
                raise ValueError("direction must be None for a 1-D law")
            return None
        u = float_array("direction", [1.0, 0.0] if direction is None else direction)
        if u.shape != (2,) or not np.all(np.isfinite(u)) or not np.any(u != 0):
            raise ValueError(f"direction must be a finite nonzero vector of 2 numbers, got {direction!r}")
        return u

    def cdf(self, x, direction=None) -> np.ndarray:
        """P(x_0 <= x) (1-D) or P(direction . x_0 <= x) (2-D; default direction e_0, the first marginal).

        Right-continuous: the atoms count at their location.
        """
        return self._cdf(x, direction, left=False)

    def cdf_left(self, x, direction=None) -> np.ndarray:
        """The left limit P(x_0 < x) (resp. P(direction . x_0 < x)): `cdf` less the atom at x."""
        return self._cdf(x, direction, left=True)

    def marginal_cdf(self, x, axis: int) -> np.ndarray:
        """P(x_0[axis] <= x) (2-D; 1-D: axis 0 is the law itself)."""
        if axis not in range(self.dim):
            raise ValueError(f"axis must be in 0..{self.dim - 1}, got {axis!r}")
        return self.cdf(x, None if self.dim == 1 else np.eye(2)[axis])

    def _cdf(self, x, direction, left: bool) -> np.ndarray:
        u = self._check_direction(direction)
        c = float_array("x", x)
        if np.any(np.isnan(c)):
            raise ValueError("x must not hold NaN")
        flat = c.ravel()
        axis_aligned = self.dim == 1 or int(np.count_nonzero(u)) == 1
        if axis_aligned:                           # clip acts on the CDF alone: scale, clamp
            scale, comp = (1.0, 0) if self.dim == 1 else (float(u[np.nonzero(u)[0][0]]), int(np.nonzero(u)[0][0]))
            sign = 1.0 if scale > 0 else -1.0
            # P(scale X <= x) = P(X <= x / scale) (scale > 0) or P(X >= x / scale) = 1 - P(X < x / scale)
            y = flat / scale
            base = self._marginal(y, comp, left if sign > 0 else not left)
            out = base if sign > 0 else 1.0 - base
        else:
            proj = self._projection(u / np.max(np.abs(u)), clipped=True)
            scale = float(np.max(np.abs(u)))
            out = proj.cdf(flat / scale, left)
        return out.reshape(c.shape)

    def _marginal(self, y: np.ndarray, comp: int, left: bool) -> np.ndarray:
        """P(X[comp] <= y) (left: < y) for the clipped law, from the unclipped map's CDF clamped."""
        lo, hi = self._bounds
        if self.dim == 1:
            F = self._unclipped_cdf_1d(y)
        else:
            F = self._projection(tuple(np.eye(2)[comp]), clipped=False).cdf(y, False)
        F = np.where(y >= hi, 1.0, F)
        F = np.where(y < lo, 0.0, F)
        if left:   # atoms at +-c are the only jumps (the unclipped pushforward has none generically)
            if self.clip_range is not None:
                F = np.where(y == hi, 1.0 - self.atom_masses(comp)[1], F)
                F = np.where(y == lo, 0.0, F)
        return F

    def atom_masses(self, axis: int = 0) -> tuple:
        """(P(x_0[axis] = -c), P(x_0[axis] = +c)): the mass clipping puts on the lower and upper bound of
        that coordinate (an edge of the square in 2-D, corners included); (0, 0) without clipping."""
        if axis not in range(self.dim):
            raise ValueError(f"axis must be in 0..{self.dim - 1}, got {axis!r}")
        if self.clip_range is None:
            return (0.0, 0.0)
        c = np.array([-self.clip_range, self.clip_range])
        if self.dim == 1:
            F = self._unclipped_cdf_1d(c)
        else:
            F = self._projection(tuple(np.eye(2)[axis]), clipped=False).cdf(c, False)
        return (float(F[0]), float(1.0 - F[1]))

    @cached_property
    def corner_masses(self) -> np.ndarray:
        """2-D: (2, 2) array, [i, j] the mass at the corner (s_i c, s_j c), s = (-1, +1) (sub-cell midpoint
        classification of the refined cells; zeros without clipping)."""
        if self.dim != 2:
            raise ValueError("corner_masses is for 2-D laws")
        out = np.zeros((2, 2))
        if self.clip_range is None:
            return out
        cells = self._cells_2d["cells"]
        c = self.clip_range
        mid = cells["corners"][:, 4]
        for i, si in enumerate((-1, 1)):
            for j, sj in enumerate((-1, 1)):
                out[i, j] = float(np.sum(cells["w"][(si * mid[:, 0] >= c) & (sj * mid[:, 1] >= c)]))
        return out

    @cached_property
    def mean(self) -> np.ndarray:
        """E x_0, shape (d,)."""
        if self.dim == 1:
            return np.array([self._pieces_1d["moments"][0]])
        m, w = self._clipped_centres()[:2]
        return w @ m

    @cached_property
    def cov(self) -> np.ndarray:
        """Cov x_0, shape (d, d)."""
        if self.dim == 1:
            mom = self._pieces_1d["moments"]
            return np.array([[mom[1] - mom[0] ** 2]])
        m, w, span0, span1 = self._clipped_centres()
        dev = m - self.mean
        within = (span0[:, :, None] * span0[:, None, :] + span1[:, :, None] * span1[:, None, :]) / 12
        return (dev * w[:, None]).T @ dev + np.einsum("m,mij->ij", w, within)

    def _clipped_centres(self):
        """Per sub-cell: the mean of clip(m) (affine through the corners, tilted density), the mass and the
        change of clip(m) across the sub-cell along each axis."""
        cells = self._cells_2d["cells"]
        lo, hi = self._bounds
        g = np.clip(cells["corners"], lo, hi)                   # (m, 5, 2)
        span0, span1 = _spans(g)
        tilt = cells["tilt"]
        return _cell_mean(g) + span0 * tilt[:, :1] + span1 * tilt[:, 1:], cells["w"], span0, span1

    @property
    def grid_mass(self) -> float:
        """The interpolated mass of x_1's law on the grid before normalisation (1 less about mass_outside)."""
        return self._pieces_1d["total"] if self.dim == 1 else self._cells_2d["total"]

    def __repr__(self) -> str:
        return (f"FinalStepLaw(d={self.dim}, t1={self.t1:.4g}, clip_range={self.clip_range}, "
                f"grid shape {self.output.shape})")


def _runs(values: np.ndarray) -> list:
    """Maximal runs of pieces on which the map rises (+1), falls (-1) or is flat (0): (start, stop, sign)."""
    sign = np.sign(np.diff(values)).astype(int)
    cuts = np.flatnonzero(np.diff(sign)) + 1
    starts = np.concatenate([[0], cuts])
    stops = np.concatenate([cuts, [sign.size]])
    return [(int(a), int(b), int(sign[a])) for a, b in zip(starts, stops)]


def _corner_range(corners: np.ndarray):
    """Per sub-cell min and max over its 4 corners, (n0-1, n1-1, 2) each."""
    stack = np.stack([corners[:-1, :-1], corners[1:, :-1], corners[:-1, 1:], corners[1:, 1:]])
    return stack.min(axis=0), stack.max(axis=0)


def _gauss_2x2(logp, e0: np.ndarray, e1: np.ndarray):
    """Masses (n0-1, n1-1) of the sub-cells between the edges e0, e1 (2 x 2 Gauss-Legendre of exp(logp),
    exact for cubics) and their tilts (n0-1, n1-1, 2): the density's mean offset from the sub-cell's
    centre along each axis over the sub-cell's width."""
    h0, h1 = np.diff(e0) / 2, np.diff(e1) / 2
    c0, c1 = e0[:-1] + h0, e1[:-1] + h1
    q = 1 / math.sqrt(3)
    p0 = np.stack([c0 - q * h0, c0 + q * h0], 1)
    p1 = np.stack([c1 - q * h1, c1 + q * h1], 1)
    dens = np.exp(logp(p0.ravel(), p1.ravel())).reshape(c0.size, 2, c1.size, 2)
    total = dens.sum(axis=(1, 3))
    mass = total * np.outer(h0, h1)
    safe = np.where(total > 0, total, 1.0)
    off0 = (dens[:, 1].sum(axis=-1) - dens[:, 0].sum(axis=-1)) * (q / 2) / safe      # E[x - c] / width
    off1 = (dens[:, :, :, 1].sum(axis=1) - dens[:, :, :, 0].sum(axis=1)) * (q / 2) / safe
    return mass, np.stack([off0, off1], -1)


def _spans(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """g's change across each sub-cell along axis 0 and axis 1, from its corners g[:, 0..3] (order
    (0,0), (1,0), (0,1), (1,1)); g of shape (m, 5) or (m, 5, k)."""
    return ((g[:, 1] + g[:, 3]) - (g[:, 0] + g[:, 2])) / 2, ((g[:, 2] + g[:, 3]) - (g[:, 0] + g[:, 1])) / 2


def _cell_mean(g: np.ndarray) -> np.ndarray:
    """The mean over a sub-cell of a field known at its 4 corners and centre (g[:, :4], g[:, 4]): Simpson's
    2/3 centre + 1/3 corners, exact for quadratics (the affine fit's corner mean alone is off by 2/3 of the
    bend)."""
    return (2 * g[:, 4] + g[:, :4].mean(axis=1)) / 3


def _sub_cells(corners: np.ndarray, centre: np.ndarray, mass: np.ndarray, tilt: np.ndarray) -> dict:
    """The sub-cells as rows: their map values at the 4 corners (00, 10, 01, 11) and the centre, masses and
    tilts (`_gauss_2x2`)."""
    stack = np.stack([corners[:-1, :-1], corners[1:, :-1], corners[:-1, 1:], corners[1:, 1:], centre], axis=2)
    return {"corners": stack.reshape(-1, 5, 2), "w": mass.ravel(), "tilt": tilt.reshape(-1, 2)}


def _refined_cells(e0, e1, i, j, r, logp, maps) -> dict:
    """The sub-cells (i, j) of the edges e0, e1, each cut into r x r (corner values and 2 x 2 Gauss-Legendre masses)."""
    f = np.linspace(0.0, 1.0, r + 1)
    x0 = e0[i][:, None] + (e0[i + 1] - e0[i])[:, None] * f[None, :]        # (m, r+1)
    x1 = e1[j][:, None] + (e1[j + 1] - e1[j])[:, None] * f[None, :]
    X0 = np.broadcast_to(x0[:, :, None], x0.shape + (r + 1,))
    X1 = np.broadcast_to(x1[:, None, :], x1.shape[:1] + (r + 1,) + x1.shape[1:])
    corners = np.stack([mp(X0.ravel(), X1.ravel(), grid=False).reshape(X0.shape) for mp in maps], -1)   # (m, r+1, r+1, 2)
    masses, tilts = zip(*(_gauss_2x2(logp, a, b) for a, b in zip(x0, x1)))
    mass, tilt = np.stack(masses), np.stack(tilts).reshape(-1, 2)
    c0, c1 = (x0[:, 1:] + x0[:, :-1]) / 2, (x1[:, 1:] + x1[:, :-1]) / 2
    C0 = np.broadcast_to(c0[:, :, None], c0.shape + (r,))
    C1 = np.broadcast_to(c1[:, None, :], c1.shape[:1] + (r,) + c1.shape[1:])
    centre = np.stack([mp(C0.ravel(), C1.ravel(), grid=False).reshape(C0.shape) for mp in maps], -1)
    stack = np.stack([corners[:, :-1, :-1], corners[:, 1:, :-1], corners[:, :-1, 1:], corners[:, 1:, 1:], centre], axis=3)
    return {"corners": stack.reshape(-1, 5, 2), "w": mass.ravel(), "tilt": tilt}


class _TrapezoidSum:
    """CDF of sum_i w_i Law(g_i + A_i (U - 1/2) + B_i (V - 1/2)), U, V independent uniforms: per sub-cell the
    affine fit of g through its 4 corner values (module docstring). Point masses (A = B = 0), uniforms
    (B = 0) and trapezoids are accumulated as truncated polynomials over sorted breakpoints."""

    REL_THIN = 1e-6
    ATOM_TOL = 1e-12

    def __init__(self, g: np.ndarray, w: np.ndarray, tilt: np.ndarray):
        span0, span1 = _spans(g)
        # the mean of g under the density tilted across the sub-cell (first order in the sub-cell's width)
        mean = _cell_mean(g)
        centre = mean + span0 * tilt[:, 0] + span1 * tilt[:, 1]
        a, b = np.abs(span0) / 2, np.abs(span1) / 2                     # half-widths
        alpha, beta = np.maximum(a, b), np.minimum(a, b)
        # the bend's share of the shift keeps the spread within the values g takes on the sub-cell (no mass
        # leaks past a fold)
        mean4 = g[:, :4].mean(axis=1)
        bent = mean
        low, high = g.min(axis=1) + alpha + beta, g.max(axis=1) - alpha - beta
        bent = np.where(low <= high, np.clip(bent, low, high), mean4)
        centre = centre + (bent - mean)
        self.shift = float(np.sum(w * centre))
        point = alpha <= 1e-14 * (1 + np.abs(centre))
        centre = centre - self.shift
        thin = ~point & (beta <= self.REL_THIN * alpha)
        trap = ~point & ~thin
        # steps, at their own (unshifted) values: an atom where clipping sends a whole sub-cell to one point
        self.step_at, self.step_w = _sorted_cum(g[point, 0], w[point])
        # ramps: (w / 2 alpha) [(c - (g - alpha))_+ - (c - (g + alpha))_+]
        k = w[thin] / (2 * alpha[thin])
        self.ramp = _Truncated(np.concatenate([centre[thin] - alpha[thin], centre[thin] + alpha[thin]]),
                               np.concatenate([k, -k]), 1)
        # trapezoids: (w / (4 alpha beta)) sum_j s_j (c - b_j)_+^2 / 2
        at, bt, gt = alpha[trap], beta[trap], centre[trap]
        lam = w[trap] / (4 * at * bt) / 2
        self.quad = _Truncated(np.concatenate([gt - at - bt, gt - at + bt, gt + at - bt, gt + at + bt]),
                               np.concatenate([lam, -lam, -lam, lam]), 2)

    def cdf(self, x: np.ndarray, left: bool) -> np.ndarray:
        """P(g <= x) (left: P(g < x)); an atom within ATOM_TOL (relative) of x counts as at x, so that
        u . clip(x_0) computed by another summation order still meets its atom."""
        x = np.asarray(x, float)
        tol = self.ATOM_TOL * (1.0 + np.abs(x))
        idx = np.searchsorted(self.step_at, x - tol if left else x + tol, side="left" if left else "right")
        out = np.concatenate([[0.0], self.step_w])[idx]
        c = x - self.shift
        out = out + self.ramp(c) + self.quad(c)
        return np.clip(out, 0.0, 1.0)


def _sorted_cum(at: np.ndarray, w: np.ndarray):
    order = np.argsort(at, kind="stable")
    return at[order], np.cumsum(w[order])


class _Truncated:
    """c -> sum_j lam_j (c - b_j)_+^p (p = 1 or 2) by cumulative sums over the sorted b_j."""

    def __init__(self, b: np.ndarray, lam: np.ndarray, power: int):
        order = np.argsort(b, kind="stable")
        self.b, self.power = b[order], power
        lam = lam[order]
        self.sums = [np.concatenate([[0.0], np.cumsum(lam * self.b ** k)]) for k in range(power + 1)]

    def __call__(self, c: np.ndarray) -> np.ndarray:
        n = np.searchsorted(self.b, c, side="right")
        s = [S[n] for S in self.sums]
        if self.power == 1:
            return c * s[0] - s[1]
        return c * c * s[0] - 2 * c * s[1] + s[2]


def final_step_law(output: GridLaw, sampler: GaussianSampler, score, refine: int | None = None) -> FinalStepLaw:
    """The exact law of DDPM's final noiseless step ``x_0 = clip(m(x_1))`` for x_1 ~ `output` (`FinalStepLaw`;
    module docstring; THEORY.md §8).

    Parameters
    ----------
    output : GridLaw
        The law of x_1 at OU time t_1 (the DDPM chain's output on a grid, `run_grid_chain(...).learned`).
    sampler : GaussianSampler
        The DDPM sampler (`ddpm_ancestral`).
    score : array or callable
        The score at t_1 on the grid nodes (array ``output.shape + (d,)``) or ``f(x, t)``.
    refine : int, optional
        Pieces per cell and axis.

    Returns
    -------
    FinalStepLaw

    Raises
    ------
    ValueError
        Naming output, sampler, score or refine.
    """
    return FinalStepLaw(output, sampler, score, refine)


def final_step_gaussian(x1: Gaussian, target: Gaussian, sampler: GaussianSampler, error=None) -> Gaussian:
    """The law of DDPM's x_0 = m(x_1) for a Gaussian x_1, a Gaussian target and an affine learned score
    ``s(x) = -V^{-1} (x - a m) + W(t_1) x + xi(t_1)`` at t_1 (``V = a^2 S + (1 - a^2) I``, ``a^2 = abar_1``):
    m is affine, ``m(x) = A x + b`` with ``A = (I + (1 - abar_1) (W - V^{-1})) / a`` and
    ``b = (1 - abar_1) (a V^{-1} m + xi) / a``, so x_0 ~ N(A mu + b, A C A^T) (module docstring; without
    clipping: with it the law has atoms, `FinalStepLaw` on a GridLaw).

    Parameters
    ----------
    x1 : Gaussian
        The law of x_1 (`gaussian_chain(target, sampler, error).out`).
    target : Gaussian
        The training law (its exact OU score at t_1).
    sampler : GaussianSampler
        A DDPM sampler without clipping.
    error : AffineError or None
        The learned score's error (None: the exact score, the ideal path).

    Returns
    -------
    Gaussian

    Raises
    ------
    ValueError
        Naming sampler (not DDPM, or clipping), x1, target or error.
    """
    if not isinstance(sampler, GaussianSampler) or sampler.abar is None:
        raise ValueError("sampler must be a DDPM GaussianSampler (ddpm_ancestral): only it has a final step")
    if sampler.clip_range is not None:
        raise ValueError("sampler must not clip for the Gaussian closed form (clipping makes atoms): use a GridLaw "
                         "target, whose final law is a FinalStepLaw")
    for name, law in (("x1", x1), ("target", target)):
        if not isinstance(law, Gaussian):
            raise ValueError(f"{name} must be a Gaussian, got {type(law).__name__}")
    d = target.dim
    if x1.dim != d:
        raise ValueError(f"x1 must have the target's dimension {d}, got {x1.dim}")
    error = check_error(error, d)
    t1 = float(sampler.schedule.t0)
    ab = math.exp(-t1)
    a = math.sqrt(ab)
    Vi = np.linalg.inv(ab * target.cov + (1.0 - ab) * np.eye(d))
    W = as_matrix(error.W(t1), d)
    xi = error.xi(t1)
    xi = np.zeros(d) if xi is None else np.asarray(xi, dtype=float)
    A = (np.eye(d) + (1.0 - ab) * (W - Vi)) / a
    b = (1.0 - ab) * (a * Vi @ target.mean + xi) / a
    C = A @ x1.cov @ A.T
    return Gaussian(A @ x1.mean + b, 0.5 * (C + C.T))
