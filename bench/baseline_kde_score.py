"""Frozen baseline for bench/bench_kde_score.py: the streamed KDE score as it was before issue 13
(neural/kde_score.py at commit f28478e), common-variance case only, kept verbatim in its arithmetic
so that its speed can be measured beside the current kernel in one process. Not used by the package.

``score(x, t) = (a_t sum_j w_j(x) x_j - x) / v_t``, ``w = softmax_j(-|x - a_t x_j|^2 / (2 v_t))``
(THEORY.md section 4), blocks of 4096 queries x 4096 points with a running log-sum-exp.
"""
import math

import torch

_BLOCK_ELEMENTS = 1 << 24


def baseline_kde_score(x, t, points, bandwidth):
    """The pre-issue-13 ``KDEScore(points, bandwidth)(x, t)`` for float t (x (m, d), points (n, d))."""
    m, d = x.shape
    n = points.shape[0]
    a = math.exp(-t / 2)
    s2 = -math.expm1(-t)
    var = bandwidth ** 2
    log_weights = torch.full((n,), -math.log(n), dtype=x.dtype, device=x.device)
    qb = min(max(m, 1), 4096)
    pb = max(1024, _BLOCK_ELEMENTS // qb)
    norms = (points * points).sum(1)
    augmented = torch.cat([points, norms[:, None]], 1)
    vt = a * a * var + s2
    scores = []
    for i in range(0, m, qb):
        xq = x[i:i + qb]
        run_max = torch.full((xq.shape[0],), -math.inf, device=x.device, dtype=x.dtype)
        total = torch.zeros_like(run_max)
        weighted_means = torch.zeros_like(xq)
        coef = torch.cat([xq * (a / vt), torch.full((xq.shape[0], 1), -a * a / (2 * vt), dtype=x.dtype)], 1)
        for j in range(0, n, pb):
            mu, lw = points[j:j + pb], log_weights[None, j:j + pb]
            p = torch.addmm(lw, coef, augmented[j:j + pb].T)
            new_max = torch.maximum(run_max, p.amax(1))
            rescale = torch.exp(run_max - new_max)
            p = p.sub_(new_max[:, None]).exp_()
            total = total * rescale + p.sum(1)
            weighted_means = weighted_means * rescale[:, None] + p @ mu
            run_max = new_max
        inv_v_total = total / vt
        scores.append((a * weighted_means / vt - xq * inv_v_total[:, None]) / total[:, None])
    return torch.cat(scores)
