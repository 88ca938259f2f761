"""Exact forward-process score of a Gaussian KDE (or any isotropic Gaussian mixture) as attention.

A KDE of points ``x_j`` with bandwidth h is the mixture ``(1/n) sum_j N(x_j, h^2 I)``; under the OU
forward process (THEORY.md section 1) each component becomes ``N(a_t x_j, (a_t^2 h^2 + s_t^2) I)``, so
the score at time t is a softmax over points (THEORY.md section 4, "KDE learner"):
``score(x, t) = (a_t sum_j w_j(x) x_j - x) / v_t``, ``w(x) = softmax_j(-|x - a_t x_j|^2 / (2 v_t))``,
``v_t = a_t^2 h^2 + s_t^2``.

Dropping the row constant ``-|x|^2 / (2 v_t)`` the logits are bilinear, so the score is one attention
call (queries ``[x a_t / v_t, -a_t^2 / (2 v_t), 1]``, keys ``[x_j, |x_j|^2, log w_j]``, values ``x_j``):
``score = (a_t softmax(q k^T) V - x) / v_t``.  With one time t for all rows and per-component
variances ``v_j = a_t^2 sigma_j^2 + s_t^2`` the logits stay bilinear through the query ``[x, |x|^2, 1]``
and keys ``[a_t mu_j / v_j, -1 / (2 v_j), log w_j - a_t^2 |mu_j|^2 / (2 v_j) - d/2 log(2 pi v_j)]``, with
values ``[a_t mu_j / v_j, 1 / v_j]`` (then ``score = o_mu - x o_1``).

Kernels (``kernel=``):
* ``"attention"``: ``torch.nn.functional.scaled_dot_product_attention`` restricted to its fused,
  memory-bounded backends (CPU flash kernel: float32 and float64; CUDA memory-efficient kernel:
  float32), never the math backend (which would hold the (m, n) matrix).  Logits in the input dtype
  (float32 logits: about ``|x| |x_j| 1e-7 / v_t`` error per logit; half precision is not used, it gives
  about 2 % relative error at t0 = 0.02).  The log-density (the log-sum-exp) comes from the CPU flash
  kernel's second output; on other devices it is computed by the blocked kernel.
* ``"blocked"``: (query block x point block) matrices with a running log-sum-exp, five passes over
  each block (logits by one matrix product, max, shift (floored at -80: exp of underflowing
  arguments takes a slow scalar path on CPUs), exp, one matrix product that yields the weighted
  means and the normaliser together); any dtype and device; per-row times with per-component
  variances need it.
* ``"auto"`` (default): attention where a fused backend applies, else blocked.
Either way memory stays bounded: no (m, n) matrix, so 100,000 x 100,000 fits in GPU memory.
``BatchedKDEScore`` evaluates B KDEs (B independent runs) in one call of the same kernel.
"""
import math
import warnings

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from .sde import VPSDE, per_row_times

KERNELS = ("auto", "attention", "blocked")
_BLOCK_ELEMENTS = 1 << 24  # query block x point block entries per matrix (blocked kernel)
_WIDTH_MULTIPLE = 8  # q, k, v padded with zero columns to a multiple of this (CUDA kernels' alignment)
_EXP_FLOOR = -80.0  # shifted logits below this count as e^-80 (relative effect < n e^-80 ~ 1e-28 n)
_SUPPORT = {}  # (device type, dtype, with_lse) -> whether a fused attention backend runs


