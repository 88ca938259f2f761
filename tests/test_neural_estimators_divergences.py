"""Gaussian proxies, classifier density ratio (and classifier features), exact-density Monte Carlo
and kNN KL against exact Gaussian divergences computed here from the closed forms of THEORY.md §4
(independent of gaussian_exact)."""
import numpy as np
import pytest
from scipy import linalg

from neural.estimators import classifier_divergences, gaussian_chi2_proxy, gaussian_kl_proxy, knn_kl

M1, S1 = np.array([0.3, -0.2]), np.array([[1.0, 0.3], [0.3, 0.8]])
M2, S2 = np.array([0.0, 0.0]), np.array([[1.2, -0.1], [-0.1, 1.0]])


def exact_kl(m1, s1, m2, s2):
    d = len(m1)
    inv2 = np.linalg.inv(s2)
    dm = m2 - m1
    return 0.5 * (np.trace(inv2 @ s1) + dm @ inv2 @ dm - d
                  + np.linalg.slogdet(s2)[1] - np.linalg.slogdet(s1)[1])


def exact_chi2_by_quadrature(m1, s1, m2, s2, half_width=9.0, n=601):
    """chi2 = int p^2 / q - 1 on a 2-D grid (independent of the closed form)."""
    g = np.linspace(-half_width, half_width, n)
    X, Y = np.meshgrid(g, g, indexing="ij")
    pts = np.stack([X.ravel(), Y.ravel()], 1)

    def logpdf(m, s):
        r = pts - m
        return -0.5 * (np.einsum("ni,ij,nj->n", r, np.linalg.inv(s), r) + np.log(np.linalg.det(2 * np.pi * s)))

    integrand = np.exp(2 * logpdf(m1, s1) - logpdf(m2, s2))
    return integrand.sum() * (g[1] - g[0]) ** 2 - 1


def draws(m, s, n, rng):
    return m + rng.standard_normal((n, len(m))) @ linalg.cholesky(s, lower=True).T


def repeated(estimate, reps=12, n=4000, seed=0):
    rng = np.random.default_rng(seed)
    vals = np.array([estimate(draws(M1, S1, n, rng), draws(M2, S2, n, rng)) for _ in range(reps)])
    return vals.mean(), vals.std(ddof=1) / np.sqrt(reps)


def test_quadrature_reference_matches_the_equal_covariance_closed_form():
    s = np.array([[1.0, 0.2], [0.2, 0.5]])
    dm = np.array([0.4, -0.3])
    assert exact_chi2_by_quadrature(dm, s, 0 * dm, s) == pytest.approx(np.exp(dm @ np.linalg.solve(s, dm)) - 1, rel=1e-6)


def test_gaussian_kl_proxy_within_clt_band_of_exact_kl():
    d, n = 2, 4000
    bias = (d + d * (d + 1) / 2) * (2 / n) / 2  # likelihood-ratio asymptotics
    mean, se = repeated(gaussian_kl_proxy)
    exact = exact_kl(M1, S1, M2, S2)
    assert abs(mean - bias - exact) < 4 * se + bias
    assert abs(mean - exact_kl(M2, S2, M1, S1)) > 4 * se + bias  # control: reversed direction is rejected


def test_gaussian_chi2_proxy_within_clt_band_of_exact_chi2():
    mean, se = repeated(gaussian_chi2_proxy)
    exact = exact_chi2_by_quadrature(M1, S1, M2, S2)
    assert abs(mean - exact) < 4 * se + 2e-3
    assert abs(mean - exact_chi2_by_quadrature(M2, S2, M1, S1)) > 4 * se + 2e-3  # control


def test_gaussian_chi2_proxy_is_infinite_when_the_integral_diverges():
    rng = np.random.default_rng(1)
    wide, narrow = draws(M2, 4 * np.eye(2), 3000, rng), draws(M2, np.eye(2), 3000, rng)
    assert gaussian_chi2_proxy(wide, narrow) == np.inf


