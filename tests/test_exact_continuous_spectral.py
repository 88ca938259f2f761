"""The commuting continuous-time path solved through integrating factors with Chebyshev integrals
(gaussian_exact.linear_sde._spectral_diagonal) against the DOP853 moment-ODE solver it replaces,
on every kind of input the commuting path takes; a perturbed error is detectably different."""
import math

import numpy as np
import pytest

from gaussian_exact import AffineError, Gaussian
from gaussian_exact import linear_sde as ls

rng = np.random.default_rng(0)
A4 = rng.standard_normal((4, 4))
CASES = {
    "d1_isotropic": (Gaussian(np.array([0.3]), np.array([[0.36]])), AffineError(W=-0.03, xi=0.05 * np.ones(1)), "prior"),
    "d1_time_varying": (Gaussian(np.array([0.3]), np.array([[0.36]])),
                        AffineError(W=lambda t: -0.03 * math.cos(t), xi=lambda t: np.array([0.1 * math.sin(5 * t)])),
                        "prior"),
    "d1_exact_init": (Gaussian(np.zeros(1), np.array([[0.5]])), AffineError(W=0.2, xi=None), "exact"),
    "d4_full_cov": (Gaussian(rng.standard_normal(4), 0.36 * np.eye(4) + 0.3 * A4 @ A4.T / 4),
                    AffineError(W=-0.05, xi=0.1 * rng.standard_normal(4)), "prior"),
    "d3_diagonal_small_variance": (Gaussian(np.zeros(3), np.array([1e-3, 0.5, 2.0])),
                                   AffineError(W=np.array([0.01, -0.02, 0.03]), xi=0.1 * np.ones(3)), "prior"),
    "d2_no_error": (Gaussian(np.ones(2), np.array([0.2, 1.5])), AffineError(), "prior"),
}


def fields(p):
    return [np.atleast_1d(v) for v in (p.out.mean, p.C, p.energy, p.S, p.l) if v is not None]


@pytest.mark.parametrize("ode", [False, True])
@pytest.mark.parametrize("name", sorted(CASES))
def test_spectral_path_equals_dop853(name, ode):
    target, error, init = CASES[name]
    frame, m, C, T, t0, _ = ls._prepare(target, error, 4.0, 0.02, None, init)
    assert frame.diagonal
    noise = 0.0 if ode else 1.0
    for learned, track in ((True, False), (False, True)):
        ref = ls._continuous_dop853(frame, m, C, T, t0, learned, ode, noise, track)
        (got,) = ls._spectral_diagonal(frame, m, C, T, t0, [(learned, track)], ode, noise)
        for a, b in zip(fields(ref), fields(got)):
            assert np.max(np.abs(a - b)) <= 1e-9 * max(np.max(np.abs(a)), 1e-12), name
    # control: a 1e-4 change of the error moves the result far beyond that tolerance
    if error.kind != "none":
        other = AffineError(W=-0.0301, xi=0.05 * np.ones(target.dim)) if target.dim == 1 else \
            AffineError(W=0.01, xi=0.1 * np.ones(target.dim))
        f2, m2, C2, *_ = ls._prepare(target, other, 4.0, 0.02, None, init)
        (moved,) = ls._spectral_diagonal(f2, m2, C2, T, t0, [(True, False)], ode, noise)
        (base,) = ls._spectral_diagonal(frame, m, C, T, t0, [(True, False)], ode, noise)
        assert abs(moved.energy - base.energy) > 1e-7 * abs(base.energy)


def test_learned_and_ideal_in_one_pass_equal_separate_propagations():
    target, error, _ = CASES["d4_full_cov"]
    learned, ideal = ls.propagate_learned_and_ideal(target, error, 4.0, 0.02, None, track_ideal=True)
    sep_l = ls.propagate(target, error, 4.0, 0.02, None, path="learned")
    sep_i = ls.propagate(target, error, 4.0, 0.02, None, path="ideal", track=True)
    for a, b in zip(fields(learned) + fields(ideal), fields(sep_l) + fields(sep_i)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
