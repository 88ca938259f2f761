"""Exact grid metrics in the retraining loop (neural/grid_exact.py, THEORY.md section 7).

The samples are drawn by the sampler (neural.sampling), the exact law by gaussian_exact's grid chain
with the same learned score: a Kolmogorov-Smirnov test of the samples against the stored law checks
both (independent code paths). The identities are algebraic identities of the box integrals.
"""
import math

import numpy as np
import pytest
import torch

from gaussian_exact import GridLaw
from neural.retraining import RetrainingConfig, run_generations
from neural.targets import make_target
from validate.cli import main


def cfg(**kw):
    base = dict(target="gmm1d", model="kde", alpha=0.5, generations=2, n=400, steps=40, seed=0, device="cpu",
                dtype="float64")
    base.update(kw)
    return RetrainingConfig(**base)


def test_projected_targets_have_the_documented_components():
    one, two = make_target("gmm1d"), make_target("gmm2d")
    assert torch.allclose(one.weights, torch.tensor([0.2, 0.4, 0.4], dtype=torch.float64))
    assert sorted(one.means[:, 0].tolist()) == [-4.0, 0.0, 4.0]
    assert two.dim == 2 and two.n_components == 5
    assert sorted(map(tuple, two.means.tolist())) == sorted([(0.0, 0.0), (4.0, 4.0), (4.0, -4.0), (-4.0, 4.0), (-4.0, -4.0)])
    assert float(one.full_covs()[0, 0, 0]) == pytest.approx(0.36) and float(two.full_covs()[0, 1, 1]) == pytest.approx(0.36)
    ten = make_target("gmm")                      # the projection of the paper's 10-D mixture
    assert torch.allclose(ten.means[:, :2], two.means)


def kolmogorov_distance(x, law):
    axis = law.axes[0]
    cell = 0.5 * (law.density[1:] + law.density[:-1]) * np.diff(axis)
    cdf = np.concatenate([[0.0], np.cumsum(cell)])
    cdf /= cdf[-1]
    xs = np.sort(x)
    F = np.interp(xs, axis, cdf)
    n = len(xs)
    return max(np.max(np.arange(1, n + 1) / n - F), np.max(F - np.arange(n) / n))


def test_kde_run_on_gmm1d_stores_exact_laws_that_the_samples_follow(tmp_path):
    rows = run_generations(cfg(), tmp_path)
    for g, row in enumerate(rows):
        assert row["eta_estimator"].startswith("grid_exact_K40_")
        with np.load(tmp_path / f"gen_{g:04d}" / "exact_law.npz") as z:
            grid, density = z["grid"], z["density"]
        assert grid.ndim == 1 and density.shape == grid.shape
        samples = np.load(tmp_path / f"gen_{g:04d}" / "samples.npy")[:, 0]
        law = GridLaw(grid, density)
        # KS at level ~1e-3: sqrt(n) D < 1.95
        assert math.sqrt(len(samples)) * kolmogorov_distance(samples, law) < 1.95
        # control: the data law is not the sample law (KDE smoothing)
        data = GridLaw.mixture([0.2, 0.4, 0.4], [[0.0], [-4.0], [4.0]], [0.36] * 3, points=grid.size,
                               bounds=(grid[0], grid[-1]))
        assert row["D_kl"] > 0.01 and row["kl_ideal"] <= 0.5 * row["epshat2"]
        assert 0 <= row["eta"] <= 1
    # Lemma F.1 and the one-step identity on the good set G (pointwise), generation 1 (alpha = 0.5)
    r1 = rows[1]
    assert r1["chi2_q_data_G"] == pytest.approx(0.25 * r1["D_prev_chi2_G"], rel=1e-9)
    assert r1["D_chi2_G"] == pytest.approx(r1["chi2_q_data_G"] + 2 * r1["cross_q_G"] + r1["J_G"], rel=1e-9)
    assert r1["D_chi2_G"] == pytest.approx(0.25 * r1["D_prev_chi2_G"] + 2 * 0.5 * r1["cross_G"] + r1["J_G"], rel=1e-9)
    assert r1["D_prev_chi2_G"] == pytest.approx(rows[0]["D_chi2_G"], rel=1e-12)
    # the good set holds nearly all of the law; the box values are no longer written
    assert 0 <= r1["mass_outside_G"] < 1e-3 and r1["G_kappa"] == 1e-6
    assert not any(k.endswith("_box") for k in r1)
    for key in ("D_chi2", "I_chi2", "chi2_ideal"):
        assert (r1[f"{key}_reason"] is None) == math.isfinite(r1[key])
        assert r1[f"{key}_G"] <= r1[key] * (1 + 1e-9) + 1e-12 or not math.isfinite(r1[key])


def test_mlp_on_gmm1d_and_kde_on_gmm2d_get_exact_metrics(tmp_path):
    rows = run_generations(cfg(model="mlp", generations=1, n=256, steps=30, dtype="float32",
                               model_kw={"steps": 60}), tmp_path / "mlp")
    assert rows[0]["epshat2_estimator"].startswith("grid_exact") and rows[0]["eps2"] > 0
    rows = run_generations(cfg(target="gmm2d", generations=1, n=128, steps=20), tmp_path / "kde2")
    with np.load(tmp_path / "kde2" / "gen_0000" / "exact_law.npz") as z:
        assert z["grid"].shape[0] == 2 and z["density"].shape == (z["grid"].shape[1],) * 2
    assert rows[0]["kl_ideal"] <= 0.5 * rows[0]["epshat2"] and math.isfinite(rows[0]["D_kl"])


def test_exact_grid_refuses_targets_above_two_dimensions(tmp_path, capsys):
    with pytest.raises(ValueError, match="dimension <= 2"):
        run_generations(cfg(target="gmm", exact="grid"), tmp_path / "a")
    code = main(["train", "--target", "gmm", "--exact", "grid", "--generations", "1", "--n", "16", "--steps", "5",
                 "--device", "cpu", "--out", str(tmp_path / "b"), "--quiet"])
    assert code == 2 and "dimension <= 2" in capsys.readouterr().err
    with pytest.raises(ValueError, match="exact must be"):
        cfg(exact="maybe").validate()


def test_resuming_a_grid_run_gives_the_same_numbers(tmp_path):
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    full = run_generations(cfg(generations=3, n=200, steps=30, alpha=0.3), tmp_path / "full")
    run_generations(cfg(generations=2, n=200, steps=30, alpha=0.3), tmp_path / "split")
    resumed = run_generations(cfg(generations=3, n=200, steps=30, alpha=0.3), tmp_path / "split")
    assert strip(resumed) == strip(full)