def test_classifier_ratio_estimates_kl_and_chi2_of_two_gaussians():
    rng = np.random.default_rng(2)
    out = classifier_divergences(draws(M1, S1, 20000, rng), draws(M2, S2, 20000, rng), seed=0)
    kl, chi2 = exact_kl(M1, S1, M2, S2), exact_chi2_by_quadrature(M1, S1, M2, S2)
    # well-specified logistic model: statistical error (held-out se) plus the fitted-ratio noise
    assert abs(out["kl"] - kl) < 4 * out["kl_se"] + 0.02
    assert abs(out["chi2"] - chi2) < 4 * out["chi2_se"] + 0.03
    assert abs(out["kl"] - exact_kl(M2, S2, M1, S1)) > 4 * out["kl_se"] + 0.02  # control
    assert out["estimator"] == "classifier_ratio_logistic_quadratic"


@pytest.fixture
def one_thread():
    """Small networks: one torch thread (a shared 2-core machine spins on more)."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_classifier_ratio_mlp_runs_and_sees_a_large_shift(one_thread):
    rng = np.random.default_rng(3)
    same = classifier_divergences(draws(M2, S2, 600, rng), draws(M2, S2, 600, rng), model="mlp", mlp_steps=100)
    far = classifier_divergences(draws(M2 + 2.0, S2, 600, rng), draws(M2, S2, 600, rng), model="mlp", mlp_steps=100)
    assert far["kl"] > 1.0 > abs(same["kl"])


def test_knn_kl_within_band_of_exact_kl():
    mean, se = repeated(lambda a, b: knn_kl(a, b, k=5), reps=8, n=3000)
    exact = exact_kl(M1, S1, M2, S2)
    assert abs(mean - exact) < 4 * se + 0.02  # 0.02: the finite-n bias seen for d = 2 at this size
    assert abs(mean - exact_kl(M2, S2, M1, S1)) > 4 * se + 0.02  # control


def test_knn_kl_of_identical_laws_is_near_zero_and_bad_input_is_rejected():
    rng = np.random.default_rng(4)
    assert abs(knn_kl(rng.standard_normal((3000, 3)), rng.standard_normal((3000, 3)), k=3)) < 0.06
    with pytest.raises(ValueError, match="k must be"):
        knn_kl(rng.standard_normal((10, 2)), rng.standard_normal((10, 2)), k=0)
    with pytest.raises(ValueError, match="same dimension"):
        knn_kl(rng.standard_normal((10, 2)), rng.standard_normal((10, 3)))


def test_density_ratio_mc_with_exact_densities_matches_exact_kl_and_chi2():
    import torch
    from neural.estimators import density_ratio_divergences

    def log_pdf(m, s):
        inv, logdet = np.linalg.inv(s), np.linalg.slogdet(2 * np.pi * s)[1]
        return lambda x: torch.as_tensor(-0.5 * (np.einsum("ni,ij,nj->n", x.numpy() - m, inv, x.numpy() - m) + logdet))

    rng = np.random.default_rng(7)
    x = torch.as_tensor(draws(M1, S1, 40000, rng))
    out = density_ratio_divergences(x, log_pdf(M1, S1), log_pdf(M2, S2))
    assert abs(out["kl"] - exact_kl(M1, S1, M2, S2)) < 4 * out["kl_se"]
    assert abs(out["chi2"] - exact_chi2_by_quadrature(M1, S1, M2, S2)) < 4 * out["chi2_se"]
    assert abs(out["kl"] - exact_kl(M2, S2, M1, S1)) > 4 * out["kl_se"]  # control


def test_classifier_features_on_digits_separate_classes(one_thread):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    from neural.estimators import ClassifierFeatures, frechet_distance

    feats = ClassifierFeatures.fit(x[:1000], y[:1000], steps=150)
    assert feats.train_accuracy > 0.9
    held_x, held_y = x[1000:], y[1000:]
    f0a, f0b = feats(held_x[held_y == 0][:40]), feats(x[:1000][y[:1000] == 0][:40])
    f1 = feats(held_x[held_y == 1][:40])
    assert frechet_distance(f0a, f0b, ridge=1e-3) < 0.5 * frechet_distance(f0a, f1, ridge=1e-3)
