"""The recursive loop: training-set composition, the exact laws of the KDE pipeline and the
metrics lines, checked against independent answers (THEORY.md §2, §4)."""
import math

import numpy as np
import pytest
import torch

import gaussian_exact as ge
from neural.retraining import METRIC_NAMES, RetrainingConfig, run_generations

REQUIRED = ("generation", "alpha", "n_train", "second_moment", "w2_to_data")


def cfg(**kw):
    base = dict(target="gmm", model="kde", generations=3, n=64, steps=15, seed=1, device="cpu",
                eval_paths=150, eval_points=100)
    base.update(kw)
    return RetrainingConfig(**base)


def test_replace_and_accumulate_training_sets(tmp_path):
    rows = run_generations(cfg(alpha=0.3, mode="replace"), tmp_path / "r")
    assert [r["n_train"] for r in rows] == [64, 64, 64]
    assert [r["fresh_fraction"] for r in rows] == [1.0, round(0.3 * 64) / 64, round(0.3 * 64) / 64]
    rows = run_generations(cfg(alpha=0.3, mode="accumulate"), tmp_path / "a")
    assert [r["n_train"] for r in rows] == [64, 128, 192]
    batch1 = np.load(tmp_path / "r" / "gen_0001" / "training_batch.npy")
    samples0 = np.load(tmp_path / "r" / "gen_0000" / "samples.npy")
    k = round(0.3 * 64)
    assert np.array_equal(batch1[k:], samples0[: 64 - k])  # the synthetic part is generation 0's output


def test_alpha_schedule_sets_each_generation(tmp_path):
    rows = run_generations(cfg(alpha_schedule=[0.75, 0.25], generations=4), tmp_path)
    assert [r["alpha"] for r in rows] == [0.75, 0.75, 0.25, 0.25]
    assert [r["fresh_fraction"] for r in rows] == [1.0, 0.75, 0.25, 0.25]


def test_kde_output_second_moment_matches_the_exact_chain_given_the_training_set(tmp_path):
    """Gaussian target N(0, I_2), KDE bandwidth h: given the training set X_g (per-coordinate
    second moment M_g), the KDE is close to N(0, (M_g + h^2) I) (THEORY.md §4, KDE learner), so the
    samples' second moment is that of the exact Euler-Maruyama chain for this law
    (gaussian_exact.reverse), up to the sampling error 2 O / sqrt(n) of a mean of |X|^2."""
    h, alpha, n, steps = 0.5, 0.25, 1500, 20
    rows = run_generations(cfg(target="gaussian", alpha=alpha, n=n, steps=steps, bandwidth=h, generations=3,
                               dtype="float64"), tmp_path)
    for g, row in enumerate(rows):
        x_train = np.load(tmp_path / f"gen_{g:04d}" / "training_batch.npy")
        M = float(np.mean(x_train ** 2))
        out = ge.reverse(ge.Gaussian(np.zeros(2), (M + h * h) * np.eye(2)), None, 4.0, 0.02, steps=steps)
        O = float(np.trace(out.cov)) / 2
        se = 2 * O / math.sqrt(n)
        assert abs(row["second_moment"] - 2 * O) < 4 * se
        assert abs(row["second_moment"] - 2 * (O - h * h)) > 4 * se  # control: a KDE without the h^2 smoothing


def test_all_metrics_are_reported_with_their_estimators(tmp_path):
    rows = run_generations(cfg(metrics=list(METRIC_NAMES), generations=2), tmp_path)
    for row in rows:
        for key in REQUIRED:
            assert key in row
        for name in METRIC_NAMES:
            assert math.isfinite(row[name]) and isinstance(row[f"{name}_estimator"], str)
        assert 0 <= row["eta"] <= 1 and row["eps2"] > 0 and row["D_kl"] > 0
        assert "exact_training_mixture" in row["eps2_estimator"]
    # generation 0 trains on data: q_0 = data, so I_0 = D_1 exactly (same draws, same law)
    assert rows[0]["I_chi2"] == rows[0]["D_chi2"] and rows[0]["I_kl"] == rows[0]["D_kl"]
    assert rows[1]["I_kl"] != rows[1]["D_kl"]


@pytest.mark.parametrize("mode", ["replace", "accumulate"])
def test_with_only_fresh_data_the_training_law_is_the_data(tmp_path, mode):
    """alpha = 1: every q_g is the data law, so I_g = D_{g+1} (same draws) in both modes, while with
    alpha = 0 the training law of generation 1 is the previous output law and I_1 differs."""
    rows = run_generations(cfg(alpha=1.0, mode=mode, metrics=["D_kl", "I_kl"], generations=2), tmp_path / "one")
    for row in rows:
        assert row["I_kl"] == pytest.approx(row["D_kl"], rel=1e-9, abs=1e-9)
    rows = run_generations(cfg(alpha=0.0, mode=mode, metrics=["D_kl", "I_kl"], generations=2), tmp_path / "zero")
    assert rows[1]["I_kl"] != pytest.approx(rows[1]["D_kl"], rel=0.05)  # control


def test_metrics_without_exact_laws_use_named_proxies(tmp_path):
    rows = run_generations(cfg(target="two_moons", metrics=list(METRIC_NAMES), generations=1, n=128), tmp_path)
    row = rows[0]
    assert row["D_chi2_estimator"] == "gaussian_proxy_samples_vs_data"
    assert row["I_kl_estimator"] == "gaussian_proxy_samples_vs_training_set"
    assert row["eps2_estimator"].startswith("denoising_loss_gap")
    assert row["eta_estimator"].endswith("vs_empirical_training_law")
    assert all(math.isfinite(row[m]) for m in METRIC_NAMES)


@pytest.mark.parametrize("field, value, message", [
    ("target", "nope", "target must be one of"), ("model", "svm", "model must be one of"),
    ("alpha", 1.5, "alpha must be in"), ("alpha", -0.1, "alpha must be in"),
    ("mode", "mix", "mode must be one of"), ("metrics", ["FID"], "metrics must be among"),
    ("n", 1, "n must be"), ("device", "tpu", "device must be one of"),
])
def test_bad_configurations_write_nothing(tmp_path, field, value, message):
    with pytest.raises(ValueError, match=message):
        run_generations(cfg(**{field: value}), tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_cuda_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="CUDA is not available"):
        run_generations(cfg(device="cuda"), tmp_path / "out")
    assert not (tmp_path / "out").exists()
