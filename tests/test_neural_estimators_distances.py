"""W2 (exact assignment and sliced), unbiased MMD^2, Frechet distance and offline feature maps,
against brute force and exact Gaussian values computed here (THEORY.md §4)."""
import itertools

import numpy as np
import pytest
import torch
from scipy import linalg

from neural.estimators import (PCAFeatures, frechet_distance, mmd2_unbiased,
                               sliced_w2, w2_empirical, w2_to_data)


def exact_w2_squared(m1, s1, m2, s2):
    r1 = linalg.sqrtm(s1).real
    return float(np.sum((m1 - m2) ** 2) + np.trace(s1 + s2 - 2 * linalg.sqrtm(r1 @ s2 @ r1).real))


def draws(m, s, n, rng):
    return m + rng.standard_normal((n, len(m))) @ linalg.cholesky(s, lower=True).T


def test_w2_empirical_equals_brute_force_over_all_matchings():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 3)) + 1
    best = min(np.mean(np.sum((x - y[list(p)]) ** 2, 1)) for p in itertools.permutations(range(6)))
    assert w2_empirical(x, y) == pytest.approx(np.sqrt(best), rel=1e-12)
    assert w2_empirical(x, y) < np.sqrt(np.mean(np.sum((x - y) ** 2, 1)))  # control: identity matching


def test_w2_empirical_of_1d_gaussians_matches_exact_w2():
    rng = np.random.default_rng(1)
    exact = (0.5 - 0.0) ** 2 + (1.5 - 1.0) ** 2
    vals = [w2_empirical(0.5 + 1.5 * rng.standard_normal(600), rng.standard_normal(600)) ** 2 for _ in range(6)]
    assert abs(np.mean(vals) - exact) < 4 * np.std(vals, ddof=1) / np.sqrt(6) + 0.02  # 0.02: O(log n / n) bias
    value, name = w2_to_data(rng.standard_normal((50, 2)), rng.standard_normal((80, 2)), max_points=40)
    assert name == "w2_debiased_split_half_subsample_40" and value >= 0
    assert w2_to_data(rng.standard_normal((50, 2)), rng.standard_normal((80, 2)), max_points=40,
                      debiased=False)[1] == "w2_empirical_exact_subsample_40"


def test_sliced_w2_matches_exact_sliced_w2_of_gaussians():
    m1, s1 = np.array([1.0, 0.0, -0.5]), np.diag([2.0, 1.0, 0.5])
    m2, s2 = np.zeros(3), np.array([[1.0, 0.4, 0.0], [0.4, 1.0, 0.0], [0.0, 0.0, 1.0]])

    def exact_sw2(theta):  # per direction the projections are 1-D Gaussians
        per_dir = (theta @ (m1 - m2)) ** 2 + (np.sqrt(np.einsum("ni,ij,nj->n", theta, s1, theta))
                                              - np.sqrt(np.einsum("ni,ij,nj->n", theta, s2, theta))) ** 2
        return np.sqrt(per_dir.mean())

    rng = np.random.default_rng(2)
    x, y = draws(m1, s1, 6000, rng), draws(m2, s2, 4000, rng)
    # the estimator's own directions (seeded as documented), to separate sampling from direction noise
    g = torch.randn(3, 300, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    theta = (g / g.norm(dim=0)).numpy().T
    assert sliced_w2(x, y, n_projections=300, seed=7) == pytest.approx(exact_sw2(theta), rel=0.03)
    many = rng.standard_normal((200000, 3))
    many /= np.linalg.norm(many, axis=1, keepdims=True)
    assert exact_sw2(theta) == pytest.approx(exact_sw2(many), rel=0.1)  # 300 directions: MC over the sphere
    assert exact_sw2(many) < np.sqrt(exact_w2_squared(m1, s1, m2, s2))  # SW2 <= W2


def exact_mmd2(m1, s1, m2, s2, l):
    def mean_kernel(mu, sig):
        d = len(mu)
        return np.linalg.det(np.eye(d) + sig / l**2) ** -0.5 * np.exp(-0.5 * mu @ np.linalg.solve(sig + l**2 * np.eye(d), mu))
    return mean_kernel(0 * m1, 2 * s1) + mean_kernel(0 * m2, 2 * s2) - 2 * mean_kernel(m1 - m2, s1 + s2)


def test_mmd2_unbiased_has_mean_equal_to_exact_mmd2():
    m1, s1, m2, s2, l = np.array([0.4, 0.0]), np.eye(2), np.zeros(2), np.diag([1.5, 1.0]), 1.3
    rng = np.random.default_rng(3)
    vals = np.array([mmd2_unbiased(draws(m1, s1, 400, rng), draws(m2, s2, 300, rng), bandwidth=l, chunk_size=128)[0]
                     for _ in range(40)])
    exact = exact_mmd2(m1, s1, m2, s2, l)
    se = vals.std(ddof=1) / np.sqrt(len(vals))
    assert abs(vals.mean() - exact) < 4 * se
    assert abs(vals.mean() - exact_mmd2(m1, s1, m2, s2, 0.5 * l)) > 4 * se  # control: other bandwidth


def test_mmd2_unbiased_is_centred_at_zero_for_equal_laws_and_uses_the_median_bandwidth():
    rng = np.random.default_rng(4)
    vals = np.array([mmd2_unbiased(rng.standard_normal((200, 2)), rng.standard_normal((200, 2)), bandwidth=1.0)[0]
                     for _ in range(40)])
    assert abs(vals.mean()) < 4 * vals.std(ddof=1) / np.sqrt(40)
    x = rng.standard_normal((300, 2))
    _, bw = mmd2_unbiased(x[:150], x[150:])
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)[np.triu_indices(300, 1)]
    assert bw == pytest.approx(np.median(d), rel=1e-9)


