"""Any Gaussian-transition sampler (THEORY.md §8; gaussian_sampler.py, gaussian_chain.py, grid_chain.py)
against independent answers.

* DDPM ancestral sampling (both variances) and Euler-Maruyama on a non-uniform grid, Gaussian target,
  affine score: the grid engine (trapezoid transitions) against the Gaussian closed form (moment
  recursion), to 1e-8; the closed form itself against a scalar recursion written out here from the
  betas (Ho et al. 2020, Algorithm 2) and, for EM on a uniform grid, against linear_sde.
* The path energy sum_k E|d_k|^2 / v_k against the closed form, and eta of the DDPM chain on the grid
  against a Monte Carlo of M = -sum_k d_k . z_k / sqrt(v_k) (regression of M on Y_K).
* Controls: the other variance, a mutated beta, clipping, each moves the answer far beyond the tolerance.
The sampler-vs-samples KS tests (torch sampler) are in tests/test_neural_core_chain_samplers.py.
"""
import math

import numpy as np
import pytest

from gaussian_exact import (AffineError, Gaussian, GridLaw, TimeGrid, ddpm_ancestral, euler_maruyama, final_step_law,
                            gaussian_chain, linear_betas, path_energy, reverse, run_grid_chain)

BETAS = linear_betas(40, 0.01, 0.3)


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def scalar_ddpm_moments(m, S, betas, variance, W=0.0, xi=0.0):
    """Mean and variance of x_1 for x_N ~ N(0, 1), score -(x - a m)/Sig + W x + xi, written from Algorithm 2."""
    abar = np.cumprod(1.0 - np.asarray(betas))
    mean, var = 0.0, 1.0
    for i in range(len(betas) - 1, 0, -1):            # 0-based i: steps N..2
        beta, ab, ab_prev = betas[i], abar[i], abar[i - 1]
        sig = ab * S + (1.0 - ab)
        slope = -1.0 / sig + W                         # score = slope x + const
        const = math.sqrt(ab) * m / sig + xi
        A = (1.0 + beta * slope) / math.sqrt(1.0 - beta)
        b = beta * const / math.sqrt(1.0 - beta)
        v = beta if variance == "beta" else beta * (1.0 - ab_prev) / (1.0 - ab)
        mean, var = A * mean + b, A * A * var + v
    return mean, var


@pytest.mark.parametrize("variance", ["beta", "posterior"])
def test_ddpm_closed_form_against_the_scalar_recursion_of_algorithm_2(variance):
    err = AffineError(W=0.2, xi=0.1)
    target = Gaussian([0.7], [[0.5]])
    out = gaussian_chain(target, ddpm_ancestral(BETAS, variance), err).out
    mean, var = scalar_ddpm_moments(0.7, 0.5, BETAS, variance, 0.2, 0.1)
    assert abs(out.mean[0] - mean) < 1e-13 and abs(out.cov[0, 0] - var) < 1e-13
    other = scalar_ddpm_moments(0.7, 0.5, BETAS, "posterior" if variance == "beta" else "beta", 0.2, 0.1)[1]
    assert abs(out.cov[0, 0] - other) > 1e-3            # control: the other variance is far off


def test_uniform_em_sampler_reproduces_the_linear_sde_recursion():
    target = Gaussian([0.3, -0.2], [[0.6, 0.2], [0.2, 0.9]])
    err = AffineError(W=[[0.1, 0.05], [-0.05, 0.2]], xi=[0.1, 0.0])
    sched = TimeGrid(T=4.0, t0=0.02, steps=50)
    ours = gaussian_chain(target, euler_maruyama(sched), err)
    ref = reverse(target, err, 4.0, 0.02, 50)
    assert rel(ours.out.mean, ref.mean) < 1e-12 and rel(ours.out.cov, ref.cov) < 1e-12
    assert abs(ours.energy - path_energy(target, err, 4.0, 0.02, "learned", 50)) < 1e-12 * ours.energy


