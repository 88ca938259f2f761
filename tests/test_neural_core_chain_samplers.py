"""The torch Gaussian-transition samplers (neural.sample_chain, neural.ddpm_ancestral_sample) against the exact
law gaussian_exact computes for the same sampler description (THEORY.md §8).

* DDPM ancestral sampling, 1-D (both variances) and 2-D, with and without x0 clipping, on a two-component
  mixture with a non-affine learned score: 20,000 samples against the grid law by Kolmogorov-Smirnov (1-D;
  2-D: each marginal and an oblique projection), p > 1e-3: x_1 against the chain's GridLaw, and DDPM's
  output x_0 (the last noiseless step; atoms at the clip bounds) against `learned_x0` (a KS that counts
  ties at an atom together). Controls: the clipped samples against the unclipped law, and x_0 against the
  law without the final step, must be rejected.
* The shared coefficients: sample_chain with the EM description reproduces neural.euler_maruyama, and
  ddpm_ancestral_sample (with the final denoising step) reproduces neural.ddpm_sample, on the same noise.
"""
import math

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.special import ndtr

from gaussian_exact import GridLaw, TimeGrid, ddpm_ancestral, euler_maruyama, linear_betas, run_grid_chain
from neural import ddpm_ancestral_sample, ddpm_sample, euler_maruyama as em_sample, sample_chain
from neural.devices import cpu_threads
from neural.sampling import time_grid

from tests._exact_helpers import ks_p_with_atoms

N_SAMPLES = 20_000


@pytest.fixture(autouse=True)
def one_thread():
    with cpu_threads(1):
        yield


def mixture_score(weights, means, var):
    """Exact OU score of sum_j w_j N(m_j, var I) at time t, plus a learned error 0.3 tanh(x) (numpy), written
    here from THEORY.md §1: the forward law is sum_j w_j N(a m_j, (a^2 var + s^2) I)."""
    weights, means = np.asarray(weights), np.asarray(means, float)

    def score(x, t):
        a, s2 = math.exp(-t / 2), -math.expm1(-t)
        v = a * a * var + s2
        diff = x[:, None, :] - a * means[None]                         # (m, J, d)
        logw = np.log(weights) - 0.5 * np.sum(diff * diff, axis=-1) / v
        r = np.exp(logw - logw.max(axis=1, keepdims=True))
        r /= r.sum(axis=1, keepdims=True)
        return -np.einsum("mj,mjd->md", r, diff) / v + 0.3 * np.tanh(x)

    return score


def torch_of(f):
    return lambda y, t: torch.from_numpy(f(y.numpy(), t))


def grid_cdf(law: GridLaw, direction=None):
    """CDF of direction . X under the grid law: each node's mass spread by N(0, dx^2 / 12) (the trapezoid
    cell's own spread), so that nodes on one level line do not jump together."""
    w = (law.density * law.weights).ravel()
    x = law.points if direction is None else law.points @ np.asarray(direction)[:, None]
    x = x[:, 0]
    sd = float(np.max(law.spacing)) / math.sqrt(12)
    keep = w > 1e-13 * w.max()
    x, w = x[keep], w[keep]
    levels = np.linspace(x.min(), x.max(), 801)             # linear interpolation of the CDF: error ~ 1e-4
    values = np.array([float(np.sum(w * ndtr((c - x) / sd))) for c in levels]) / w.sum()
    return lambda c: np.interp(c, levels, values)


def ks_p(samples, cdf):
    return stats.kstest(np.sort(samples), cdf).pvalue


def final_step(sampler, score, y):
    """The torch sampler's own last step (sample_chain's final_denoise) on samples y of x_1."""
    return sampler.final_mean(y, torch_of(score)(y, sampler.schedule.t0))


BETAS = linear_betas(40, 0.01, 0.3)
MIX_1D = dict(weights=[0.4, 0.6], means=[[-1.4], [1.2]], var=0.09)


@pytest.mark.parametrize("variance,clip", [("beta", False), pytest.param("posterior", False, marks=pytest.mark.slow),
                                           pytest.param("beta", True, marks=pytest.mark.slow), ("posterior", True)])
def test_ddpm_1d_samples_follow_the_grid_law(variance, clip):
    score = mixture_score(**MIX_1D)
    law = GridLaw.mixture(MIX_1D["weights"], MIX_1D["means"], [MIX_1D["var"]] * 2, points=1000, bounds=(-8.0, 8.0))
    sampler = ddpm_ancestral(BETAS, variance, clip_sample=clip)
    exact = run_grid_chain(law, score=score, sampler=sampler, ideal=False)
    x = torch.randn(N_SAMPLES, 1, generator=torch.Generator().manual_seed(11), dtype=torch.float64)
    y_t = sample_chain(torch_of(score), x, sampler, generator=torch.Generator().manual_seed(12))
    y = y_t.numpy()[:, 0]
    assert ks_p(y, grid_cdf(exact.learned)) > 1e-3
    x0 = final_step(sampler, score, y_t).numpy()[:, 0]           # DDPM's output x_0 (clipped: atoms at +-1)
    assert ks_p_with_atoms(x0, exact.learned_x0) > 1e-3
    # control: the law without the final step (unclipped, x_0 is x_1 denoised by t_1 = 0.01: measured p 6e-7)
    assert ks_p(x0, grid_cdf(exact.learned)) < (1e-6 if clip else 1e-5)
    if clip:   # control: the unclipped chain's law is another law, and the test sees it
        assert np.mean(np.abs(x0) == 1.0) > 0.05
        unclipped = ddpm_ancestral(BETAS, variance)
        plain = run_grid_chain(law, score=score, sampler=unclipped, ideal=False)
        assert ks_p(y, grid_cdf(plain.learned)) < 1e-3
        assert ks_p_with_atoms(x0, plain.learned_x0) < 1e-6
        # the unclipped sampler's own x_0 against its law (no atoms)
        y_plain = sample_chain(torch_of(score), x, unclipped, generator=torch.Generator().manual_seed(13))
        assert ks_p_with_atoms(final_step(unclipped, score, y_plain).numpy()[:, 0], plain.learned_x0) > 1e-3


