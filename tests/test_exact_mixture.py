"""Gaussian mixtures: moment matching, and chi2 / KL of a Gaussian to a mixture against grid quadrature."""
import math

import numpy as np
import pytest
from scipy import integrate

from gaussian_exact import Gaussian
from gaussian_exact.mixture import GaussianMixture, chi2_to_mixture, kl_to_mixture
from tests._exact_helpers import random_spd


def grid_2d(f, half=12.0, n=1201):
    u = np.linspace(-half, half, n)
    xx, yy = np.meshgrid(u, u, indexing="ij")
    vals = f(np.stack([xx, yy], axis=-1))
    return integrate.trapezoid(integrate.trapezoid(vals, u, axis=1), u)


def test_moment_matching_two_components_theory_formula():
    rng = np.random.default_rng(0)
    a = 0.3
    g1 = Gaussian(rng.standard_normal(3), random_spd(rng, 3))
    g2 = Gaussian(rng.standard_normal(3), random_spd(rng, 3))
    mm = GaussianMixture([a, 1 - a], [g1, g2]).moment_matched()
    dm = g1.mean - g2.mean
    np.testing.assert_allclose(mm.mean, a * g1.mean + (1 - a) * g2.mean, atol=1e-14)
    np.testing.assert_allclose(mm.cov, a * g1.cov + (1 - a) * g2.cov + a * (1 - a) * np.outer(dm, dm), atol=1e-13)
    x = GaussianMixture([a, 1 - a], [g1, g2]).sample(400_000, rng=1)
    np.testing.assert_allclose(np.cov(x, rowvar=False), mm.cov, atol=0.03)


def test_one_dimensional_quadrature_against_fine_grid():
    p = Gaussian([0.2], [[0.8]])
    q = GaussianMixture([0.4, 0.6], [Gaussian([0.0], [[1.0]]), Gaussian([1.0], [[0.5]])])
    u = np.linspace(-25, 25, 200_001)[:, None]
    lp, lq = p.logpdf(u), q.logpdf(u)
    chi_ref = integrate.trapezoid(np.exp(2 * lp - lq), u[:, 0]) - 1
    kl_ref = integrate.trapezoid(np.exp(lp) * (lp - lq), u[:, 0])
    chi, err = chi2_to_mixture(p, q)
    assert chi == pytest.approx(chi_ref, rel=1e-9) and err < 1e-9
    assert kl_to_mixture(p, q)[0] == pytest.approx(kl_ref, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_two_dimensional_mixture_divergences_against_grid(seed):
    rng = np.random.default_rng(seed)
    comps = [Gaussian(0.5 * rng.standard_normal(2), random_spd(rng, 2, 0.4, 1.2)) for _ in range(2)]
    q = GaussianMixture([0.35, 0.65], comps)
    p = Gaussian(0.3 * rng.standard_normal(2), random_spd(rng, 2, 0.4, 1.0))
    chi_ref = grid_2d(lambda x: np.exp(2 * p.logpdf(x) - q.logpdf(x))) - 1
    kl_ref = grid_2d(lambda x: np.exp(p.logpdf(x)) * (p.logpdf(x) - q.logpdf(x)))
    chi, se = chi2_to_mixture(p, q, n=2 ** 16, rng=3, method="importance")
    assert abs(chi - chi_ref) < 4.5 * se and se < 0.03 * chi_ref
    k, se_k = kl_to_mixture(p, q, n=2 ** 16, rng=3, method="importance")
    assert abs(k - kl_ref) < 4.5 * se_k and se_k < 0.03 * kl_ref
    # the default (two components): exact, to the grid's own accuracy
    chi, err = chi2_to_mixture(p, q)
    k, err_k = kl_to_mixture(p, q)
    assert abs(chi - chi_ref) <= err + 1e-12 and err < 1e-12
    assert abs(k - kl_ref) <= err_k + 1e-12 and err_k < 1e-12


def test_divergence_detected_when_p_is_wider_than_every_component():
    p = Gaussian([0.0, 0.0], np.diag([3.0, 3.0]))
    q = GaussianMixture([0.5, 0.5], [Gaussian([0.0, 0.0], np.eye(2)), Gaussian([1.0, 0.0], np.eye(2))])
    assert chi2_to_mixture(p, q) == (math.inf, 0.0)


def test_finite_when_components_cover_each_others_bad_directions():
    """Each component alone gives chi2 = inf (A_j indefinite) but their mixture does not (Yuan's lemma)."""
    p = Gaussian([0.0, 0.0], np.eye(2))
    q = GaussianMixture([0.5, 0.5], [Gaussian([0.0, 0.0], np.diag([0.4, 10.0])),
                                     Gaussian([0.0, 0.0], np.diag([10.0, 0.4]))])
    chi, se = chi2_to_mixture(p, q, n=2 ** 16, rng=0)
    ref = grid_2d(lambda x: np.exp(2 * p.logpdf(x) - q.logpdf(x)), half=25, n=2001) - 1
    assert math.isfinite(chi) and abs(chi - ref) < 4.5 * se + 1e-3 * ref


def test_bad_weights_raise():
    with pytest.raises(ValueError, match="weights"):
        GaussianMixture([0.5, 0.6], [Gaussian([0.0], [[1.0]])] * 2)
