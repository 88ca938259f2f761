"""reverse(): exact output law against closed forms, Monte Carlo of the same chain, and its limit.

The sign trap (THEORY.md section 1): a reverse drift -1/2 y - score instead of +1/2 y + score gives
a standard deviation of about 26 on N(0, 0.6^2). The closed forms and the independent particle
simulation below (drift written out here, not taken from the package) catch any such change.
"""
import math

import numpy as np
import pytest

from gaussian_exact import AffineError, Gaussian, forward, kl, reverse
from tests._exact_helpers import random_spd

T, T0 = 4.0, 0.02


def closed_form_ideal_prior(target, T=T, t0=T0):
    """Exact continuous output from N(0, I) with the exact score, per eigenvalue lam of S:
    sig_t^2 = 1 + (lam - 1) e^-t, Phi = e^-(T - t0)/2 sig_t0^2 / sig_T^2 (the linear flow map),
    C = Phi^2 + sig_t0^2 - Phi^2 sig_T^2, mean = (a_t0 - Phi a_T) m (derived in the test, THEORY.md s4)."""
    lam, U = np.linalg.eigh(target.cov)
    sig = lambda t: 1 + (lam - 1) * math.exp(-t)
    phi = math.exp(-(T - t0) / 2) * sig(t0) / sig(T)
    c = phi ** 2 + sig(t0) - phi ** 2 * sig(T)
    mean = U @ ((math.exp(-t0 / 2) - phi * math.exp(-T / 2)) * (U.T @ target.mean))
    return Gaussian(mean, (U * c) @ U.T)


def simulate_chain(target, error, steps, n, seed, T=T, t0=T0):
    """Particles of Y_{k+1} = Y_k + h (Y_k/2 + score(Y_k, t_k) + e(Y_k, t_k)) + sqrt(h) Z_k from N(0, I)."""
    rng = np.random.default_rng(seed)
    h = (T - t0) / steps
    d = target.dim
    y = rng.standard_normal((n, d))
    for k in range(steps):
        t = T - k * h
        a, s2 = math.exp(-t / 2), 1 - math.exp(-t)
        sig_inv = np.linalg.inv(a * a * target.cov + s2 * np.eye(d))
        score = -(y - a * target.mean) @ sig_inv + (0 if error is None else error(y, t))
        y = y + h * (0.5 * y + score) + math.sqrt(h) * rng.standard_normal((n, d))
    return y


def assert_moments_in_clt_band(x, law, z=4.5):
    n = len(x)
    S = law.cov
    assert np.all(np.abs(x.mean(0) - law.mean) < z * np.sqrt(np.diag(S) / n))
    se = np.sqrt((np.outer(np.diag(S), np.diag(S)) + S ** 2) / n)
    assert np.all(np.abs(np.cov(x, rowvar=False) - S) < z * se)


def test_sign_trap_standard_deviation_on_the_paper_target():
    out = reverse(Gaussian([0.0], [[0.36]]), T=T, t0=T0, steps=500)
    assert abs(math.sqrt(out.cov[0, 0]) - 0.6) < 0.02  # the trap gives about 26


def test_exact_sampling_continuous_equals_forward_at_t0():
    rng = np.random.default_rng(0)
    target = Gaussian(rng.standard_normal(3), random_spd(rng, 3))
    for ode in (False, True):
        out = reverse(target, init="exact", ode=ode)
        ref = forward(target, T0)
        np.testing.assert_allclose(out.mean, ref.mean, atol=1e-8)
        np.testing.assert_allclose(out.cov, ref.cov, atol=1e-8)


def test_continuous_prior_init_matches_closed_form():
    rng = np.random.default_rng(1)
    target = Gaussian(rng.standard_normal(3), random_spd(rng, 3, 0.05, 3.0))
    out, ref = reverse(target), closed_form_ideal_prior(target)
    np.testing.assert_allclose(out.mean, ref.mean, atol=1e-8)
    np.testing.assert_allclose(out.cov, ref.cov, atol=1e-8)


