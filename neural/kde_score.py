"""Exact forward-process score of a Gaussian KDE: ``KDEScore`` (one KDE) and ``BatchedKDEScore``
(B KDEs, one per run, in one kernel call).

A KDE of points ``x_j`` with bandwidth h is the mixture ``(1/n) sum_j N(x_j, h^2 I)``; under the OU
forward process (THEORY.md section 1) its score at time t is a softmax over points (THEORY.md section
4, "KDE learner"), evaluated by the mixture kernel of ``neural.mixture_kernel`` (attention where a
fused backend applies, else blocked; memory bounded).
"""
import math

import torch

from .gaussian_mixture import TorchGaussianMixture
from .mixture_kernel import block_sizes, check_kernel, isotropic_mixture_stream


class KDEScore:
    """``score(x, t)``: exact OU-time-t score of the Gaussian KDE ``(1/n) sum_j N(x_j, h^2 I)``.

    Calling it with x of shape ``(m, *shape)`` and t a float or of shape (m,) returns the score at
    (x, t), of x's shape. Equal to ``TorchGaussianMixture.score`` of the same components (tested).
    Component of THEORY.md section 6: the paper's KDE learner, bandwidth 0.6.

    Parameters
    ----------
    points : torch.Tensor
        The KDE's centres x_j, shape ``(n, *shape)``, n >= 1.
    bandwidth : float
        h, finite and > 0.
    chunk_size : int or tuple of int, optional
        Block sizes (query, point), or one int for both (default: blocks of about 2^24 entries).
    dtype : torch.dtype, optional
        The compute dtype (default: the points' dtype; float64 for reference values).
    kernel : {"auto", "attention", "blocked"}
        The mixture kernel (`neural.mixture_kernel`; default "auto").

    Raises
    ------
    ValueError
        If `points` is not a tensor of shape (n, ...) with n >= 1, `bandwidth` is not a finite
        number > 0, or `chunk_size` or `kernel` is not valid; when called, if x's shape does not
        match the points'.
    """

    def __init__(self, points, bandwidth, chunk_size=None, dtype=None, kernel="auto"):
        if not torch.is_tensor(points) or points.ndim < 2 or points.shape[0] < 1:
            raise ValueError("points must be a tensor of shape (n, ...) with n >= 1")
        bandwidth = float(bandwidth)
        if not (math.isfinite(bandwidth) and bandwidth > 0):
            raise ValueError(f"bandwidth must be a finite number > 0, got {bandwidth}")
        block_sizes(1, 1, chunk_size)
        check_kernel(kernel)
        self.shape = tuple(points.shape[1:])
        self.dtype = dtype or points.dtype
        self.points = points.reshape(points.shape[0], -1).to(self.dtype)
        self.bandwidth = bandwidth
        self.chunk_size, self.kernel = chunk_size, kernel
        self.log_weights = torch.full((points.shape[0],), -math.log(points.shape[0]),
                                      device=points.device, dtype=self.dtype)

    def _stream(self, x, t, with_log_density):
        if tuple(x.shape[1:]) != self.shape:
            raise ValueError(f"x must have shape (m, {', '.join(map(str, self.shape))}), got {tuple(x.shape)}")
        flat = x.reshape(x.shape[0], -1).to(device=self.points.device, dtype=self.dtype)
        return isotropic_mixture_stream(flat, t, self.points, self.bandwidth ** 2, self.log_weights,
                                        self.chunk_size, self.kernel, with_log_density)

    def __call__(self, x, t):
        score, _ = self._stream(x, t, False)
        return score.reshape(x.shape).to(x.dtype)

    def log_prob(self, x, t=0.0):
        """Log-density at OU time t of the KDE.

        Parameters
        ----------
        x : torch.Tensor, shape ``(m, *shape)``
            Points.
        t : float or torch.Tensor of shape (m,)
            OU time(s) (default 0).

        Returns
        -------
        torch.Tensor, shape (m,)
            Log densities, in x's dtype.

        Raises
        ------
        ValueError
            If x does not have shape ``(m, *shape)``.
        """
        return self._stream(x, t, True)[1].to(x.dtype)

    def as_mixture(self):
        """The same KDE as a ``neural.gaussian_mixture.TorchGaussianMixture`` (isotropic components h^2 I)."""
        return TorchGaussianMixture.from_points(self.points.reshape(self.points.shape[0], -1), self.bandwidth)


class BatchedKDEScore:
    """Scores of B Gaussian KDEs with a common bandwidth in one kernel call (B independent runs of the
    paper's protocol advancing as one (B, m, d) chain; ``neural.sampling.euler_maruyama`` treats B as
    a batch dimension).  Run b: ``score_b(y, t) = (a_t sum_j w_j(y) x^b_j - y) / v_t`` (THEORY.md
    section 4), the formula of `KDEScore`, by the same kernel (`isotropic_mixture_stream`).

    Parameters
    ----------
    points : (B, n, d); y : (B, m, d); t : float, 0-d tensor or (B, m).
    bandwidth, chunk_size, dtype, kernel : as in `KDEScore`.

    Raises
    ------
    ValueError for points not of shape (B, n, d), a bad bandwidth, and (on call) y of another shape.
    """

    def __init__(self, points, bandwidth, chunk_size=None, dtype=None, kernel="auto"):
        if not torch.is_tensor(points) or points.ndim != 3 or points.shape[1] < 1:
            raise ValueError(f"points must be a tensor of shape (B, n, d), got {getattr(points, 'shape', None)}")
        bandwidth = float(bandwidth)
        if not (math.isfinite(bandwidth) and bandwidth > 0):
            raise ValueError(f"bandwidth must be a finite number > 0, got {bandwidth}")
        block_sizes(1, 1, chunk_size)
        check_kernel(kernel)
        self.dtype = dtype or points.dtype
        self.points, self.bandwidth = points.to(self.dtype), bandwidth
        self.chunk_size, self.kernel = chunk_size, kernel
        B, n, _ = points.shape
        self.log_weights = torch.full((B, n), -math.log(n), device=points.device, dtype=self.dtype)

    def _stream(self, y, t, with_log_density):
        B, _, d = self.points.shape
        if y.ndim != 3 or y.shape[0] != B or y.shape[2] != d:
            raise ValueError(f"y must have shape ({B}, m, {d}), got {tuple(y.shape)}")
        return isotropic_mixture_stream(y.to(device=self.points.device, dtype=self.dtype), t, self.points,
                                        self.bandwidth ** 2, self.log_weights, self.chunk_size, self.kernel,
                                        with_log_density)

    def __call__(self, y, t):
        return self._stream(y, t, False)[0].to(y.dtype)

    def log_prob(self, y, t=0.0):
        """Log-density (B, m) of each run's KDE at OU time t."""
        return self._stream(y, t, True)[1].to(y.dtype)
