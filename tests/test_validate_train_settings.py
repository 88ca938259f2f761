"""The settings of a train run, generated from the fields of `neural.config.RetrainingConfig`: every
setting can be set in a sweep spec (flat or in its section's table) and on the command line, with
the same configuration as the result; bad values are one-line usage errors naming the option; the
paper's protocol as a sweep spec plans the runs of `collapse reproduce --scale paper`."""
import json
from pathlib import Path

import pytest

from neural.config import RetrainingConfig, setting_defaults
from validate.cli import build_parser, main
from validate.cli.train_options import train_config as cli_config
from validate.pipeline.reproduce import SCALES
from validate.pipeline.train_settings import SETTING_SECTIONS, TRAIN_SETTINGS
from validate.sweep.spec import SpecError, load_spec, parse_spec

ROOT = Path(__file__).resolve().parents[1]
BASE = {"target": '"gmm1d"', "model": '"mlp"'}
# setting -> (TOML value, extra settings it needs, the value the configuration must hold): one
# non-default value per setting; the test below fails when a setting is added without an example
EXAMPLES = {
    "model": ('"unet"', {"target": '"digits"'}, "unet"),
    "bandwidth": ("0.3", {}, 0.3), "hidden": ("16", {}, 16), "depth": ("2", {}, 2), "lr": ("1e-3", {}, 1e-3),
    "train_steps": ("7", {}, 7), "batch_size": ("32", {}, 32),
    "parameterization": ('"gaussian_residual"', {}, "gaussian_residual"),
    "tail_scale": ("0.5", {"parameterization": '"gaussian_residual"'}, 0.5),
    "model_kw": ("{ dropout = 0.1 }", {}, {"dropout": 0.1}),
    "T": ("3.0", {}, 3.0), "t0": ("0.05", {}, 0.05), "steps": ("17", {}, 17),
    "t0_schedule": ("[0.1, 0.05]", {}, (0.1, 0.05)),
    "target": ('"gmm2d"', {}, "gmm2d"), "target_kw": ("{ dim = 2 }", {"target": '"gaussian"'}, {"dim": 2}),
    "alpha": ("0.25", {}, 0.25), "alpha_schedule": ("[0.9, 0.1]", {}, (0.9, 0.1)), "generations": ("4", {}, 4),
    "n": ("33", {}, 33), "mode": ('"accumulate"', {}, "accumulate"), "seed": ("5", {}, 5),
    "injected_error": ('{ type = "aligned", size = -0.2 }', {}, {"type": "aligned", "size": -0.2}),
    "metrics": ('["D_kl", "eta"]', {}, ("D_kl", "eta")), "eval_paths": ("11", {}, 11), "eval_points": ("12", {}, 12),
    "exact": ('"off"', {}, "off"), "device": ('"cpu"', {}, "cpu"), "dtype": ('"float64"', {}, "float64"),
    "chunk_size": ("64", {}, 64),
    "data_dir": ('"/data/fmnist"', {"target": '"fashion_mnist"'}, "/data/fmnist"),
}


def spec_text(settings: dict, nested: bool) -> str:
    """A spec setting `settings` (key -> TOML text) in [run], or each in its section's table."""
    if not nested:
        return "[run]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())
    tables = {}
    for k, v in settings.items():
        section = SETTING_SECTIONS[k]
        tables.setdefault("run" if section == "run" else f"run.{section}", []).append(f"{k} = {v}\n")
    return "".join(f"[{t}]\n" + "".join(lines) for t, lines in tables.items())


def planned(text: str) -> RetrainingConfig:
    (run,) = parse_spec(text).runs()
    return RetrainingConfig.from_json(run.config)


def test_every_setting_has_an_example():
    assert set(EXAMPLES) == set(TRAIN_SETTINGS)


@pytest.mark.parametrize("nested", [False, True], ids=["flat", "nested"])
@pytest.mark.parametrize("setting", list(EXAMPLES))
def test_a_sweep_spec_sets_every_train_setting(setting, nested):
    value, needs, expected = EXAMPLES[setting]
    config = planned(spec_text({**BASE, **needs, setting: value}, nested))
    held = config.target_kw["data_dir"] if setting == "data_dir" else config.settings()[setting]
    assert held == expected and held != setting_defaults().get(setting)
    control = planned(spec_text({**BASE, **needs}, nested))   # without it: the default
    assert (control.target_kw.get("data_dir") if setting == "data_dir" else control.settings()[setting]) != expected


