"""chi2 and KL from a Gaussian to a two-component mixture at the edges of the exact method (issue 20,
point 1): components 50 sd apart in d = 2 (an OverflowError in `_chi2_at` before), p's variance
3.1999 next to the finiteness boundary 3.2 (4.8 GB of quadrature nodes before), and p equal to one
component with the other 60 sd away (errors of 31-53 % beyond the error estimate before).

Truths that share no code with the method: exact limits (p = g1, g2 60 sd away: 1 + chi2 = 1 / a up
to e^-400; the overlap of a component 50 sd away is below e^-1000), a radial integral in mpmath
(40 digits) for the centred near-boundary family, a 2-D trapezoid grid in log space for a chi2 beyond
the float range, and the referee's adaptive cubature (tests/_mixture_reference.py). Each family has
a control: a truth mutated by 1e-9 relative (or the old behaviour) must fail the same check.
"""
import importlib.util
import math
import pathlib
import sys
import tracemalloc

import mpmath
import numpy as np
import pytest
from scipy import special

from gaussian_exact import Gaussian
from gaussian_exact.divergences import chi2 as gaussian_chi2
from gaussian_exact.divergences import kl as gaussian_kl
from gaussian_exact.divergences import renyi2 as gaussian_renyi2
from gaussian_exact.mixture import GaussianMixture, chi2_to_mixture, kl_to_mixture
from gaussian_exact.quadratic_form import QuadraticForm, expect_logistic_power
from gaussian_exact.two_component_divergences import Chi2BeyondFloatRange

_REF_PATH = pathlib.Path(__file__).with_name("_mixture_reference.py")
_spec = importlib.util.spec_from_file_location("_mixture_reference", _REF_PATH)
ref = sys.modules.setdefault("_mixture_reference", importlib.util.module_from_spec(_spec))
if not hasattr(ref, "case"):
    _spec.loader.exec_module(ref)

I2 = np.eye(2)
E1 = np.array([1.0, 0.0])


def _mixture(a, means, variances):
    return GaussianMixture([a, 1 - a], [Gaussian(np.asarray(m, float), v * I2) for m, v in zip(means, variances)])


def _chi2_and_peak_memory(p, q):
    """chi2_to_mixture(p, q) and tracemalloc's peak during it, in bytes (numpy's buffers included)."""
    tracemalloc.start()
    try:
        return chi2_to_mixture(p, q), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _within(result, truth, slack=0.0):
    value, error = result
    return abs(value - truth) <= error + slack


# --- the end powers tau = 0, 1 of the expectation ------------------------------------------------
@pytest.mark.parametrize("x0", [0.0, 0.3, -2.5, 12.0, -60.0, 60.0])
@pytest.mark.parametrize("tau", [0.0, 1.0])
def test_end_powers_on_constant_forms(x0, tau):
    value, error = expect_logistic_power(QuadraticForm(np.zeros(2), np.zeros(2), x0), tau)
    assert abs(value - math.exp(tau * x0 - np.logaddexp(0.0, x0))) <= error + 1e-15


@pytest.mark.parametrize("tau", [0.0, 1.0])
def test_end_powers_against_monte_carlo(tau):
    rng = np.random.default_rng(7)
    form = QuadraticForm(rng.standard_normal(3), rng.standard_normal(3), 0.4)
    w = rng.standard_normal((400_000, 3))
    x = form.c + np.sum(0.5 * form.lam * w ** 2 + form.beta * w, axis=1)
    vals = np.exp(tau * x - np.logaddexp(0.0, x))
    value, error = expect_logistic_power(form, tau)
    assert error < 1e-12
    assert abs(value - vals.mean()) < 4.5 * vals.std() / math.sqrt(len(vals))


def test_power_outside_the_unit_interval_is_a_value_error():
    with pytest.raises(ValueError, match="tau must be in"):
        expect_logistic_power(QuadraticForm(np.zeros(1), np.zeros(1), 0.0), 1.5)


# --- components 50 sd apart ---------------------------------------------------------------------
FAR_CASES = [   # (p mean, p variance, g1 variance, g2 variance, a): all raised OverflowError before
    ((0, 0), 0.5, 1.0, 1.0, 0.5),
    ((0, 0), 0.5, 1.0, 1.0, 0.1),
    ((0, 0), 1.0, 0.8, 1.0, 0.9),
]


@pytest.mark.parametrize("mean, vp, v1, v2, a", FAR_CASES)
def test_components_fifty_sd_apart(mean, vp, v1, v2, a):
    p = Gaussian(np.asarray(mean, float), vp * I2)
    q = _mixture(a, [(0, 0), 50 * E1], [v1, v2])
    g1 = Gaussian(np.zeros(2), v1 * I2)
    chi, kl_value = chi2_to_mixture(p, q), kl_to_mixture(p, q)
    # g2 is below e^-900 of g1 wherever p^2 / g1 and p carry mass: q = a g1 there
    chi_limit = (1 + gaussian_chi2(p, g1)) / a - 1
    kl_limit = gaussian_kl(p, g1) - math.log(a)
    assert _within(chi, chi_limit, 1e-14 * chi_limit)
    assert _within(kl_value, kl_limit, 1e-14 * kl_limit)
    prob = ref.Problem(mean, vp * I2, [a, 1 - a], [(0, 0), 50 * E1], [v1 * I2, v2 * I2])
    ref_chi, ref_err = ref.chi2_cubature(prob, rtol=1e-10)
    assert abs(chi[0] - ref_chi) <= chi[1] + ref_err
    assert not _within(chi, chi_limit * (1 + 1e-9))   # control


