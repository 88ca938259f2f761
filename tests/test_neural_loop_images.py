"""Image runs measure drift by a Gaussian proxy on PCA features of the data (raw pixel covariances
of digits are singular: constant borders), and name the estimator so."""
import math

from neural.retraining import RetrainingConfig, run_generations


def test_digits_drift_proxy_is_on_pca_features_and_finite(tmp_path):
    cfg = RetrainingConfig(target="digits", model="kde", alpha=0.5, generations=1, n=120, steps=5, seed=0,
                           device="cpu", eval_points=200, metrics=["D_kl", "I_kl"], bandwidth=0.1)
    (row,) = run_generations(cfg, tmp_path / "run")
    assert row["D_kl_estimator"] == "gaussian_proxy_pca16_samples_vs_data"
    # 5 sampler steps from noise: far from the data, but a proxy KL of order 1-100 in 16 features,
    # not the ~1e5 that a singular 64-pixel covariance gives
    assert math.isfinite(row["D_kl"]) and 0 < row["D_kl"] < 1e3
