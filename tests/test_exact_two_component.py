"""Exact chi2 / KL from a Gaussian to a two-component mixture in any dimension (characteristic
function of the log-ratio), against references that share none of its code: the d = 1 quadrature,
closed forms where the mixture is one Gaussian, Monte Carlo of the quadratic form, importance
sampling in d = 6 and d = 40 (z-scores), and a control with a mutated constant that must fail."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gaussian_exact import Gaussian, chi2, kl
from gaussian_exact.mixture import GaussianMixture, chi2_to_mixture, kl_to_mixture
from gaussian_exact.quadratic_form import QuadraticForm, expect_log_cosh_half, expect_logistic_power, log_ratio_form
from gaussian_exact.two_component_divergences import Chi2BeyondFloatRange, chi2_to_two_components, kl_to_two_components
from gaussian_exact.gaussian_integrals import log_product_integral
from tests._exact_helpers import random_spd
from validate.testing.strategies import gaussians


def _log_cosh_half(x):
    return np.logaddexp(0.5 * x, -0.5 * x) - math.log(2.0)


@pytest.mark.parametrize("x0", [0.0, 0.3, -2.5, 12.0, 60.0])
def test_constant_form_gives_the_functions_themselves(x0):
    form = QuadraticForm(np.zeros(3), np.zeros(3), x0)
    for tau in (0.5, 0.1, 0.9):
        t, t_err = expect_logistic_power(form, tau)
        truth = math.exp(tau * x0 - np.logaddexp(0.0, x0))
        assert abs(t - truth) <= t_err + 1e-15
    c, c_err = expect_log_cosh_half(form)
    assert abs(c - _log_cosh_half(x0)) <= c_err + 1e-13 * max(1.0, abs(x0))


@pytest.mark.parametrize("d, scale", [(1, 0.7), (4, 0.5), (12, 1.0), (6, 4.0)])
def test_expectations_against_monte_carlo(d, scale):
    rng = np.random.default_rng(d)
    form = QuadraticForm(scale * rng.standard_normal(d), scale * rng.standard_normal(d), float(rng.standard_normal()))
    w = rng.standard_normal((200_000, d))
    x = form.c + np.sum(0.5 * form.lam * w ** 2 + form.beta * w, axis=1)
    assert x.mean() == pytest.approx(form.mean, abs=5 * x.std() / math.sqrt(len(x)))
    assert x.var() == pytest.approx(form.var, rel=0.03)
    for expect, fun in ((lambda f: expect_logistic_power(f, 0.3), lambda v: np.exp(0.3 * v - np.logaddexp(0, v))),
                        (expect_log_cosh_half, _log_cosh_half)):
        vals = fun(x)
        value, err = expect(form)
        assert err < 1e-10
        assert abs(value - vals.mean()) < 4.5 * vals.std() / math.sqrt(len(vals))


def test_log_ratio_form_is_the_log_ratio():
    rng = np.random.default_rng(5)
    d = 4
    under, g1, g2 = (Gaussian(rng.standard_normal(d), random_spd(rng, d, 0.3, 2.0)) for _ in range(3))
    form = log_ratio_form(under, g1, g2)
    z = rng.standard_normal((50, d))
    x = under.mean + z @ under.chol.T
    # the same z in the eigenbasis: l(x) must equal c + sum(lam/2 w^2 + beta w) with w = V^T z
    lam_check = form.lam
    B = under.chol.T @ (g1.precision - g2.precision) @ under.chol
    lam, V = np.linalg.eigh(0.5 * (B + B.T))
    np.testing.assert_allclose(lam, lam_check, atol=1e-12)
    w = z @ V
    direct = g2.logpdf(x) - g1.logpdf(x)
    np.testing.assert_allclose(form.c + np.sum(0.5 * lam * w ** 2 + form.beta * w, axis=1), direct, atol=1e-10)


def _one_d_case(seed):
    rng = np.random.default_rng(seed)
    comps = [Gaussian([rng.normal()], [rng.uniform(0.3, 1.5)]) for _ in range(2)]
    a = float(rng.uniform(0.05, 0.95))
    p = Gaussian([0.5 * rng.normal()], [rng.uniform(0.3, 1.0)])
    return p, a, comps


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_the_one_dimensional_quadrature(seed):
    p, a, (g1, g2) = _one_d_case(seed)
    q = GaussianMixture([a, 1 - a], [g1, g2])
    quad_chi, quad_err = chi2_to_mixture(p, q)          # d = 1: Gauss-Legendre in x (other code)
    quad_kl, quad_kl_err = kl_to_mixture(p, q)
    exact = chi2_to_two_components(p, a, g1, g2)
    assert abs(exact[0] - quad_chi) <= exact[1] + quad_err + 1e-12 * (1 + quad_chi)
    val, err = kl_to_two_components(p, a, g1, g2)
    assert abs(val - quad_kl) <= err + quad_kl_err + 1e-12


def test_control_a_mutated_constant_is_caught():
    """The KL formula's log 2 replaced by 0.49 * log 4 must disagree with the quadrature."""
    p, a, (g1, g2) = _one_d_case(1)
    quad_kl, quad_err = kl_to_mixture(p, GaussianMixture([a, 1 - a], [g1, g2]))
    val, err = kl_to_two_components(p, a, g1, g2)
    mutated = val + math.log(2.0) - 0.49 * math.log(4.0)
    assert abs(val - quad_kl) <= err + quad_err + 1e-12
    assert abs(mutated - quad_kl) > 100 * (err + quad_err + 1e-12)


