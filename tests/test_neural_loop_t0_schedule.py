"""The retraining loop's annealed truncation (t0_schedule, THEORY.md §5, reconstructed) and the two
smoothings it reports separately (KDE kernel h^2, early stop t0)."""
import math

import numpy as np
import pytest

from neural.retraining import RetrainingConfig, run_generations


def cfg(**kw):
    base = dict(target="gaussian", target_kw={"dim": 1, "std": 0.6}, model="kde", bandwidth=0.3, generations=3,
                n=1500, steps=200, seed=3, device="cpu", eval_points=200, dtype="float64")
    base.update(kw)
    return RetrainingConfig(**base)


def test_each_generation_samples_with_its_own_t0(tmp_path):
    small = dict(n=100, steps=20)
    rows = run_generations(cfg(t0_schedule=[0.8, 0.3], **small), tmp_path / "annealed")
    assert [r["t0"] for r in rows] == [0.8, 0.3, 0.3]
    const = run_generations(cfg(t0=0.8, generations=1, **small), tmp_path / "constant")
    assert rows[0]["second_moment"] == const[0]["second_moment"]     # same seeds, same t0: same samples
    for r in rows:
        assert r["variance_added_kde"] == pytest.approx(math.exp(-r["t0"]) * 0.09, rel=1e-12)
        assert "variance_decomposition" in r["smoothing_estimator"]


def test_the_two_smoothings_predict_the_output_variance(tmp_path):
    """v_out = v_q + variance_added_kde + variance_added_t0 for the KDE pushed to t0 (exact score, so the
    sampler's output variance agrees up to Monte Carlo and discretization error)."""
    rows = run_generations(cfg(t0_schedule=[0.8, 0.05], generations=2, n=1000, steps=80), tmp_path)
    for g, r in enumerate(rows):
        x = np.load(tmp_path / f"gen_{g:04d}" / "training_batch.npy").ravel()
        samples = np.load(tmp_path / f"gen_{g:04d}" / "samples.npy").ravel()
        predicted = x.var(ddof=1) + r["variance_added_kde"] + r["variance_added_t0"]
        se = predicted * math.sqrt(2 / samples.size)
        assert abs(samples.var(ddof=1) - predicted) < 4 * se + 0.01, (g, samples.var(ddof=1), predicted)
    assert rows[0]["variance_added_t0"] > 10 * rows[1]["variance_added_t0"] > 0   # t0 = 0.8 pulls far harder


@pytest.mark.parametrize("bad", [[], [0.0], [5.0], [True]])
def test_bad_t0_schedule_names_the_field(tmp_path, bad):
    with pytest.raises(ValueError, match="t0_schedule"):
        run_generations(cfg(t0_schedule=bad), tmp_path)


def test_cli_passes_the_t0_schedule():
    from validate.cli import build_parser
    from validate.cli.train_options import train_config

    args = build_parser("train").parse_args(["train", "--out", "x", "--device", "cpu",
                                             "--t0-schedule", "0.1", "0.05", "0.02"])
    config = train_config(args)
    assert config.t0_schedule == (0.1, 0.05, 0.02) and config.t0_at(7) == 0.02 and config.t0_at(1) == 0.05
