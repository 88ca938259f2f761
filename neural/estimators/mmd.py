"""Unbiased estimator of the squared maximum mean discrepancy with a Gaussian kernel
(Gretton et al., JMLR 13, 2012, eq. (3)).

With `k(x, y) = exp(-|x - y|^2 / (2 l^2))`, X_1..X_n ~ p, Y_1..Y_m ~ q:

    MMD2_u = 1/(n(n-1)) sum_{i != j} k(X_i, X_j) + 1/(m(m-1)) sum_{i != j} k(Y_i, Y_j)
             - 2/(nm) sum_{i, j} k(X_i, Y_j).

What it estimates: `MMD^2(p, q) = E k(X,X') + E k(Y,Y') - 2 E k(X,Y)`, without bias for a fixed
bandwidth l (it can be negative). With `bandwidth=None` l is the median pairwise distance of the
pooled samples (median heuristic, computed on at most 1000 of them), which makes the estimate
data-dependent and no longer exactly unbiased. The double sums run in chunks, so memory stays
O(chunk_size * (n + m)) on any device.
"""
from __future__ import annotations

import torch

from ._arrays import as_tensor_2d, check_number, check_same_dim


def median_bandwidth(x: torch.Tensor, y: torch.Tensor, max_points: int = 1000, seed: int = 0) -> float:
    """Median pairwise distance among at most `max_points` pooled samples of x and y.

    Parameters
    ----------
    x, y : torch.Tensor, shapes (n, d) and (m, d)
        Sample sets (no checks).
    max_points : int
        Largest pooled subset (default 1000).
    seed : int
        Seed of the subset (default 0).

    Returns
    -------
    float
        The median distance (0 for repeated points).
    """
    z = torch.cat([x, y])
    gen = torch.Generator().manual_seed(seed)
    z = z[torch.randperm(z.shape[0], generator=gen)[:max_points].to(z.device)]
    dist = torch.cdist(z, z)
    i, j = torch.triu_indices(z.shape[0], z.shape[0], offset=1, device=z.device)
    return float(torch.quantile(dist[i, j], 0.5))


def _kernel_sum(a, b, bandwidth, chunk_size):
    total = a.new_zeros(())
    for start in range(0, a.shape[0], chunk_size):
        d2 = torch.cdist(a[start:start + chunk_size], b).square()
        total = total + torch.exp(-d2 / (2 * bandwidth**2)).sum()
    return total


def mmd2_unbiased(x_p, x_q, bandwidth: float | None = None, chunk_size: int = 4096) -> tuple[float, float]:
    """Unbiased MMD^2 between samples x_p ~ p and x_q ~ q; returns (mmd2, bandwidth used).

    Parameters
    ----------
    x_p, x_q : array_like or torch.Tensor, shapes (n, d) and (m, d)
        Samples of p and q.
    bandwidth : float or None
        Kernel length l in [1e-150, 1e150]; None: ``median_bandwidth(x_p, x_q)``.
    chunk_size : int in [1, 2**31]
        Rows per kernel block (default 4096).

    Returns
    -------
    mmd2, bandwidth : float
        The unbiased MMD^2 (can be negative) and the bandwidth used.

    Raises
    ------
    ValueError
        If the samples are not a real finite (n, d) array with n >= 2 (1-D: n scalar samples), their
        dimensions differ, chunk_size or bandwidth is out of range, or the median bandwidth is 0.
    """
    x = as_tensor_2d(x_p, "x_p")
    y = as_tensor_2d(x_q, "x_q").to(x.device)
    check_same_dim(x, y, ("x_p", "x_q"))
    chunk_size = check_number("chunk_size", chunk_size, 1, 2 ** 31, integer=True)
    if bandwidth is None:
        bandwidth = median_bandwidth(x, y)
        if not bandwidth > 0:
            raise ValueError("bandwidth: the median pairwise distance is 0 (repeated points); pass bandwidth > 0")
    bandwidth = check_number("bandwidth", bandwidth, 1e-150, 1e150)   # 2 l^2 neither under- nor overflows
    n, m = x.shape[0], y.shape[0]
    kxx = (_kernel_sum(x, x, bandwidth, chunk_size) - n) / (n * (n - 1))  # k(x, x) = 1 on the diagonal
    kyy = (_kernel_sum(y, y, bandwidth, chunk_size) - m) / (m * (m - 1))
    kxy = _kernel_sum(x, y, bandwidth, chunk_size) / (n * m)
    return float(kxx + kyy - 2 * kxy), float(bandwidth)
