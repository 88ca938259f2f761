"""A learner written outside the package (tests/user_learner_pkg, on PYTHONPATH) in the loop: as an
object in Python, as ``--model user_learner_pkg.learners:make`` on the command line and as
``model = "..."`` in a sweep spec; config.json records it as such with its settings, and the
checks of the finished run concern it (its name in the check rows' `run`)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from neural import Retraining, RetrainingConfig

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FACTORY = "user_learner_pkg.learners:make"
SMALL = ["--target", "gmm1d", "--generations", "2", "--n", "120", "--steps", "12", "--metrics", "D_kl", "eps2",
         "--eval-paths", "60", "--eval-points", "60", "--device", "cpu", "--seed", "3", "--quiet"]


def _cli(*args, cwd):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)]), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "validate.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def _rows(run):
    return [json.loads(s) for s in (Path(run) / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("user_learner")
    out = tmp / "run"
    done = _cli("train", "--model", FACTORY, "--out", str(out), *SMALL, cwd=tmp)
    assert done.returncode == 0, done.stderr
    return out


def test_train_with_a_module_factory_records_it_and_the_checks_concern_it(cli_run):
    from validate import check_run

    config = json.loads((cli_run / "config.json").read_text())
    assert config["model"] == FACTORY and config["model_kw"] == {}
    assert config["learner"] == {"name": "user_gaussian", "class": "user_learner_pkg.learners.GaussianFitLearner"}
    checkpoint = torch.load(cli_run / "gen_0000" / "checkpoint.pt", weights_only=False)
    assert checkpoint["model"] == "user_gaussian" and set(checkpoint["state_dict"]) == {"mean", "var"}
    run_rows = [c for c in check_run(cli_run) if c.scope == "run"]
    assert run_rows and all(c.run["learner"] == "user_gaussian" for c in run_rows)


def test_the_object_in_python_gives_the_cli_numbers_and_is_recorded_by_its_own_name(cli_run, tmp_path,
                                                                                    monkeypatch):
    """The same learner passed as an object (the user's class, imported from outside the package)
    computes the same run; config.json names the learner and its settings, not the config's "kde"."""
    monkeypatch.syspath_prepend(str(TESTS))
    from user_learner_pkg.learners import GaussianFitLearner

    config = RetrainingConfig(target="gmm1d", generations=2, n=120, steps=12, metrics=["D_kl", "eps2"],
                              eval_paths=60, eval_points=60, device="cpu", seed=3)
    run = Retraining(config, tmp_path / "obj", learner=GaussianFitLearner((1,), "cpu", inflate=1.0))
    lines = run.run()
    for mine, cli in zip(lines, _rows(cli_run)):
        for key in ("second_moment", "D_kl", "eps2"):
            assert mine[key] == pytest.approx(cli[key], rel=1e-6), key
    recorded = json.loads((tmp_path / "obj" / "config.json").read_text())
    assert recorded["model"] == "user_gaussian" and recorded["model_kw"] == {"inflate": 1.0}
    assert recorded["learner"]["name"] == "user_gaussian"


def test_factory_settings_reach_the_learner(tmp_path, monkeypatch):
    """model_kw is the factory's settings: inflate = 2 doubles the fitted variance (its state)."""
    monkeypatch.syspath_prepend(str(TESTS))
    base = dict(target="gmm1d", model=FACTORY, generations=1, n=100, steps=8, device="cpu", seed=1)
    one = Retraining(RetrainingConfig(**base), tmp_path / "a")
    two = Retraining(RetrainingConfig(**base, model_kw={"inflate": 2.0}), tmp_path / "b")
    one.run()
    two.run()
    assert two.learner.var == pytest.approx(2 * one.learner.var, rel=1e-12)
    assert json.loads((tmp_path / "b" / "config.json").read_text())["model_kw"] == {"inflate": 2.0}


@pytest.mark.parametrize("model, message", [
    ("user_learner_pkg.learners:make_broken", "must have a method fit()"),
    ("user_learner_pkg.nosuch:make", "cannot import module 'user_learner_pkg.nosuch'"),
    ("user_learner_pkg.learners:nosuch", "has no attribute 'nosuch'"),
    ("user_learner_pkg.learners:", "model must be one of"),
])
def test_a_bad_user_learner_fails_before_any_work_naming_what_is_wrong(tmp_path, monkeypatch, capsys, model,
                                                                       message):
    from validate.cli import main

    monkeypatch.syspath_prepend(str(TESTS))
    out = tmp_path / "run"
    assert main(["train", "--model", model, "--out", str(out), *SMALL]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not out.exists()


def test_a_sweep_runs_the_user_learner_with_its_settings(tmp_path):
    pytest.importorskip("tomllib")
    spec = tmp_path / "spec.toml"
    spec.write_text(f"""
[run]
target = "gmm1d"
model = "{FACTORY}"
generations = 2
n = 80
steps = 8
eval_points = 40
device = "cpu"
[run.model_kw]
inflate = 1.5
[axes]
alpha = [0.5, 1.0]
""")
    done = _cli("sweep", str(spec), "--out", str(tmp_path / "sweep"), "--executor", "serial", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    runs = sorted((tmp_path / "sweep" / "runs").iterdir())
    assert len(runs) == 2
    for run in runs:
        config = json.loads((run / "config.json").read_text())
        assert config["model"] == FACTORY and config["model_kw"] == {"inflate": 1.5}
        assert config["learner"]["name"] == "user_gaussian" and len(_rows(run)) == 2
