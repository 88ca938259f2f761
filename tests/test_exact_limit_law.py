"""The ideal recursion, its limit law and Hermite coefficients (gaussian_exact; THEORY.md §5, reconstructed)
against closed forms: Hermite moments of Gaussians, Parseval with the closed-form chi2, the variance and
mean recursions, and the multipliers derived in SymPy by `bounds`."""
import math

import numpy as np
import pytest

import bounds
import gaussian_exact as ge
from gaussian_exact import quadrature_1d, schedules

SKEW = ge.GaussianMixture([0.5, 0.3, 0.2], [ge.Gaussian([-1.0], [0.25]), ge.Gaussian([1.5], [0.36]),
                                             ge.Gaussian([0.3], [0.5])])
GMM1D = ge.GaussianMixture([0.2, 0.4, 0.4], [ge.Gaussian([0.0], [0.36]), ge.Gaussian([-4.0], [0.36]),
                                             ge.Gaussian([4.0], [0.36])])


def _double_factorial(k):
    return math.prod(range(k, 0, -2)) if k > 0 else 1


@pytest.mark.parametrize("m", [-1.5, 0.0, 0.7, 3.0])
def test_hermite_coefficients_of_unit_variance_gaussians(m):
    """E He_n(m + Z) = m^n (generating function), so c_n = m^n / sqrt(n!)."""
    c = ge.hermite_coefficients(ge.Gaussian([m], [1.0]), 12)
    want = [m**n / math.sqrt(math.factorial(n)) for n in range(13)]
    assert np.allclose(c, want, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("s2", [0.36, 1.7])
def test_hermite_coefficients_of_centred_gaussians(s2):
    """E He_n(s Z) = (s^2 - 1)^{n/2} (n-1)!! for even n, 0 for odd n."""
    c = ge.hermite_coefficients(ge.Gaussian([0.0], [s2]), 10)
    want = [0.0 if n % 2 else (s2 - 1) ** (n // 2) * _double_factorial(n - 1) / math.sqrt(math.factorial(n))
            for n in range(11)]
    assert np.allclose(c, want, rtol=1e-11, atol=1e-12)


def test_parseval_against_closed_form_chi2():
    p = ge.Gaussian([0.3], [0.8])
    c = ge.hermite_coefficients(p, 80)
    assert float(np.sum(c**2)) - 1 == pytest.approx(ge.chi2(p, ge.Gaussian([0.0], [1.0])), rel=1e-10)


def test_limit_multipliers_of_a_skewed_mixture_match_the_derivation():
    c = ge.hermite_coefficients(SKEW, 8)
    assert np.all(np.abs(c[1:]) > 1e-3)   # every mode is visible
    for alpha in (0.1, 0.5, 0.9):
        lim = ge.limit_law(SKEW, alpha, 0.02)
        assert lim.tail_mass <= 1e-12
        ratio = ge.hermite_coefficients(lim, 8)[1:] / c[1:]
        assert np.allclose(ratio, bounds.limit_multipliers(alpha, 0.02, np.arange(1, 9)), rtol=1e-9)


def test_iterates_follow_the_mean_and_variance_recursions():
    alpha, t0, m, s2 = 0.3, 0.05, 0.8, 0.36
    laws = ge.ideal_recursion(ge.Gaussian([m], [s2]), alpha, t0, 25, p0=ge.Gaussian([-1.0], [2.0]))
    a = math.exp(-t0 / 2)
    mean, second = -1.0, 2.0 + 1.0   # E X and E X^2 of p^0
    for law in laws[1:]:
        mean = a * (alpha * m + (1 - alpha) * mean)
        second = math.exp(-t0) * (alpha * (s2 + m * m) + (1 - alpha) * second) + 1 - math.exp(-t0)
        assert float(law.mean()[0]) == pytest.approx(mean, rel=1e-12)
        assert float(law.cov()[0, 0]) == pytest.approx(second - mean**2, rel=1e-11)


def test_two_dimensional_limit_variance_is_the_fixed_point():
    lim = ge.limit_law(ge.Gaussian(np.zeros(2), 0.36 * np.eye(2)), 0.1, 0.02)
    v = float(bounds.variance_fixed_point(0.1, 0.02, 0.36))
    assert np.allclose(lim.cov(), v * np.eye(2), rtol=1e-11) and np.allclose(lim.mean(), 0)


def test_contraction_toward_the_limit_in_total_variation():
    alpha = 0.2
    lim = ge.limit_law(SKEW, alpha, 0.02)
    laws = ge.ideal_recursion(SKEW, alpha, 0.02, 12)
    tv = np.array([quadrature_1d.tv_distance(p, lim) for p in laws])
    assert np.all(tv[1:] <= (1 - alpha) * tv[:-1] + 1e-12)
    l2 = np.array([quadrature_1d.hermite_norm_distance(p, lim) for p in laws])
    assert np.all(l2[1:] <= (1 - alpha) * math.exp(-0.01) * l2[:-1] * (1 + 1e-9))


def test_truncation_is_stated_and_bounded():
    laws = ge.ideal_recursion(SKEW, 0.5, 0.02, 80, tail=1e-6)
    assert laws[5].tail_mass == 0.0                # early rounds are exact
    assert all(p.tail_mass <= 1e-6 for p in laws)
    assert len(laws[-1].terms) < 40                # and the series is cut
    lim = ge.limit_law(SKEW, 0.5, 0.02, tail=1e-6)
    assert quadrature_1d.tv_distance(laws[-1], lim) <= laws[-1].tail_mass + lim.tail_mass + 1e-12


def test_annealed_schedule_returns_toward_data_and_constant_does_not():
    N = 40
    const = ge.ideal_recursion(GMM1D, 0.1, 0.02, N)
    annealed = ge.ideal_recursion(GMM1D, 0.1, schedules.geometric(0.02, 0.8), N)
    d_const = [quadrature_1d.tv_distance(p, GMM1D) for p in (const[10], const[N])]
    d_ann = [quadrature_1d.tv_distance(p, GMM1D) for p in (annealed[10], annealed[N])]
    assert d_ann[1] < 0.2 * d_ann[0] and d_const[1] > d_const[0]
    assert d_ann[1] < 0.1 * d_const[1]


def test_edges_alpha_zero_and_t0_zero():
    lim = ge.limit_law(SKEW, 0.0, 0.02)
    assert np.allclose(lim.mean(), 0) and np.allclose(lim.cov(), 1)
    same = ge.limit_law(SKEW, 0.4, 0.0)
    assert quadrature_1d.tv_distance(same, SKEW) < 1e-14
    laws = ge.ideal_recursion(SKEW, 1.0, 0.02, 3)
    assert quadrature_1d.tv_distance(laws[3], ge.limit_law(SKEW, 1.0, 0.02)) < 1e-14


@pytest.mark.parametrize("call,match", [
    (lambda: ge.limit_law(SKEW, 0.0, 0.0), "alpha and t0 must not both be 0"),
    (lambda: ge.limit_law(SKEW, 1.5, 0.02), "alpha must be"),
    (lambda: ge.ideal_recursion(SKEW, 0.1, -0.1, 3), "t0 must be"),
    (lambda: ge.ideal_recursion(SKEW, [0.1, 0.2], 0.02, 3), "alpha schedule must have 3 entries"),
    (lambda: ge.ideal_recursion(SKEW, 0.1, 0.02, 3, tail=0.0), "tail must be in"),
    (lambda: ge.ideal_recursion([1.0], 0.1, 0.02, 3), "data must be a Gaussian"),
    (lambda: ge.ideal_recursion(SKEW, 0.1, 0.02, 3, p0=ge.Gaussian(np.zeros(2), 1.0)), "p0 must have"),
    (lambda: ge.hermite_coefficients(ge.Gaussian(np.zeros(2), 1.0), 3), "must be a 1-D law"),
    (lambda: ge.hermite_coefficients(SKEW, -1), "modes must be an integer"),
    (lambda: schedules.geometric(0.02, 1.5), "ratio must be in"),
])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---- grid laws (GridLaw, THEORY.md §7): any 1-D or 2-D law, by Gaussian convolution on the grid ------
GRID = ge.GridLaw.mixture([0.5, 0.3, 0.2], [[-1.0], [1.5], [0.3]], [0.25, 0.36, 0.5])


def test_grid_hermite_coefficients_and_limit_multipliers():
    assert np.allclose(ge.hermite_coefficients(GRID, 8), ge.hermite_coefficients(SKEW, 8), rtol=1e-12, atol=1e-13)
    lim = ge.limit_law(GRID, 0.5, 0.02)
    assert isinstance(lim, ge.GridLaw) and lim.tail_mass <= 1e-12
    ratio = ge.hermite_coefficients(lim, 8)[1:] / ge.hermite_coefficients(GRID, 8)[1:]
    assert np.allclose(ratio, bounds.limit_multipliers(0.5, 0.02, np.arange(1, 9)), rtol=1e-9)


def test_grid_iterates_agree_with_the_mixture_iterates():
    grid = ge.ideal_recursion(GRID, [0.2, 0.5, 0.9], [0.02, 0.05, 0.1], 3)
    mix = ge.ideal_recursion(SKEW, [0.2, 0.5, 0.9], [0.02, 0.05, 0.1], 3)
    for g, m in zip(grid, mix):
        assert quadrature_1d.tv_distance(g, m) < 1e-12
        assert np.allclose(g.mean(), m.mean(), atol=1e-12) and np.allclose(g.cov(), m.cov(), rtol=1e-11)


def test_grid_bad_input():
    with pytest.raises(ValueError, match="t0 must be 0 or >="):
        ge.ideal_recursion(GRID, 0.2, schedules.geometric(0.02, 0.5), 10)
    with pytest.raises(ValueError, match="p0 must be a GridLaw on data's grid"):
        ge.ideal_recursion(GRID, 0.2, 0.02, 2, p0=SKEW)
    with pytest.raises(ValueError, match="must be a 1-D law"):
        ge.hermite_coefficients(ge.GridLaw.mixture([1.0], [[0.0, 0.0]], [1.0]), 2)
