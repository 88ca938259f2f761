"""The commuting (eigenbasis, blocked) chain against the general full-matrix chain on random instances.

The same score error written as a scalar / vector W (commuting path, O(d) per step) and as the
dense matrix w I / diag(w) (general path, O(d^3) per step, an independent implementation) must give
the same output law, path energy and eta, also when the grid is cut into many ragged blocks.
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gaussian_exact.linear_sde as linear_sde
from gaussian_exact import AffineError, Gaussian
from gaussian_exact.linear_sde import propagate
from gaussian_exact.observability import eta_of

RTOL = 1e-10


def _spd(rng, d):
    a = rng.standard_normal((d, d))
    return 0.2 * np.eye(d) + a @ a.T / d


def _close(x, y, rtol=RTOL, atol=1e-13):
    np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)


def assert_same_propagation(fast, full):
    assert fast.diagonal and not full.diagonal
    _close(fast.out.mean, full.out.mean)
    _close(fast.out.cov, full.out.cov)
    _close(fast.energy, full.energy)
    if fast.S is not None:
        _close(eta_of(fast), eta_of(full))


@pytest.mark.parametrize("block", [None, 1, 3])
@given(seed=st.integers(0, 10_000), steps=st.sampled_from([1, 2, 7, 40]), ode=st.booleans(),
       path=st.sampled_from(["learned", "ideal"]), init=st.sampled_from(["prior", "exact"]),
       timed=st.booleans())
def test_isotropic_fast_path_equals_full_matrix_path(block, seed, steps, ode, path, init, timed):
    d = 4
    rng = np.random.default_rng(seed)
    target = Gaussian(rng.standard_normal(d), _spd(rng, d))
    w0, xi0 = rng.uniform(-0.3, 0.3), 0.3 * rng.standard_normal(d)
    if timed:
        fast = AffineError(W=lambda t: w0 * math.cos(t), xi=lambda t: xi0 * math.sin(2 * t))
        full = AffineError(W=lambda t: w0 * math.cos(t) * np.eye(d), xi=lambda t: xi0 * math.sin(2 * t))
    else:
        fast, full = AffineError(W=w0, xi=xi0), AffineError(W=w0 * np.eye(d), xi=xi0)
    size = linear_sde.BLOCK_ELEMENTS if block is None else block * d
    old, linear_sde.BLOCK_ELEMENTS = linear_sde.BLOCK_ELEMENTS, size
    try:
        a = propagate(target, fast, 4.0, 0.02, steps, init=init, ode=ode, path=path, track=True)
    finally:
        linear_sde.BLOCK_ELEMENTS = old
    b = propagate(target, full, 4.0, 0.02, steps, init=init, ode=ode, path=path, track=True)
    assert_same_propagation(a, b)


@pytest.mark.parametrize("block", [None, 2])
@given(seed=st.integers(0, 10_000), steps=st.sampled_from([1, 5, 33]), path=st.sampled_from(["learned", "ideal"]))
def test_diagonal_fast_path_equals_full_matrix_path(block, seed, steps, path):
    d = 3
    rng = np.random.default_rng(seed)
    target = Gaussian(rng.standard_normal(d), rng.uniform(0.2, 2.0, d))
    w, xi = rng.uniform(-0.3, 0.3, d), 0.3 * rng.standard_normal(d)
    size = linear_sde.BLOCK_ELEMENTS if block is None else block * d
    old, linear_sde.BLOCK_ELEMENTS = linear_sde.BLOCK_ELEMENTS, size
    try:
        a = propagate(target, AffineError(W=w, xi=xi), 4.0, 0.02, steps, path=path, track=True)
    finally:
        linear_sde.BLOCK_ELEMENTS = old
    b = propagate(target.as_full(), AffineError(W=np.diag(w), xi=xi), 4.0, 0.02, steps, path=path, track=True)
    assert_same_propagation(a, b)


def test_energy_can_be_skipped_without_changing_the_law():
    rng = np.random.default_rng(0)
    target = Gaussian(np.zeros(5), _spd(rng, 5))
    err = AffineError(W=-0.1, xi=0.2 * np.ones(5))
    with_e = propagate(target, err, 4.0, 0.02, 50)
    without = propagate(target, err, 4.0, 0.02, 50, with_energy=False)
    assert math.isnan(without.energy) and with_e.energy > 0
    np.testing.assert_array_equal(with_e.out.cov, without.out.cov)


def test_control_a_perturbed_dense_error_is_detected():
    """The comparison above can fail: W = 0.1 vs the dense (0.1 + 1e-6) I differ beyond the tolerance."""
    rng = np.random.default_rng(1)
    target = Gaussian(np.zeros(4), _spd(rng, 4))
    a = propagate(target, AffineError(W=0.1, xi=0.1 * np.ones(4)), 4.0, 0.02, 40, track=True)
    b = propagate(target, AffineError(W=(0.1 + 1e-6) * np.eye(4), xi=0.1 * np.ones(4)), 4.0, 0.02, 40, track=True)
    with pytest.raises(AssertionError):
        assert_same_propagation(a, b)


@given(seed=st.integers(0, 10_000), steps=st.sampled_from([1, 9, 70]), track=st.booleans())
def test_learned_and_ideal_in_one_pass_equal_the_full_matrix_path(seed, steps, track):
    from gaussian_exact.linear_sde import propagate_learned_and_ideal

    d = 5
    rng = np.random.default_rng(seed)
    target = Gaussian(rng.standard_normal(d), _spd(rng, d))
    w, xi = rng.uniform(-0.3, 0.3), 0.3 * rng.standard_normal(d)
    learned, ideal = propagate_learned_and_ideal(target, AffineError(W=w, xi=xi), 4.0, 0.02, steps, track_ideal=track)
    dense = AffineError(W=w * np.eye(d), xi=xi)
    assert_same_propagation(learned, propagate(target, dense, 4.0, 0.02, steps, path="learned"))
    assert_same_propagation(ideal, propagate(target, dense, 4.0, 0.02, steps, path="ideal", track=track))
    assert (ideal.S is not None) == track and learned.S is None


@given(seed=st.integers(0, 10_000))
def test_divergences_in_a_shared_eigenbasis_equal_the_cholesky_formulas(seed):
    """Laws built on one eigenbasis take the O(d^2) route; fresh copies (no cached basis) the Cholesky one."""
    from gaussian_exact import chi2, kl
    from gaussian_exact.gaussian import common_eigenbasis

    d = 6
    rng = np.random.default_rng(seed)
    lam, U = Gaussian(np.zeros(d), _spd(rng, d)).eigh()
    p = Gaussian.from_eigh(rng.standard_normal(d), lam * rng.uniform(0.7, 1.3, d), U)
    q = Gaussian.from_eigh(rng.standard_normal(d), lam * rng.uniform(0.7, 1.3, d), U)
    assert common_eigenbasis(p, q) is U
    p_copy, q_copy = Gaussian(p.mean, p.cov), Gaussian(q.mean, q.cov)
    assert common_eigenbasis(p_copy, q_copy) is None
    _close(kl(p, q), kl(p_copy, q_copy), rtol=1e-9)
    _close(chi2(p, q), chi2(p_copy, q_copy), rtol=1e-9)