def _gauss_grid(target, spacing, half_width=9.0):
    d = target.dim
    return GridLaw.mixture([1.0], target.mean[None, :], [target.cov] if d > 1 else [target.cov[0, 0]],
                           points=int(math.ceil(2 * half_width / spacing)), bounds=[(-half_width, half_width)] * d)


def _compare_grid_and_closed_form(target, sampler, err, spacing, tol, half_width=9.0):
    law = _gauss_grid(target, spacing, half_width)
    r = run_grid_chain(law, err, sampler=sampler)
    learned, ideal = gaussian_chain(target, sampler, err), gaussian_chain(target, sampler, err, path="ideal")
    assert rel(r.learned.mean(), learned.out.mean) < tol and rel(r.learned.cov(), learned.out.cov) < tol
    assert rel(r.ideal.mean(), ideal.out.mean) < tol and rel(r.ideal.cov(), ideal.out.cov) < tol
    assert abs(r.epshat2 - learned.energy) < tol * learned.energy and abs(r.eps2 - ideal.energy) < tol * ideal.energy
    return r


def _final_map(target, err, t1):
    """DDPM's last step written here from THEORY.md §1 and Algorithm 2 for a Gaussian target and an affine
    learned score s(x) = -V^{-1} (x - a m) + W x + xi at t_1 (V = abar_1 S + (1 - abar_1) I, a = sqrt(abar_1)):
    x_0 = m(x_1) = A x_1 + b with m(x) = (x + (1 - abar_1) s(x)) / a. Returns (A, b, score)."""
    d = target.dim
    ab = math.exp(-t1)
    Vi = np.linalg.inv(ab * target.cov + (1 - ab) * np.eye(d))

    def score(x, t):
        return -(x - math.sqrt(ab) * target.mean) @ Vi.T + err(x, t1)

    x = np.vstack([np.zeros(d), np.eye(d)])
    m = (x + (1 - ab) * score(x, t1)) / math.sqrt(ab)        # affine: A e_i = m(e_i) - m(0)
    return (m[1:] - m[0]).T, m[0], score


def _check_final_step_1d(target, betas, variance, err, r):
    """x_0's law (FinalStepLaw) against the Gaussian pushforward A x_1 + b of the closed-form x_1: CDF, mean,
    variance; the clipped final step (c = 1) applied to the same x_1: atoms P(x0_hat <= -1), P(x0_hat >= 1)."""
    from scipy.special import ndtr
    sampler = ddpm_ancestral(betas, variance)
    x1 = gaussian_chain(target, sampler, err).out
    A, b, score = _final_map(target, err, float(sampler.schedule.t0))
    mean, sd = float(A[0, 0] * x1.mean[0] + b[0]), abs(float(A[0, 0])) * math.sqrt(x1.cov[0, 0])
    c = np.linspace(mean - 7 * sd, mean + 7 * sd, 4001)
    law = r.learned_x0
    assert np.max(np.abs(law.cdf(c) - ndtr((c - mean) / sd))) < 1e-9
    assert abs(law.mean[0] - mean) < 1e-9 and abs(law.cov[0, 0] - sd * sd) < 1e-9
    closed = reverse(target, err, sampler=sampler)                    # the Gaussian x_0 of final_step_gaussian
    assert abs(closed.mean[0] - mean) < 1e-12 and abs(closed.cov[0, 0] - sd * sd) < 1e-12
    assert reverse(target, err, sampler=sampler, final_step=False).cov[0, 0] == x1.cov[0, 0]
    # control: the law without the final step (x_1's) is another law, far beyond the tolerance
    assert np.max(np.abs(ndtr((c - x1.mean[0]) / math.sqrt(x1.cov[0, 0])) - ndtr((c - mean) / sd))) > 1e-3
    clipped = final_step_law(r.learned, ddpm_ancestral(betas, variance, clip_sample=True), score)
    low, high = ndtr((-1 - mean) / sd), 1 - ndtr((1 - mean) / sd)
    assert high > 0.1 and abs(clipped.atom_masses()[0] - low) < 1e-9 and abs(clipped.atom_masses()[1] - high) < 1e-9
    inside = np.linspace(-0.999, 0.999, 301)
    assert np.max(np.abs(clipped.cdf(inside) - ndtr((inside - mean) / sd))) < 1e-9
    assert clipped.cdf(1.0) == 1.0 and abs(clipped.cdf_left(1.0) - (1 - high)) < 1e-9
    assert clipped.cdf_left(-1.0) == 0.0 and abs(clipped.cdf(-1.0) - low) < 1e-9


