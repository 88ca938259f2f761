"""The KDE / isotropic-mixture score as attention (neural.kde_score) against a float64 brute-force
reference built from direct (m, n, d) differences (not from the kernel's bilinear expansion), both
kernels, every case the kernel distinguishes: common variance with one or per-row times,
per-component variances, batched mixtures, log-densities; float32 accuracy at the paper's t0."""
import math

import pytest
import torch

from neural import make_target
from neural.kde_score import BatchedKDEScore, KDEScore
from neural.mixture_kernel import attention_supported, isotropic_mixture_stream


def reference(x, t, means, variances, log_weights):
    """Score and log-density by direct differences in float64: component j at time t is
    N(a_t mu_j, (a_t^2 v_j + s_t^2) I) (THEORY.md section 4)."""
    x, means, lw = x.double(), means.double(), log_weights.double()
    tt = torch.as_tensor(t, dtype=torch.float64)
    tt = tt[:, None] if tt.ndim == 1 else tt  # (m, 1) per-row or 0-d
    a, s2 = torch.exp(-tt / 2), -torch.expm1(-tt)
    var = torch.as_tensor(variances, dtype=torch.float64)
    vt = a * a * var + s2  # (m, n), (m, 1), (n,) or 0-d
    vt = vt.expand(x.shape[0], means.shape[0])
    diff = x[:, None, :] - (a[..., None] if tt.ndim else a) * means[None]  # (m, n, d)
    d = x.shape[1]
    logits = lw[None] - (diff ** 2).sum(2) / (2 * vt) - 0.5 * d * torch.log(2 * math.pi * vt)
    r = torch.softmax(logits, 1)
    score = -(r[..., None] * diff / vt[..., None]).sum(1)
    return score, torch.logsumexp(logits, 1)


@pytest.fixture
def mixture():
    gen = torch.Generator().manual_seed(0)
    n, m, d = 41, 29, 3
    means = 2 * torch.randn(n, d, generator=gen, dtype=torch.float64)
    x = 2 * torch.randn(m, d, generator=gen, dtype=torch.float64)
    lw = torch.log_softmax(torch.randn(n, generator=gen, dtype=torch.float64), 0)
    variances = 0.1 + torch.rand(n, generator=gen, dtype=torch.float64)
    return x, means, lw, variances


@pytest.mark.parametrize("kernel", ["attention", "blocked"])
@pytest.mark.parametrize("t", [0.0, 0.02, 0.9, 4.0])
@pytest.mark.parametrize("common", [True, False])
def test_both_kernels_equal_the_direct_reference(mixture, kernel, t, common):
    x, means, lw, variances = mixture
    var = 0.36 if common else variances
    score, logp = isotropic_mixture_stream(x, t, means, var, lw, chunk_size=(5, 7), kernel=kernel)
    want_score, want_logp = reference(x, t, means, var, lw)
    torch.testing.assert_close(score, want_score, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(logp, want_logp, rtol=1e-10, atol=1e-10)
    # control: a different variance is detectably different
    wrong, _ = reference(x, t, means, 0.5 if common else variances * 1.2, lw)
    assert (score - wrong).abs().max() > 1e-4


@pytest.mark.parametrize("kernel", ["attention", "blocked"])
def test_per_row_times_with_a_common_variance(mixture, kernel):
    x, means, lw, _ = mixture
    t = torch.linspace(0.0, 3.0, x.shape[0], dtype=torch.float64)
    score, logp = isotropic_mixture_stream(x, t, means, 0.25, lw, kernel=kernel)
    want_score, want_logp = reference(x, t, means, 0.25, lw)
    torch.testing.assert_close(score, want_score, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(logp, want_logp, rtol=1e-10, atol=1e-10)


def test_per_row_times_with_per_component_variances_use_the_blocked_kernel(mixture):
    x, means, lw, variances = mixture
    t = torch.linspace(0.0, 3.0, x.shape[0], dtype=torch.float64)
    score, _ = isotropic_mixture_stream(x, t, means, variances, lw)  # auto: blocked
    torch.testing.assert_close(score, reference(x, t, means, variances, lw)[0], rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="kernel='attention'"):
        isotropic_mixture_stream(x, t, means, variances, lw, kernel="attention")
    with pytest.raises(ValueError, match="kernel must be"):
        isotropic_mixture_stream(x, 0.1, means, variances, lw, kernel="sdpa")


def test_score_only_call_skips_the_log_density(mixture):
    x, means, lw, _ = mixture
    score, logp = isotropic_mixture_stream(x, 0.3, means, 0.36, lw, with_log_density=False)
    assert logp is None
    torch.testing.assert_close(score, reference(x, 0.3, means, 0.36, lw)[0], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kernel", ["attention", "blocked"])
def test_batched_mixtures_equal_each_reference(kernel):
    gen = torch.Generator().manual_seed(1)
    points = torch.randn(3, 40, 4, generator=gen, dtype=torch.float64) * 2
    y = torch.randn(3, 25, 4, generator=gen, dtype=torch.float64)
    kde = BatchedKDEScore(points, 0.6, kernel=kernel)
    lw = torch.full((40,), -math.log(40), dtype=torch.float64)
    for t in (0.02, 1.5):
        got, got_logp = kde(y, t), kde.log_prob(y, t)
        for b in range(3):
            want, want_logp = reference(y[b], t, points[b], 0.36, lw)
            torch.testing.assert_close(got[b], want, rtol=1e-10, atol=1e-10)
            torch.testing.assert_close(got_logp[b], want_logp, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kernel", ["attention", "blocked"])
def test_float32_error_at_the_papers_t0_is_below_1e4_of_the_score_scale(kernel):
    """The issue's accuracy criterion at a test-sized version of its benchmark (d = 10, h = 0.6,
    t = 0.02, float32 logits): max |float32 - float64 reference| <= 1e-4 x the mean score norm."""
    gen = torch.Generator().manual_seed(5)
    gmm = make_target("gmm")
    points, x = gmm.sample(3000, generator=gen), gmm.sample(400, generator=gen)
    lw = torch.full((3000,), -math.log(3000), dtype=torch.float64)
    want, _ = reference(x, 0.02, points, 0.36, lw)
    got = KDEScore(points, 0.6, kernel=kernel)(x, 0.02)
    assert got.dtype == torch.float32
    scale = float(want.norm(dim=1).mean())
    assert float((got.double() - want).abs().max()) <= 1e-4 * scale
    # control: half precision does not meet it (the issue: about 2 % relative error in bf16)
    low = KDEScore(points.bfloat16(), 0.6, kernel="blocked")(x.bfloat16(), 0.02)
    assert float((low.double() - want).abs().max()) > 1e-4 * scale


def test_attention_support_is_reported_for_the_cpu():
    assert attention_supported("cpu", torch.float32)
    assert attention_supported("cpu", torch.float64, with_lse=True)
