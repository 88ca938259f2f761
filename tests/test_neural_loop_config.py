"""The retraining configuration (neural/config.py): frozen sections validated on construction,
flat and nested forms of one run, and config.json files written before the sections existed still
resume and share their fits."""
import dataclasses
import json

import pytest

from neural.config import (EvaluationConfig, LearnerConfig, PipelineConfig, RetrainingConfig, ScheduleConfig,
                           setting_fields)
from neural.retraining import reusable_fit, run_generations, share_generation_zero
from neural.run_store import RunStore
from run_files import RunFileError

# config.json as main (9cb2f7c, before the sections) wrote it for a small 1-D MLP run: a fixture
# from the old code, not output of the code under test
OLD_MLP_CONFIG = {
    "T": 4.0, "alpha": 0.5, "alpha_schedule": None, "bandwidth": 0.6, "chunk_size": None, "device": "cpu",
    "dtype": "float32", "eval_paths": 1000, "eval_points": 1000, "exact": "auto", "generations": 2,
    "injected_error": None, "metrics": ["D_kl"], "mode": "replace", "model": "mlp",
    "model_kw": {"depth": 1, "hidden": 16, "lr": 0.003, "steps": 60}, "n": 100, "seed": 0, "steps": 20,
    "t0": 0.02, "t0_schedule": None, "target": "gmm1d", "target_kw": {}}


def small_mlp(**kw):
    return RetrainingConfig(**{**OLD_MLP_CONFIG, "n": 40, "steps": 8, "eval_points": 40, "generations": 1,
                               "exact": "off", "model_kw": {"depth": 1, "hidden": 8, "lr": 0.003, "steps": 20}, **kw})


@pytest.mark.parametrize("setting, value, message", [
    ("model", "svm", "model must be one of kde, mlp, unet or 'module:factory'"),
    ("bandwidth", 0.0, "bandwidth must be a finite number > 0"),
    ("hidden", 0, "hidden must be an integer >= 1"),
    ("lr", -1e-3, "lr must be a finite number > 0"),
    ("train_steps", 2.5, "train_steps must be of type int"),
    ("parameterization", "x0", "parameterization must be one of eps, gaussian_residual"),
    ("T", float("inf"), "T must be a finite number > 0"),
    ("t0", 5.0, "t0"), ("steps", 0, "steps must be an integer >= 1"),
    ("t0_schedule", [0.1, 4.5], "t0_schedule values must be in (0, T)"),
    ("target", "nope", "target must be one of"), ("alpha", 1.5, "alpha must be in [0, 1], got 1.5"),
    ("alpha_schedule", [0.5, -0.2], "alpha must be in [0, 1]"), ("generations", 0, "generations must be"),
    ("n", 1, "n must be an integer >= 2"), ("mode", "mix", "mode must be one of replace, accumulate"),
    ("seed", -1, "seed must be a non-negative integer"),
    ("injected_error", {"type": "big", "size": 1.0}, "injected_error must be"),
    ("metrics", ["FID"], "metrics must be among"), ("eval_paths", 0, "eval_paths must be"),
    ("exact", "maybe", "exact must be one of auto, grid, off"), ("device", "tpu", "device must be one of"),
    ("dtype", "float16", "dtype must be one of float32, float64"), ("chunk_size", 0, "chunk_size must be"),
    ("model_kw", [1], "model_kw must be a table"), ("data", 1, "data is not a setting"),
])
def test_a_bad_value_is_refused_on_construction_naming_the_field(setting, value, message):
    model = {"model": "mlp"} if setting in ("hidden", "lr", "train_steps", "parameterization") else {}
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
                       .replace("]", r"\]")):
        RetrainingConfig(**{**model, setting: value})