@pytest.mark.parametrize("variance", ["beta", "posterior"])
def test_ddpm_grid_law_matches_the_gaussian_closed_form_1d(variance):
    target = Gaussian([0.7], [[0.5]])
    err = AffineError(W=0.2, xi=0.1)
    r = _compare_grid_and_closed_form(target, ddpm_ancestral(BETAS, variance), err, 0.02, 1e-8)
    _check_final_step_1d(target, BETAS, variance, err, r)
    # control: a mutated beta schedule gives another law, far beyond the tolerance
    mutated = gaussian_chain(target, ddpm_ancestral(BETAS * 1.05, variance), err).out
    assert rel(r.learned.cov(), mutated.cov) > 1e-5


def _check_final_step_2d(target, betas, variance, err, r):
    """2-D: x_0's law against the Gaussian pushforward A x_1 + b: each marginal CDF (measured error 5e-6 at
    spacing 0.13, refine 4: the sub-cells' affine pieces), an oblique projection (1e-9), mean and covariance;
    the clipped final step on the same x_1: the mass on each edge (a marginal atom, closed form by ndtr, 2e-9)
    and on the corners (bivariate normal orthants; sub-cell classification, 1e-5)."""
    from scipy.special import ndtr
    from scipy.stats import multivariate_normal
    sampler = ddpm_ancestral(betas, variance)
    x1 = gaussian_chain(target, sampler, err).out
    A, b, score = _final_map(target, err, float(sampler.schedule.t0))
    mean, cov = A @ x1.mean + b, A @ x1.cov @ A.T
    law = r.learned_x0
    c = np.linspace(-4.0, 4.0, 1601)
    for u, tol in ((np.array([1.0, 0.0]), 2e-5), (np.array([0.0, 1.0]), 2e-5),
                   (np.array([math.cos(0.7), math.sin(0.7)]), 1e-7)):
        exact = ndtr((c - u @ mean) / math.sqrt(u @ cov @ u))
        assert np.max(np.abs(law.cdf(c, u) - exact)) < tol, u
    assert rel(law.mean, mean) < 1e-9 and rel(law.cov, cov) < 1e-6
    closed = reverse(target, err, sampler=sampler)
    assert rel(closed.mean, mean) < 1e-12 and rel(closed.cov, cov) < 1e-12
    # control: x_1's law (without the final step) is far off
    assert np.max(np.abs(ndtr((c - x1.mean[0]) / math.sqrt(x1.cov[0, 0]))
                         - ndtr((c - mean[0]) / math.sqrt(cov[0, 0])))) > 1e-3
    clipped = final_step_law(r.learned, ddpm_ancestral(betas, variance, clip_sample=True), score)
    for k in range(2):
        sd = math.sqrt(cov[k, k])
        atoms = (ndtr((-1 - mean[k]) / sd), 1 - ndtr((1 - mean[k]) / sd))
        assert np.max(np.abs(np.array(clipped.atom_masses(k)) - atoms)) < 1e-7
        inside = np.linspace(-0.999, 0.999, 201)
        assert np.max(np.abs(clipped.marginal_cdf(inside, k) - ndtr((inside - mean[k]) / sd))) < 2e-5
    corners = np.array([[multivariate_normal(mean * [si, sj], cov * np.outer([si, sj], [si, sj])).cdf([-1.0, -1.0])
                         for sj in (1, -1)] for si in (1, -1)])      # [i, j]: P(s_i x >= 1, s_j y >= 1), s = (-1, 1)
    assert clipped.corner_masses.sum() > 0.01 and np.max(np.abs(clipped.corner_masses - corners)) < 5e-5


