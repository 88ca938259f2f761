"""Exact TV between Gaussians (gaussian_exact.total_variation) against independent answers: quadrature of
1/2 int |p - q| in 1-D, the equal-covariance closed form, products whose laws differ in one coordinate,
Monte Carlo with z-scores (d = 2, 5, 10), the bounds H^2 <= TV <= sqrt(KL / 2); the Gaussian Hellinger
closed form against Monte Carlo in d = 5."""
import math

import numpy as np
import pytest
from scipy import integrate, special

from gaussian_exact import Gaussian, hellinger, kl, tv, tv_with_error
from gaussian_exact.total_variation import _inversion
from tests._exact_helpers import random_spd

ACCURACY = 1e-9


def _quad_tv_1d(p, q):
    def f(x):
        return abs(math.exp(p.logpdf(np.array([x]))) - math.exp(q.logpdf(np.array([x]))))
    return 0.5 * integrate.quad(f, -40, 40, limit=800, epsabs=1e-14, epsrel=1e-13)[0]


@pytest.mark.parametrize("m1, v1, m2, v2", [(0.3, 0.7, -0.2, 1.1), (1.0, 0.2, 0.0, 2.5), (0.0, 1.5, 0.5, 1.0),
                                            (0.0, 1.0, 0.0, 1.0 + 1e-6), (4.0, 0.01, -3.0, 0.02)])
def test_one_dimension_against_quadrature_and_the_inversion(m1, v1, m2, v2):
    p, q = Gaussian([m1], [[v1]]), Gaussian([m2], [[v2]])
    assert tv(p, q) == pytest.approx(_quad_tv_1d(p, q), abs=ACCURACY)
    assert tv(q, p) == pytest.approx(tv(p, q), abs=1e-14)
    value, error = _inversion(p, q)     # the d >= 2 machinery on a 1-D pair
    assert error <= ACCURACY and value == pytest.approx(tv(p, q), abs=ACCURACY)


@pytest.mark.parametrize("d", [2, 3, 5, 10])
def test_equal_covariances_closed_form_and_the_inversion(d):
    rng = np.random.default_rng(d)
    S = random_spd(rng, d, 0.3, 2.0)
    for scale in (0.05, 0.5, 2.0):
        p, q = Gaussian(scale * rng.standard_normal(d), S), Gaussian(np.zeros(d), S)
        dm = p.mean - q.mean
        delta = math.sqrt(dm @ np.linalg.solve(S, dm))
        expected = 2 * special.ndtr(delta / 2) - 1
        assert tv(p, q) == pytest.approx(expected, abs=1e-14)
        # covariances equal up to 1e-12 go through the inversion: continuous in the covariance
        value, error = tv_with_error(p, Gaussian(np.zeros(d), S * (1 + 1e-12)))
        assert error <= ACCURACY and value == pytest.approx(expected, abs=ACCURACY)


@pytest.mark.parametrize("d, k", [(2, 0), (5, 3), (10, 9)])
def test_laws_differing_in_one_coordinate_reduce_to_one_dimension(d, k):
    """N(m, D) against N(m', D') with D, D' diagonal, equal but in coordinate k, m = m' but there:
    TV is the 1-D TV of coordinate k (the other factors are identical); rotated by an orthogonal matrix."""
    rng = np.random.default_rng(d)
    var = rng.uniform(0.3, 2.0, d)
    mean = rng.standard_normal(d)
    var2, mean2 = var.copy(), mean.copy()
    var2[k], mean2[k] = 0.6 * var[k], mean[k] + 0.4
    O, _ = np.linalg.qr(rng.standard_normal((d, d)))
    p = Gaussian(O @ mean, (O * var) @ O.T)
    q = Gaussian(O @ mean2, (O * var2) @ O.T)
    one = _quad_tv_1d(Gaussian([mean[k]], [[var[k]]]), Gaussian([mean2[k]], [[var2[k]]]))
    assert tv(p, q) == pytest.approx(one, abs=ACCURACY)


