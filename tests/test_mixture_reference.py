"""Referee tests: chi2(p || q) and KL(p || q), p Gaussian, q a two-component Gaussian mixture, against
an independent reference (tests/_mixture_reference.py, written without reading gaussian_exact/mixture.py).

The reference values are tabulated below (REF, from the adaptive cubature for d = 2, 3 and from RQMC
for d >= 20); the default run recomputes the d = 2 entries by a second method (the sinh-mapped
trapezoid grid), the slow run the d = 3 entries (the same grid) and the d >= 20 entries (RQMC with
another seed).

Two kinds of check per case:
* `*_matches_reference`: |value - ref| <= max(error_estimate, tol) and error_estimate <= NOT_ABSURD
  (1e-6 |ref| + 1e-12): what the deterministic method (accuracy ~1e-10, honest error estimate) must
  meet. (The importance sampler it replaced, error = one standard error ~1e-3 relative, failed
  these 53 checks.)
* `*_within_five_error_estimates`: |value - ref| <= 5 error_estimate + tol_ref: the error estimate
  is honest. (The importance sampler failed it for chi2 in d3_nearboundary: 1.83 +- 0.65 against
  7.167, its standard error overconfident near the finiteness boundary.)
d >= 20: z = |value - ref| / sqrt(error_estimate^2 + se_ref^2) <= 5, se_ref the reference's own
Monte Carlo standard error.
"""
import importlib.util
import math
import pathlib
import sys

import numpy as np
import pytest

from gaussian_exact import Gaussian
from gaussian_exact.divergences import chi2 as gaussian_chi2
from gaussian_exact.divergences import kl as gaussian_kl
from gaussian_exact.mixture import GaussianMixture, chi2_to_mixture, kl_to_mixture

# The reference module is loaded from beside this file (not as tests._mixture_reference), so the file
# also runs against another checkout's gaussian_exact (cd /work/main && pytest /path/to/this/file).
_REF_PATH = pathlib.Path(__file__).with_name("_mixture_reference.py")
_spec = importlib.util.spec_from_file_location("_mixture_reference", _REF_PATH)
ref = sys.modules.setdefault("_mixture_reference", importlib.util.module_from_spec(_spec))
if not hasattr(ref, "case"):
    _spec.loader.exec_module(ref)

inf = math.inf

# case: (chi2, chi2 reference error bound, KL, KL reference error bound).
# d = 2, 3: ref.chi2_cubature / ref.kl_cubature (R = 10, rtol 1e-12, atol 1e-14); the bound is the
# cubature's error estimate plus the envelope tail bound. Convergence evidence (the report of the
# referee branch): R = 12 with rtol 1e-13 moves no d = 2 value by more than 2e-13 relative; the
# sinh-mapped tensor trapezoid grid agrees with every entry to <= 5e-15 relative (<= 4e-13 for
# d2_nearequal1m4, 3e-8) at n = 256..512 (d = 2) and n = 192 (d = 3), converging geometrically in n;
# the uniform grid agrees too where it converges (all but d3_wide, d3_nearboundary at n = 256).
# d >= 20: ref.chi2_mc / ref.kl_mc (RQMC, 16 x 2^20 points, seed 2024); the bound is one standard
# error; plain Monte Carlo with other seeds agrees within 1.5 of its standard errors.
REF = {
    "d2_random": (68.96997626274991, 6.58e-11, 1.003281923229552, 8.74e-13),
    "d2_separated": (317.7945133777698, 3.08e-10, 4.27714612962091, 3.53e-12),
    "d2_nearequal1m2": (0.0002898002999109006, 2.50e-15, 0.00014686830105524522, 2.44e-15),
    "d2_nearequal1m4": (2.973533001845525e-08, 8.38e-15, 1.4869726509288202e-08, 7.45e-15),
    "d2_smallweight": (7.753782655129658, 6.08e-12, 1.5174989040346112, 1.40e-12),
    "d2_wide": (1.4379429824477636, 1.27e-12, 0.6547424801520312, 6.02e-13),
    "d2_nearboundary": (14.493441221326984, 1.37e-11, 0.16368705300124997, 1.11e-13),
    "d2_convexonly": (0.39885709959009025, 3.80e-13, 0.19030130065694315, 1.90e-13),
    "d2_infinite": (inf, 0.00e+00, 0.19167605974613658, 1.09e-13),
    "d2_single": (0.018943518046488535, 2.71e-14, 0.010237097058547731, 1.22e-14),
    "d2_nearone": (0.5417290908676823, 4.25e-13, 0.26432098995651654, 2.37e-13),
    "d3_random": (19.114479432930978, 1.89e-11, 1.4671597615504373, 1.41e-12),
    "d3_separated": (1982.8253893084257, 1.96e-09, 5.856359886342802, 5.72e-12),
    "d3_nearequal1m3": (8.708134337313672e-06, 2.83e-17, 4.355735512600659e-06, 2.95e-17),
    "d3_convexonly": (0.5337892245874462, 5.40e-13, 0.22339032958996344, 2.33e-13),
    "d3_nearboundary": (7.167128996316017, 7.18e-12, 0.1616920646047778, 1.67e-13),
    "d3_wide": (0.7957538628800593, 7.85e-13, 0.5112687955811528, 5.17e-13),
    "d3_infinite": (inf, 0.00e+00, 0.24964257005340618, 2.37e-13),
    "d3_single": (0.006534711419138677, 1.51e-14, 0.0033478859425330907, 1.24e-14),
    "d3_nearone": (0.2937469651035582, 2.95e-13, 0.1553650383896467, 1.63e-13),
    "d3_smallweight": (30.008512020505854, 2.96e-11, 2.9167283420550394, 2.87e-12),
    "d20_highd": (0.3465017074594503, 3.16e-06, 0.15620305460245254, 1.13e-06),
    "d20_highdconvexonly": (0.14211340567527309, 1.44e-06, 0.059824618967176946, 1.58e-06),
    "d30_wide": (121.5616376742974, 5.08e-04, 2.4253045565454276, 3.12e-07),
    "d50_highd": (2.2728027294090967, 8.07e-05, 0.5855259019164968, 9.34e-06),
    "d50_highdconvexonly": (0.21366113334642534, 2.09e-06, 0.09155472438052925, 2.99e-06),
}
D2 = [k for k in REF if k.startswith("d2_")]
D3 = [k for k in REF if k.startswith("d3_")]
HIGHD = [k for k in REF if int(k[1:k.index("_")]) >= 20]
LOWD = D2 + D3