@pytest.mark.parametrize("a", [0.5, 0.02, 0.97])
def test_one_gaussian_written_as_a_mixture(a):
    rng = np.random.default_rng(2)
    d = 6
    g = Gaussian(rng.standard_normal(d), random_spd(rng, d, 0.5, 1.5))
    p = Gaussian(g.mean + 0.2, random_spd(rng, d, 0.5, 1.0))
    val, err = chi2_to_two_components(p, a, g, g)
    assert val == pytest.approx(chi2(p, g), rel=1e-12) and err < 1e-12 * (1 + val)
    val, err = kl_to_two_components(p, a, g, g)
    assert val == pytest.approx(kl(p, g), rel=1e-12, abs=1e-14) and err < 1e-12
    # and through the public functions (equal components merged; an equal copy counts as equal)
    copy = Gaussian(g.mean.copy(), g.cov.copy())
    q = GaussianMixture([a, 1 - a], [g, copy])
    assert chi2_to_mixture(p, q)[0] == pytest.approx(chi2(p, g), rel=1e-12)


@pytest.mark.parametrize("d, n", [(6, 2 ** 16), (40, 2 ** 15)])
def test_agrees_with_importance_sampling(d, n):
    rng = np.random.default_rng(d)
    data = Gaussian(np.zeros(d), random_spd(rng, d, 0.4, 1.0))
    prev = Gaussian(0.1 * rng.standard_normal(d), random_spd(rng, d, 0.4, 1.0))
    q = GaussianMixture([0.3, 0.7], [data, prev])
    G = q.moment_matched()
    p = Gaussian(G.mean + 0.02, G.cov * 1.01)
    for fun in (chi2_to_mixture, kl_to_mixture):
        exact, err = fun(p, q)
        mc, se = fun(p, q, n=n, rng=1, method="importance")
        assert err < 1e-9 * max(1.0, exact)
        assert abs(exact - mc) < 4.5 * se, (fun.__name__, exact, mc, se)


def test_near_equal_laws_keep_relative_accuracy():
    """p = q's moment-matched Gaussian of two nearly equal components: chi2 and KL ~ 1e-9; the
    error estimate stays below the value, and the value matches the second-order expansion."""
    rng = np.random.default_rng(9)
    d = 5
    g1 = Gaussian(np.zeros(d), random_spd(rng, d, 0.5, 1.5))
    g2 = Gaussian(np.full(d, 1e-4), g1.cov)
    q = GaussianMixture([0.5, 0.5], [g1, g2])
    p = g1
    c, c_err = chi2_to_mixture(p, q)
    k, k_err = kl_to_mixture(p, q)
    # q = g1 (1 + (e^l - 1) / 2), l ~ N(-delta/2, delta) under g1 with delta = m^T S^-1 m:
    # to leading order chi2 = delta / 4 and KL = delta / 8
    delta = float(g2.mean @ g1.solve(g2.mean))
    assert c == pytest.approx(delta / 4, rel=1e-3) and c_err < 1e-3 * c
    assert k == pytest.approx(delta / 8, rel=1e-3) and k_err < 1e-3 * k


