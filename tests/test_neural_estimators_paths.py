"""Error injection, Monte-Carlo path energies and the regression estimate of eta, on Gaussian
targets with affine errors, against gaussian_exact (exact Euler-Maruyama chain moments)."""
import math

import numpy as np
import pytest
import torch

import gaussian_exact as ge
from neural.error_injection import (DriftAlignedScore, aligned_error, oscillating_xi,
                                    random_direction_error, random_direction_matrix, time_only_error)
from neural.observability import observability_mc
from neural.path_energy import denoising_loss_gap_mc, path_energy_mc
from neural.sde import VPSDE

MEAN = np.array([1.0, -0.5])
COV = np.array([[0.6, 0.2], [0.2, 0.4]])
T, T0, K = 4.0, 0.02, 40


def exact_score(x, t):
    """grad log of N(a_t m, a_t^2 S + s_t^2 I) (THEORY.md §4), written out here in the eigenbasis
    of S; t a float or one time per row."""
    t = torch.as_tensor(t, dtype=x.dtype).reshape(-1, 1)
    a, s2 = torch.exp(-t / 2), -torch.expm1(-t)
    lam, U = (torch.as_tensor(v, dtype=x.dtype) for v in np.linalg.eigh(COV))
    r = (x - a * torch.as_tensor(MEAN, dtype=x.dtype)) @ U
    return -(r / (a * a * lam + s2)) @ U.T


def as_affine(wrapped):
    W, xi = wrapped.affine_parts(1.0)
    return ge.AffineError(W=W, xi=xi)


def start(n, seed):
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_error_injection_adds_the_stated_affine_error():
    x = torch.randn(5, 3, dtype=torch.float64)
    zero = lambda y, t: torch.zeros_like(y)
    assert torch.allclose(aligned_error(zero, 0.3, 3)(x, 1.0), 0.3 * x)
    assert torch.allclose(aligned_error(zero, [0.1, 0.2, 0.3], 3)(x, 1.0), x * torch.tensor([0.1, 0.2, 0.3], dtype=x.dtype))
    G = random_direction_matrix(3, seed=1)
    assert float(G.norm()) == pytest.approx(math.sqrt(3))
    assert torch.allclose(random_direction_error(zero, 0.5, 3, seed=1)(x, 2.0), 0.5 * x @ G.T)
    xi = oscillating_xi(0.7, [1.0, 0.0, 0.0], T=T, t0=T0)
    grid = np.linspace(T0, T, 20001)
    vals = np.array([xi(t)[0] for t in grid])
    assert abs(np.trapezoid(vals, grid)) < 1e-8 < np.trapezoid(np.abs(vals), grid)
    per_row_t = torch.linspace(0.1, 3.0, 5, dtype=torch.float64)
    got = time_only_error(zero, xi)(x, per_row_t)
    assert torch.allclose(got[2], torch.as_tensor(xi(float(per_row_t[2])), dtype=x.dtype))
    with pytest.raises(ValueError, match="w must be"):
        aligned_error(zero, [0.1, 0.2], 3)


@pytest.mark.parametrize("path", ["ideal", "learned"])
def test_path_energy_matches_the_exact_chain_energy(path):
    learned = aligned_error(exact_score, 0.4, 2)
    target = ge.Gaussian(MEAN, COV)
    out = path_energy_mc(learned, exact_score, start(3000, 0), path=path, sde=VPSDE(T, T0), steps=K,
                      generator=torch.Generator().manual_seed(1))
    exact = ge.path_energy(target, as_affine(learned), T, T0, path=path, steps=K)
    other = ge.path_energy(target, as_affine(learned), T, T0, path={"ideal": "learned", "learned": "ideal"}[path], steps=K)
    assert abs(out.value - exact) < 4 * out.se
    assert abs(out.value - other) > 4 * out.se  # control: the other path's energy is rejected


def test_path_energy_of_a_constant_bias_is_deterministic():
    xi = torch.tensor([0.3, -0.4], dtype=torch.float64)
    out = path_energy_mc(time_only_error(exact_score, xi), exact_score, start(10, 0), sde=VPSDE(T, T0), steps=K)
    assert out.value == pytest.approx((T - T0) * 0.25, rel=1e-12) and out.se == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize("kind", ["aligned", "random", "time_only"])
