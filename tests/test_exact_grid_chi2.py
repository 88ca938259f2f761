"""chi2 on grids is right or infinite with its reason (issue 20 point 1; THEORY.md sections 7 and 8).

The grid chain's output for a Gaussian target with an affine error is Gaussian in closed form
(`gaussian_exact.reverse` on a `Gaussian`), so the grid chi2 of the output against the data must equal
the closed-form chi2 (1e-4 relative) where that is finite, and be inf exactly where it is inf.
Independent answers elsewhere: closed-form Gaussian chi2, scipy quadrature for the good-set integral.
"""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from gaussian_exact import (AffineError, DivergenceResult, Gaussian, GridLaw, chi2, chi2_good_set, chi2_reason,
                            reverse)
from gaussian_exact.grid_transition import SPACING_RATIO

T, T0 = 4.0, 0.02
MAX_POINTS_1D = 4000


def chain_case_1d(var, mean, steps, W, xi):
    """(grid chi2, closed-form chi2, grid result with reason) of the K-step chain's output against the data."""
    g = Gaussian(np.array([mean]), np.array([[var]]))
    err = AffineError(W, [xi]) if (W or xi) else None
    out = reverse(g, err, T, T0, steps)
    sd, sd_out = math.sqrt(var), math.sqrt(float(out.cov[0, 0]))
    lo = min(mean - 9 * sd, float(out.mean[0]) - 9 * sd_out, -8.0)
    hi = max(mean + 9 * sd, float(out.mean[0]) + 9 * sd_out, 8.0)
    h = (T - T0) / steps
    dx = min(min(sd, sd_out, 1.0) / 16, 0.8 * SPACING_RATIO * math.sqrt(h))
    points = int(math.ceil((hi - lo) / dx)) + 1
    if points > MAX_POINTS_1D:
        assume(False)
    law = GridLaw.mixture([1.0], [mean], [var], points=points, bounds=(lo, hi))
    grid_out = reverse(law, None if err is None else (lambda x, t: W * x + xi), T, T0, steps)
    res = chi2_reason(grid_out, law, ("learned law", "data"))
    return res.value, chi2(out, g), res


def assert_matches(got, want, res):
    if math.isinf(want):
        assert math.isinf(got), (got, want)
        assert res.reason is not None and res.reason.tail_p and res.reason.tail_q
    else:
        assert math.isfinite(got), (got, want, res.reason)
        assert got == pytest.approx(want, rel=1e-4, abs=1e-12)
        assert res.reason is None


def test_narrow_gaussian_with_the_exact_score_is_finite_and_right():
    """The referee's case: N(0, 0.05), exact score, K = 100: closed form 0.8506 (the grid said inf)."""
    got, want, res = chain_case_1d(0.05, 0.0, 100, 0.0, 0.0)
    assert want == pytest.approx(0.8506, abs=1e-4)
    assert_matches(got, want, res)


@pytest.mark.parametrize("var, mean, steps, W, xi", [
    (1.0, 0.0, 100, 0.3, 0.0),       # expanding error: chi2 = inf
    (0.36, 1.0, 50, -0.2, 0.1),      # contracting error: finite
    (0.04, -2.0, 60, 0.05, 0.05),    # narrow target
    (4.0, 3.0, 20, 0.1, -0.2),       # few steps, wide target
])
def test_fast_sample_of_1d_gaussian_chains(var, mean, steps, W, xi):
    assert_matches(*chain_case_1d(var, mean, steps, W, xi))


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(var=st.floats(0.01, 10.0), mean=st.floats(-5.0, 5.0), steps=st.integers(20, 1000),
       W=st.floats(-0.3, 0.3), xi=st.floats(-0.3, 0.3))
def test_1d_gaussian_chains_match_the_closed_form_or_are_inf_exactly_where_it_is(var, mean, steps, W, xi):
    assert_matches(*chain_case_1d(var, mean, steps, W, xi))


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(var=st.floats(0.05, 2.0), mean=st.floats(-2.0, 2.0), steps=st.integers(20, 120),
       W=st.floats(-0.3, 0.3), xi=st.floats(-0.2, 0.2))
