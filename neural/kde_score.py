"""Exact forward-process score of a Gaussian KDE, streamed over query and point blocks.

A KDE of points ``x_j`` with bandwidth h is the mixture ``(1/n) sum_j N(x_j, h^2 I)``; under the OU
forward process (THEORY.md section 1) each component becomes ``N(a_t x_j, (a_t^2 h^2 + s_t^2) I)``, so
the score at time t is a softmax over points (THEORY.md section 4, "KDE learner"):
``score(x, t) = (a_t sum_j w_j(x) x_j - x) / (a_t^2 h^2 + s_t^2)``, ``w(x) = softmax_j(-|x - a_t x_j|^2 / (2 v_t))``.
The streaming kernel handles per-component isotropic variances and weights (any Gaussian mixture with
isotropic components), keeping only (query block x point block) matrices alive, with a running
log-sum-exp, so 100,000 x 100,000 fits in GPU memory.
"""
import math

import torch

from .gaussian_mixture import GaussianMixture
from .mixture_kernel import block_sizes, isotropic_mixture_stream


class KDEScore:
    """``score(x, t)``: exact OU-time-t score of the Gaussian KDE ``(1/n) sum_j N(x_j, h^2 I)``.

    Calling it with x of shape ``(m, *shape)`` and t a float or of shape (m,) returns the score at
    (x, t), of x's shape. Equal to ``GaussianMixture.score`` of the same components (tested).
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

    Raises
    ------
    ValueError
        If `points` is not a tensor of shape (n, ...) with n >= 1, `bandwidth` is not a finite
        number > 0, or `chunk_size` is not a valid block size; when called, if x's shape does not
        match the points'.
    """

    def __init__(self, points, bandwidth, chunk_size=None, dtype=None):
        if not torch.is_tensor(points) or points.ndim < 2 or points.shape[0] < 1:
            raise ValueError("points must be a tensor of shape (n, ...) with n >= 1")
        bandwidth = float(bandwidth)
        if not (math.isfinite(bandwidth) and bandwidth > 0):
            raise ValueError(f"bandwidth must be a finite number > 0, got {bandwidth}")
        block_sizes(1, 1, chunk_size)
        self.shape = tuple(points.shape[1:])
        self.dtype = dtype or points.dtype
        self.points = points.reshape(points.shape[0], -1).to(self.dtype)
        self.bandwidth = bandwidth
        self.chunk_size = chunk_size
        self.log_weights = torch.full((points.shape[0],), -math.log(points.shape[0]),
                                      device=points.device, dtype=self.dtype)

    def _stream(self, x, t):
        if tuple(x.shape[1:]) != self.shape:
            raise ValueError(f"x must have shape (m, {', '.join(map(str, self.shape))}), got {tuple(x.shape)}")
        flat = x.reshape(x.shape[0], -1).to(device=self.points.device, dtype=self.dtype)
        return isotropic_mixture_stream(flat, t, self.points, self.bandwidth ** 2, self.log_weights,
                                        self.chunk_size)

    def __call__(self, x, t):
        score, _ = self._stream(x, t)
        return score.reshape(x.shape).to(x.dtype)

    def log_prob(self, x, t=0.0):
        """Log-density at OU time t of the KDE."""
        return self._stream(x, t)[1].to(x.dtype)

    def as_mixture(self):
        """The same KDE as a ``neural.GaussianMixture`` (isotropic components h^2 I)."""
        n = self.points.shape[0]
        return GaussianMixture(torch.full((n,), 1.0 / n, dtype=torch.float64), self.points.double().cpu(),
                               torch.full((n,), self.bandwidth ** 2, dtype=torch.float64))
