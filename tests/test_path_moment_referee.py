"""Referee checks: the package's tilted path moments and the proof's conditional quantities
(gaussian_exact.tilted_moment, grid_path_moments) against the independent references of
tests/_path_moment_reference.py, written from THEORY.md section 8 alone (issue 18)."""
import math

import numpy as np
import pytest

from _path_moment_reference import DenseChain, GaussianPath, ou
from gaussian_exact import AffineError, Gaussian, GridLaw, grid_path_moments, tilted_moment

M, S2, W, XI, K = 0.4, 0.3, -0.15, 0.2, 40
WEIGHTS, MEANS, VARS = np.array([0.3, 0.7]), np.array([-1.5, 1.0]), np.array([0.2, 0.35])


def _mixture_score(y, t):
    a, v = ou(t)
    var = a * a * VARS + v
    logn = -(y[:, None] - a * MEANS) ** 2 / (2 * var) - 0.5 * np.log(var) + np.log(WEIGHTS)
    r = np.exp(logn - logn.max(axis=1, keepdims=True))
    r /= r.sum(axis=1, keepdims=True)
    return np.sum(r * (-(y[:, None] - a * MEANS) / var), axis=1)


def _error(y, t):
    return 0.25 * np.tanh(y) + 0.1 * math.cos(t)


def _grid_error(x, t):
    return _error(x[:, 0], t)[:, None]


def _std_normal(y):
    return np.exp(-y * y / 2) / math.sqrt(2 * math.pi)


@pytest.mark.parametrize("a", [0.5, 1.5, 2.0, 3.0])
def test_riccati_tilted_moment_matches_the_path_quadratic_form(a):
    ref = GaussianPath(M, S2, W, XI, K=K).tilted_moment(a)
    got = tilted_moment(Gaussian([M], [[S2]]), AffineError(W=W, xi=[XI]), a, steps=K)
    assert got.moment == pytest.approx(ref, rel=1e-8)


def test_riccati_says_inf_where_the_quadratic_form_is_indefinite():
    ref = GaussianPath(M, S2, 0.3, 0.0, K=K)
    assert math.isfinite(ref.tilted_moment(1.5)) and math.isinf(ref.tilted_moment(3.0))
    target, err = Gaussian([M], [[S2]]), AffineError(W=0.3)
    assert tilted_moment(target, err, 1.5, steps=K).moment == pytest.approx(ref.tilted_moment(1.5), rel=1e-8)
    assert tilted_moment(target, err, 3.0, steps=K).infinite


@pytest.mark.parametrize("a", [0.5, 2.0, 3.0])
def test_grid_tilted_moment_on_a_mixture_matches_the_dense_recursion(a):
    dense = DenseChain(_mixture_score, _error, _std_normal, -10.0, 10.0, 2001, K=K)
    law = GridLaw.mixture(WEIGHTS, MEANS, VARS, bounds=(-10.0, 10.0))
    got = grid_path_moments(law, _grid_error, a_values=[a], steps=K).tilted[0]
    assert got.moment == pytest.approx(dense.tilted_moment(a), rel=1e-8)


def test_grid_zbar_and_proof_moments_on_a_mixture_match_the_dense_recursion():
    law = GridLaw.mixture(WEIGHTS, MEANS, VARS, bounds=(-10.0, 10.0))
    y = law.axes[0]     # the same nodes, so that Zbar is compared node by node
    dense = DenseChain(_mixture_score, _error, _std_normal, y[0], y[-1], len(y), K=K).proof_quantities()
    np.testing.assert_allclose(dense["grid"], y, rtol=0, atol=1e-12)
    c = grid_path_moments(law, _grid_error, steps=K, conditional=True).conditional
    assert c.E_Zbar2 == pytest.approx(dense["zbar2"], rel=1e-8)
    assert c.E_Psi2 == pytest.approx(dense["psi2"], rel=1e-7)
    ref = dense["zbar"]
    inside = c.p_ideal > 1e-6 * c.p_ideal.max()
    np.testing.assert_allclose(np.asarray(c.Zbar)[inside], ref[inside], rtol=1e-7, atol=1e-9)
