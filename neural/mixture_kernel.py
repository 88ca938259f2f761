"""The mixture kernel: score and log-density of an isotropic Gaussian mixture under the OU process.

``sum_j w_j N(mu_j, v_j I)`` at OU time t is ``sum_j w_j N(a_t mu_j, (a_t^2 v_j + s_t^2) I)``
(THEORY.md sections 1 and 4), evaluated by a streamed log-sum-exp over (query block x component
block) matrices, so 100,000 x 100,000 fits in GPU memory. A KDE is such a mixture (`KDEScore`), and
so are isotropic `GaussianMixture`s.
"""
import math

import torch

from .sde import VPSDE, per_row_times

_BLOCK_ELEMENTS = 1 << 24  # query block x point block entries per matrix


def block_sizes(m, n, chunk_size):
    if chunk_size is None:
        q = min(max(m, 1), 4096)
        return q, max(1024, _BLOCK_ELEMENTS // q)
    if isinstance(chunk_size, int) and not isinstance(chunk_size, bool):
        chunk_size = (chunk_size, chunk_size)
    q, p = (int(c) for c in chunk_size)
    if q < 1 or p < 1:
        raise ValueError(f"chunk_size must be a positive int or a pair of them, got {chunk_size}")
    return q, p


def isotropic_mixture_stream(x, t, means, variances, log_weights, chunk_size=None):
    """Score and log-density at time t of ``sum_j w_j N(mu_j, v_j I)`` pushed through the OU process.

    x: (m, d); t: float or (m,); means: (n, d); variances: float or (n,); log_weights: (n,) normalised.
    Component j at time t is ``N(a_t mu_j, (a_t^2 v_j + s_t^2) I)`` (THEORY.md section 4).  Returns
    ``(score (m, d), log_density (m,))``; ``score = sum_j r_j (a_t mu_j - x) / v_jt`` with r the
    posterior responsibilities, accumulated with a running maximum over point blocks.  Logits use
    the expansion ``|x - a mu|^2 = |x|^2 - 2 a x.mu + a^2 |mu|^2`` (matrix products), which in float32
    costs about ``|x| |mu| 1e-7 / v_t`` in each logit; pass float64 for reference values.
    """
    m, d = x.shape
    if means.ndim != 2 or means.shape[1] != d:
        raise ValueError(f"means must have shape (n, {d}), got {tuple(means.shape)}")
    if torch.is_tensor(t) and t.ndim == 1 and t.shape[0] != m:
        raise ValueError(f"t must be a float or a tensor of shape ({m},), got shape {tuple(t.shape)}")
    tt = per_row_times(t, m, x)
    a, s2 = VPSDE.mean_coef(tt), VPSDE.var(tt)
    common = not torch.is_tensor(variances) or variances.ndim == 0
    var = variances if common else variances.to(x)
    qb, pb = block_sizes(m, means.shape[0], chunk_size)
    norms = (means * means).sum(1)
    if common:  # [mu_j, |mu_j|^2] so that one addmm gives lw_j + (a/v) x.mu_j - (a^2/2v) |mu_j|^2
        augmented = torch.cat([means, norms[:, None]], 1)
    scores, logps = [], []
    for i in range(0, m, qb):
        xq, aq, s2q = x[i:i + qb], a[i:i + qb, None], s2[i:i + qb, None]
        xx = (xq * xq).sum(1, keepdim=True)
        run_max = torch.full((xq.shape[0],), -math.inf, device=x.device, dtype=x.dtype)
        total = torch.zeros_like(run_max)
        inv_v_total = torch.zeros_like(run_max)
        weighted_means = torch.zeros_like(xq)
        for j in range(0, means.shape[0], pb):
            mu, lw, nm = means[j:j + pb], log_weights[None, j:j + pb], norms[None, j:j + pb]
            if common:  # v_t per row: the |x|^2 and log v_t terms are row constants, added back at the end
                vt = aq * aq * var + s2q
                coef = torch.cat([xq * (aq / vt), -aq * aq / (2 * vt)], 1)
                p = torch.addmm(lw, coef, augmented[j:j + pb].T)
            else:
                vt = aq * aq * var[None, j:j + pb] + s2q
                dist2 = (xx - 2 * aq * (xq @ mu.T) + aq * aq * nm).clamp_min_(0)
                p = lw - 0.5 * dist2 / vt - 0.5 * d * torch.log(2 * math.pi * vt)
            new_max = torch.maximum(run_max, p.amax(1))
            rescale = torch.exp(run_max - new_max)
            p = p.sub_(new_max[:, None]).exp_()
            total = total * rescale + p.sum(1)
            if not common:  # per-component v_jt: weight each term by 1/v_jt now
                p = p.div_(vt)
                inv_v_total = inv_v_total * rescale + p.sum(1)
            weighted_means = weighted_means * rescale[:, None] + p @ mu
            run_max = new_max
        if common:
            vt = aq * aq * var + s2q
            inv_v_total = total / vt[:, 0]
            weighted_means = weighted_means / vt
            run_max = run_max - (xx / (2 * vt) + 0.5 * d * torch.log(2 * math.pi * vt))[:, 0]
        scores.append((aq * weighted_means - xq * inv_v_total[:, None]) / total[:, None])
        logps.append(run_max + torch.log(total))
    return torch.cat(scores), torch.cat(logps)
