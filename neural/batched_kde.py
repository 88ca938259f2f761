"""The KDE score of several independent runs at once (batched runs of the paper's GMM protocol).

Run b has points x^b_j (j < n) and bandwidth h; its score at OU time t is (THEORY.md §4, KDE
learner; the same formula as `neural.kde_score.KDEScore`)

    score_b(y, t) = (a_t sum_j w_j(y) x^b_j - y) / v_t,   w(y) = softmax_j(-|y - a_t x^b_j|^2 / (2 v_t)),
    v_t = a_t^2 h^2 + s_t^2.

`BatchedKDEScore(points (B, n, d), h)(y (B, m, d), t)` evaluates all B runs with batched matrix
products (one kernel launch per query block instead of B), so several alphas or seeds share one
Euler-Maruyama chain of shape (B, m, d) (`neural.sampling.euler_maruyama` treats B as the batch).
Memory: one (B, block, n) matrix, block chosen so that it holds about 2^24 entries.
"""
from __future__ import annotations

import math

import torch

from .sde import VPSDE

_BLOCK_ELEMENTS = 1 << 24


class BatchedKDEScore:
    """Scores of B Gaussian KDEs with a common bandwidth; points (B, n, d), queries (B, m, d)."""

    def __init__(self, points: torch.Tensor, bandwidth: float, block: int | None = None):
        if not torch.is_tensor(points) or points.ndim != 3 or points.shape[1] < 1:
            raise ValueError(f"points must be a tensor of shape (B, n, d), got {getattr(points, 'shape', None)}")
        if not (math.isfinite(float(bandwidth)) and float(bandwidth) > 0):
            raise ValueError(f"bandwidth must be a finite number > 0, got {bandwidth}")
        self.points, self.bandwidth = points, float(bandwidth)
        self.norms = (points * points).sum(2)  # (B, n)
        B, n, _ = points.shape
        self.block = block or max(1, _BLOCK_ELEMENTS // (B * n))

    def __call__(self, y: torch.Tensor, t: float) -> torch.Tensor:
        if y.ndim != 3 or y.shape[0] != self.points.shape[0] or y.shape[2] != self.points.shape[2]:
            raise ValueError(f"y must have shape ({self.points.shape[0]}, m, {self.points.shape[2]}), "
                             f"got {tuple(y.shape)}")
        if torch.is_tensor(t):
            raise ValueError("t must be a float (one time for all rows)")
        a, s2 = VPSDE.mean_coef(float(t)), VPSDE.var(float(t))
        v = a * a * self.bandwidth ** 2 + s2
        pts = self.points.to(y.dtype)
        out = []
        for i in range(0, y.shape[1], self.block):
            yq = y[:, i:i + self.block]
            # logits up to a per-row constant: (a y . x_j - a^2 |x_j|^2 / 2) / v
            logits = torch.baddbmm(self.norms.to(y.dtype)[:, None, :], yq, pts.transpose(1, 2),
                                   beta=-0.5 * a * a / v, alpha=a / v)
            w = torch.softmax(logits, dim=2)
            out.append((a * torch.bmm(w, pts) - yq) / v)
        return torch.cat(out, dim=1)
