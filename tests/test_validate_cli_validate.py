"""`collapse validate` and `collapse report` on a small exact run: exit 0 when every binding check
passes, 1 when a tampered measurement breaks one, 2 (one line) on bad input."""
import json

import pytest

from validate.cli import main
from validate.pipeline.exact_runs import ExactRunConfig, run_exact
from run_files import write_json


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("run")
    write_json(d / "manifest.json", {"scale": "test", "seed": 0, "alphas": [0.5], "device": "cpu"})
    run_exact(d / "exact", ExactRunConfig(alphas=(0.5,), generations=4, dim=2, mixture_samples=2 ** 10))
    return d


def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_validate_passes_on_exact_run(run_dir, capsys):
    assert main(["validate", "--run", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "identity" in out and " 0 failed" in out


def test_validate_fails_when_a_measurement_is_tampered(run_dir, tmp_path, capsys):
    bad = _copy(run_dir, tmp_path / "bad")
    path = bad / "exact" / "alpha_0.5" / "metrics.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[3]["D_chi2"] *= 1.05  # D_3 no longer satisfies the one-step identity
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["validate", "--run", str(bad), "--check", "identity"]) == 1
    assert "violated" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["validate", "--run", "/nonexistent/run"], "does not exist"),
    (["validate", "--run", "RUN", "--check", "prop9.9"], "unknown check"),
    (["report", "--run", "/nonexistent/run"], "does not exist"),
])
def test_bad_input_is_one_line_exit_2(run_dir, capsys, args, message):
    args = [str(run_dir) if a == "RUN" else a for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_missing_field_is_one_line_exit_2(run_dir, tmp_path, capsys):
    bad = _copy(run_dir, tmp_path / "nofield")
    path = bad / "exact" / "alpha_0.5" / "metrics.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    del rows[1]["eps2"]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["validate", "--run", str(bad)]) == 2
    assert "missing field" in capsys.readouterr().err


def test_check_run_is_what_collapse_validate_prints(run_dir, capsys):
    import validate
    from validate.report.tables import render

    checks = validate.check_run(run_dir, only=["identity"])
    assert checks and all(isinstance(c, validate.Check) for c in checks)
    assert main(["validate", "--run", str(run_dir), "--check", "identity"]) == 0
    printed = capsys.readouterr().out
    table = render([c.summary_row() for c in checks], "markdown",
                   columns=["check", "kind", "verdict", "min_margin", "passed"])
    assert printed.startswith(table)
    with pytest.raises(validate.UnknownCheck, match="unknown check 'nonsense'"):
        validate.check_run(run_dir, only=["nonsense"])
