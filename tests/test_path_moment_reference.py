"""The referee's two references for tilted path moments and Zbar (tests/_path_moment_reference.py)
agree with each other, with Monte Carlo of the chain, and with known exact values."""
import math

import numpy as np
import pytest

from _path_moment_reference import DenseChain, GaussianPath, ou

M, S2, W, XI, K = 0.4, 0.3, -0.15, 0.2, 40


def _gaussian_score(m, s2):
    def score(y, t):
        a, v = ou(t)
        return -(y - a * m) / (a * a * s2 + v)
    return score


def _dense(a_err=W, xi=XI, K=K, n=1601):
    return DenseChain(_gaussian_score(M, S2), lambda y, t: a_err * y + xi,
                      lambda y: np.exp(-y * y / 2) / math.sqrt(2 * math.pi), -9.0, 9.0, n, K=K)


@pytest.mark.parametrize("a", [0.5, 1.5, 2.0, 3.0])
def test_tilted_moment_two_methods_agree(a):
    ref = GaussianPath(M, S2, W, XI, K=K).tilted_moment(a)
    assert _dense().tilted_moment(a) == pytest.approx(ref, rel=1e-9)


def test_proof_quantities_two_methods_agree():
    g = GaussianPath(M, S2, W, XI, K=K)
    q = _dense().proof_quantities()
    assert q["eps2"] == pytest.approx(g.eps2(), rel=1e-9)
    assert q["zbar2"] == pytest.approx(g.zbar_second_moment(), rel=1e-8)
    assert q["psi2"] == pytest.approx(g.psi_second_moment(), rel=1e-7)
    assert q["chi2"] == pytest.approx(g.output_chi2(), rel=1e-8)
    assert q["qv2"] == pytest.approx(g.qv_second_moment(), rel=1e-9)
    assert q["eta"] == pytest.approx(g.eta(), rel=1e-8)
    inside = q["p"] > 1e-6 * q["p"].max()
    np.testing.assert_allclose(q["zbar"][inside], g.zbar(q["grid"][inside]), rtol=1e-7, atol=1e-10)


def test_time_only_error_gives_a_eps2_over_2():
    g = GaussianPath(M, S2, 0.0, lambda t: 0.3 * math.cos(t), K=K)
    for a in (0.5, 2.0, 3.0):
        assert g.path_renyi(a) == pytest.approx(a * g.eps2() / 2, rel=1e-10)


def test_tilted_moment_against_monte_carlo_of_the_chain():
    rng = np.random.default_rng(0)
    g = GaussianPath(M, S2, W, XI, K=K)
    n, h = 200_000, g.h
    y = rng.standard_normal(n)
    Z = np.zeros(n)
    score = _gaussian_score(M, S2)
    for k in range(K):
        t = 4.0 - k * h
        d = h * (W * y + XI)
        z = rng.standard_normal(n)
        Z += d * z / math.sqrt(h) - d * d / (2 * h)
        y = y + h * (0.5 * y + score(y, t)) + math.sqrt(h) * z
    for a in (0.5, 1.5, 2.0):
        v = np.exp(a * Z)
        zscore = (v.mean() - g.tilted_moment(a)) / (v.std() / math.sqrt(n))
        assert abs(zscore) < 4, (a, zscore)


def test_moment_is_infinite_when_the_quadratic_form_loses_definiteness():
    g = GaussianPath(M, S2, 0.3, 0.0, K=K)        # a state-dependent error: Lambda^a has heavy tails for large a
    vals = [g.tilted_moment(a) for a in (1.5, 3.0)]
    assert math.isfinite(vals[0]) and math.isinf(vals[-1])


def test_control_a_wrong_tilt_factor_is_caught():
    """The reference must be able to fail: dropping the exp(a (a-1) d^2 / 2h) factor changes the moment."""
    dense = _dense()
    exact = GaussianPath(M, S2, W, XI, K=K).tilted_moment(2.0)
    h, u = dense.h, dense.p0.copy()
    for k in range(dense.K):
        mu, d = dense._drifts(k)
        N, _ = dense._kernel(mu + 2.0 * d)
        u = (dense.w * u) @ N
    assert abs(float(np.sum(dense.w * u)) / exact - 1) > 1e-3
