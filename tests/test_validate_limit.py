"""The limit-law checks (THEORY.md §5, reconstructed) with their controls, the `collapse limit` table
and the limit-law stage of `collapse reproduce` (files, saved verdicts)."""
import csv
import json
import io

import pytest

from validate.cli import main
from validate.pipeline.limit_stage import limit_law_stage
from validate.checks.limit_suite import checks_from_saved


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    out = tmp_path_factory.mktemp("limit")
    return out, limit_law_stage(out, grid=True)


def test_every_check_holds_and_every_control_is_violated(stage):
    _, result = stage
    checks = result["checks"]
    controls = [c for c in checks if c.expect == "violated"]
    assert len(controls) >= 20 and len(checks) - len(controls) >= 30
    failed = [c.name for c in checks if not c.passed]
    assert not failed, failed
    names = " ".join(c.name for c in checks)
    for needed in ("limit.multiplier [gmm1d, grid", "limit.multiplier [skewed1d, mixture, alpha=0.1]",
                   "limit.rate (TV)", "limit.annealed.geometric", "constant t0 does not return",
                   "invisible error: eta = 0", "control: multiplier with e^(-n t0)"):
        assert needed in names, needed


def test_files_and_saved_verdicts(stage):
    out, result = stage
    for name in ("limit_hermite_spectrum", "limit_annealed_drift"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 1000
        assert (out / "figures" / f"{name}.pdf").is_file()
    rows = list(csv.DictReader((out / "tables" / "limit_multipliers.csv").open()))
    assert {"alpha", "mode", "multiplier", "measured"} <= set(rows[0])
    back = checks_from_saved(json.loads((out / "limit" / "checks.json").read_text()))
    assert [c.name for c in back] == [c.name for c in result["checks"]]
    assert [c.verdict for c in back] == [c.verdict for c in result["checks"]]


def test_cli_limit_formats(capsys):
    assert main(["limit", "--alpha", "0.1", "0.5", "0.9", "--t0", "0.02", "--modes", "8", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 24 and {"alpha", "mode", "multiplier"} <= set(rows[0])
    got = {(float(r["alpha"]), int(r["mode"])): round(float(r["multiplier"]), 4) for r in rows}
    assert [got[(0.1, n)] for n in (1, 2, 4, 8)] == [0.9087, 0.8319, 0.7102, 0.5456]
    assert [got[(0.5, n)] for n in (1, 2, 4, 8)] == [0.9803, 0.9612, 0.9245, 0.8572]
    assert main(["limit", "--alpha", "0.1", "--modes", "2", "--format", "latex"]) == 0
    assert r"\begin{tabular}" in capsys.readouterr().out
    assert main(["limit", "--alpha", "0.1", "--modes", "2"]) == 0
    assert "| 0.1 | 0.02 | 1 | 0.9087 |" in capsys.readouterr().out


@pytest.mark.parametrize("argv,match", [(["--alpha", "1.5"], "alpha must be in"), (["--modes", "0"], "modes must be"),
                                        (["--t0", "-1"], "t0 must be >= 0")])
def test_cli_limit_bad_input_is_one_line(argv, match, capsys):
    assert main(["limit"] + argv) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1