def test_1d_gaussian_chains_fast_hypothesis_sample(var, mean, steps, W, xi):
    assert_matches(*chain_case_1d(var, mean, steps, W, xi))


def chain_case_2d(S, mean, steps, W, max_points):
    g = Gaussian(np.asarray(mean, float), np.asarray(S, float))
    W = np.asarray(W, float)
    out = reverse(g, AffineError(W), T, T0, steps)
    reach = [max(9 * math.sqrt(max(S[c][c], out.cov[c, c])) + abs(mean[c]) + abs(out.mean[c]), 8.0) for c in range(2)]
    h = (T - T0) / steps
    dx = min(0.8 * SPACING_RATIO * math.sqrt(h),
             math.sqrt(min(np.linalg.eigvalsh(S)[0], np.linalg.eigvalsh(out.cov)[0])) / 3)
    points = int(math.ceil(2 * max(reach) / dx)) + 1
    if points > max_points:
        assume(False)
    law = GridLaw.mixture([1.0], [mean], [S], points=points, bounds=[(-r, r) for r in reach])
    grid_out = reverse(law, lambda x, t: x @ W.T, T, T0, steps)
    res = chi2_reason(grid_out, law, ("learned law", "data"))
    return res.value, chi2(out, g), res


def test_2d_gaussian_chain_finite_case():
    S = [[0.6, 0.1], [0.1, 0.8]]
    got, want, res = chain_case_2d(S, [0.0, 0.0], 40, [[-0.1, 0.05], [0.0, 0.1]], 96)
    assert math.isfinite(want)
    assert_matches(got, want, res)


def test_2d_gaussian_chain_infinite_case():
    got, want, res = chain_case_2d([[1.0, 0.0], [0.0, 0.5]], [0.0, 0.0], 30, [[0.3, 0.0], [0.0, 0.0]], 200)
    assert math.isinf(want)
    assert_matches(got, want, res)


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(e1=st.floats(0.05, 2.0), e2=st.floats(0.05, 2.0), angle=st.floats(0.0, math.pi),
       m=st.tuples(st.floats(-2, 2), st.floats(-2, 2)), steps=st.integers(20, 100),
       W=st.tuples(st.floats(-0.3, 0.3), st.floats(-0.3, 0.3), st.floats(-0.3, 0.3), st.floats(-0.3, 0.3)))
def test_2d_gaussian_chains_match_the_closed_form_or_are_inf_exactly_where_it_is(e1, e2, angle, m, steps, W):
    R = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    S = (R @ np.diag([e1, e2]) @ R.T).tolist()
    assert_matches(*chain_case_2d(S, list(m), steps, [[W[0], W[1]], [W[2], W[3]]], 200))


@pytest.mark.slow
def test_2d_chain_with_output_eigenvalues_near_0114_and_0219():
    """The referee's 2-D family: output covariance eigenvalues about 0.11 and 0.22 against data."""
    got, want, res = chain_case_2d([[0.15, 0.03], [0.03, 0.2]], [0.0, 0.0], 60, [[-0.1, 0.05], [0.0, 0.1]], 300)
    assert math.isfinite(want)
    assert_matches(got, want, res)


def test_gmm1d_with_the_exact_score_at_the_papers_step_count_is_finite():
    data = GridLaw.mixture([0.2, 0.4, 0.4], [[0.0], [-4.0], [4.0]], [0.36] * 3)
    out = reverse(data, None, T, T0, 500)
    res = chi2_reason(out, data)
    assert math.isfinite(res.value) and res.reason is None
    assert 0 < res.value < 0.1