def _mc_tv(p, q, n, rng):
    """E_p[(1 - q/p)_+] = TV(p, q) from n draws of p: integrand in [0, 1], its standard error."""
    x = p.sample(n, rng)
    f = np.clip(-np.expm1(q.logpdf(x) - p.logpdf(x)), 0.0, None)
    return f.mean(), f.std(ddof=1) / math.sqrt(n)


@pytest.mark.parametrize("d", [2, 5, 10])
def test_against_monte_carlo_with_z_scores(d):
    rng = np.random.default_rng(100 + d)
    z = []
    for _ in range(3):
        p = Gaussian(0.4 * rng.standard_normal(d), random_spd(rng, d, 0.3, 1.5))
        q = Gaussian(0.4 * rng.standard_normal(d), random_spd(rng, d, 0.3, 1.5))
        exact = tv(p, q)
        for seed in range(4):
            est, se = _mc_tv(p, q, 50_000, np.random.default_rng(seed))
            z.append((est - exact) / se)
    z = np.array(z)
    assert np.max(np.abs(z)) < 4.5, z
    assert abs(z.mean()) < 4.0 / math.sqrt(len(z)), z   # no bias beyond the standard error


@pytest.mark.parametrize("d", [2, 3, 10])
def test_between_the_hellinger_and_pinsker_bounds(d):
    rng = np.random.default_rng(7 * d)
    for _ in range(6):
        p = Gaussian(rng.standard_normal(d), random_spd(rng, d, 0.2, 2.0))
        q = Gaussian(rng.standard_normal(d), random_spd(rng, d, 0.2, 2.0))
        t = tv(p, q)
        assert hellinger(p, q) ** 2 - 1e-12 <= t <= math.sqrt(kl(p, q) / 2) + 1e-12
        assert t <= math.sqrt(1 - (1 - hellinger(p, q) ** 2) ** 2) + 1e-12   # TV <= sqrt(1 - BC^2)


def test_identical_far_apart_and_near_singular_laws_are_finite():
    S = random_spd(np.random.default_rng(1), 4, 0.5, 1.5)
    p = Gaussian(np.ones(4), S)
    assert tv(p, p) == 0.0
    far = Gaussian(np.full(4, 60.0), 3 * S)
    assert tv(p, far) == pytest.approx(1.0, abs=ACCURACY)
    thin = np.diag([1e-10, 1.0, 1.0, 1.0])
    t = tv(Gaussian(np.zeros(4), thin + 0 * S), Gaussian(np.zeros(4), np.eye(4)))
    assert math.isfinite(t) and t == pytest.approx(1.0, abs=1e-4)   # a needle against a unit law


