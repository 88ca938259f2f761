"""KDEScore and TorchGaussianMixture scores against brute-force autograd of log-densities (THEORY.md section 4)."""
import math

import pytest
import torch

from neural import TorchGaussianMixture, KDEScore

TIMES = [0.0, 0.02, 0.5, 3.0]


def brute_force_score(log_density, x):
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(log_density(x).sum(), x)
    return grad


def kde_log_density(points, h, t):
    """log (1/n) sum_j N(x; a_t x_j, (a_t^2 h^2 + s_t^2) I), by direct (m, n, d) differences."""
    def log_density(x):
        tt = torch.as_tensor(t, dtype=x.dtype)
        tt = tt[:, None] if tt.ndim == 1 else tt
        a2, s2 = torch.exp(-tt), 1 - torch.exp(-tt)
        v = a2 * h ** 2 + s2
        diff = x[:, None, :] - torch.sqrt(a2)[..., None] * points[None] if tt.ndim else x[:, None, :] - torch.sqrt(a2) * points[None]
        d = x.shape[1]
        logits = -(diff ** 2).sum(2) / (2 * v) - 0.5 * d * torch.log(2 * math.pi * v)
        return torch.logsumexp(logits, 1) - math.log(points.shape[0])
    return log_density


def mvn_mixture_log_density(weights, means, covs, t):
    """Brute force with torch.distributions at OU time t (float): components N(a m_k, a^2 S_k + s^2 I)."""
    a2, s2 = math.exp(-t), 1 - math.exp(-t)
    comps = [torch.distributions.MultivariateNormal(math.sqrt(a2) * m, a2 * S + s2 * torch.eye(len(m), dtype=torch.float64))
             for m, S in zip(means, covs)]

    def log_density(x):
        return torch.logsumexp(torch.stack([c.log_prob(x) + math.log(w) for w, c in zip(weights, comps)], 1), 1)
    return log_density


@pytest.fixture
def kde_setup():
    gen = torch.Generator().manual_seed(0)
    points = 2 * torch.randn(37, 3, generator=gen, dtype=torch.float64)
    x = 2 * torch.randn(23, 3, generator=gen, dtype=torch.float64)
    return points, x