def test_two_exact_laws_with_a_divergent_chi2_are_inf_with_fitted_tails_and_the_control_is_finite():
    a = GridLaw.mixture([1.0], [0.0], [0.025], bounds=(-20, 20), points=2001)
    b = GridLaw.mixture([1.0], [0.0], [0.01], bounds=(-20, 20), points=2001)
    res = chi2_reason(a, b, ("learned law", "data"))       # both densities underflow over most of the box
    assert res.value == math.inf and chi2(a, b) == math.inf
    r = res.reason.as_dict()
    assert set(r) >= {"law", "face", "tail_p", "tail_q", "text"} and r["law"] == "learned law"
    assert "exp(-x^2 / 0.05)" in r["tail_p"] and "exp(-x^2 / 0.02)" in r["tail_q"]   # 2 var
    # control: the other way round chi2 is finite, 1/sqrt(r (2 - r)) - 1 with r = 0.01/0.025
    ratio = 0.01 / 0.025
    assert chi2(b, a) == pytest.approx(1 / math.sqrt(ratio * (2 - ratio)) - 1, rel=1e-9)
    # near the boundary (variance ratio 1.9 < 2): finite, not inf
    c = GridLaw.mixture([1.0], [0.0], [0.019], bounds=(-20, 20), points=2001)
    assert chi2(c, b) == pytest.approx(1 / math.sqrt(1.9 * 0.1) - 1, rel=1e-6)


def test_exponential_tails_against_gaussian_data_name_both_tails():
    lap = GridLaw.from_log_density(lambda x: -0.61 * np.abs(x[:, 0]), bounds=(-30, 30), points=3001, mass_tol=1.0)
    data = GridLaw.mixture([1.0], [0.0], [0.36], bounds=(-30, 30), points=3001)
    res = chi2_reason(lap, data, ("learned law", "data"))
    assert res.value == math.inf
    assert "exp(-0.61 |x|)" in res.reason.tail_p and "exp(-x^2 / 0.72)" in res.reason.tail_q
    assert res.reason.face in ("x -> -inf", "x -> +inf")


def test_gaussian_chi2_reason_names_the_direction():
    res = chi2_reason(Gaussian(np.zeros(1), np.eye(1) * 3.0), Gaussian(np.zeros(1), np.eye(1)))
    assert isinstance(res, DivergenceResult) and res.value == math.inf and "exp(-x^2 / 6)" in res.reason.tail_p
    assert chi2_reason(Gaussian(np.zeros(1), np.eye(1)), Gaussian(np.zeros(1), np.eye(1) * 1.5)).reason is None


def test_good_set_chi2_and_mass_outside_against_quadrature():
    vp, vq, kappa = 0.5, 0.2, 1e-6
    p = GridLaw.mixture([1.0], [0.3], [vp], bounds=(-12, 12), points=2401)
    q = GridLaw.mixture([1.0], [0.0], [vq], bounds=(-12, 12), points=2401)
    assert chi2(p, q) == math.inf                            # 2/vp < 1/vq
    value, outside = chi2_good_set(p, q, kappa)
    edge = math.sqrt(-2 * vq * math.log(kappa))               # G = {|x| <= edge}
    fp, fq = stats.norm(0.3, math.sqrt(vp)).pdf, stats.norm(0, math.sqrt(vq)).pdf
    want = integrate.quad(lambda x: (fp(x) - fq(x)) ** 2 / fq(x), -edge, edge, epsabs=0, epsrel=1e-12, limit=200)[0]
    # G on the grid is the set of nodes, so its edge is within one spacing of the true edge
    slack = 2 * 0.01 * (fp(edge) - fq(edge)) ** 2 / fq(edge)
    assert abs(value - want) <= 1e-8 * want + slack
    mass_out = 1 - (stats.norm(0.3, math.sqrt(vp)).cdf(edge) - stats.norm(0.3, math.sqrt(vp)).cdf(-edge))
    assert outside == pytest.approx(mass_out, rel=0.05)
    with pytest.raises(ValueError, match="kappa"):
        chi2_good_set(p, q, 0.0)