def test_finite_chi2_beyond_the_float_range_is_an_error_not_inf():
    """chi2 finite (2 - 1/0.9 > 0) but beyond the float range: not inf (issue 20) but
    Chi2BeyondFloatRange, whose log(1 + chi2) is at most log 2 + min_j log int p^2 / g_j (q >= g_j / 2)."""
    d = 3
    p = Gaussian(np.full(d, 20.0), np.eye(d))
    g1, g2 = Gaussian(np.zeros(d), np.eye(d)), Gaussian(np.zeros(d), 0.9 * np.eye(d))
    q = GaussianMixture([0.5, 0.5], [g1, g2])
    with pytest.raises(Chi2BeyondFloatRange) as info:
        chi2_to_mixture(p, q)
    # q >= g_j / 2 gives int p^2 / q <= 2 int p^2 / g_j for each j
    upper = math.log(2.0) + min(log_product_integral(p, p, g) for g in (g1, g2))
    assert 709.78 < info.value.log_one_plus <= upper * (1 + info.value.relative_error)
    assert math.isfinite(kl_to_mixture(p, q)[0])


def test_far_apart_components_against_importance_sampling():
    """Components 12 sd apart: the log-ratio has mean ~ +-70, so the transform oscillates fast."""
    d = 3
    g1, g2 = Gaussian(np.zeros(d), np.eye(d)), Gaussian(np.full(d, 7.0), np.eye(d))
    q = GaussianMixture([0.4, 0.6], [g1, g2])
    p = Gaussian(np.full(d, 3.0), 1.5 * np.eye(d))
    for fun in (chi2_to_mixture, kl_to_mixture):
        exact, err = fun(p, q)
        mc, se = fun(p, q, n=2 ** 17, rng=2, method="importance")
        assert err < 1e-9 * max(1.0, exact) and abs(exact - mc) < 4.5 * se


def test_bad_method_raises():
    p = Gaussian(np.zeros(2), np.eye(2))
    q = GaussianMixture([0.5, 0.5], [p, Gaussian(np.ones(2), np.eye(2))])
    with pytest.raises(ValueError, match="method"):
        chi2_to_mixture(p, q, method="exact")


def _grid_2d(f, half=14.0, n=1401):
    u = np.linspace(-half, half, n)
    xx, yy = np.meshgrid(u, u, indexing="ij")
    vals = f(np.stack([xx, yy], axis=-1))
    return float(np.trapezoid(np.trapezoid(vals, u, axis=1), u))


@pytest.mark.parametrize("case", ["tau 1/2 infeasible", "covering directions", "far apart", "near the boundary"])
def test_reference_law_choice_against_a_2d_grid(case):
    """tau = 1/2 infeasible (only tau < 0.29 works), each int p^2/g_j infinite but the mixture's
    finite (tau near 1/2), and far-apart components (tau refined): all agree with a fine grid."""
    if case == "tau 1/2 infeasible":
        p = Gaussian(np.zeros(2), 1.2 * np.eye(2))
        q = GaussianMixture([0.6, 0.4], [Gaussian(np.zeros(2), np.eye(2)), Gaussian([0.3, 0.0], 0.3 * np.eye(2))])
    elif case == "covering directions":
        p = Gaussian(np.zeros(2), np.eye(2))
        q = GaussianMixture([0.5, 0.5], [Gaussian(np.zeros(2), np.diag([0.4, 10.0])),
                                         Gaussian(np.zeros(2), np.diag([10.0, 0.4]))])
    elif case == "far apart":
        p = Gaussian([2.0, 1.0], np.diag([1.5, 1.2]))
        q = GaussianMixture([0.3, 0.7], [Gaussian(np.zeros(2), np.eye(2)), Gaussian([6.0, 5.0], np.eye(2))])
    else:   # feasible only for tau < 0.053; chi2 = 355.6, heavy tails (grid to +-80)
        p = Gaussian([0.5, -0.3], np.diag([1.9, 1.8]))
        q = GaussianMixture([0.2, 0.8], [Gaussian(np.zeros(2), np.eye(2)), Gaussian([1.0, 0.5], 0.5 * np.eye(2))])
    half, n = (80.0, 2001) if case == "near the boundary" else (14.0, 1401)
    ref = _grid_2d(lambda x: np.exp(2 * p.logpdf(x) - q.logpdf(x)), half, n) - 1
    val, err = chi2_to_mixture(p, q)
    assert err < 1e-10 * (1 + val)
    assert abs(val - ref) <= err + 1e-9 * (1 + ref), (val, ref)


