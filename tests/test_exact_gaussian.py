"""Gaussian: validation, logpdf and score against scipy / finite differences, sampling in CLT bands."""
import numpy as np
import pytest
from scipy import stats

from gaussian_exact import Gaussian
from tests._exact_helpers import random_spd


def test_non_spd_cov_names_cov_and_smallest_eigenvalue():
    with pytest.raises(ValueError, match=r"cov.*smallest eigenvalue is -1"):
        Gaussian([0.0, 0.0], [[1.0, 0.0], [0.0, -1.0]])
    with pytest.raises(ValueError, match=r"cov.*smallest eigenvalue is 0"):
        Gaussian([0.0, 0.0], [1.0, 0.0])


@pytest.mark.parametrize("mean, cov, word", [
    ([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], "symmetric"),
    ([0.0, 0.0], np.eye(3), "shape"),
    ([[0.0]], [[1.0]], "mean"),
    ([np.nan], [[1.0]], "mean"),
    ([0.0], [[np.inf]], "cov"),
])
def test_bad_input_raises_value_error(mean, cov, word):
    with pytest.raises(ValueError, match=word):
        Gaussian(mean, cov)


def test_logpdf_matches_scipy_full_and_diagonal():
    rng = np.random.default_rng(0)
    S = random_spd(rng, 4)
    m = rng.standard_normal(4)
    x = rng.standard_normal((7, 4))
    np.testing.assert_allclose(Gaussian(m, S).logpdf(x), stats.multivariate_normal(m, S).logpdf(x), rtol=1e-12)
    v = rng.uniform(0.5, 2, 4)
    np.testing.assert_allclose(Gaussian(m, v).logpdf(x), stats.multivariate_normal(m, np.diag(v)).logpdf(x),
                               rtol=1e-12)


def test_score_is_gradient_of_logpdf():
    rng = np.random.default_rng(1)
    g = Gaussian(rng.standard_normal(3), random_spd(rng, 3))
    x = rng.standard_normal(3)
    eps = 1e-6
    fd = np.array([(g.logpdf(x + eps * e) - g.logpdf(x - eps * e)) / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(g.score(x), fd, atol=1e-7)


def test_samples_have_the_law_moments_within_clt_bands():
    rng = np.random.default_rng(2)
    S = random_spd(rng, 3)
    m = rng.standard_normal(3)
    n = 200_000
    x = Gaussian(m, S).sample(n, rng=3)
    se_mean = np.sqrt(np.diag(S) / n)
    assert np.all(np.abs(x.mean(0) - m) < 4.5 * se_mean)
    se_cov = np.sqrt((np.outer(np.diag(S), np.diag(S)) + S ** 2) / n)
    assert np.all(np.abs(np.cov(x, rowvar=False) - S) < 4.5 * se_cov)