def test_options_the_model_does_not_take_are_refused():
    with pytest.raises(ValueError, match="^hidden needs model mlp, got model 'kde'"):
        RetrainingConfig(hidden=32)
    with pytest.raises(ValueError, match="^lr needs a network model, got model 'kde'"):
        RetrainingConfig(lr=1e-3)
    with pytest.raises(ValueError, match="^tail_scale needs parameterization gaussian_residual"):
        RetrainingConfig(model="mlp", tail_scale=0.6)
    with pytest.raises(ValueError, match="^train_steps is given twice"):
        RetrainingConfig(model="mlp", train_steps=5, model_kw={"steps": 6})
    # a user's learner is a "module:factory" string with any keywords
    cfg = RetrainingConfig(model="my_pkg.models:make", model_kw={"width": 3}, hidden=8)
    assert cfg.model_kw == {"hidden": 8, "width": 3}


def test_the_configuration_is_frozen():
    cfg = RetrainingConfig()
    for obj, name in ((cfg, "device"), (cfg.pipeline, "alpha"), (cfg.schedule, "T")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.alpha = 0.1     # a flat name is read-only too
    assert cfg.replace(alpha=0.1).alpha == 0.1 and cfg.alpha == 0.5


def test_flat_nested_and_json_forms_are_the_same_run():
    flat = RetrainingConfig(model="mlp", hidden=16, lr=2e-3, T=3.0, t0=0.05, steps=30, alpha=0.2, n=64,
                            metrics=["D_kl"], eval_points=50, dtype="float64", model_kw={"dropout": 0.0})
    nested = RetrainingConfig(
        learner=LearnerConfig(model="mlp", hidden=16, lr=2e-3, model_kw={"dropout": 0.0}),
        schedule=ScheduleConfig(T=3.0, t0=0.05, steps=30), pipeline=PipelineConfig(alpha=0.2, n=64),
        evaluation=EvaluationConfig(metrics=("D_kl",), eval_points=50), dtype="float64")
    assert flat == nested
    assert RetrainingConfig.from_json(flat.to_json()) == flat
    assert RetrainingConfig.from_json(json.loads(json.dumps(flat.to_nested_json()))) == flat
    assert flat.learner.hidden == 16 and flat.schedule.T == 3.0 and flat.pipeline.alpha == 0.2
    # control: another value is another run
    assert flat.replace(lr=1e-3) != flat and flat.replace(lr=1e-3).replace(lr=2e-3) == flat
    with pytest.raises(ValueError, match="^lr is given twice"):
        RetrainingConfig.from_json({**flat.to_json(), "lr": 1e-3})


def test_config_json_keeps_the_flat_format_of_old_run_directories():
    cfg = RetrainingConfig.from_json(OLD_MLP_CONFIG)
    assert (cfg.learner.train_steps, cfg.learner.hidden, cfg.learner.model_kw) == (60, 16, {})
    assert json.loads(json.dumps(cfg.to_json())) == OLD_MLP_CONFIG
    # every setting is written, under its name or (network options) inside model_kw
    assert set(cfg.to_json()) | {"hidden", "depth", "lr", "train_steps", "batch_size", "parameterization",
                                 "tail_scale"} == set(setting_fields())


def test_an_old_format_run_directory_resumes_shares_and_reuses_its_fit(tmp_path):
    cfg = small_mlp()
    run_generations(cfg, tmp_path / "old")
    old_text = json.dumps({**OLD_MLP_CONFIG, **{k: cfg.to_json()[k] for k in ("n", "steps", "eval_points", "exact",
                                                                              "generations", "model_kw")}}, indent=2)
    (tmp_path / "old" / "config.json").write_text(old_text)   # as main wrote it
    rows = run_generations(small_mlp(generations=2), tmp_path / "old")
    assert len(rows) == 2 and RunStore(tmp_path / "old").finished() == 2
    batch = RunStore(tmp_path / "old").load_array(0, "training_batch")
    import torch
    assert reusable_fit(tmp_path / "old", small_mlp(alpha=0.9), torch.as_tensor(batch)) is not None
    assert share_generation_zero(tmp_path / "old", small_mlp(alpha=0.9), tmp_path / "shared")
    # control: an old directory of another run is refused
    (tmp_path / "old" / "config.json").write_text(json.dumps({**json.loads(old_text), "n": 41}))
    with pytest.raises(RunFileError, match="n"):
        run_generations(small_mlp(generations=3), tmp_path / "old")
    assert reusable_fit(tmp_path / "old", small_mlp(alpha=0.9), torch.as_tensor(batch)) is None