@pytest.mark.parametrize("clip", [pytest.param(False, marks=pytest.mark.slow), True])
def test_ddpm_2d_samples_follow_the_grid_law(clip):
    weights, means, var = [0.5, 0.5], [[-1.3, 0.4], [1.1, -0.9]], 0.16
    score = mixture_score(weights, means, var)
    law = GridLaw.mixture(weights, means, [var] * 2, points=130, bounds=[(-8.0, 8.0)] * 2)
    betas = linear_betas(15, 0.03, 0.4)
    sampler = ddpm_ancestral(betas, "beta", clip_sample=clip)
    run = run_grid_chain(law, score=score, sampler=sampler, ideal=False)
    exact = run.learned
    x = torch.randn(N_SAMPLES, 2, generator=torch.Generator().manual_seed(21), dtype=torch.float64)
    y_t = sample_chain(torch_of(score), x, sampler, generator=torch.Generator().manual_seed(22))
    y = y_t.numpy()
    oblique = np.array([math.cos(0.7), math.sin(0.7)])
    directions = (np.array([1.0, 0.0]), np.array([0.0, 1.0]), oblique)
    for direction in directions:
        assert ks_p(y @ direction, grid_cdf(exact, direction)) > 1e-3, direction
    x0 = final_step(sampler, score, y_t).numpy()                   # DDPM's output x_0 (clipped: edges, corners)
    for direction in directions:
        assert ks_p_with_atoms(x0 @ direction, run.learned_x0, direction) > 1e-3, direction
    # control: the law without the final step
    assert min(ks_p(x0 @ u, grid_cdf(exact, u)) for u in directions) < 1e-6
    if clip:
        assert np.mean(np.any(np.abs(x0) == 1.0, axis=1)) > 0.05
        unclipped = ddpm_ancestral(betas, "beta")
        plain = run_grid_chain(law, score=score, sampler=unclipped, ideal=False)
        assert min(ks_p(y @ u, grid_cdf(plain.learned, u)) for u in directions[:2]) < 1e-3
        assert min(ks_p_with_atoms(x0 @ u, plain.learned_x0, u) for u in directions) < 1e-6
        # the unclipped sampler's own x_0 against its law
        y_plain = sample_chain(torch_of(score), x, unclipped, generator=torch.Generator().manual_seed(23))
        x0_plain = final_step(unclipped, score, y_plain).numpy()
        for direction in directions:
            assert ks_p_with_atoms(x0_plain @ direction, plain.learned_x0, direction) > 1e-3, direction


def _recorded_noise(seed):
    g = torch.Generator().manual_seed(seed)
    cache = {}

    def noise(k, shape):
        if k not in cache:
            cache[k] = torch.randn(shape, generator=g, dtype=torch.float64)
        return cache[k]
    return noise


def test_sample_chain_with_the_em_description_is_neural_euler_maruyama():
    score = torch_of(mixture_score(**MIX_1D))
    x = torch.randn(500, 1, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    noise = _recorded_noise(2)
    ours = sample_chain(score, x, euler_maruyama(TimeGrid(T=4.0, t0=0.02, steps=30)), noise=noise)
    ref = em_sample(score, x, time_grid(30), noise=noise)
    assert torch.allclose(ours, ref, rtol=1e-12, atol=1e-12)   # h = (T - t0)/K there, t_k - t_{k+1} here


@pytest.mark.parametrize("variance", ["beta", "posterior"])
def test_ddpm_ancestral_sample_is_neural_ddpm_sample(variance):
    eps_score = mixture_score(**MIX_1D)

    def eps(y, t):   # the eps-prediction of the score above: eps = -s_t score
        return -math.sqrt(-math.expm1(-t)) * torch.from_numpy(eps_score(y.numpy(), t))

    x = torch.randn(500, 1, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    noise = _recorded_noise(4)
    ours = ddpm_ancestral_sample(eps, x, BETAS, variance=variance, noise=noise, final_denoise=True)
    ref = ddpm_sample(eps, x, time_grid(betas=BETAS), noise=noise, variance=variance)
    assert torch.allclose(ours, ref, rtol=1e-10, atol=1e-10)
    other = ddpm_ancestral_sample(eps, x, BETAS, variance="posterior" if variance == "beta" else "beta", noise=noise,
                                  final_denoise=True)
    assert not torch.allclose(other, ref, rtol=1e-3, atol=1e-3)           # control
