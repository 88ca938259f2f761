"""Issue 10, cases 1-5: the exact Gaussian machinery at its numerical edges (overflow in the tails,
truncated quadrature, infinite-variance importance sampling, ill-conditioned chi2, huge values).

References are independent of the code under test: mpmath quadrature on the whole line (arbitrary
precision, no overflow) and closed forms worked out by hand in the test."""
import math

import mpmath
import numpy as np
import pytest

from gaussian_exact import AffineError, Gaussian, chi2, generations, kl, renyi2
from gaussian_exact.gaussian_integrals import weighted_inner
from gaussian_exact.mixture import GaussianMixture, chi2_to_mixture, kl_to_mixture

mpmath.mp.dps = 30


def _mp_normal(m, v):
    m, v = mpmath.mpf(m), mpmath.mpf(v)
    return lambda x: mpmath.exp(-(x - m) ** 2 / (2 * v)) / mpmath.sqrt(2 * mpmath.pi * v)


def _mp_mixture(weights, comps):
    pdfs = [(mpmath.mpf(w), _mp_normal(m, v)) for w, (m, v) in zip(weights, comps)]
    return lambda x: sum(w * f(x) for w, f in pdfs)


def _mp_line(f, scale):
    """int f over R by mpmath, split at multiples of `scale` so that tanh-sinh sees the bulk."""
    pts = [-mpmath.inf] + [k * scale for k in range(-12, 13)] + [mpmath.inf]
    return float(mpmath.quad(f, pts))


def _mp_kl(pm, pv, weights, comps):
    p, q = _mp_normal(pm, pv), _mp_mixture(weights, comps)
    return _mp_line(lambda x: p(x) * (mpmath.log(p(x)) - mpmath.log(q(x))), 2.0)


def _mp_chi2(pm, pv, weights, comps, scale):
    p, q = _mp_normal(pm, pv), _mp_mixture(weights, comps)
    return _mp_line(lambda x: p(x) ** 2 / q(x), scale) - 1


# --- case 1: d = 1 KL overflowed in the far tails ---------------------------------------------------
def test_case1_kl_to_mixture_finite_when_a_component_is_wider_than_p():
    p = Gaussian([0.2], [[0.5]])
    q = GaussianMixture([0.3, 0.7], [Gaussian([0.0], [[1.0]]), Gaussian([1.0], [[0.4]])])
    ref = _mp_kl(0.2, 0.5, [0.3, 0.7], [(0.0, 1.0), (1.0, 0.4)])
    assert ref == pytest.approx(0.28836, abs=1e-5)
    val, err = kl_to_mixture(p, q)
    assert val == pytest.approx(ref, rel=1e-9) and err < 1e-8


def test_case1_generations_report_finite_intra_generation_kl():
    res = generations(Gaussian([0.0], [[1.0]]), 0.5, 3, error=AffineError(W=[[-0.3]], xi=[0.05]))
    assert np.all(np.isfinite(res.I_kl))
    last, q = res.laws[3], res.training[2]
    ref = _mp_kl(last.mean[0], last.cov[0, 0], q.weights,
                 [(g.mean[0], g.cov[0, 0]) for g in q.components])
    assert res.I_kl[2] == pytest.approx(ref, rel=1e-8)
    assert res.I_kl_se[2] < 1e-8


# --- case 2: a finite but huge Gaussian integral killed the run ------------------------------------
def test_case2_far_initial_law_does_not_crash_and_keeps_the_log():
    data = Gaussian([0.0], [[1.0]])
    res = generations(data, 0.5, 1, p0=Gaussian([30.0], [[1.0]]))
    # chi2(N(30,1) || N(0,1)) = e^900 - 1: beyond float, so inf, with its log carried exactly
    assert res.D_chi2[0] == math.inf
    assert res.D_renyi2[0] == pytest.approx(900.0, rel=1e-12)
    # chi2(q_0 || data) = (1 - alpha)^2 D_0 = e^900 / 4: also beyond float
    assert res.chi2_q_data[0] == math.inf
    row = res.rows()[0]
    assert row["eps2"] == 0.0 and math.isnan(row["eta"])     # eta = 0/0 without an error (documented)
    assert all(not math.isnan(v) for k, v in row.items() if k != "eta")


def test_case2_weighted_inner_overflow_is_inf_not_an_exception():
    data = Gaussian([0.0], [[1.0]])
    far = Gaussian([30.0], [[1.0]])
    assert weighted_inner([(1.0, far)], [(1.0, far)], data) == math.inf
    assert weighted_inner([(-1.0, far)], [(1.0, far)], data) == -math.inf
    # large but representable: int p^2 / data = e^(m^2) at m = 26.5 -> e^702.25
    mid = Gaussian([26.5], [[1.0]])
    assert math.log(weighted_inner([(1.0, mid)], [(1.0, mid)], data)) == pytest.approx(702.25, rel=1e-12)