def block_sizes(m, n, chunk_size):
    if chunk_size is None:
        q = min(max(m, 1), 4096)
        return q, max(1024, _BLOCK_ELEMENTS // q)
    if isinstance(chunk_size, int) and not isinstance(chunk_size, bool):
        chunk_size = (chunk_size, chunk_size)
    try:
        q, p = (int(c) for c in chunk_size)
    except (TypeError, ValueError):
        raise ValueError(f"chunk_size must be a positive int or a pair of them, got {chunk_size!r}") from None
    if q < 1 or p < 1:
        raise ValueError(f"chunk_size must be a positive int or a pair of them, got {chunk_size}")
    return q, p


def check_kernel(kernel):
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")


def _backends(device):
    return [SDPBackend.FLASH_ATTENTION] if device.type == "cpu" else \
        [SDPBackend.EFFICIENT_ATTENTION, SDPBackend.FLASH_ATTENTION]


def _attend_raw(q, k, v, with_lse):
    """softmax(q k^T) v over (B, L, E) tensors by a fused backend; (out, lse or None)."""
    q, k, v = q[:, None], k[:, None], v[:, None]
    if with_lse:  # only the CPU flash kernel exposes its log-sum-exp
        out, lse = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(q, k, v, 0.0, False, scale=1.0)
        return out[:, 0], lse[:, 0]
    with sdpa_kernel(_backends(q.device)):
        return F.scaled_dot_product_attention(q, k, v, scale=1.0)[:, 0], None


def attention_supported(device, dtype, with_lse=False):
    """Whether a fused, memory-bounded attention backend runs for this device and dtype (probed once
    with a tiny call and cached); ``with_lse``: one that also returns the log-sum-exp (CPU only)."""
    device = torch.device(device)
    key = (device.type, dtype, bool(with_lse))
    if key not in _SUPPORT:
        ok = not (with_lse and device.type != "cpu")
        if ok:
            probe = torch.zeros(1, 3, _WIDTH_MULTIPLE, device=device, dtype=dtype)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    _attend_raw(probe, probe, probe, with_lse)
            except (RuntimeError, NotImplementedError, AttributeError):
                ok = False
        _SUPPORT[key] = ok
    return _SUPPORT[key]


def _pad(*tensors):
    width = max(t.shape[-1] for t in tensors)
    width = -(-width // _WIDTH_MULTIPLE) * _WIDTH_MULTIPLE
    return [F.pad(t, (0, width - t.shape[-1])) for t in tensors]


def _attend(q, k, v, with_lse, chunk_rows):
    """Row blocks of at most ``chunk_rows`` queries (None: all) through `_attend_raw`."""
    q, k, v = _pad(q, k, v)
    if chunk_rows is None or q.shape[1] <= chunk_rows:
        return _attend_raw(q, k, v, with_lse)
    parts = [_attend_raw(q[:, i:i + chunk_rows], k, v, with_lse) for i in range(0, q.shape[1], chunk_rows)]
    out = torch.cat([p[0] for p in parts], 1)
    return out, (torch.cat([p[1] for p in parts], 1) if with_lse else None)


def _attention_mixture(x, t, means, variances, log_weights, with_lse, chunk_rows):
    """Score (B, m, d) and log-density (B, m) (or None) of isotropic mixtures by one attention call.
    x (B, m, d), means (B, n, d), log_weights (B, n), variances: float / 0-d (common) or (B, n);
    t: float, 0-d tensor, or (B, m) per-row times (the latter only with a common variance)."""
    B, m, d = x.shape
    common = not torch.is_tensor(variances) or variances.ndim == 0
    if common:
        tt = t if torch.is_tensor(t) and t.ndim == 2 else per_row_times(t, 1, x).reshape(1, 1)
        a, s2 = VPSDE.mean_coef(tt)[..., None], VPSDE.var(tt)[..., None]  # (B, m, 1) or (1, 1, 1)
        vt = a * a * variances + s2
        coef = a / vt
        q = torch.cat([x * coef, (-0.5 * a * coef).expand(B, m, 1), torch.ones_like(x[..., :1])], 2)
        k = torch.cat([means, (means * means).sum(2, keepdim=True), log_weights[..., None]], 2)
        out, lse = _attend(q, k, means, with_lse, chunk_rows)
        score = (a * out[..., :d] - x) / vt
        if with_lse:
            lse = lse - ((x * x).sum(2, keepdim=True) / (2 * vt) + 0.5 * d * torch.log(2 * math.pi * vt))[..., 0]
        return score, lse
    tt = per_row_times(t, 1, x)[0]  # one time for every row
    a, s2 = VPSDE.mean_coef(tt), VPSDE.var(tt)
    vj = (a * a * variances + s2)[..., None]  # (B, n, 1)
    scaled = means * (a / vj)
    bias = log_weights[..., None] - 0.5 * a * (scaled * means).sum(2, keepdim=True) \
        - 0.5 * d * torch.log(2 * math.pi * vj)
    q = torch.cat([x, (x * x).sum(2, keepdim=True), torch.ones_like(x[..., :1])], 2)
    k = torch.cat([scaled, -0.5 / vj, bias], 2)
    out, lse = _attend(q, k, torch.cat([scaled, 1 / vj], 2), with_lse, chunk_rows)
    return out[..., :d] - x * out[..., d:d + 1], lse


# ----- blocked kernel -------------------------------------------------------------------------------
def _blocked_mixture(x, t, means, variances, log_weights, chunk_size):
    """The blocked kernel for one mixture: x (m, d), means (n, d), log_weights (n,); t float or (m,)."""
    m, d = x.shape
    tt = per_row_times(t, m, x)
    a, s2 = VPSDE.mean_coef(tt), VPSDE.var(tt)
    common = not torch.is_tensor(variances) or variances.ndim == 0
    var = variances if common else variances.to(x)
    qb, pb = block_sizes(m, means.shape[0], chunk_size)
    floor = _EXP_FLOOR if x.dtype in (torch.float32, torch.float64, torch.bfloat16) else None
    norms = (means * means).sum(1)
    if common:  # [mu_j, |mu_j|^2] so that one addmm gives lw_j + (a/v) x.mu_j - (a^2/2v) |mu_j|^2;
        augmented = torch.cat([means, norms[:, None]], 1)  # values [mu_j, 1]: weighted means and normaliser
        values = torch.cat([means, torch.ones_like(norms[:, None])], 1)
    scores, logps = [], []
    for i in range(0, m, qb):
        xq, aq, s2q = x[i:i + qb], a[i:i + qb, None], s2[i:i + qb, None]
        xx = (xq * xq).sum(1, keepdim=True)
        run_max = torch.full((xq.shape[0],), -math.inf, device=x.device, dtype=x.dtype)
        if common:
            vt = aq * aq * var + s2q
            coef = torch.cat([xq * (aq / vt), -aq * aq / (2 * vt)], 1)
            acc = torch.zeros((xq.shape[0], d + 1), device=x.device, dtype=x.dtype)
        else:
            total = torch.zeros_like(run_max)
            inv_v_total = torch.zeros_like(run_max)
            weighted_means = torch.zeros_like(xq)
        for j in range(0, means.shape[0], pb):
            mu, lw, nm = means[j:j + pb], log_weights[None, j:j + pb], norms[None, j:j + pb]
            if common:  # the |x|^2 and log v_t terms are row constants, added back at the end
                p = torch.addmm(lw, coef, augmented[j:j + pb].T)
            else:
                vt = aq * aq * var[None, j:j + pb] + s2q
                dist2 = (xx - 2 * aq * (xq @ mu.T) + aq * aq * nm).clamp_min_(0)
                p = lw - 0.5 * dist2 / vt - 0.5 * d * torch.log(2 * math.pi * vt)
            new_max = torch.maximum(run_max, p.amax(1))
            rescale = torch.exp(run_max - new_max)
            p = p.sub_(new_max[:, None])
            if floor is not None:  # exp of underflowing arguments takes a slow scalar path (25x slower)
                p = p.clamp_min_(floor)
            p = p.exp_()
            if common:
                acc = torch.addmm(acc * rescale[:, None], p, values[j:j + pb])
            else:  # per-component v_jt: weight each term by 1/v_jt now
                total = total * rescale + p.sum(1)
                p = p.div_(vt)
                inv_v_total = inv_v_total * rescale + p.sum(1)
                weighted_means = weighted_means * rescale[:, None] + p @ mu
            run_max = new_max
        if common:
            vt = aq * aq * var + s2q
            total = acc[:, d]
            inv_v_total = total / vt[:, 0]
            weighted_means = acc[:, :d] / vt
            run_max = run_max - (xx / (2 * vt) + 0.5 * d * torch.log(2 * math.pi * vt))[:, 0]
        scores.append((aq * weighted_means - xq * inv_v_total[:, None]) / total[:, None])
        logps.append(run_max + torch.log(total))
    return torch.cat(scores), torch.cat(logps)


# ----- entry points -----------------------------------------------------------------------------------
def isotropic_mixture_stream(x, t, means, variances, log_weights, chunk_size=None, kernel="auto",
                             with_log_density=True):
    """Score and log-density at time t of ``sum_j w_j N(mu_j, v_j I)`` pushed through the OU process.

    Parameters
    ----------
    x : tensor (m, d), or (B, m, d) for B mixtures at once (then means (B, n, d), log_weights (B, n)
        and variances a float or (B, n)).
    t : float, 0-d tensor, or (m,) (resp. (B, m)) per-row times.
    means : (n, d); variances : float or (n,); log_weights : (n,) normalised.
    chunk_size : int or (query, point) block sizes (None: the kernels' own bounded defaults).
    kernel : "auto", "attention" or "blocked" (module docstring).
    with_log_density : False skips the log-density (the score alone is one attention call).

    Returns
    -------
    (score like x, log_density (m,) or (B, m), or None when ``with_log_density=False``).
    Component j at time t is ``N(a_t mu_j, (a_t^2 v_j + s_t^2) I)`` (THEORY.md section 4);
    ``score = sum_j r_j (a_t mu_j - x) / v_jt`` with r the posterior responsibilities.

    Raises
    ------
    ValueError on mismatched shapes, an unknown kernel, or ``kernel="attention"`` where no fused
    backend applies (per-row times with per-component variances, or the device and dtype).
    """
    check_kernel(kernel)
    batched = x.ndim == 3
    if x.ndim not in (2, 3):
        raise ValueError(f"x must have shape (m, d) or (B, m, d), got {tuple(x.shape)}")
    m, d = x.shape[-2:]
    if means.ndim != x.ndim or means.shape[-1] != d or (batched and means.shape[0] != x.shape[0]):
        want = f"({x.shape[0]}, n, {d})" if batched else f"(n, {d})"
        raise ValueError(f"means must have shape {want}, got {tuple(means.shape)}")
    per_row = torch.is_tensor(t) and t.ndim >= 1
    if per_row and tuple(t.shape) != tuple(x.shape[:-1]) and not (batched and tuple(t.shape) == (m,)):
        raise ValueError(f"t must be a float or a tensor of shape ({m},), got shape {tuple(t.shape)}")
    common = not torch.is_tensor(variances) or variances.ndim == 0
    if not common:
        variances = variances.to(x)
    fused = not (per_row and not common) and attention_supported(x.device, x.dtype, with_log_density)
    if kernel == "attention" and not fused:
        raise ValueError(f"kernel='attention' has no fused backend here (device {x.device}, dtype {x.dtype}, "
                         f"per-row times with per-component variances: {per_row and not common}, "
                         f"log-density: {with_log_density}); use kernel='auto' or 'blocked'")
    if fused and kernel != "blocked":
        tb = t if not per_row else (t.to(x) if t.ndim == x.ndim - 1 else t.to(x).expand(x.shape[:-1]))
        if per_row and not batched:
            tb = tb[None]
        xb, mb = (x, means) if batched else (x[None], means[None])
        lwb = log_weights.to(x) if batched else log_weights.to(x)[None]
        if lwb.ndim == 1:
            lwb = lwb.expand(mb.shape[0], -1)
        vb = variances if common or batched else variances[None]
        chunk_rows = None if chunk_size is None else block_sizes(m, 1, chunk_size)[0]
        score, logp = _attention_mixture(xb, tb, mb, vb, lwb, with_log_density, chunk_rows)
        return (score, logp) if batched else (score[0], None if logp is None else logp[0])
    if not batched:
        return _blocked_mixture(x, t, means, variances, log_weights, chunk_size)
    parts = [_blocked_mixture(x[b], t[b] if per_row and t.ndim == 2 else t, means[b],
                              variances if common else variances[b],
                              log_weights[b] if log_weights.ndim == 2 else log_weights, chunk_size)
             for b in range(x.shape[0])]
    return torch.stack([p[0] for p in parts]), torch.stack([p[1] for p in parts])