def laws(prob):
    p = Gaussian(prob.m, prob.S)
    q = GaussianMixture(prob.w, [Gaussian(m, S) for m, S in zip(prob.means, prob.covs)])
    return p, q


def tol_for(value: float, ref_err: float) -> float:
    """The comparison floor of the deterministic checks: 1e-10 relative (the lead's promise) and the
    reference's own error bound, at least 1e-14 absolute."""
    return max(1e-10 * abs(value), ref_err, 1e-14)


def not_absurd(value: float) -> float:
    return 1e-6 * abs(value) + 1e-12


def assert_matches(value, err, want, want_err):
    """|value - want| <= max(err, tol) and err <= not_absurd(want); inf must match inf exactly."""
    if math.isinf(want):
        assert value == inf, f"expected inf, got {value}"
        return
    assert math.isfinite(value) and math.isfinite(err) and err >= 0, (value, err)
    assert abs(value - want) <= max(err, tol_for(want, want_err)), \
        f"value {value!r} vs reference {want!r}: off by {value - want:.3g}, error estimate {err:.3g}"
    assert err <= not_absurd(want), f"error estimate {err:.3g} too large for reference {want!r}"


def assert_within_five(value, err, want, want_err):
    if math.isinf(want):
        assert value == inf, f"expected inf, got {value}"
        return
    assert math.isfinite(value) and math.isfinite(err) and err >= 0, (value, err)
    assert abs(value - want) <= 5 * err + tol_for(want, want_err), \
        f"value {value!r} vs reference {want!r}: off by {value - want:.3g} = {(value - want) / max(err, 1e-300):.1f} error estimates"


# --- d = 2, 3 against the deterministic reference ---------------------------------------------
@pytest.mark.parametrize("name", LOWD)
def test_chi2_matches_reference(name):
    v, e = chi2_to_mixture(*laws(ref.case(name)))
    assert_matches(v, e, REF[name][0], REF[name][1])


@pytest.mark.parametrize("name", LOWD)
def test_kl_matches_reference(name):
    v, e = kl_to_mixture(*laws(ref.case(name)))
    assert_matches(v, e, REF[name][2], REF[name][3])


@pytest.mark.parametrize("name", LOWD)
def test_chi2_within_five_error_estimates(name):
    v, e = chi2_to_mixture(*laws(ref.case(name)))
    assert_within_five(v, e, REF[name][0], REF[name][1])


@pytest.mark.parametrize("name", LOWD)
def test_kl_within_five_error_estimates(name):
    v, e = kl_to_mixture(*laws(ref.case(name)))
    assert_within_five(v, e, REF[name][2], REF[name][3])