def test_a_section_table_is_an_axis_too_and_the_two_spellings_are_one_run():
    text = '[run]\ntarget = "gmm1d"\nmodel = "mlp"\n[axes.learner]\nlr = [1e-3, 2e-3]\n[axes.schedule]\nT = [2.0, 4.0]\n'
    runs = parse_spec(text).runs()
    assert [(r.axes["lr"], r.axes["T"]) for r in runs] == [(1e-3, 2.0), (1e-3, 4.0), (2e-3, 2.0), (2e-3, 4.0)]
    flat = parse_spec('[run]\ntarget = "gmm1d"\nmodel = "mlp"\n[axes]\nlr = [1e-3, 2e-3]\nT = [2.0, 4.0]\n').runs()
    assert [r.name for r in runs] == [r.name for r in flat]
    with pytest.raises(SpecError, match=r"\[run.schedule\] lr: also set in \[run\]|\[run.learner\] lr: also set"):
        parse_spec('[run]\nmodel = "mlp"\nlr = 1e-3\n[run.learner]\nlr = 2e-3\n')


def test_the_command_line_and_a_sweep_spec_build_the_same_configuration():
    args = build_parser("train").parse_args([
        "train", "--out", "x", "--target", "gmm1d", "--model", "mlp", "--lr", "1e-3", "--hidden", "16", "--depth", "2",
        "--T", "3", "--t0", "0.05", "--model-kw", '{"dropout": 0.1}', "--metrics", "D_kl"])
    text = spec_text({**BASE, "lr": "1e-3", "hidden": "16", "depth": "2", "T": "3.0", "t0": "0.05",
                      "model_kw": "{ dropout = 0.1 }", "metrics": '["D_kl"]'}, nested=True)
    assert cli_config(args) == planned(text)
    assert cli_config(build_parser("train").parse_args(["train", "--out", "x"])) == RetrainingConfig()


def test_train_help_lists_an_option_per_setting_with_its_default(capsys):
    try:
        main(["train", "--help"])
    except SystemExit:
        pass
    text = " ".join(capsys.readouterr().out.split())
    for name, default in {**setting_defaults(), "data_dir": None}.items():
        assert f"--{name.replace('_', '-')} " in text
    assert "(default: 512)" in text and "(default: 0.02)" in text and "{eps,gaussian_residual}" in text


@pytest.mark.parametrize("extra, message", [
    (["--lr", "-1"], "argument --lr: lr must be a finite number > 0"),
    (["--hidden", "0"], "argument --hidden: hidden must be an integer >= 1"),
    (["--T", "inf"], "argument --T: T must be a finite number > 0"),
    (["--t0", "soon"], "argument --t0: t0 must be a number"),
    (["--model-kw", "[1]"], "argument --model-kw: model-kw must be a JSON object"),
    (["--exact", "maybe"], "argument --exact: exact must be one of auto, grid, off"),
    (["--t0", "5"], "t0"),
    (["--model", "mlp", "--tail-scale", "0.5"], "argument --tail-scale: tail_scale needs parameterization gaussian_residual"),
    (["--hidden", "8"], "argument --hidden: hidden needs model mlp"),
])
def test_bad_values_are_one_line_exit_2_naming_the_option(tmp_path, capsys, extra, message):
    out = tmp_path / "run"
    assert main(["train", "--device", "cpu", "--out", str(out)] + extra) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not out.exists()


def test_the_paper_protocol_spec_plans_the_runs_of_reproduce_paper():
    spec = load_spec(ROOT / "examples" / "sweep_paper_protocol.toml")
    runs = spec.runs()
    train = [r for r in runs if r.kind == "train"]
    (paper,) = SCALES["paper"].neural
    expected = paper.configs((0.1, 0.5, 0.9), 0, "auto")   # independent: the typed scale of reproduce
    assert len(train) == len(expected) == 30
    assert [r.config for r in train] == [json.loads(json.dumps(c.to_json())) for _, c in expected]
    exact = [r for r in runs if r.kind == "exact"]
    assert [r.config["alpha"] for r in exact] == [0.1, 0.5, 0.9]
    reference = SCALES["paper"].exact_config((0.1, 0.5, 0.9), 0)
    assert all(r.config == reference.run_json(r.config["alpha"]) for r in exact)


def test_the_readme_spec_with_sections_plans():
    import re

    readme = (ROOT / "README.md").read_text()
    (block,) = [b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if "[run.learner]" in b]
    runs = parse_spec(block).runs()
    assert [RetrainingConfig.from_json(r.config).learner.lr for r in runs] == [1e-3, 3e-3]
    assert runs[0].config["model_kw"] == {"hidden": 64, "depth": 3, "lr": 1e-3, "steps": 1000, "dropout": 0.0}
