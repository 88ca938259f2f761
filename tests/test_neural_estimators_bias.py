"""Issue 10, case 8: the sample estimators in 10-D at the toolkit's sizes, against the Gaussian
closed forms (gaussian_exact), with z-scores over seeds. Each test failed on the uncorrected
estimators (numbers in bench/RESULTS.md); kNN KL has no known correction and its documented bias
is pinned instead."""
import math

import numpy as np
import pytest
import torch

import gaussian_exact as ge
from neural.error_injection import ErrorInjectedScore, random_direction_matrix
from neural.estimators import classifier_divergences, frechet_distance, knn_kl, w2_debiased, w2_to_data
from neural.observability import observability_mc
from neural.sde import VPSDE

D = 10
Q = ge.Gaussian(np.zeros(D), np.ones(D))
MEAN = ge.Gaussian(np.full(D, math.sqrt(0.05)), np.ones(D))          # KL 0.25, W2^2 0.5
NARROW = ge.Gaussian(np.zeros(D), np.array([0.5, 0.5] + [1.0] * (D - 2)))


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def draw(law, n, seed):
    return law.sample(n, np.random.default_rng(seed))


def mean_and_se(values):
    v = np.asarray(values, dtype=float)
    return v.mean(), v.std(ddof=1) / math.sqrt(len(v))


@pytest.mark.parametrize("p", [Q, MEAN, NARROW], ids=["same", "mean", "narrow"])
def test_classifier_chi2_and_kl_unbiased_with_honest_errors(p):
    chi, kl = ge.chi2(p, Q), ge.kl(p, Q)
    z_chi, z_kl, vals = [], [], []
    for s in range(6):
        out = classifier_divergences(draw(p, 2000, 2 * s), draw(Q, 2000, 2 * s + 1), seed=s)
        vals.append(out["chi2"])
        z_chi.append((out["chi2"] - chi) / out["chi2_se"])
        z_kl.append((out["kl"] - kl) / out["kl_se"])
    assert np.all(np.abs(z_chi) < 3.5) and np.all(np.abs(z_kl) < 3.5), (z_chi, z_kl)
    m, se = mean_and_se(vals)
    assert abs(m - chi) < 3 * se + 0.01          # the plug-in was +0.07 at p = q (z = 5.7 on its own se)


def test_frechet_distance_debiased_at_p_equals_q_and_under_a_shift():
    same = [frechet_distance(draw(Q, 2000, 2 * s), draw(Q, 2000, 2 * s + 1)) for s in range(8)]
    m, se = mean_and_se(same)
    assert abs(m) < 3 * se + 0.003               # the plug-in gave 0.039 (documented 0.01)
    plug = [frechet_distance(draw(Q, 2000, 2 * s), draw(Q, 2000, 2 * s + 1), debias=False) for s in range(8)]
    assert np.mean(plug) > 0.03                  # control: the plug-in's bias is real
    shifted = [frechet_distance(draw(MEAN, 2000, 2 * s), draw(Q, 2000, 2 * s + 1)) for s in range(8)]
    m, se = mean_and_se(shifted)
    assert abs(m - ge.w2(MEAN, Q) ** 2) < 3 * se + 0.01


def test_w2_debiased_ranks_pairs_and_matches_w2_squared():
    n = 600
    est = {}
    for name, p in (("same", Q), ("narrow", NARROW), ("mean", MEAN)):
        vals = [w2_debiased(draw(p, n, 2 * s), draw(Q, n, 2 * s + 1)) for s in range(5)]
        m, se = mean_and_se(vals)
        assert abs(m - ge.w2(p, Q) ** 2) < 3 * se + 0.03, (name, m)
        est[name] = m
    assert est["same"] < est["narrow"] < est["mean"]     # truths 0 < 0.17 < 0.5
    value, name = w2_to_data(draw(MEAN, n, 1), draw(Q, n, 2), max_points=n)
    assert name == f"w2_debiased_split_half_subsample_{n}" and abs(value - ge.w2(MEAN, Q)) < 0.2


def test_knn_kl_bias_is_as_documented():
    """No correction is known that works in 10-D; the docstring and bench/RESULTS.md give the
    measured bias at n = 2000, k = 1: about -0.04 under a mean shift, +0.07 under a variance
    change (narrower p). Pinned here so that a change to the estimator must update them."""
    for p, documented in ((MEAN, -0.044), (NARROW, 0.073)):
        vals = [knn_kl(draw(p, 2000, 2 * s), draw(Q, 2000, 2 * s + 1)) - ge.kl(p, Q) for s in range(6)]
        m, se = mean_and_se(vals)
        assert abs(m - documented) < 3 * se + 0.01, (m, documented)


def test_eta_crossfit_unbiased_at_small_eta_and_few_paths():
    steps, n_paths = 50, 300
    G = random_direction_matrix(D, seed=3).numpy()
    W = 0.3 * (G - G.T) / 2 + 0.04 * np.eye(D)
    truth = ge.observability(ge.Gaussian(np.zeros(D), np.full(D, 0.36)), ge.AffineError(W=W), steps=steps)
    assert 0.004 < truth < 0.02

    def exact(x, t):
        a, s2 = math.exp(-t / 2), -math.expm1(-t)
        return -x / (a * a * 0.36 + s2)

    learned = ErrorInjectedScore(exact, W=torch.as_tensor(W))
    raw, clipped = [], []
    for s in range(8):
        x_T = torch.randn(n_paths, D, generator=torch.Generator().manual_seed(s), dtype=torch.float64)
        out = observability_mc(learned, exact, x_T, VPSDE(), steps, generator=torch.Generator().manual_seed(100 + s))
        raw.append(out["eta_unclipped"].value)
        clipped.append(out["eta"].value)
        assert out["eta"].value == min(max(out["eta_unclipped"].value, 0.0), 1.0)
    m, se = mean_and_se(raw)
    assert abs(m - truth) < 3 * se + 0.002, (m, truth)     # adjusted R^2 gave about 0.03 here