@pytest.mark.parametrize("t", TIMES)
def test_kde_score_equals_autograd_of_log_density(kde_setup, t):
    points, x = kde_setup
    kde = KDEScore(points, 0.6)
    expected = brute_force_score(kde_log_density(points, 0.6, t), x)
    torch.testing.assert_close(kde(x, t), expected, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(kde.log_prob(x, t), kde_log_density(points, 0.6, t)(x), rtol=1e-10, atol=1e-10)
    # control: the wrong bandwidth is detectably different
    assert (KDEScore(points, 0.7)(x, t) - expected).abs().max() > 1e-3


def test_kde_score_with_per_row_times_and_chunks(kde_setup):
    points, x = kde_setup
    t = torch.linspace(0.01, 3.5, x.shape[0], dtype=torch.float64)
    expected = brute_force_score(kde_log_density(points, 0.4, t), x)
    for chunk in [None, 1, 5, (4, 7), (100, 3)]:
        torch.testing.assert_close(KDEScore(points, 0.4, chunk_size=chunk)(x, t), expected, rtol=1e-9, atol=1e-9)


def test_kde_score_float32_and_image_shapes():
    gen = torch.Generator().manual_seed(1)
    points = torch.randn(50, 1, 2, 2, generator=gen)
    x = torch.randn(6, 1, 2, 2, generator=gen)
    out = KDEScore(points, 0.3, chunk_size=8)(x, 0.1)
    assert out.shape == x.shape and out.dtype == torch.float32
    reference = KDEScore(points.double(), 0.3)(x.double(), 0.1)
    torch.testing.assert_close(out.double(), reference, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("t", [0.0, 0.3])
def test_kde_equals_its_gaussian_mixture(kde_setup, t):
    points, x = kde_setup
    kde = KDEScore(points, 0.6)
    torch.testing.assert_close(kde.as_mixture().score(x, t), kde(x, t))
    torch.testing.assert_close(TorchGaussianMixture.from_points(points, 0.6).log_prob(x, t), kde.log_prob(x, t))


def random_spd(k, d, gen):
    A = torch.randn(k, d, d, generator=gen, dtype=torch.float64)
    return A @ A.transpose(1, 2) / d + 0.2 * torch.eye(d, dtype=torch.float64)


@pytest.mark.parametrize("kind", ["isotropic", "diagonal", "full"])
@pytest.mark.parametrize("t", TIMES)
def test_mixture_score_equals_autograd_of_brute_force(kind, t):
    gen = torch.Generator().manual_seed(2)
    k, d = 4, 3
    weights = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    means = 2 * torch.randn(k, d, generator=gen, dtype=torch.float64)
    if kind == "isotropic":
        covs = 0.2 + torch.rand(k, generator=gen, dtype=torch.float64)
        full = torch.diag_embed(covs[:, None].expand(k, d))
    elif kind == "diagonal":
        covs = 0.2 + torch.rand(k, d, generator=gen, dtype=torch.float64)
        full = torch.diag_embed(covs)
    else:
        covs = full = random_spd(k, d, gen)
    mixture = TorchGaussianMixture(weights, means, covs)
    assert mixture.kind == kind
    x = 2 * torch.randn(30, d, generator=gen, dtype=torch.float64)
    log_density = mvn_mixture_log_density(weights, means, full, t)
    torch.testing.assert_close(mixture.score(x, t), brute_force_score(log_density, x), rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(mixture.log_prob(x, t), log_density(x), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(mixture.forward(t).score(x), mixture.score(x, t), rtol=1e-9, atol=1e-9)
    # per-row times: row i at its own t_i
    ts = torch.linspace(0.0, 2.0, 30, dtype=torch.float64)
    rows = torch.stack([mixture.score(x[i:i + 1], float(ts[i]))[0] for i in range(30)])
    torch.testing.assert_close(mixture.score(x, ts), rows, rtol=1e-9, atol=1e-9)


def test_mix_and_convolve_match_brute_force():
    gen = torch.Generator().manual_seed(3)
    data = TorchGaussianMixture([0.5, 0.5], torch.tensor([[0.0, 0.0], [3.0, 1.0]]), [0.36, 0.36])
    points = torch.randn(20, 2, generator=gen, dtype=torch.float64)
    model = TorchGaussianMixture.from_points(points, 0.6).convolve(0.25)
    q = data.mix(model, 0.3)
    x = 2 * torch.randn(15, 2, generator=gen, dtype=torch.float64)
    t = 0.4
    p_data = mvn_mixture_log_density([0.5, 0.5], data.means, data.full_covs(), t)
    p_model = kde_log_density(points, math.sqrt(0.36 + 0.25), t)

    def log_q(y):
        return torch.logaddexp(math.log(0.3) + p_data(y), math.log(0.7) + p_model(y))
    torch.testing.assert_close(q.score(x, t), brute_force_score(log_q, x), rtol=1e-9, atol=1e-9)
    full = TorchGaussianMixture([1.0], [[0.0, 0.0]], [[[1.0, 0.5], [0.5, 1.0]]])
    assert data.mix(full, 0.5).kind == "full"


def test_mixture_sampling_moments():
    gen = torch.Generator().manual_seed(4)
    covs = random_spd(2, 2, gen)
    mixture = TorchGaussianMixture([0.25, 0.75], torch.tensor([[2.0, 0.0], [-1.0, 1.0]]), covs)
    n = 100000
    x = mixture.sample(n, generator=gen, dtype=torch.float64)
    # independent answer: mean = sum w m, cov = sum w (S + m m^T) - mean mean^T
    w = torch.tensor([0.25, 0.75], dtype=torch.float64)
    mean = w @ mixture.means
    second = sum(w[k] * (covs[k] + torch.outer(mixture.means[k], mixture.means[k])) for k in range(2))
    cov = second - torch.outer(mean, mean)
    torch.testing.assert_close(mixture.mean(), mean)
    torch.testing.assert_close(mixture.covariance(), cov)
    assert ((x.mean(0) - mean).abs() / (torch.diag(cov) / n).sqrt()).max() < 4.5
    assert (torch.cov(x.T) - cov).abs().max() < 4.5 * 3 * cov.abs().max() / math.sqrt(n)


def test_bad_input():
    with pytest.raises(ValueError, match="bandwidth"):
        KDEScore(torch.zeros(3, 2), 0.0)
    with pytest.raises(ValueError, match="points"):
        KDEScore(torch.zeros(3), 0.5)
    with pytest.raises(ValueError, match="x must have shape"):
        KDEScore(torch.zeros(3, 2), 0.5)(torch.zeros(4, 3), 0.1)
    with pytest.raises(ValueError, match="t must be"):
        KDEScore(torch.zeros(3, 2), 0.5)(torch.zeros(4, 2), torch.zeros(5))
    with pytest.raises(ValueError, match="chunk_size"):
        KDEScore(torch.zeros(3, 2), 0.5, chunk_size=0)
    with pytest.raises(ValueError, match="covs"):
        TorchGaussianMixture([1.0], [[0.0, 0.0]], [[[1.0, 2.0], [2.0, 1.0]]])
    with pytest.raises(ValueError, match="weights"):
        TorchGaussianMixture([-1.0, 2.0], [[0.0], [1.0]], 1.0)
    with pytest.raises(ValueError, match="alpha"):
        TorchGaussianMixture([1.0], [[0.0]], 1.0).mix(TorchGaussianMixture([1.0], [[0.0]], 1.0), 1.5)


def test_kde_float32_accuracy_at_paper_scale():
    from neural import make_target
    gen = torch.Generator().manual_seed(5)
    gmm = make_target("gmm")
    points, x = gmm.sample(2000, generator=gen), gmm.sample(300, generator=gen)
    for t in (0.02, 1.0):
        low = KDEScore(points, 0.6)(x, t).double()
        high = KDEScore(points.double(), 0.6)(x.double(), t)
        assert float((low - high).norm(dim=1).max() / high.norm(dim=1).mean()) < 1e-4