def test_components_fifty_sd_apart_both_in_play():
    """p 10 from g1: p^2 / g1 peaks at 26.7, where g1 and g2 (50 away, narrower) are both about
    e^-450: no limit; chi2 = 2.8e72 against the referee's cubature and its trapezoid grid."""
    mean, vp, means, variances, a = (10, 0), 1.0, [(0, 0), (50, 0)], [0.8, 0.6], 0.5
    chi = chi2_to_mixture(Gaussian(np.asarray(mean, float), vp * I2), _mixture(a, means, variances))
    prob = ref.Problem(mean, vp * I2, [a, 1 - a], means, [v * I2 for v in variances])
    ref_chi, ref_err = ref.chi2_cubature(prob, rtol=1e-10)
    grid_chi, _ = ref.chi2_grid(prob, 801, sinh=True)
    assert abs(chi[0] - ref_chi) <= chi[1] + ref_err
    assert abs(chi[0] - grid_chi) <= chi[1] + 1e-12 * grid_chi
    assert not abs(chi[0] - grid_chi * (1 + 1e-9)) <= chi[1] + 1e-12 * grid_chi   # control


def _log_grid_integral(mean, vp, means, variances, a, h, lo, hi, half_width):
    """log int p^2 / q on a trapezoid grid in log space (logsumexp), and the rounding of the log
    integrand's terms (8 unit roundoffs of their largest magnitude on the grid)."""
    x = np.stack(np.meshgrid(np.arange(lo, hi, h), np.arange(-half_width, half_width, h), indexing="ij"), -1)

    def log_gauss(m, v):
        return -math.log(2 * math.pi * v) - np.sum((x - np.asarray(m, float)) ** 2, axis=-1) / (2 * v)

    lp = log_gauss(mean, vp)
    lq = np.logaddexp(math.log(a) + log_gauss(means[0], variances[0]),
                      math.log1p(-a) + log_gauss(means[1], variances[1]))
    integrand = 2 * lp - lq
    top = np.unravel_index(np.argmax(integrand), integrand.shape)
    rounding = 8 * np.finfo(float).eps * (2 * abs(lp[top]) + abs(lq[top]))
    return float(special.logsumexp(integrand) + 2 * math.log(h)), rounding


def test_finite_chi2_beyond_the_float_range_is_an_error_that_carries_its_log():
    """p in the middle, g2 narrower than p / 2 (int p^2 / g2 diverges alone), g1 wide enough: chi2
    is finite, about e^6252. Not inf, not a float: Chi2BeyondFloatRange with log(1 + chi2)."""
    mean, vp, means, variances, a = (25.0, 0.0), 1.5, [(0, 0), (50, 0)], [0.8, 0.6], 0.5
    p = Gaussian(np.asarray(mean), vp * I2)
    with pytest.raises(Chi2BeyondFloatRange, match="finite but exceeds the float range") as info:
        chi2_to_mixture(p, _mixture(a, means, variances))
    logs = [_log_grid_integral(mean, vp, means, variances, a, h, -200, 800, 60) for h in (0.5, 0.25)]
    assert abs(logs[0][0] - logs[1][0]) < 1e-12 * logs[1][0]   # the grid has converged
    truth, rounding = logs[1]
    err = info.value.relative_error
    assert abs(info.value.log_one_plus - truth) <= err + rounding
    assert not abs(info.value.log_one_plus - truth * (1 + 1e-9)) <= err + rounding   # control


@pytest.mark.parametrize("d, weights, variances", [(1, [0.5, 0.5], [1.0, 0.9]),
                                                  (3, [0.3, 0.3, 0.4], [1.0, 0.9, 0.95])])
def test_beyond_the_float_range_in_the_other_paths(d, weights, variances):
    """d = 1 quadrature and d >= 2 importance sampling (three components): inf before; now the
    error, with log(1 + chi2) at most min_j log int p^2 / (w_j g_j) (q >= w_j g_j)."""
    p = Gaussian(np.full(d, 40.0 if d == 1 else 20.0), np.eye(d))
    comps = [Gaussian(np.full(d, float(j == 2)), v * np.eye(d)) for j, v in enumerate(variances)]
    with pytest.raises(Chi2BeyondFloatRange) as info:
        chi2_to_mixture(p, GaussianMixture(weights, comps))
    upper = min(gaussian_renyi2(p, g) - math.log(w) for w, g in zip(weights, comps))
    assert 709.78 < info.value.log_one_plus <= upper + info.value.relative_error
    if d == 1:   # q -> g1 / 2 (the wider) where p^2 / g1 lives (x ~ 80): the bound is the value
        assert abs(info.value.log_one_plus - upper) <= 1e-9 * upper


