"""`GridLaw`: a probability density on a uniform grid in one or two dimensions (THEORY.md section 7).

The law is held as its density values on the nodes of a uniform grid (one axis per coordinate, the
same number of points on each axis). Integrals use the trapezoid rule, which for the smooth
(Gaussian-convolved) densities met here is spectrally accurate: on a grid of spacing dx the relative
error of integrating a smooth function whose finest scale is sigma is about
2 exp(-2 pi^2 sigma^2 / dx^2) (Poisson summation; derived). As a continuous law it is the piecewise
(bi)linear interpolant of the node values, whose integral is exactly the trapezoid sum (`pdf`,
`sample`).

* `GridLaw.mixture(weights, means, covs)`: a Gaussian mixture on a grid chosen from its scale
  (unless `points=` / `bounds=` are given); `GridLaw.from_log_density(f, bounds)`; `GridLaw(axes,
  density)` for values already on a grid.
* `mass_outside`: the law's mass outside the grid box: exact (Gaussian CDFs) for a mixture,
  `1 - trapezoid integral` for laws produced by the forward or reverse processes (what the
  quadrature lost at the boundary), a tail estimate for `from_log_density`. Above `mass_tol` the
  grid cannot hold the law: ValueError.
* `forward(t)`: the OU marginal p_t(x) = int N(x; a_t y, s_t^2 I) p(y) dy (THEORY.md section 1) on the
  same grid, by the trapezoid rule over y; `score(x, t)`: grad log p_t(x), the derivative kernel
  -(x - a_t y)/s_t^2 N(x; a_t y, s_t^2 I) under the same quadrature (THEORY.md section 7). Both
  need a kernel wider than the grid: s_t >= a_t dx (`min_time`).
* `mean`, `cov` (trapezoid moments, normalised by the mass on the grid), `mix`, `save`/`load`
  (an .npz with `grid` and `density`).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import sparse as sp
from scipy import special

from .grid_scores import log_forward_and_score
from .ou import noise_variance, signal_scale

DEFAULT_MASS_TOL = 1e-6        # mass outside the grid above which a law is refused
DEFAULT_REACH = 8.0            # half-width of a default grid, in standard deviations
POINTS_PER_SD_1D = 16          # default spacing in 1-D: min(sd, 1) / 16
POINTS_PER_SD_2D = 8           # default spacing in 2-D: min(sd, 1) / 8, at least 256 points per axis
MIN_POINTS_2D = 256
KERNEL_CUT = 9.0               # forward kernels: entries beyond 9 sd (relative size 2.6e-18) dropped
UNDERFLOW = 1e-300             # forward densities below this carry no mass; their score falls back


def _as_axis(a, name: str) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if a.ndim != 1 or a.shape[0] < 3 or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be a 1-D array of at least 3 finite numbers, got shape {a.shape}")
    dx = np.diff(a)
    if np.any(dx <= 0) or np.max(np.abs(dx - dx.mean())) > 1e-9 * max(1.0, abs(dx.mean())) * 10:
        raise ValueError(f"{name} must be uniform and increasing")
    return a


def trapezoid_weights(axis: np.ndarray) -> np.ndarray:
    """Trapezoid weights of a uniform axis: dx inside, dx/2 at both ends."""
    w = np.full(axis.shape[0], axis[1] - axis[0])
    w[0] *= 0.5
    w[-1] *= 0.5
    return w


def forward_kernels(axis_out: np.ndarray, axis_in: np.ndarray, t: float, sparse: bool = False):
    """(K, Kd) with K[i, j] = N(x_i; a_t y_j, s_t^2) w_j (trapezoid weights w over y) and
    Kd[i, j] = -(x_i - a_t y_j)/s_t^2 K[i, j] (the derivative kernel d/dx_i). THEORY.md section 7.
    sparse=True: entries beyond KERNEL_CUT standard deviations (relative size < 1e-18) are dropped and
    the pair is returned as CSR matrices when that leaves fewer than a third of the entries."""
    a, s2 = signal_scale(t), noise_variance(t)
    z = axis_out[:, None] - a * axis_in[None, :]
    K = np.exp(-0.5 * z * z / s2) / math.sqrt(2 * math.pi * s2) * trapezoid_weights(axis_in)[None, :]
    Kd = -z / s2 * K
    if sparse:
        keep = np.abs(z) <= KERNEL_CUT * math.sqrt(s2)
        if keep.mean() < 1 / 3:
            return sp.csr_matrix(np.where(keep, K, 0.0)), sp.csr_matrix(np.where(keep, Kd, 0.0))
    return K, Kd


def apply_separable(kernels, density: np.ndarray) -> np.ndarray:
    """K density (d = 1) or K0 density K1^T (d = 2) for per-axis kernels (dense or CSR)."""
    if len(kernels) == 1:
        return np.asarray(kernels[0] @ density)
    return np.asarray(kernels[1] @ np.asarray(kernels[0] @ density).T).T


class GridLaw:
    """A density on a uniform grid in d = 1 or 2 (module docstring).

    Parameters
    ----------
    axes : array or sequence of 1 or 2 arrays
        The grid axis (d = 1) or one axis per coordinate (d = 2, the same length each), uniform.
    density : array, shape (n,) or (n, n)
        Density values (>= 0, finite) on the grid nodes, `density[i, j]` at `(axes[0][i], axes[1][j])`.
    mass_outside : float, optional
        The law's mass outside the grid box; default `max(0, 1 - trapezoid integral)`.
    mass_tol : float
        Largest acceptable `mass_outside` (default 1e-6).
    log_density : array, optional
        The log of the density where known in closed form (mixtures): used by the divergences where
        the density underflows (far tails), so that KL stays finite and chi2 honest there.

    Raises
    ------
    ValueError
        Naming `axes`, `density` or `mass_outside` on bad input, or when the mass outside exceeds
        `mass_tol` ("the grid cannot hold the law").
    """

    def __init__(self, axes, density, mass_outside=None, mass_tol: float = DEFAULT_MASS_TOL, log_density=None):
        if isinstance(axes, np.ndarray) and axes.ndim == 1:
            axes = [axes]
        axes = [_as_axis(a, f"axes[{i}]") for i, a in enumerate(axes)]
        if len(axes) not in (1, 2):
            raise ValueError(f"axes must give 1 or 2 coordinates (d in {{1, 2}}), got {len(axes)}")
        if len(axes) == 2 and axes[0].shape != axes[1].shape:
            raise ValueError(f"axes must have the same number of points, got {axes[0].shape[0]} and {axes[1].shape[0]}")
        density = np.asarray(density, dtype=float)
        shape = tuple(a.shape[0] for a in axes)
        if density.shape != shape:
            raise ValueError(f"density must have shape {shape} to match the axes, got {density.shape}")
        if not np.all(np.isfinite(density)) or np.any(density < 0):
            raise ValueError("density must hold finite values >= 0")
        self.axes = tuple(axes)
        self.density = density
        if log_density is not None:
            log_density = np.asarray(log_density, dtype=float)
            if log_density.shape != shape or np.any(np.isnan(log_density)):
                raise ValueError(f"log_density must have shape {shape} and no NaN")
        self.log_density = log_density
        self._weights = None
        total = self.total_mass
        if mass_outside is None:
            mass_outside = max(0.0, 1.0 - total)
        mass_outside = float(mass_outside)
        if not (0.0 <= mass_outside <= 1.0):
            raise ValueError(f"mass_outside must be in [0, 1], got {mass_outside}")
        if not (mass_tol >= 0):
            raise ValueError(f"mass_tol must be >= 0, got {mass_tol}")
        if mass_outside > mass_tol:
            raise ValueError(
                f"the grid cannot hold the law: mass outside the grid {mass_outside:.3g} > mass_tol {mass_tol:.3g}; "
                f"widen bounds (now {[(float(a[0]), float(a[-1])) for a in axes]})")
        self.mass_outside = mass_outside
        self.mass_tol = float(mass_tol)

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def mixture(cls, weights, means, covs, points=None, bounds=None, mass_tol: float = DEFAULT_MASS_TOL,
                reach: float = DEFAULT_REACH) -> "GridLaw":
        """sum_j w_j N(m_j, S_j) on a grid.

        Parameters
        ----------
        weights : (k,) array, >= 0, summing to 1
        means : (k, d) array (or (k,) in d = 1)
        covs : (k,) scalars (S_j = c_j I), (k, d) diagonals or (k, d, d) matrices
        points : int, optional
            Points per axis. Default: spacing min(sd_min, 1)/16 in d = 1; in d = 2 min(sd_min, 1)/8
            with at least 256 points per axis.
        bounds : (lo, hi) or one (lo, hi) per axis, optional
            Default: every component's mean +- `reach` standard deviations along the axis, and
            [-reach, reach] (the reverse chain starts from N(0, I)).
        mass_tol : float
            See the class.

        Returns
        -------
        GridLaw, with `mass_outside` the mixture's exact mass outside the box (Gaussian CDFs for
        diagonal components; for correlated ones the union bound over the two axes' marginals).

        Raises
        ------
        ValueError
            If weights is not a non-empty vector >= 0 summing to 1, means or covs has the wrong
            shape, covs are not finite symmetric positive definite, or (from the constructor) the
            mass outside the box exceeds mass_tol.
        """
        w = np.atleast_1d(np.asarray(weights, dtype=float))
        if w.ndim != 1 or w.size == 0 or np.any(w < 0) or not math.isclose(w.sum(), 1.0, abs_tol=1e-12):
            raise ValueError(f"weights must be a non-empty vector >= 0 summing to 1, got {weights}")
        m = np.asarray(means, dtype=float)
        if m.ndim == 1:
            m = m[:, None] if m.size == w.size else m[None, :]
        if m.ndim != 2 or m.shape[0] != w.size or m.shape[1] not in (1, 2):
            raise ValueError(f"means must have shape (k, d) with k = {w.size} and d in {{1, 2}}, got {np.shape(means)}")
        k, d = m.shape
        S = np.asarray(covs, dtype=float)
        if S.ndim == 0:
            S = np.broadcast_to(S * np.eye(d), (k, d, d)).copy()
        elif S.shape == (k,):
            S = S[:, None, None] * np.eye(d)[None]
        elif S.shape == (k, d):
            S = np.stack([np.diag(s) for s in S])
        if S.shape != (k, d, d):
            raise ValueError(f"covs must have shape (k,), (k, d) or (k, d, d) with k = {k}, d = {d}, got {np.shape(covs)}")
        if not np.all(np.isfinite(S)) or np.any(np.abs(S - np.transpose(S, (0, 2, 1))) > 1e-12 * np.abs(S).max()):
            raise ValueError("covs must be finite symmetric matrices")
        if np.any(np.linalg.eigvalsh(S)[:, 0] <= 0):
            raise ValueError("covs must be positive definite")
        sd = np.sqrt(np.diagonal(S, axis1=1, axis2=2))            # (k, d)
        axes = _choose_axes(m, sd, d, points, bounds, reach)
        X = _mesh(axes)                                              # (N, d)
        logs = []
        for j in range(k):
            if w[j] == 0:
                continue
            r = X - m[j]
            Sinv = np.linalg.inv(S[j])
            _, logdet = np.linalg.slogdet(S[j])
            logs.append(math.log(w[j]) - 0.5 * (d * math.log(2 * math.pi) + logdet + np.einsum("ni,ij,nj->n", r, Sinv, r)))
        logd = special.logsumexp(np.stack(logs), axis=0).reshape(tuple(a.shape[0] for a in axes))
        dens = np.exp(logd)
        inside = 0.0
        for j in range(k):
            if w[j] == 0:
                continue
            lo = np.array([a[0] for a in axes])
            hi = np.array([a[-1] for a in axes])
            z_lo, z_hi = (lo - m[j]) / sd[j], (hi - m[j]) / sd[j]
            out_axes = special.ndtr(z_lo) + special.ndtr(-z_hi)      # per-axis mass outside
            diag = d == 1 or abs(S[j][0, 1]) == 0
            inside_j = np.prod(1 - out_axes) if diag else max(0.0, 1 - out_axes.sum())
            inside += w[j] * inside_j
        return cls(axes, dens, mass_outside=max(0.0, 1.0 - inside), mass_tol=mass_tol, log_density=logd)

    @classmethod
    def from_log_density(cls, log_density, bounds, points=None, mass_tol: float = DEFAULT_MASS_TOL) -> "GridLaw":
        """The law proportional to exp(log_density(x)) on the grid box `bounds`, normalised on the grid.

        Parameters
        ----------
        log_density : callable
            f(x) for x of shape (m, d) returning (m,) log-density values (any additive constant).
        bounds : (lo, hi) in d = 1, or ((lo0, hi0), (lo1, hi1)) in d = 2
        points : int, optional
            Points per axis (default 801 in d = 1, 256 in d = 2).

        Returns
        -------
        GridLaw; `mass_outside` is estimated from the density and its slope at the box's faces,
        assuming an exponential tail beyond (mass beyond a face ~ p(face) / |d log p / dx|).

        Raises
        ------
        ValueError
            When log_density returns the wrong shape or NaN, or the tail estimate exceeds mass_tol.
        """
        b = np.asarray(bounds, dtype=float)
        if b.shape == (2,):
            b = b[None, :]
        if b.ndim != 2 or b.shape[1] != 2 or b.shape[0] not in (1, 2) or np.any(b[:, 1] <= b[:, 0]):
            raise ValueError(f"bounds must be (lo, hi) or one (lo, hi) per axis for d in {{1, 2}} with lo < hi, got {bounds}")
        d = b.shape[0]
        n = int(points) if points is not None else (801 if d == 1 else MIN_POINTS_2D)
        if n < 3:
            raise ValueError(f"points must be an integer >= 3, got {points}")
        axes = [np.linspace(lo, hi, n) for lo, hi in b]
        X = _mesh(axes)
        f = np.asarray(log_density(X), dtype=float)
        if f.shape != (X.shape[0],):
            raise ValueError(f"log_density must return shape ({X.shape[0]},) for x of shape {X.shape}, got {f.shape}")
        if np.any(np.isnan(f)) or np.any(f == np.inf):
            raise ValueError("log_density returned NaN or +inf")
        f = f - f.max()
        dens = np.exp(f).reshape((n,) * d)
        law = cls(axes, dens, mass_outside=0.0, mass_tol=1.0)
        dens = dens / law.total_mass
        tail = _tail_estimate(axes, dens)
        return cls(axes, dens, mass_outside=tail, mass_tol=mass_tol)

    @classmethod
    def standard_normal(cls, like: "GridLaw") -> "GridLaw":
        """N(0, I) on the grid of `like` (the reverse chain's "prior" start).

        Parameters
        ----------
        like : GridLaw
            The law whose grid (and mass_tol) to use.

        Returns
        -------
        GridLaw
            N(0, I) with its exact mass outside the box.

        Raises
        ------
        ValueError
            If that mass outside exceeds like.mass_tol (from the constructor).
        """
        X = like.points
        logp = -0.5 * np.sum(X * X, axis=1) - 0.5 * like.dim * math.log(2 * math.pi)
        out = np.array([special.ndtr(a[0]) + special.ndtr(-a[-1]) for a in like.axes])
        outside = 1 - np.prod(1 - out)
        return cls(like.axes, np.exp(logp).reshape(like.shape), mass_outside=outside, mass_tol=like.mass_tol,
                   log_density=logp.reshape(like.shape))

    @classmethod
    def load(cls, path, mass_tol: float = DEFAULT_MASS_TOL) -> "GridLaw":
        """Read a law written by `save` (arrays `grid`, `density`, optional `mass_outside`, `log_density`).

        Parameters
        ----------
        path : str or path-like
            The .npz file.
        mass_tol : float
            Allowed mass outside the grid (see the class).

        Returns
        -------
        GridLaw
            The law.

        Raises
        ------
        OSError
            If the file cannot be read (from numpy.load).
        KeyError
            If `grid` or `density` is missing.
        ValueError
            If the arrays do not form a valid law (see the class).
        """
        with np.load(path) as z:
            grid, dens = z["grid"], z["density"]
            outside = float(z["mass_outside"]) if "mass_outside" in z else None
            logd = z["log_density"] if "log_density" in z else None
        axes = [grid] if grid.ndim == 1 else list(grid)
        return cls(axes, dens, mass_outside=outside, mass_tol=mass_tol, log_density=logd)

    def save(self, path) -> None:
        """Write an .npz with `grid` (the axis, shape (n,), or one axis per coordinate, (2, n)),
        `density` (values on the grid), `mass_outside`, and `log_density` when the law carries one.

        Parameters
        ----------
        path : str or path-like
            Destination (numpy.savez adds ``.npz`` when missing).
        """
        np.savez(path, **self.arrays())

    def arrays(self) -> dict:
        """The arrays `save` writes."""
        out = {"grid": self.grid, "density": self.density, "mass_outside": np.float64(self.mass_outside)}
        if self.log_density is not None:
            out["log_density"] = self.log_density
        return out

    # --- structure ------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return len(self.axes)

    @property
    def shape(self) -> tuple:
        return self.density.shape

    @property
    def grid(self) -> np.ndarray:
        """The axis (d = 1, shape (n,)) or the axes stacked (d = 2, shape (2, n))."""
        return self.axes[0] if self.dim == 1 else np.stack(self.axes)

    @property
    def spacing(self) -> np.ndarray:
        """Grid spacing per axis, shape (d,)."""
        return np.array([a[1] - a[0] for a in self.axes])

    @property
    def points(self) -> np.ndarray:
        """The grid nodes as an (N, d) array in C order (the order of `density.ravel()`)."""
        return _mesh(self.axes)

    @property
    def weights(self) -> np.ndarray:
        """Trapezoid weights on the grid (the shape of `density`)."""
        if self._weights is None:
            ws = [trapezoid_weights(a) for a in self.axes]
            self._weights = ws[0] if self.dim == 1 else np.outer(ws[0], ws[1])
        return self._weights

    @property
    def total_mass(self) -> float:
        """Trapezoid integral of the density over the grid."""
        return float(np.sum(self.density * self.weights))

    def same_grid(self, other) -> bool:
        """Is `other` a GridLaw on exactly this grid (same dimension and axes)?

        Parameters
        ----------
        other : object
            Anything.

        Returns
        -------
        bool
            True when other is a GridLaw with identical axes.
        """
        return (isinstance(other, GridLaw) and other.dim == self.dim
                and all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(self.axes, other.axes)))

    def check_same_grid(self, other, name: str = "other") -> None:
        """ValueError naming `name` unless `other` is a GridLaw on this grid.

        Parameters
        ----------
        other : object
            The law to check.
        name : str
            Argument name for the message (default "other").

        Raises
        ------
        ValueError
            If other is not a GridLaw on this grid.
        """
        if not self.same_grid(other):
            raise ValueError(f"{name} must be a GridLaw on the same grid (d = {self.dim}, shape {self.shape})")

    @property
    def logp(self) -> np.ndarray:
        """log density on the grid: `log_density` where given, else log(density) (-inf at zeros)."""
        if self.log_density is not None:
            return self.log_density
        with np.errstate(divide="ignore"):
            return np.log(self.density)

    def with_density(self, density, mass_outside=None) -> "GridLaw":
        """A law on this grid with other values (same mass_tol).

        Parameters
        ----------
        density : array_like
            Values >= 0 of the grid's shape.
        mass_outside : float in [0, 1] or None
            Mass beyond the grid (None: as the class computes it).

        Returns
        -------
        GridLaw
            The new law.

        Raises
        ------
        ValueError
            If density or mass_outside is invalid (see the class).
        """
        return GridLaw(self.axes, density, mass_outside=mass_outside, mass_tol=self.mass_tol)

    # --- the law --------------------------------------------------------------------------------
    def integrate(self, values) -> float:
        """Trapezoid integral of `values` (an array of the grid's shape) over the grid.

        Parameters
        ----------
        values : array_like
            Values on the grid (broadcast against the trapezoid weights).

        Returns
        -------
        float
            The integral.
        """
        return float(np.sum(np.asarray(values) * self.weights))

    def mean(self) -> np.ndarray:
        """E X by the trapezoid rule, normalised by the mass on the grid; shape (d,)."""
        X = self.points
        p = (self.density * self.weights).ravel()
        return (p @ X) / p.sum()

    def cov(self) -> np.ndarray:
        """Cov X by the trapezoid rule, normalised by the mass on the grid; shape (d, d)."""
        X = self.points - self.mean()
        p = (self.density * self.weights).ravel()
        return (X.T * p) @ X / p.sum()

    def mix(self, other: "GridLaw", weight: float) -> "GridLaw":
        """weight * self + (1 - weight) * other, on this grid: e.g. q = data.mix(p, alpha).

        Parameters
        ----------
        other : GridLaw
            A law on the same grid.
        weight : float in [0, 1]
            Weight of self.

        Returns
        -------
        GridLaw
            The mixture (mass_tol the larger of the two).

        Raises
        ------
        ValueError
            Naming `weight` outside [0, 1], or `other` on another grid.
        """
        weight = float(weight)
        if not (0.0 <= weight <= 1.0):
            raise ValueError(f"weight must be in [0, 1], got {weight}")
        self.check_same_grid(other)
        dens = weight * self.density + (1 - weight) * other.density
        outside = weight * self.mass_outside + (1 - weight) * other.mass_outside
        logd = None
        if self.log_density is not None or other.log_density is not None:
            with np.errstate(divide="ignore"):
                logd = np.logaddexp(np.log(weight) + self.logp if weight > 0 else -np.inf,
                                    np.log1p(-weight) + other.logp if weight < 1 else -np.inf)
        return GridLaw(self.axes, dens, mass_outside=outside, mass_tol=max(self.mass_tol, other.mass_tol),
                       log_density=logd)

    def min_time(self) -> float:
        """Smallest t > 0 for which `forward` and `score` are accurate: s_t >= a_t dx_max, i.e.
        t = log(1 + dx^2); there the quadrature's relative error is below 2 exp(-2 pi^2) ~ 5e-9."""
        return float(math.log1p(float(np.max(self.spacing)) ** 2))

    def _check_time(self, t: float) -> float:
        t = float(t)
        if not math.isfinite(t) or t < 0:
            raise ValueError(f"t must be a finite time >= 0, got {t}")
        if 0 < t < self.min_time():
            raise ValueError(f"t must be 0 or >= {self.min_time():.4g} on this grid (the kernel N(a_t y, s_t^2) "
                             f"must be wider than the spacing), got {t}")
        return t

    def forward(self, t: float) -> "GridLaw":
        """The OU marginal at time t, p_t(x) = int N(x; a_t y, s_t^2 I) p(y) dy, on this grid (trapezoid
        rule over y). Mass pushed beyond the grid counts into `mass_outside`.

        Parameters
        ----------
        t : float
            0, or a finite time >= min_time().

        Returns
        -------
        GridLaw
            p_t on this grid (self at t = 0).

        Raises
        ------
        ValueError
            Naming t outside {0} U [min_time(), inf), or when the result exceeds mass_tol outside.
        """
        t = self._check_time(t)
        if t == 0:
            return self
        dens = apply_separable([forward_kernels(a, a, t, sparse=True)[0] for a in self.axes], self.density)
        dens = np.clip(dens, 0.0, None)
        lost = max(0.0, (1.0 - self.mass_outside) - float(np.sum(dens * self.weights)))
        return self.with_density(dens, mass_outside=min(1.0, self.mass_outside + lost))

    def score(self, x, t: float) -> np.ndarray:
        """Exact score grad log p_t(x) of the forward marginal at points x of shape (m, d) (module
        docstring). Where p_t(x) underflows (< 1e-300: no mass of p_t there) the score of the Gaussian
        with the forward marginal's mean and covariance is returned instead.

        Parameters
        ----------
        x : array_like, shape (m, d)
            Finite points.
        t : float
            A finite time >= min_time() (t = 0 is refused).

        Returns
        -------
        numpy.ndarray, shape (m, d)
            The scores.

        Raises
        ------
        ValueError
            Naming x (shape) or t (see `forward`).
        """
        t = self._check_time(t)
        if t == 0:
            raise ValueError("t must be > 0 for the score of a grid law (use t >= min_time())")
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.dim or not np.all(np.isfinite(x)):
            raise ValueError(f"x must be a finite array of shape (m, {self.dim}), got shape {x.shape}")
        pairs = [forward_kernels(x[:, c], a, t) for c, a in enumerate(self.axes)]
        out = np.empty_like(x)
        if self.dim == 1:
            K, Kd = pairs[0]
            p = K @ self.density
            grads = [Kd @ self.density]
        else:
            (K0, Kd0), (K1, Kd1) = pairs
            P1 = K0 @ self.density                                   # (m, n)
            p = np.sum(P1 * K1, axis=1)
            grads = [np.sum((Kd0 @ self.density) * K1, axis=1), np.sum(P1 * Kd1, axis=1)]
        ok = p > UNDERFLOW
        for c, g in enumerate(grads):
            out[ok, c] = g[ok] / p[ok]
        if not np.all(ok):
            out[~ok] = self._fallback_score(x[~ok], t)
        return out

    def score_on_grid(self, t: float) -> np.ndarray:
        """The exact score of p_t at every grid node, shape `shape + (d,)`, in log space over the full
        kernel (grid_scores.py: exact in the far tails too).

        Parameters
        ----------
        t : float
            A finite time >= min_time().

        Returns
        -------
        numpy.ndarray, shape ``shape + (d,)``
            The scores.

        Raises
        ------
        ValueError
            If t is 0, negative, non-finite or in (0, min_time()).
        """
        t = self._check_time(t)
        if t == 0:
            raise ValueError("t must be > 0 for the score of a grid law (use t >= min_time())")
        return log_forward_and_score(self.axes, self.logp, t)[1]

    def _fallback_score(self, x: np.ndarray, t: float) -> np.ndarray:
        a, s2 = signal_scale(t), noise_variance(t)
        S = a * a * self.cov() + s2 * np.eye(self.dim)
        return -np.linalg.solve(S, (x - a * self.mean()).T).T

    def pdf(self, x) -> np.ndarray:
        """The piecewise (bi)linear interpolant of the density at points x (m, d); 0 outside the grid.

        Parameters
        ----------
        x : array_like, shape (m, d)
            Points.

        Returns
        -------
        numpy.ndarray, shape (m,)
            Interpolated density values.

        Raises
        ------
        ValueError
            If x is not of shape (m, d).
        """
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (m, {self.dim}), got {x.shape}")
        idx, frac, inside = [], [], np.ones(x.shape[0], dtype=bool)
        for c, a in enumerate(self.axes):
            u = (x[:, c] - a[0]) / (a[1] - a[0])
            inside &= (u >= 0) & (u <= a.shape[0] - 1)
            i = np.clip(np.floor(u).astype(int), 0, a.shape[0] - 2)
            idx.append(i)
            frac.append(np.clip(u - i, 0.0, 1.0))
        if self.dim == 1:
            p = self.density
            val = (1 - frac[0]) * p[idx[0]] + frac[0] * p[idx[0] + 1]
        else:
            p = self.density
            i, j, u, v = idx[0], idx[1], frac[0], frac[1]
            val = ((1 - u) * (1 - v) * p[i, j] + u * (1 - v) * p[i + 1, j]
                   + (1 - u) * v * p[i, j + 1] + u * v * p[i + 1, j + 1])
        return np.where(inside, val, 0.0)

    def sample(self, n: int, rng=None) -> np.ndarray:
        """n draws, shape (n, d), from the piecewise (bi)linear interpolant (exact for that law; its
        moments differ from the trapezoid `mean`/`cov` by O(dx^2)).

        Parameters
        ----------
        n : int >= 0
            Number of draws.
        rng : numpy.random.Generator, int or None
            Generator or seed.

        Returns
        -------
        numpy.ndarray, shape (n, d)
            The draws.

        Raises
        ------
        ValueError
            If n is a bool, negative or not an integer.
        """
        if isinstance(n, bool) or int(n) != n or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n}")
        n = int(n)
        rng = np.random.default_rng(rng)
        p = self.density
        if self.dim == 1:
            cell = 0.5 * (p[:-1] + p[1:])
            k = rng.choice(cell.size, size=n, p=cell / cell.sum())
            u = _linear_draw(p[k], p[k + 1], rng.random(n))
            a = self.axes[0]
            return (a[k] + u * (a[1] - a[0]))[:, None]
        c00, c10, c01, c11 = p[:-1, :-1], p[1:, :-1], p[:-1, 1:], p[1:, 1:]
        cell = 0.25 * (c00 + c10 + c01 + c11)
        flat = rng.choice(cell.size, size=n, p=(cell / cell.sum()).ravel())
        i, j = np.unravel_index(flat, cell.shape)
        left, right = 0.5 * (p[i, j] + p[i, j + 1]), 0.5 * (p[i + 1, j] + p[i + 1, j + 1])   # marginal in u
        u = _linear_draw(left, right, rng.random(n))
        bottom = (1 - u) * p[i, j] + u * p[i + 1, j]
        top = (1 - u) * p[i, j + 1] + u * p[i + 1, j + 1]
        v = _linear_draw(bottom, top, rng.random(n))
        a0, a1 = self.axes
        return np.column_stack([a0[i] + u * (a0[1] - a0[0]), a1[j] + v * (a1[1] - a1[0])])

    def __repr__(self) -> str:
        box = ", ".join(f"[{a[0]:.3g}, {a[-1]:.3g}]" for a in self.axes)
        return f"GridLaw(d={self.dim}, points={self.shape[0]} per axis, box {box}, mass outside {self.mass_outside:.2g})"


def _linear_draw(left: np.ndarray, right: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse CDF on [0, 1] of the density proportional to (1 - x) left + x right."""
    left = np.asarray(left, dtype=float)
    right = np.asarray(right, dtype=float)
    diff = right - left
    tot = left + right
    out = u.copy()
    lin = np.abs(diff) > 1e-12 * np.maximum(tot, 1e-300)
    # F(x) = (left x + diff x^2 / 2) / (tot / 2) = u  ->  x = (-left + sqrt(left^2 + diff u tot)) / diff
    disc = np.sqrt(np.maximum(left[lin] ** 2 + diff[lin] * u[lin] * tot[lin], 0.0))
    out[lin] = np.clip((disc - left[lin]) / diff[lin], 0.0, 1.0)
    return out


def _mesh(axes) -> np.ndarray:
    if len(axes) == 1:
        return axes[0][:, None].copy()
    A, B = np.meshgrid(axes[0], axes[1], indexing="ij")
    return np.column_stack([A.ravel(), B.ravel()])


def _choose_axes(m: np.ndarray, sd: np.ndarray, d: int, points, bounds, reach: float) -> list:
    if bounds is not None:
        b = np.asarray(bounds, dtype=float)
        if b.shape == (2,):
            b = np.tile(b, (d, 1))
        if b.shape != (d, 2) or np.any(b[:, 1] <= b[:, 0]) or not np.all(np.isfinite(b)):
            raise ValueError(f"bounds must be (lo, hi) or one (lo, hi) per axis (d = {d}) with lo < hi, got {bounds}")
    else:
        lo = np.minimum((m - reach * sd).min(axis=0), -reach)
        hi = np.maximum((m + reach * sd).max(axis=0), reach)
        b = np.column_stack([lo, hi])
    if points is not None:
        if isinstance(points, bool) or int(points) != points or points < 3:
            raise ValueError(f"points must be an integer >= 3, got {points}")
        n = int(points)
    else:
        scale = min(float(sd.min()), 1.0)
        width = float(np.max(b[:, 1] - b[:, 0]))
        if d == 1:
            n = int(math.ceil(width / (scale / POINTS_PER_SD_1D))) + 1
        else:
            n = max(MIN_POINTS_2D, int(math.ceil(width / (scale / POINTS_PER_SD_2D))) + 1)
    return [np.linspace(lo, hi, n) for lo, hi in b]


def _tail_estimate(axes, dens: np.ndarray) -> float:
    """Mass beyond each face of the box, assuming exponential decay beyond it: p(face) / |d log p/dx|
    (integrated along the face in d = 2); a growing or flat density at a face gives +inf -> 1."""
    total = 0.0
    for c, a in enumerate(axes):
        dx = a[1] - a[0]
        moved = np.moveaxis(dens, c, 0)
        for edge, inner in ((moved[0], moved[1]), (moved[-1], moved[-2])):
            edge = np.atleast_1d(edge)
            inner = np.atleast_1d(inner)
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = (np.log(inner) - np.log(edge)) / dx      # decay rate outward
            mass = np.where(edge <= 0, 0.0, np.where(slope > 0, edge / np.where(slope > 0, slope, 1.0), np.inf))
            if dens.ndim == 2:
                other = axes[1 - c]
                total += float(np.sum(mass * trapezoid_weights(other)))
            else:
                total += float(mass[0])
    return float(min(1.0, total))