# --- case 3: d = 1 chi2 near the finiteness boundary was truncated, with a tiny error estimate -----
@pytest.mark.parametrize("v", [1.999, 1.9999])
def test_case3_chi2_near_the_boundary_matches_whole_line_quadrature(v):
    p = Gaussian([0.0], [[v]])
    q = GaussianMixture([0.5, 0.5], [Gaussian([0.0], [[1.0]]), Gaussian([0.0], [[0.1]])])
    ref = _mp_chi2(0.0, v, [0.5, 0.5], [(0.0, 1.0), (0.0, 0.1)], scale=1.0 / math.sqrt(2 / v - 1))
    val, err = chi2_to_mixture(p, q)
    assert abs(val - ref) <= max(err, 1e-9 * ref)    # the error estimate covers the actual error
    assert val == pytest.approx(ref, rel=1e-7)


def test_case3_truncation_is_visible_in_the_error_estimate(monkeypatch):
    """With the panels forced short (1 sd), the estimate must report the lost tail, not rounding."""
    from gaussian_exact import mixture
    p = Gaussian([0.0], [[1.999]])
    q = GaussianMixture([0.5, 0.5], [Gaussian([0.0], [[1.0]]), Gaussian([0.0], [[0.1]])])
    full, _ = chi2_to_mixture(p, q)
    monkeypatch.setattr(mixture, "QUAD_SDS", 1.0)
    short, short_err = chi2_to_mixture(p, q)
    assert full - short > 1.0                   # truncated by a lot ...
    assert short_err >= full - short            # ... and the error estimate says so


# --- case 4: d >= 2 importance-sampled KL with an infinite-variance ratio --------------------------
def test_case4_kl_standard_errors_are_honest_when_p_is_narrower_than_q():
    """p = N(0, 0.3 I), q = two copies of N(0, I) (so KL is closed form): r = q/p has infinite
    variance under p. Over 40 seeds about 5 % of the z-scores may exceed 2; 38 % did."""
    p = Gaussian(np.zeros(2), 0.3 * np.eye(2))
    g = Gaussian(np.zeros(2), np.eye(2))
    q = GaussianMixture([0.5, 0.5], [g, g])
    truth = kl(p, g)
    z = []
    for seed in range(40):
        val, se = kl_to_mixture(p, q, n=4000, rng=seed, method="importance")
        assert se > 0
        z.append((val - truth) / se)
    z = np.array(z)
    assert np.mean(np.abs(z) > 2) <= 0.15, z
    assert abs(np.mean(z)) < 0.6, z


def test_case4_kl_standard_error_still_small_when_p_is_close_to_q():
    """The fix must not throw away the control variate: near p = q the error stays tiny."""
    p = Gaussian(np.array([0.05, 0.0]), np.eye(2))
    q = GaussianMixture([0.5, 0.5], [Gaussian(np.zeros(2), np.eye(2))] * 2)
    truth = kl(p, Gaussian(np.zeros(2), np.eye(2)))   # 0.00125
    val, se = kl_to_mixture(p, q, n=2 ** 14, rng=0, method="importance")
    assert se < 0.05 * truth and abs(val - truth) < 5 * se


# --- case 5: ill-conditioned chi2 ---------------------------------------------------------------------
@pytest.mark.parametrize("e, rel", [(1e-8, 1e-6), (1e-12, 1e-3)])
def test_case5_ill_conditioned_chi2_without_cancellation(e, rel):
    S1 = np.array([[1.0, 1.0 - e], [1.0 - e, 1.0]])
    ef = 1.0 - S1[0, 1]                      # the e the float matrix really carries
    # K = S1 (S2 = I) has eigenvalues 2 - ef and ef; 1 + chi2 = 1 / (ef (2 - ef)) (det A = 1)
    truth = 1.0 / (ef * (2.0 - ef)) - 1.0
    assert chi2(Gaussian(np.zeros(2), S1), Gaussian(np.zeros(2), np.eye(2))) == pytest.approx(truth, rel=rel)


def test_case5_chi2_is_finite_up_to_the_float_limit():
    """chi2 = e^(m^2) - 1 for N(m, 1) against N(0, 1): finite up to m^2 ~ 709.78."""
    p, q = Gaussian([26.6], [1.0]), Gaussian([0.0], [1.0])
    assert renyi2(p, q) == pytest.approx(26.6 ** 2, rel=1e-12)
    assert chi2(p, q) == pytest.approx(math.expm1(26.6 ** 2), rel=1e-10)
    assert chi2(Gaussian([26.7], [1.0]), q) == math.inf