def test_eta_regression_agrees_with_exact_observability(kind):
    learned = {"aligned": aligned_error(exact_score, 0.3, 2),
               "random": random_direction_error(exact_score, 0.3, 2, seed=3),
               "time_only": time_only_error(exact_score, [0.3, 0.1])}[kind]
    out = observability_mc(learned, exact_score, start(4000, 5), sde=VPSDE(T, T0), steps=K,
                        generator=torch.Generator().manual_seed(6))
    target = ge.Gaussian(MEAN, COV)
    eta = ge.observability(target, as_affine(learned), T, T0, steps=K)
    eps2 = ge.path_energy(target, as_affine(learned), T, T0, path="ideal", steps=K)
    assert abs(out["eta"].value - eta) < 4 * out["eta"].se + 0.01
    assert abs(out["eps2"].value - eps2) < 4 * out["eps2"].se + 1e-12  # se = 0 for time-only errors
    assert abs(out["eta"].value - 0.5 * eta) > 4 * out["eta"].se + 0.01  # control: a halved eta is rejected


def test_oscillating_time_only_error_is_nearly_invisible_at_the_endpoint():
    xi = oscillating_xi(0.5, [1.0, 0.0], T=T, t0=T0, cycles=3)
    out = observability_mc(time_only_error(exact_score, xi), exact_score, start(3000, 7), sde=VPSDE(T, T0),
                        steps=K, generator=torch.Generator().manual_seed(8))
    eta = ge.observability(ge.Gaussian(MEAN, COV), ge.AffineError(xi=lambda t: np.asarray(xi(t))), T, T0, steps=K)
    assert eta < 0.05 and abs(out["eta"].value - eta) < 4 * out["eta"].se + 0.01


def test_denoising_loss_gap_with_the_exact_reference_estimates_eps2():
    learned = aligned_error(exact_score, 0.4, 2)
    target = ge.Gaussian(MEAN, COV)
    gen = torch.Generator().manual_seed(9)
    data = torch.as_tensor(target.sample(20000, rng=10))
    out = denoising_loss_gap_mc(learned, exact_score, data, sde=VPSDE(T, T0), generator=gen)
    exact = ge.path_energy(target, as_affine(learned), T, T0, path="ideal", steps=None, init="exact")
    assert abs(out.value - exact) < 4 * out.se
    assert abs(out.value - 1.5 * exact) > 4 * out.se  # control


def test_drift_aligned_error_matches_its_affine_form_on_a_gaussian_target():
    """e = w (x/2 + score) = W(t) x + xi(t) with W = w (I/2 - Sig_t^-1), xi = w a_t Sig_t^-1 m."""
    w = 0.2

    def sig_inv(t):
        return np.linalg.inv(math.exp(-t) * COV + -math.expm1(-t) * np.eye(2))

    affine = ge.AffineError(W=lambda t: w * (0.5 * np.eye(2) - sig_inv(t)),
                            xi=lambda t: w * math.exp(-t / 2) * sig_inv(t) @ MEAN)
    learned = DriftAlignedScore(exact_score, w)
    x = torch.randn(4, 2, dtype=torch.float64)
    assert np.allclose(learned.error(x, 1.3).numpy(), affine(x.numpy(), 1.3))
    out = observability_mc(learned, exact_score, start(4000, 11), sde=VPSDE(T, T0), steps=K,
                        generator=torch.Generator().manual_seed(12))
    target = ge.Gaussian(MEAN, COV)
    assert abs(out["eta"].value - ge.observability(target, affine, T, T0, steps=K)) < 4 * out["eta"].se + 0.01
    assert abs(out["eps2"].value - ge.path_energy(target, affine, T, T0, path="ideal", steps=K)) < 4 * out["eps2"].se


def test_path_monte_carlo_and_denoising_gap_agree_for_a_kde_score():
    """A non-affine error (KDE of 200 points vs the exact score of N(0, I_2)): the ideal-path Riemann
    sum and the denoising-loss gap are independent estimators of the same eps2 (up to the N(0, I)
    start, O(e^-T), and the Riemann error, both well under the 0.01 allowance here)."""
    from neural.kde_score import KDEScore
    from neural.targets import make_target

    target = make_target("gaussian", dim=2, std=1.0)
    gen = torch.Generator().manual_seed(0)
    kde = KDEScore(target.sample(200, generator=gen, dtype=torch.float64), 0.6)
    paths = path_energy_mc(kde, target.score, torch.randn(2000, 2, generator=gen, dtype=torch.float64),
                        sde=VPSDE(T, T0), steps=100, generator=gen)
    gap = denoising_loss_gap_mc(kde, target.score, target.sample(100000, generator=gen, dtype=torch.float64),
                             sde=VPSDE(T, T0), generator=gen)
    band = 4 * math.hypot(paths.se, gap.se) + 0.01
    assert abs(paths.value - gap.value) < band
    assert abs(2 * paths.value - gap.value) > band  # control