# --- d = 20 .. 50 against the Monte Carlo reference, by z-score --------------------------------
def z_score(value, err, want, want_se):
    return abs(value - want) / math.hypot(err, want_se)


@pytest.mark.parametrize("name", HIGHD)
def test_high_dimension_z_score(name):
    c_want, c_se, k_want, k_se = REF[name]
    p, q = laws(ref.case(name))
    c, ce = chi2_to_mixture(p, q)
    k, ke = kl_to_mixture(p, q)
    assert z_score(c, ce, c_want, c_se) <= 5, (c, ce, c_want, c_se)
    assert z_score(k, ke, k_want, k_se) <= 5, (k, ke, k_want, k_se)


@pytest.mark.parametrize("name", HIGHD)
def test_high_dimension_error_estimate_not_absurd(name):
    p, q = laws(ref.case(name))
    c, ce = chi2_to_mixture(p, q)
    k, ke = kl_to_mixture(p, q)
    assert ce <= not_absurd(c) and ke <= not_absurd(k), (c, ce, k, ke)


# --- limits with known answers -------------------------------------------------------------------
LIMIT_CHECKS = ["matches", "five"]


def limit_check(kind, got, want):
    check = assert_matches if kind == "matches" else assert_within_five
    check(got[0], got[1], want, 0.0)


@pytest.mark.parametrize("kind", LIMIT_CHECKS)
@pytest.mark.parametrize("name", ["d2_single", "d3_single", "d20_single"])
def test_one_gaussian_mixture_equals_closed_forms(name, kind):
    """m1 = m2 and S1 = S2: q is one Gaussian, chi2 and KL are gaussian_exact.divergences' closed forms
    (tol: 1e-10 relative)."""
    prob = ref.case(name)
    p, q = laws(prob)
    g = Gaussian(prob.means[0], prob.covs[0])
    limit_check(kind, chi2_to_mixture(p, q), gaussian_chi2(p, g))
    limit_check(kind, kl_to_mixture(p, q), gaussian_kl(p, g))


@pytest.mark.parametrize("kind", LIMIT_CHECKS)
@pytest.mark.parametrize("name", ["d2_nearone", "d3_nearone"])
def test_weight_near_one_first_order_expansion(name, kind):
    """a = 1 - 1e-7: chi2 and KL to first order in 1 - a (ref.near_one_weight_expansion, error O(1e-14);
    tol: 1e-10 relative)."""
    prob = ref.case(name)
    c_want, k_want = ref.near_one_weight_expansion(prob)
    p, q = laws(prob)
    limit_check(kind, chi2_to_mixture(p, q), c_want)
    limit_check(kind, kl_to_mixture(p, q), k_want)


@pytest.mark.parametrize("kind", LIMIT_CHECKS)
@pytest.mark.parametrize("d", [2, 3])
def test_zero_second_weight_is_the_first_component(d, kind):
    """weights (1, 0): the mixture is its first component exactly (zero weights are dropped)."""
    prob = ref.case(f"d{d}_nearone")
    p = Gaussian(prob.m, prob.S)
    g1, g2 = (Gaussian(m, S) for m, S in zip(prob.means, prob.covs))
    q = GaussianMixture([1.0, 0.0], [g1, g2])
    limit_check(kind, chi2_to_mixture(p, q), gaussian_chi2(p, g1))
    limit_check(kind, kl_to_mixture(p, q), gaussian_kl(p, g1))


def test_infinite_chi2_has_a_divergence_certificate_and_finite_kl():
    """d2_infinite: a direction u with max_j u^T (2 S^-1 - S_j^-1) u < 0 exists; d2_convexonly: each
    2 S^-1 - S_j^-1 is indefinite, yet chi2 is finite (a convex combination is positive definite)."""
    bad = ref.case("d2_infinite")
    assert ref.divergence_direction(bad) is not None and not ref.chi2_is_finite(bad)
    good = ref.case("d2_convexonly")
    assert all(np.linalg.eigvalsh(good.A(j))[0] < 0 for j in range(2))
    assert ref.chi2_is_finite(good) and ref.divergence_direction(good) is None


# --- the reference itself --------------------------------------------------------------------------
def assert_table_entry(name, chi2_value, kl_value, rtol):
    want = REF[name]
    if math.isinf(want[0]):
        assert chi2_value == inf
    else:
        assert abs(chi2_value - want[0]) <= rtol * abs(want[0]) + 1e-20, (chi2_value, want[0])
    assert abs(kl_value - want[2]) <= rtol * abs(want[2]) + 1e-20, (kl_value, want[2])