def test_bad_arguments_raise_naming_them():
    g = Gaussian([0.0, 0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="p must be a Gaussian"):
        tv([0.0], g)
    with pytest.raises(ValueError, match="q must be a Gaussian"):
        tv(g, None)
    with pytest.raises(ValueError, match="same dimension"):
        tv(g, Gaussian([0.0], [1.0]))


def test_gaussian_hellinger_closed_form_against_monte_carlo():
    """BC = 1 - H^2 = E_p[sqrt(q / p)] in d = 5 (the closed form of gaussian_exact.hellinger)."""
    rng = np.random.default_rng(3)
    p = Gaussian(0.3 * rng.standard_normal(5), random_spd(rng, 5, 0.4, 1.5))
    q = Gaussian(0.3 * rng.standard_normal(5), random_spd(rng, 5, 0.4, 1.5))
    x = p.sample(200_000, rng)
    f = np.exp(0.5 * (q.logpdf(x) - p.logpdf(x)))
    se = f.std(ddof=1) / math.sqrt(len(f))
    assert abs(f.mean() - (1 - hellinger(p, q) ** 2)) < 4 * se


def test_exact_run_tv_fields_against_monte_carlo():
    """On a 3-D exact run: D_tv, tv_p_ideal against Monte Carlo of E_p[(1 - q/p)_+]; tv_ideal_q_bound is
    at least b_i = TV(p*^{i+1}, q_i) to the mixture q_i (Monte Carlo, 4 standard errors)."""
    from gaussian_exact import AffineError, generations
    rng = np.random.default_rng(11)
    data = Gaussian(np.zeros(3), random_spd(rng, 3, 0.3, 0.6))
    res = generations(data, 0.5, 2, error=AffineError(W=-0.2, xi=[0.3, 0.0, -0.1]), t0=0.2, mixture_samples=0,
                      compute_eta=False)
    mc = np.random.default_rng(0)
    for i in range(2):
        ideal, q, p_next = res.ideal_outputs[i], res.training[i], res.laws[i + 1]
        for exact, (p, other) in ((res.D_tv[i + 1], (p_next, data)), (res.tv_p_ideal[i], (p_next, ideal))):
            est, se = _mc_tv(p, other, 100_000, mc)
            assert abs(est - exact) < 4.5 * se
        x = ideal.sample(100_000, mc)
        f = np.clip(-np.expm1(q.logpdf(x) - ideal.logpdf(x)), 0.0, None)
        b, se = f.mean(), f.std(ddof=1) / math.sqrt(len(f))
        assert b < res.tv_ideal_q_bound[i] + 4 * se
        assert res.tv_error[i] <= ACCURACY
    rows = res.rows()
    assert {"D_tv", "tv_p_ideal", "tv_ideal_q_bound", "tv_error"} <= set(rows[0])


@pytest.mark.slow   # the nested quadrature: a few seconds
def test_inversion_and_conditional_quadrature_agree_in_three_dimensions():
    """Two independent algorithms on one d = 3 pair: the characteristic-function inversion (panels, then
    rays) and the nested quadrature of the conditional closed form."""
    import warnings

    from gaussian_exact.quadratic_form import log_ratio_form
    from gaussian_exact.total_variation import _conditional
    rng = np.random.default_rng(5)
    p = Gaussian(0.5 * rng.standard_normal(3), random_spd(rng, 3, 0.3, 2.0))
    q = Gaussian(0.5 * rng.standard_normal(3), random_spd(rng, 3, 0.3, 2.0))
    value, error = _inversion(p, q)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # quad's roundoff notes at 1e-12 on the kinks
        other, other_error = _conditional((log_ratio_form(p, q, p), log_ratio_form(q, q, p)))
    assert error <= ACCURACY and other_error <= ACCURACY
    assert value == pytest.approx(other, abs=ACCURACY)


@pytest.mark.parametrize("d", [3, 10])
def test_inversion_and_conditional_closed_form_agree_on_a_rank_one_difference(d):
    """Covariances differing in one direction, means in all: the inversion (the linear directions' Gaussian
    factor) against the conditional closed form integrated over that Gaussian part (one quad)."""
    from gaussian_exact.quadratic_form import log_ratio_form
    from gaussian_exact.total_variation import LINEAR_SHARE, _conditional, _linear_share
    rng = np.random.default_rng(d)
    S = random_spd(rng, d, 0.5, 1.5)
    u = rng.standard_normal(d)
    p, q = Gaussian(np.zeros(d), S), Gaussian(0.3 * rng.standard_normal(d), S + 0.8 * np.outer(u, u) / (u @ u))
    forms = (log_ratio_form(p, q, p), log_ratio_form(q, q, p))
    assert min(_linear_share(f) for f in forms) >= LINEAR_SHARE   # so `_inversion` inverts
    value, error = _inversion(p, q)
    other, other_error = _conditional(forms)
    assert error <= ACCURACY and other_error <= ACCURACY
    assert value == pytest.approx(other, abs=ACCURACY)


def test_rounding_sized_eigenvalues_do_not_turn_into_nan():
    """A 1e-6 mean shift beside a 1e-3 covariance change in one direction: eigh leaves eigenvalues of order
    1e-16 in the others, which must count as linear (a ray turned by their beta^2 / lam overflowed to NaN)."""
    S = random_spd(np.random.default_rng(3), 4, 0.5, 1.5)
    p = Gaussian(np.zeros(4), S)
    q = Gaussian(np.r_[1e-6, 0.0, 0.0, 0.0], S + 1e-3 * np.outer(np.eye(4)[1], np.eye(4)[1]))
    value, error = tv_with_error(p, q)
    assert math.isfinite(value) and error <= ACCURACY
    assert hellinger(p, q) ** 2 - 1e-12 <= value <= math.sqrt(kl(p, q) / 2) + 1e-12
