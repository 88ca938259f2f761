"""Observability eta: exact formula vs Monte-Carlo regression, the time-only cases of THEORY.md s4."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from gaussian_exact import AffineError, Gaussian, observability, observability_mc, path_energy, reverse
from tests._exact_helpers import gaussians, random_spd

T, T0 = 4.0, 0.02


def test_exact_eta_agrees_with_mc_regression_state_dependent():
    rng = np.random.default_rng(0)
    target = Gaussian(rng.standard_normal(2), random_spd(rng, 2))
    error = AffineError(W=0.4 * rng.standard_normal((2, 2)), xi=np.array([0.1, 0.2]))
    exact = observability(target, error, steps=20)
    est = observability_mc(target, error, steps=20, n_paths=100_000, rng=1)
    assert est.eta == pytest.approx(exact, abs=0.015)
    assert est.eps2 == pytest.approx(path_energy(target, error, steps=20), rel=0.03)


def test_exact_eta_agrees_with_mc_regression_time_only():
    target = Gaussian([0.5, -0.3], [[0.8, 0.2], [0.2, 0.5]])
    error = AffineError(xi=lambda t: np.array([math.sin(2 * t), 0.3]))
    exact = observability(target, error, steps=25)
    est = observability_mc(target, error, steps=25, n_paths=60_000, rng=2)
    assert est.n_features == 3  # linear features for a time-only error
    assert est.eta == pytest.approx(exact, abs=0.02)


def test_constant_bias_is_observable_and_equals_the_mean_shift_formula():
    """W = 0: eta = dm^T C^-1 dm / eps2 with dm the output mean shift and eps2 = |xi|^2 (T - t0)."""
    target = Gaussian([0.2, 0.0], [[0.6, 0.1], [0.1, 0.9]])
    xi = np.array([0.3, -0.1])
    out, ideal = reverse(target, AffineError(xi=xi)), reverse(target)
    dm = out.mean - ideal.mean
    expected = dm @ np.linalg.solve(ideal.cov, dm) / (xi @ xi * (T - T0))
    eta = observability(target, AffineError(xi=xi))
    assert eta > 0.1
    assert eta == pytest.approx(expected, rel=1e-7)


def _flow_weight(t, lam):
    """d Y_t0 / d Y_t on the ideal 1-D reverse path: e^{-(t - t0)/2} sig_t0^2 / sig_t^2."""
    sig = lambda s: 1 + (lam - 1) * math.exp(-s)
    return math.exp(-(t - T0) / 2) * sig(T0) / sig(t)


def test_oscillating_error_with_zero_weighted_integral_is_invisible():
    lam = 0.5
    target = Gaussian([0.3], [[lam]])
    wave = lambda t: math.sin(2 * math.pi * 3 * (t - T0) / (T - T0))
    hidden = AffineError(xi=lambda t: np.array([wave(t) / _flow_weight(t, lam)]))
    assert path_energy(target, hidden) > 0.5
    assert observability(target, hidden) < 1e-8
    # control: the same wave without the weight correction is visible
    assert observability(target, AffineError(xi=lambda t: np.array([2.0 + wave(t)]))) > 1e-2


@given(gaussians(2), st.floats(-0.6, 0.6), st.floats(-0.6, 0.6), st.sampled_from([None, 15]))
def test_eta_in_unit_interval(target, w, b, steps):
    error = AffineError(W=np.array([[w, 0.5], [-0.2, w]]), xi=np.array([b, -b]))
    eta = observability(target, error, steps=steps)
    assert 0.0 <= eta <= 1.0


@pytest.mark.parametrize("target, error", [
    (Gaussian([0.5], [[0.4]]), AffineError(W=0.3, xi=[0.2])),  # diagonal mode
    (Gaussian([0.5, 0.0], [[0.4, 0.1], [0.1, 0.8]]), AffineError(W=[[0.3, 0.2], [-0.1, 0.0]], xi=[0.2, 0.1])),  # full
])
def test_chain_eta_converges_to_continuous(target, error):
    cont = observability(target, error)
    ratio = abs(observability(target, error, steps=800) - cont) / abs(observability(target, error, steps=400) - cont)
    assert ratio == pytest.approx(0.5, abs=0.05)  # first order in h
    assert observability(target, error, steps=800) == pytest.approx(cont, abs=2e-3)


def test_zero_error_has_undefined_eta_and_mc_rejects_continuous_time():
    assert math.isnan(observability(Gaussian([0.0], [[1.0]]), None))
    with pytest.raises(ValueError, match="steps"):
        observability_mc(Gaussian([0.0], [[1.0]]), AffineError(xi=[1.0]), steps=None)