@pytest.mark.parametrize("variance", ["beta", pytest.param("posterior", marks=pytest.mark.slow)])
def test_ddpm_grid_law_matches_the_gaussian_closed_form_2d(variance):
    target = Gaussian([0.4, -0.3], [[0.5, 0.15], [0.15, 0.8]])
    err = AffineError(W=0.15, xi=[0.1, -0.05])
    betas = linear_betas(15, 0.03, 0.4)                        # smallest step variance 0.03 (beta): spacing 0.13
    spacing = 0.05 if variance == "posterior" else 0.13
    r = _compare_grid_and_closed_form(target, ddpm_ancestral(betas, variance), err, spacing, 1e-8, half_width=8.5)
    _check_final_step_2d(target, betas, variance, err, r)
    # control: a mutated beta schedule gives another law, far beyond the tolerance
    mutated = gaussian_chain(target, ddpm_ancestral(betas * 1.05, variance), err).out
    assert rel(r.learned.cov(), mutated.cov) > 1e-5


def test_em_on_a_non_uniform_grid_matches_the_gaussian_closed_form():
    times = 4.0 * np.linspace(1.0, 0.0, 61) ** 2 + 0.02      # denser near t0, like an EDM grid
    sched = TimeGrid(times=times)
    target = Gaussian([0.5], [[0.4]])
    err = AffineError(W=0.3, xi=-0.1)
    sampler = euler_maruyama(sched)
    assert not np.allclose(sampler.variance, sampler.variance[0])
    _compare_grid_and_closed_form(target, sampler, err, 0.025, 1e-8)
    # the keyword form's uniform chain of the same window is another chain (control)
    uniform = reverse(target, err, 4.02, 0.02, 60)
    assert rel(gaussian_chain(target, sampler, err).out.cov, uniform.cov) > 1e-4


def test_schedule_object_and_keyword_form_give_identical_results():
    target = Gaussian([0.5], [[0.4]])
    err = AffineError(W=0.3, xi=-0.1)
    sched = TimeGrid(T=3.0, t0=0.05, steps=40, init="exact")
    a = reverse(target, err, schedule=sched)
    b = reverse(target, err, 3.0, 0.05, 40, init="exact")
    assert np.array_equal(a.mean, b.mean) and np.array_equal(a.cov, b.cov)
    assert path_energy(target, err, schedule=sched) == path_energy(target, err, 3.0, 0.05, steps=40, init="exact")
    law = _gauss_grid(target, 0.05)
    r1 = run_grid_chain(law, err, schedule=sched)
    r2 = run_grid_chain(law, err, 3.0, 0.05, 40, "exact")
    assert np.array_equal(r1.learned.density, r2.learned.density) and r1.eps2 == r2.eps2


