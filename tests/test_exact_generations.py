"""The exact Gaussian pipeline: Lemma F.1, the one-step identity, the innovation inequality and
Prop 3.1 on hypothesis-drawn instances, each with a control that must fail (THEORY.md s2, s3).

Constants written here (validate ties them to bounds.catalog()):
  Lemma F.1:  chi2(q_i || data) = (1 - alpha)^2 D_i
  identity:   D_{i+1} = (1 - alpha)^2 D_i + 2 (1 - alpha) cross_i + J_i
  innovation: alpha I_i <= J_i  and  D_{i+1} + (1 - alpha)^2 D_i >= alpha / 2 I_i
  Prop 3.1:   KL(p^{i+1} || ideal output) <= 1/2 epshat2_i
"""
import math

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

from gaussian_exact import AffineError, Gaussian, reverse
from gaussian_exact.generations import generations
from tests._exact_helpers import gaussians

TOL = 1e-10


def errors(d):
    return st.builds(lambda w, b: AffineError(W=w, xi=np.full(d, b)), st.floats(-0.15, 0.15), st.floats(-0.3, 0.3))


def run(data, alpha, error, d, **kw):
    kw.setdefault("steps", 20)
    return generations(data, alpha, 3, error=error, mixture_samples=2 ** 13, **kw)


@given(st.sampled_from([1, 2]).flatmap(lambda d: st.tuples(gaussians(d, 0.4, 1.5), st.floats(0.05, 0.95), errors(d))))
def test_lemma_f1_identity_innovation_prop31(args):
    data, alpha, error = args
    r = run(data, alpha, error, data.dim)
    D, c = r.D_chi2, (1 - alpha) ** 2
    assume(np.all(np.isfinite(D)) and np.all(np.isfinite(r.I_chi2)))
    assert abs(D[0]) < 1e-12
    np.testing.assert_allclose(r.chi2_q_data, c * D[:-1], atol=TOL * (1 + D.max()), rtol=0)
    np.testing.assert_allclose(D[1:], c * D[:-1] + 2 * (1 - alpha) * r.cross + r.J, atol=TOL * (1 + D.max()), rtol=0)
    slack = 4.5 * r.I_chi2_se + 1e-9
    assert np.all(alpha * (r.I_chi2 - slack) <= r.J)
    assert np.all(D[1:] + c * D[:-1] >= alpha / 2 * (r.I_chi2 - slack))
    assert np.all(r.kl_ideal <= 0.5 * r.epshat2 * (1 + 1e-9) + 1e-12)
    eta = r.eta[r.eps2 > 0]
    assert np.all((0 <= eta) & (eta <= 1))


def test_controls_mutated_constants_fail():
    """A mutated identity coefficient, a mutated Lemma F.1 and the innovation without alpha all fail."""
    data = Gaussian([0.0, 0.0], [[1.0, 0.3], [0.3, 0.6]])
    alpha = 0.3
    r = generations(data, alpha, 3, error=AffineError(W=-0.3, xi=[0.4, 0.0]), steps=20)
    D = r.D_chi2
    assert np.abs(D[2:] - ((1 - alpha) * D[1:-1] + 2 * (1 - alpha) * r.cross[1:] + r.J[1:])).max() > 1e-3
    assert np.abs(r.chi2_q_data[1:] - (1 - alpha) * D[1:-1]).max() > 1e-3
    # innovation: alpha I <= J cannot be strengthened to 0.9 I <= J (1-D, quadrature: I exact to 1e-12)
    far = generations(Gaussian([0.0], [[1.0]]), alpha, 1, p0=Gaussian([2.0], [[0.2]]), steps=20)
    assert alpha * far.I_chi2[0] <= far.J[0] < 0.9 * far.I_chi2[0]


def test_identity_holds_in_accumulate_mode_with_cross_q():
    data = Gaussian([0.2, -0.1], [[0.9, 0.2], [0.2, 0.7]])
    r = generations(data, [0.2, 0.5, 0.1, 0.3], 4, error=AffineError(W=0.05, xi=[0.1, 0.2]), mode="accumulate",
                    steps=15, mixture_samples=0)
    D = r.D_chi2
    assert np.all(np.isfinite(D)) and D[-1] > 0.1
    np.testing.assert_allclose(D[1:], r.chi2_q_data + 2 * r.cross_q + r.J, atol=TOL * (1 + D.max()), rtol=0)
    assert len(r.training[3].components) == 8  # data and p^0..p^3, one batch each


def test_alpha_one_keeps_every_generation_on_the_first():
    data = Gaussian([0.3], [[0.5]])
    r = generations(data, 1.0, 4, error=AffineError(xi=[0.2]), steps=10)
    assert np.ptp(r.D_chi2[1:]) < 1e-14 and r.D_chi2[1] > 0
    np.testing.assert_allclose(r.chi2_q_data, 0.0, atol=1e-15)


def test_finite_sample_learner_output_is_reverse_of_the_fitted_gaussian():
    """With n_samples the error relative to G_i adds the fitting fluctuation; p^{i+1} must then be
    reverse(fitted Gaussian, injected error), computed independently."""
    data = Gaussian([0.0, 0.5], [[1.0, 0.2], [0.2, 0.5]])
    e = AffineError(W=0.1, xi=[0.05, 0.0])
    r = generations(data, 0.5, 2, error=e, n_samples=50, steps=12, seed=4, mixture_samples=0)
    for i in range(2):
        direct = reverse(r.learners[i], e, steps=12)
        np.testing.assert_allclose(r.laws[i + 1].cov, direct.cov, atol=1e-10)
        np.testing.assert_allclose(r.laws[i + 1].mean, direct.mean, atol=1e-10)
    assert np.abs(r.learners[0].cov - r.moment_matched[0].cov).max() > 1e-3  # the fluctuation is real


def test_rows_layout():
    r = generations(Gaussian([0.0], [[1.0]]), 0.5, 2, error=AffineError(xi=[0.1]), steps=5)
    rows = r.rows()
    assert [row["generation"] for row in rows] == [0, 1, 2]
    assert rows[0]["alpha"] == 0.5 and math.isnan(rows[2]["alpha"]) and math.isnan(rows[2]["eta"])
    assert {"D_chi2", "D_kl", "D_w2", "I_chi2", "I_chi2_gaussian", "I_kl", "eps2", "epshat2", "eta", "cross",
            "J", "chi2_q_data", "kl_ideal", "chi2_ideal"} <= set(rows[0])


@pytest.mark.parametrize("kwargs, word", [
    (dict(alpha=1.5), "alpha"), (dict(alpha=[0.1]), "alpha"), (dict(n_generations=0), "n_generations"),
    (dict(mode="grow"), "mode"), (dict(n_samples=2), "n_samples"), (dict(t0=5.0), "t0"),
    (dict(error=AffineError(xi=[1.0, 2.0])), "xi"),
])
def test_bad_input(kwargs, word):
    args = dict(data=Gaussian([0.0], [[1.0]]), alpha=0.5, n_generations=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=word):
        generations(**args)