# --- next to the finiteness boundary --------------------------------------------------------------
def _radial_truth(vp, variances, a):
    """1 + chi2 and KL for p = N(0, vp I), q = a N(0, v1 I) + (1 - a) N(0, v2 I) in d = 2 (all centred:
    with s = |x|^2 / 2, dx = 2 pi ds), in mpmath at 40 digits from the float inputs."""
    mpmath.mp.dps = 40
    v = mpmath.mpf(vp)
    v1, v2 = (mpmath.mpf(x) for x in variances)
    w = mpmath.mpf(a)

    def density(s, var):
        return mpmath.e ** (-s / var) / (2 * mpmath.pi * var)

    def q(s):
        return w * density(s, v1) + (1 - w) * density(s, v2)

    rate = min(2 / v - 1 / v1, 2 / v - 1 / v2)
    if rate <= 0:
        rate = 2 / v - 1 / max(v1, v2)
    cuts = [0] + [c / rate for c in (0.1, 1, 10, 100)] + [mpmath.inf]
    one_plus = mpmath.quad(lambda s: 2 * mpmath.pi * density(s, v) ** 2 / q(s), cuts)
    kl_cuts = [0] + [c * v for c in (0.1, 1, 10, 100)] + [mpmath.inf]
    kl_value = mpmath.quad(lambda s: 2 * mpmath.pi * density(s, v) * mpmath.log(density(s, v) / q(s)), kl_cuts)
    return float(one_plus), float(kl_value)


@pytest.mark.parametrize("vp", [3.1999, 3.19999, 3.0])
def test_next_to_the_finiteness_boundary(vp):
    """Components of variance 1 and 1.6: chi2 is finite iff vp < 3.2 (only tau = 1 is feasible at
    3.1999); the 1 + chi2 of 1.6e4 carries 4e-12 relative from the rounding of the inputs."""
    p = Gaussian(np.zeros(2), vp * I2)
    q = _mixture(0.5, [(0, 0), (0, 0)], [1.0, 1.6])
    chi, peak = _chi2_and_peak_memory(p, q)
    assert peak < 1e8   # 4.8 GB before; now about 1 MB (MAX_PANELS panels of 16 nodes: 16 MB at most)
    one_plus, kl_truth = _radial_truth(vp, (1.0, 1.6), 0.5)
    assert _within(chi, one_plus - 1)
    assert chi[1] < 1e-7 * one_plus   # the conditioning (1e-9 relative at 3.19999), not absurd
    assert _within(kl_to_mixture(p, q), kl_truth, 1e-15)
    assert not _within(chi, (one_plus - 1) * (1 + 1e-8))   # control


def test_beyond_the_finiteness_boundary_is_inf():
    p = Gaussian(np.zeros(2), 3.2001 * I2)
    assert chi2_to_mixture(p, _mixture(0.5, [(0, 0), (0, 0)], [1.0, 1.6])) == (math.inf, 0.0)


def test_next_to_the_boundary_off_centre_against_the_reference():
    mean, vp, means, variances, a = (0.3, -0.2), 3.19, [(0, 0), (1, 0.5)], [1.0, 1.6], 0.4
    p = Gaussian(np.asarray(mean), vp * I2)
    q = _mixture(a, means, variances)
    chi, peak = _chi2_and_peak_memory(p, q)
    assert peak < 1e8
    prob = ref.Problem(mean, vp * I2, [a, 1 - a], means, [v * I2 for v in variances])
    ref_chi, ref_err = ref.chi2_cubature(prob, R=14.0, rtol=1e-9)
    assert abs(chi[0] - ref_chi) <= chi[1] + ref_err
    ref_kl, ref_kl_err = ref.kl_cubature(prob, rtol=1e-10)
    k = kl_to_mixture(p, q)
    assert abs(k[0] - ref_kl) <= k[1] + ref_kl_err


# --- p one component, the other 60 sd away ---------------------------------------------------------
@pytest.mark.parametrize("a", [0.5, 0.1, 0.9])
@pytest.mark.parametrize("shift, vp", [(0.0, 1.0), (0.3, 0.9)])
def test_one_component_and_the_other_sixty_sd_away(a, shift, vp):
    """1 + chi2 = (1 + chi2(p || g1)) / a and KL = KL(p || g1) - log a up to e^-400 (0.47 against 1.0
    before, outside the error estimate, at shift 0, a = 1/2)."""
    p = Gaussian(shift * E1, vp * I2)
    g1 = Gaussian(np.zeros(2), I2)
    q = _mixture(a, [(0, 0), 60 * E1], [1.0, 1.0])
    chi_truth = (1 + gaussian_chi2(p, g1)) / a - 1
    kl_truth = gaussian_kl(p, g1) - math.log(a)
    chi, k = chi2_to_mixture(p, q), kl_to_mixture(p, q)
    assert _within(chi, chi_truth, 1e-15 * chi_truth)
    assert chi[1] < 1e-10 * (1 + chi_truth)
    assert _within(k, kl_truth, 1e-15 * kl_truth)
    assert not _within(chi, chi_truth * (1 + 1e-9))   # control