def test_ddpm_eta_on_the_grid_against_monte_carlo_of_the_martingale():
    """eta = Var E[M | Y_K] / eps2 with M = -sum_k d_k . z_k / sqrt(v_k) along the ideal DDPM chain: for a
    Gaussian target and a state-independent error, M and Y_K are jointly Gaussian, so E[M | Y_K] is linear
    and its variance is Cov(M, Y_K)^2 / Var Y_K (estimated from simulated paths)."""
    betas = linear_betas(20, 0.02, 0.3)
    sampler = ddpm_ancestral(betas, "beta")
    target = Gaussian([0.3], [[0.5]])
    xi = lambda t: 0.3 * math.exp(-t)                    # noqa: E731  a time-only error
    law = _gauss_grid(target, 0.02)
    r = run_grid_chain(law, lambda x, t: np.full_like(x, xi(t)), sampler=sampler, learned=False, track_eta=True)
    rng = np.random.default_rng(3)
    n = 400_000
    y = rng.standard_normal(n)
    M = np.zeros(n)
    for k, t in enumerate(sampler.times):
        a, s2 = math.exp(-t / 2), -math.expm1(-t)
        s = -(y - a * 0.3) / (a * a * 0.5 + s2)
        z = rng.standard_normal(n)
        d = float(sampler.gain[k]) * xi(t)
        M -= d * z / math.sqrt(sampler.variance[k])
        y = sampler.mean(k, y, s) + math.sqrt(sampler.variance[k]) * z
    c = np.cov(M, y)
    eta_mc = c[0, 1] ** 2 / c[1, 1] / r.eps2
    assert abs(M.var() - r.eps2) < 5 * r.eps2 * math.sqrt(2 / n)
    se = 3 * eta_mc / math.sqrt(n) + 4 * math.sqrt(eta_mc / n)
    assert abs(r.eta - eta_mc) < se and 0.05 < r.eta < 1


@pytest.mark.parametrize("variance", ["beta", "posterior"])
def test_ddpm_tilted_moment_of_a_time_only_error_is_exact(variance):
    """THEORY.md §8: a time-only error gives log E*[Lambda^a] = a (a - 1) eps2 / 2 exactly, with
    eps2 = sum_k |d_k|^2 / v_k, d_k = beta_i / sqrt(1 - beta_i) xi(t_i) (written here from the betas)."""
    from gaussian_exact import grid_path_moments
    betas = linear_betas(20, 0.02, 0.3)
    xi = lambda t: 0.4 * math.exp(-0.5 * t)               # noqa: E731
    abar = np.cumprod(1 - betas)
    eps2 = 0.0
    for i in range(len(betas) - 1, 0, -1):
        v = betas[i] if variance == "beta" else betas[i] * (1 - abar[i - 1]) / (1 - abar[i])
        eps2 += (betas[i] / math.sqrt(1 - betas[i]) * xi(-math.log(abar[i]))) ** 2 / v
    law = _gauss_grid(Gaussian([0.2], [[0.5]]), 0.02)
    r = grid_path_moments(law, lambda x, t: np.full_like(x, xi(t)), (2.0, 3.0), sampler=ddpm_ancestral(betas, variance))
    assert abs(r.eps2 - eps2) < 1e-12 * eps2
    for a, m in zip((2.0, 3.0), r.tilted):
        assert abs(m.log_moment - a * (a - 1) * eps2 / 2) < 1e-8 * eps2


def test_every_exact_function_takes_the_schedule_object():
    from gaussian_exact import generations, observability, path_renyi, tilted_moment
    g, err = Gaussian([0.1, 0.3], [[0.5, 0.1], [0.1, 0.4]]), AffineError(W=0.1, xi=[0.05, 0.0])
    sched = TimeGrid(T=3.0, t0=0.1, steps=25, init="exact")
    kw = dict(T=3.0, t0=0.1, steps=25, init="exact")
    assert observability(g, err, schedule=sched) == observability(g, err, **kw)
    assert tilted_moment(g, err, 2.0, schedule=sched).log_moment == tilted_moment(g, err, 2.0, **kw).log_moment
    assert path_renyi(g, err, 1.0, schedule=sched) == path_renyi(g, err, 1.0, **kw)
    a, b = generations(g, 0.5, 2, err, schedule=sched), generations(g, 0.5, 2, err, **kw)
    assert np.array_equal(a.laws[-1].cov, b.laws[-1].cov)
    with pytest.raises(ValueError, match="schedule"):
        observability(g, err, schedule=TimeGrid(times=[3.0, 1.0, 0.1]))