def test_frechet_distance_matches_exact_w2_squared_of_gaussians():
    m1, s1 = np.array([0.5, 0.0, 1.0]), np.diag([1.0, 2.0, 0.5])
    m2, s2 = np.zeros(3), np.array([[1.0, 0.3, 0.0], [0.3, 1.0, 0.2], [0.0, 0.2, 1.0]])
    rng = np.random.default_rng(5)
    n = 20000
    vals = [frechet_distance(draws(m1, s1, n, rng), draws(m2, s2, n, rng)) for _ in range(5)]
    bias = (np.trace(s1) + np.trace(s2)) / n
    exact = exact_w2_squared(m1, s1, m2, s2)
    assert abs(np.mean(vals) - exact) < 4 * np.std(vals, ddof=1) / np.sqrt(5) + 2 * bias


def test_pca_features_then_frechet_equals_exact_w2_of_projected_gaussians():
    rng = np.random.default_rng(6)
    ref = draws(np.zeros(4), np.diag([4.0, 3.0, 2.0, 1.0]), 5000, rng)
    pca = PCAFeatures(ref, k=2)
    V, c = pca.axes.numpy(), pca.mean.numpy()
    m1, s1 = np.array([1.0, 0.0, 0.5, 0.0]), np.diag([2.0, 1.0, 1.0, 1.0])
    m2, s2 = np.zeros(4), np.eye(4)
    n = 20000
    est = frechet_distance(pca(draws(m1, s1, n, rng)), pca(draws(m2, s2, n, rng)))
    exact = exact_w2_squared(V.T @ (m1 - c), V.T @ s1 @ V, V.T @ (m2 - c), V.T @ s2 @ V)
    assert est == pytest.approx(exact, abs=0.03)


def test_bad_input_names_the_argument():
    from neural.estimators import classifier_divergences

    x = np.random.default_rng(8).standard_normal((20, 2))
    cases = [
        (lambda: w2_empirical(x, x[:10]), "same size"),
        (lambda: sliced_w2(x, x, n_projections=0), "n_projections"),
        (lambda: mmd2_unbiased(x, x, bandwidth=-1.0), "bandwidth"),
        (lambda: PCAFeatures(x, k=3), "k must be"),
        (lambda: classifier_divergences(x, x, model="svm"), "model must be"),
        (lambda: classifier_divergences(x, x, holdout=1.0), "holdout"),
        (lambda: frechet_distance(x, np.ones((20, 3))), "same dimension"),
        (lambda: w2_to_data(np.ones((3, 2, 2)), x), "shape"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
