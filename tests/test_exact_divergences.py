"""Closed-form divergences against quadrature (1-D, 2-D), Monte Carlo (d = 5) and coupling bounds."""
import math

import numpy as np
import pytest
from scipy import integrate

from gaussian_exact import Gaussian, chi2, kl, renyi2, w2
from tests._exact_helpers import random_spd


def _quad_1d(f, lo=-30, hi=30):
    return integrate.quad(f, lo, hi, limit=400, epsabs=1e-13, epsrel=1e-12)[0]


@pytest.mark.parametrize("m1, v1, m2, v2", [(0.3, 0.7, -0.2, 1.1), (1.0, 0.2, 0.0, 2.5), (0.0, 1.5, 0.5, 1.0)])
def test_one_dimensional_against_quadrature(m1, v1, m2, v2):
    p, q = Gaussian([m1], [[v1]]), Gaussian([m2], [[v2]])
    lp = lambda x: p.logpdf(np.array([x]))
    lq = lambda x: q.logpdf(np.array([x]))
    kl_quad = _quad_1d(lambda x: math.exp(lp(x)) * (lp(x) - lq(x)))
    chi2_quad = _quad_1d(lambda x: math.exp(2 * lp(x) - lq(x))) - 1
    assert kl(p, q) == pytest.approx(kl_quad, rel=1e-9, abs=1e-12)
    assert chi2(p, q) == pytest.approx(chi2_quad, rel=1e-9)
    assert renyi2(p, q) == pytest.approx(math.log1p(chi2_quad), rel=1e-9)
    # W2 in 1-D: the quantile coupling, int_0^1 (F^-1(u) - G^-1(u))^2 du
    from scipy.stats import norm
    w2_quad = integrate.quad(lambda u: (m1 + math.sqrt(v1) * norm.ppf(u) - m2 - math.sqrt(v2) * norm.ppf(u)) ** 2,
                             0, 1, limit=200)[0]
    assert w2(p, q) == pytest.approx(math.sqrt(w2_quad), rel=1e-7)


def test_two_dimensional_against_quadrature():
    """Trapezoid rule on a fine grid: spectrally accurate for these smooth, fast-decaying integrands."""
    rng = np.random.default_rng(0)
    p = Gaussian(rng.standard_normal(2) * 0.5, random_spd(rng, 2, 0.5, 1.0))
    q = Gaussian(rng.standard_normal(2) * 0.5, random_spd(rng, 2, 0.8, 1.5))
    u = np.linspace(-12, 12, 1201)
    xx, yy = np.meshgrid(u, u, indexing="ij")
    pts = np.stack([xx, yy], axis=-1)
    lp, lq = p.logpdf(pts), q.logpdf(pts)
    integral = lambda f: integrate.trapezoid(integrate.trapezoid(f, u, axis=1), u)
    assert kl(p, q) == pytest.approx(integral(np.exp(lp) * (lp - lq)), rel=1e-9)
    assert chi2(p, q) == pytest.approx(integral(np.exp(2 * lp - lq)) - 1, rel=1e-9)


def test_w2_is_the_best_gaussian_coupling_in_2d():
    """W2^2 = |dm|^2 + tr S1 + tr S2 - 2 max_R tr(R L2^T L1) over orthogonal R (joint-Gaussian couplings)."""
    rng = np.random.default_rng(4)
    S1, S2 = random_spd(rng, 2), random_spd(rng, 2)
    m1, m2 = rng.standard_normal(2), rng.standard_normal(2)
    M = np.linalg.cholesky(S2).T @ np.linalg.cholesky(S1)
    th = np.linspace(0, 2 * np.pi, 2_000_001)
    c, s = np.cos(th), np.sin(th)
    rotations = c * (M[0, 0] + M[1, 1]) + s * (M[0, 1] - M[1, 0])
    reflections = c * (M[0, 0] - M[1, 1]) + s * (M[1, 0] + M[0, 1])
    best = max(rotations.max(), reflections.max())
    brute = math.sqrt(np.sum((m1 - m2) ** 2) + np.trace(S1) + np.trace(S2) - 2 * best)
    assert w2(Gaussian(m1, S1), Gaussian(m2, S2)) == pytest.approx(brute, rel=1e-9)


def test_five_dimensional_against_monte_carlo():
    rng = np.random.default_rng(1)
    d, n = 5, 400_000
    p = Gaussian(0.3 * rng.standard_normal(d), random_spd(rng, d, 0.5, 1.0))
    q = Gaussian(0.3 * rng.standard_normal(d), random_spd(rng, d, 0.7, 1.5))
    x = p.sample(n, rng=5)
    llr = p.logpdf(x) - q.logpdf(x)
    assert abs(kl(p, q) - llr.mean()) < 4.5 * llr.std() / math.sqrt(n)
    ratio = np.exp(llr)  # E_p[p/q] = 1 + chi2
    assert abs(chi2(p, q) - (ratio.mean() - 1)) < 4.5 * ratio.std() / math.sqrt(n)


def test_chi2_is_inf_not_nan_when_A_is_not_positive_definite():
    p, q = Gaussian([0.0, 0.0], [[3.0, 0.0], [0.0, 1.0]]), Gaussian([0.0, 0.0], np.eye(2))
    assert chi2(p, q) == math.inf and renyi2(p, q) == math.inf
    # boundary 2/3 - 1/1.5 = 0: still divergent
    assert chi2(Gaussian([0.0], [[1.5]]), Gaussian([0.0], [[0.75]])) == math.inf
    # finite side of the boundary
    assert math.isfinite(chi2(Gaussian([0.0], [[1.49]]), Gaussian([0.0], [[0.75]])))
    # overflow: huge but finite renyi2 gives chi2 = inf, never NaN
    far = chi2(Gaussian([40.0], [[1.0]]), Gaussian([0.0], [[1.0]]))
    assert far == math.inf and renyi2(Gaussian([40.0], [[1.0]]), Gaussian([0.0], [[1.0]])) == pytest.approx(1600)


def test_equal_covariances_closed_form():
    """THEORY.md section 4: equal covariances give chi2 = exp(D^T S^-1 D) - 1."""
    rng = np.random.default_rng(2)
    S = random_spd(rng, 3)
    D = 0.4 * rng.standard_normal(3)
    assert chi2(Gaussian(D, S), Gaussian(np.zeros(3), S)) == pytest.approx(math.expm1(D @ np.linalg.solve(S, D)),
                                                                           rel=1e-12)


def test_diagonal_fast_path_equals_full():
    rng = np.random.default_rng(3)
    m1, m2 = rng.standard_normal(6), rng.standard_normal(6)
    v1, v2 = rng.uniform(0.5, 1.5, 6), rng.uniform(0.6, 1.5, 6)
    for f in (kl, chi2, renyi2, w2):
        assert f(Gaussian(m1, v1), Gaussian(m2, v2)) == pytest.approx(
            f(Gaussian(m1, np.diag(v1)), Gaussian(m2, np.diag(v2))), rel=1e-11)


def test_mismatched_dimensions_raise():
    with pytest.raises(ValueError, match="dimension"):
        kl(Gaussian([0.0], [[1.0]]), Gaussian([0.0, 0.0], np.eye(2)))
