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
