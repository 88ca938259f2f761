"""Generation-0 quality rows (validate.checks.learner_quality) and the mode-weight estimator they use:
draws of the target pass, a model that misses the central mode or is too wide fails."""
import json

import numpy as np
import torch

from neural import make_target
from neural.estimators import mode_weights
from validate.checks.learner_quality import quality_rows, run_quality, summary_lines


def write_run(path, samples, model="mlp"):
    (path / "gen_0000").mkdir(parents=True)
    np.save(path / "gen_0000" / "samples.npy", samples.numpy())
    np.save(path / "gen_0000" / "training_batch.npy", samples.numpy())
    (path / "config.json").write_text(json.dumps({"target": "gmm", "model": model, "target_kw": {},
                                                  "bandwidth": 0.6, "T": 4.0, "t0": 0.02}))
    return path


def test_mode_weights_of_target_draws_and_of_a_model_missing_a_mode():
    gmm = make_target("gmm")
    x = gmm.sample(4000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    share, se = mode_weights(x, gmm)
    assert float(((share - 0.2).abs() / se).max()) < 3.5
    far = x[(x[:, :2].abs() > 2).any(1)]  # the central mode removed
    share, _ = mode_weights(far, gmm)
    assert float(share[0]) < 0.01 and abs(float(share.sum()) - 1) < 1e-12


def test_quality_rows_pass_for_data_and_fail_for_bad_models(tmp_path):
    gmm = make_target("gmm")
    gen = torch.Generator().manual_seed(3)
    good = gmm.sample(400, generator=gen, dtype=torch.float64)
    wide = good * 1.6  # modes spread and blurred: KL to data far above the floor
    missing = gmm.sample(600, generator=gen, dtype=torch.float64)
    missing = missing[(missing[:, :2].abs() > 2).any(1)][:400]
    rows = {name: run_quality(write_run(tmp_path / "neural" / name, x))
            for name, x in (("good", good), ("wide", wide), ("missing", missing))}
    assert rows["good"]["passed"] and rows["good"]["modes_ok"] and rows["good"]["kl_ok"]
    assert not rows["missing"]["modes_ok"] and not rows["missing"]["passed"]
    assert not rows["wide"]["kl_ok"]
    assert len(quality_rows(tmp_path)) == 3
    text = "\n".join(summary_lines(quality_rows(tmp_path)))
    assert "1 of 3 runs meet both criteria" in text


def write_grid_run(path, law, model="mlp", n=400):
    """A generation-0 directory as a grid-exact gmm1d run writes it (samples only for the file check)."""
    (path / "gen_0000").mkdir(parents=True)
    np.save(path / "gen_0000" / "samples.npy", np.zeros((n, 1)))
    law.save(path / "gen_0000" / "exact_law.npz")
    (path / "config.json").write_text(json.dumps({"target": "gmm1d", "model": model, "target_kw": {},
                                                  "bandwidth": 0.6, "T": 4.0, "t0": 0.02, "steps": 100}))
    return path


def test_exact_gate_reads_the_grid_law_and_fails_a_missing_central_mode(tmp_path):
    from gaussian_exact import GridLaw
    from neural.grid_exact import REACH, data_grid_law
    data = data_grid_law(make_target("gmm1d"), 100, 4.0, 0.02, REACH["network"][1])
    bounds, points = (float(data.axes[0][0]), float(data.axes[0][-1])), data.shape[0]
    outer = GridLaw.mixture([0.5, 0.5], [[-4.0], [4.0]], [0.36, 0.36], points=points, bounds=bounds)
    wide = GridLaw.mixture([0.2, 0.4, 0.4], [[0.0], [-4.0], [4.0]], [1.44, 1.44, 1.44], points=points, bounds=bounds)
    rows = {name: run_quality(write_grid_run(tmp_path / "neural" / name, law))
            for name, law in (("data", data), ("outer", outer), ("wide", wide))}
    assert all(r["law"] == "exact law (grid)" for r in rows.values())
    assert rows["data"]["passed"] and abs(rows["data"]["kl_to_data"]) < 1e-9 and rows["data"]["tv_to_data"] < 1e-9
    # the central mode removed: KL = log(1 / 0.8) (the modes do not overlap at 4 / 0.6 sd), mass 0 there
    assert abs(rows["outer"]["kl_to_data"] - np.log(1 / 0.8)) < 1e-3
    assert abs(rows["outer"]["tv_to_data"] - 0.2) < 1e-3
    assert rows["outer"]["mode_weights"][0] < 1e-3 and not rows["outer"]["modes_ok"] and not rows["outer"]["passed"]
    assert rows["wide"]["modes_ok"] and not rows["wide"]["kl_ok"]
    assert 0 < rows["data"]["kl_ideal"] < 0.05   # the exact-score chain's own discretisation and t0 cost
    text = "\n".join(summary_lines(quality_rows(tmp_path)))
    assert "exact KL to data" in text and "Gaussian-fit KL" not in text