@pytest.mark.parametrize("name", D2)
def test_reference_table_d2_recomputed_by_a_second_method(name):
    """The d = 2 table (adaptive cubature) against the sinh-mapped tensor trapezoid rule, n = 384."""
    prob = ref.case(name)
    assert_table_entry(name, ref.chi2_grid(prob, 384, sinh=True)[0], ref.kl_grid(prob, 384, sinh=True)[0], 1e-12)


@pytest.mark.skipif(not hasattr(ref.integrate, "cubature"), reason="scipy.integrate.cubature needs scipy >= 1.15")
def test_reference_cubature_reproduces_closed_forms():
    prob = ref.case("d2_single")
    p, g = Gaussian(prob.m, prob.S), Gaussian(prob.means[0], prob.covs[0])
    c, ce = ref.chi2_cubature(prob)
    k, ke = ref.kl_cubature(prob)
    assert abs(c - gaussian_chi2(p, g)) <= 1e-12 * abs(c) and ce < 1e-11
    assert abs(k - gaussian_kl(p, g)) <= 1e-12 * abs(k) and ke < 1e-11


def test_reference_expansion_matches_cubature_near_one():
    c_exp, k_exp = ref.near_one_weight_expansion(ref.case("d2_nearone"))
    assert abs(c_exp - REF["d2_nearone"][0]) < 1e-13 and abs(k_exp - REF["d2_nearone"][2]) < 1e-13


@pytest.mark.parametrize("name", ["d2_random", "d2_convexonly", "d2_nearboundary"])
def test_reference_monte_carlo_agrees_with_cubature(name):
    """The d >= 20 Monte Carlo reference, run in d = 2 against the cubature: |z| <= 5."""
    prob = ref.case(name)
    c, cse = ref.chi2_mc(prob, n=400_000, rng=7)
    k, kse = ref.kl_mc(prob, n=400_000, rng=7)
    assert abs(c - REF[name][0]) <= 5 * cse, (c, cse)
    assert abs(k - REF[name][2]) <= 5 * kse, (k, kse)


def test_reference_switch_statistic_reduction():
    """D(x) = gamma + sum_k (beta_k y_k + alpha_k y_k^2) for x = mu + L Q y (the reduction the MC uses)."""
    prob = ref.case("d20_highd")
    mu, C = prob.m + 0.1, prob.S * 1.2
    gamma, alpha, beta, D = ref.switch_statistic(prob, mu, C)
    L = np.linalg.cholesky(C)
    _, Q = np.linalg.eigh(L.T @ (np.linalg.inv(prob.covs[0]) - np.linalg.inv(prob.covs[1])) @ L)
    y = np.random.default_rng(3).standard_normal((50, prob.d))
    x = mu + (y @ Q.T) @ L.T
    np.testing.assert_allclose(D(x), gamma + y @ beta + (y * y) @ alpha, rtol=1e-10, atol=1e-10)


def test_control_mutated_values_fail():
    """Controls: the checks reject a value 1e-8 relative off with a 1e-10 error estimate, an absurd
    error estimate, a finite value for an infinite chi2, and a 6-sigma miss in high dimension."""
    want, want_err = REF["d2_random"][0], REF["d2_random"][1]
    with pytest.raises(AssertionError):
        assert_matches(want * (1 + 1e-8), 1e-10 * want, want, want_err)
    with pytest.raises(AssertionError):
        assert_matches(want, 1e-3 * want, want, want_err)
    with pytest.raises(AssertionError):
        assert_within_five(want * (1 + 1e-8), 1e-10 * want, want, want_err)
    with pytest.raises(AssertionError):
        assert_matches(1e300, 0.0, inf, 0.0)
    assert_matches(want * (1 + 1e-11), 1e-10 * want, want, want_err)   # and accept a right one
    assert z_score(1.0 + 6e-4, 0.0, 1.0, 1e-4) > 5


# --- slow: the d = 3 and d >= 20 tables recomputed -------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", D3)
def test_reference_table_d3_recomputed_by_a_second_method(name):
    """The d = 3 table (adaptive cubature) against the sinh-mapped tensor trapezoid rule, n = 192."""
    prob = ref.case(name)
    assert_table_entry(name, ref.chi2_grid(prob, 192, sinh=True)[0], ref.kl_grid(prob, 192, sinh=True)[0], 1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("name", HIGHD)
def test_reference_table_high_dimension_recomputed(name):
    prob = ref.case(name)
    want = REF[name]
    c, cse = ref.chi2_mc(prob, n=2_000_000, rng=99)
    k, kse = ref.kl_mc(prob, n=2_000_000, rng=99)
    assert z_score(c, cse, want[0], want[1]) <= 5 and z_score(k, kse, want[2], want[3]) <= 5