def test_chain_matches_particle_simulation_of_the_same_grid():
    rng = np.random.default_rng(2)
    target = Gaussian(rng.standard_normal(2), random_spd(rng, 2))
    error = AffineError(W=0.3 * rng.standard_normal((2, 2)), xi=lambda t: np.array([0.2 * math.sin(t), 0.1]))
    steps = 25  # coarse grid: the chain's discretization bias is far outside the CLT band
    law = reverse(target, error, steps=steps)
    x = simulate_chain(target, error, steps, n=200_000, seed=3)
    assert_moments_in_clt_band(x, law)
    assert kl(law, reverse(target, error)) > 1e-3  # the grid matters: not the continuous answer


def test_chain_converges_to_continuous_at_first_order():
    rng = np.random.default_rng(4)
    target = Gaussian(rng.standard_normal(2), random_spd(rng, 2))
    error = AffineError(W=np.array([[0.1, 0.2], [0.0, -0.1]]), xi=np.array([0.3, -0.1]))
    cont = reverse(target, error)
    errs = [np.abs(reverse(target, error, steps=k).cov - cont.cov).max() for k in (200, 400, 800)]
    assert errs[1] / errs[0] == pytest.approx(0.5, abs=0.05)
    assert errs[2] / errs[1] == pytest.approx(0.5, abs=0.05)


def test_commuting_fast_path_equals_full_path():
    rng = np.random.default_rng(5)
    m, v = rng.standard_normal(4), rng.uniform(0.2, 2, 4)
    w = rng.uniform(-0.3, 0.3, 4)
    xi = lambda t: np.cos(t) * np.arange(4.0) / 4
    for steps in (50, None):
        fast = reverse(Gaussian(m, v), AffineError(W=w, xi=xi), steps=steps)
        full = reverse(Gaussian(m, np.diag(v)), AffineError(W=w, xi=xi), steps=steps)
        assert fast.is_diagonal and not full.is_diagonal
        np.testing.assert_allclose(fast.cov, full.cov, atol=1e-9)
        np.testing.assert_allclose(fast.mean, full.mean, atol=1e-9)
    S = random_spd(rng, 4)  # isotropic W on a full target: eigenbasis path vs explicit matrix W
    a = reverse(Gaussian(m, S), AffineError(W=0.2, xi=xi), steps=40)
    b = reverse(Gaussian(m, S), AffineError(W=lambda t: 0.2 * np.eye(4) + 0 * t, xi=xi), steps=40)
    np.testing.assert_allclose(a.cov, b.cov, atol=1e-10)


@pytest.mark.parametrize("kwargs, word", [
    (dict(T=1.0, t0=1.0), "t0"), (dict(T=-1.0), "T"), (dict(steps=0), "steps"), (dict(steps=2.5), "steps"),
    (dict(init="uniform"), "init"), (dict(error=AffineError(xi=np.ones(3))), "xi"),
    (dict(error=AffineError(W=np.ones((3, 3)))), "W"),
])
def test_bad_input(kwargs, word):
    with pytest.raises(ValueError, match=word):
        reverse(Gaussian([0.0, 0.0], np.eye(2)), **kwargs)


def test_init_given_as_a_gaussian_equals_the_named_inits():
    target = Gaussian([0.3, -0.2], [[0.7, 0.1], [0.1, 0.4]])
    error = AffineError(W=0.1, xi=[0.1, 0.0])
    for steps in (30, None):
        a = reverse(target, error, steps=steps, init=forward(target, T))
        b = reverse(target, error, steps=steps, init="exact")
        np.testing.assert_allclose(a.cov, b.cov, atol=1e-9)
        c = reverse(Gaussian(target.mean, target.var), error, steps=steps, init=Gaussian([0.0, 0.0], [1.0, 1.0]))
        d = reverse(Gaussian(target.mean, target.var), error, steps=steps)
        np.testing.assert_allclose(c.cov, d.cov, atol=1e-9)