def test_infinite_when_no_reference_law_is_feasible():
    p = Gaussian(np.zeros(3), 3.0 * np.eye(3))
    q = GaussianMixture([0.5, 0.5], [Gaussian(np.zeros(3), np.eye(3)), Gaussian(np.ones(3), 1.4 * np.eye(3))])
    assert chi2_to_mixture(p, q) == (math.inf, 0.0)


def test_huge_chi2_is_the_same_through_every_reference_law():
    """d = 8, chi2 ~ 2e30 (where 2^20 importance samples still give 3e12 with a standard error of
    1e12: heavy tails). 1 + chi2 = U(tau) E_tau for every feasible tau, while U and E_tau change by
    orders of magnitude: the values through different tau must agree within their error estimates."""
    from gaussian_exact import two_component_divergences as tc
    rng = np.random.default_rng(1022)
    d = int(rng.integers(2, 9))
    g1, g2 = (Gaussian(rng.uniform(0, 2) * rng.standard_normal(d), random_spd(rng, d, 0.2, 2.0)) for _ in range(2))
    a = float(rng.uniform(0.01, 0.99))
    p = Gaussian(rng.uniform(0, 1.5) * rng.standard_normal(d), random_spd(rng, d, 0.2, 1.5))
    val, err = chi2_to_mixture(p, GaussianMixture([a, 1 - a], [g1, g2]))
    assert 1e29 < val < 1e31 and err < 1e-10 * val
    for tau in (0.8, 0.9, 0.95):
        log_one_plus, relative = tc._chi2_at(p, a, g1, g2, tau)
        one_plus = math.exp(log_one_plus)
        assert abs(one_plus - 1 - val) <= relative * one_plus + err
        assert tc.log_product_integral(p, p, tc._interpolated(g1, g2, tau)[0]) < math.inf


@st.composite
def _triples(draw):
    d = draw(st.integers(2, 4))
    return (draw(gaussians(d, mean_scale=1.5)), draw(gaussians(d, mean_scale=1.5)),
            draw(gaussians(d, mean_scale=1.5)), draw(st.floats(0.02, 0.98)))


@settings(max_examples=40, deadline=None)
@given(_triples())
def test_bounds_that_any_correct_value_obeys(triple):
    """Convexity in q (both divergences <= the weighted component divergences), Jensen below KL
    (E_p log(a + (1 - a) g2/g1) <= log(a + (1 - a) int p g2 / g1)) and 1 + chi2 = E_p[p/q] >= e^KL."""
    p, g1, g2, a = triple
    q = GaussianMixture([a, 1 - a], [g1, g2])
    k, k_err = kl_to_mixture(p, q)
    c, c_err = chi2_to_mixture(p, q)
    k1, k2 = kl(p, g1), kl(p, g2)
    assert k <= a * k1 + (1 - a) * k2 + k_err + 1e-12
    log_m = log_product_integral(p, g2, g1)
    jensen = k1 - float(np.logaddexp(math.log(a), math.log1p(-a) + log_m))
    assert k >= jensen - k_err - 1e-12
    if math.isfinite(c):
        assert c <= a * chi2(p, g1) + (1 - a) * chi2(p, g2) + c_err + 1e-12 * (1 + c)
        assert math.log1p(c) >= k - k_err - 1e-12 - c_err / (1 + c)
    else:
        assert chi2(p, g1) == math.inf and chi2(p, g2) == math.inf
