"""`collapse validate` and `collapse report` on a small exact run: exit 0 when every binding check
passes, 1 when a tampered measurement breaks one, 2 (one line) on bad input."""
import json

import numpy as np
import pytest

from validate.checks.counts import NOTHING_BINDING
from validate.checks.check import SCOPES, SOURCES
from validate.cli import main
from validate.checks.exact_suite import EXACT_RUN
from validate.checks.verdict import ABSURD
from tests._small_runs import write_small_exact_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return write_small_exact_run(tmp_path_factory.mktemp("run"))


def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_validate_passes_on_exact_run(run_dir, capsys):
    assert main(["validate", "--run", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "identity" in out and " 0 failed" in out and "run-specific binding checks and controls: " in out


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
                   columns=["check", "kind", "scope", "verdict", "min_margin", "passed", "reason"])
    assert printed.startswith(table)
    with pytest.raises(validate.UnknownCheck, match="unknown check 'nonsense'"):
        validate.check_run(run_dir, only=["nonsense"])


def _insane(x) -> bool:
    return x is not None and (not np.isfinite(x) or abs(x) > ABSURD)


def _assert_checks_json_honest(path):
    """issue 20: no check or row that holds (or passed) on a non-finite or absurd number; every
    check row has the structured fields."""
    saved = json.loads(path.read_text())
    for row, detail in zip(saved["checks"], saved["details"]):
        for key in ("scope", "run", "learner", "target", "generations", "sources", "reason"):
            assert key in row, (row["check"], key)
        assert row["scope"] in SCOPES and row["run"] and set(row["sources"].values()) <= set(SOURCES)
        assert row["generations"] == [r["generation"] for r in detail["rows"]]
        constants = [c["value"] for c in detail["constants"].values()]
        if row["verdict"] == "holds" or row["passed"]:
            assert not any(_insane(c) for c in constants), row
            for r in detail["rows"]:
                assert not (_insane(r["measured"]) or _insane(r["bound"])), (row["check"], r)
        for r in detail["rows"]:
            if r["verdict"] == "holds":
                assert not (_insane(r["measured"]) or _insane(r["bound"])), (row["check"], r)
            if r["verdict"] == "vacuous":
                assert r["reason"]
    return saved


def test_report_marks_absurd_numbers_vacuous_in_checks_json(run_dir, tmp_path, capsys):
    """A run whose D_2 is a box integral of a divergent chi2 (1e279): its lemmaF.1 and identity rows
    become vacuous with a reason, and checks.json holds no pass on it; the untampered run (control)
    keeps lemmaF.1 holding, with the structured fields."""
    assert main(["report", "--run", str(run_dir)]) == 0
    saved = _assert_checks_json_honest(run_dir / "checks.json")
    lemma = [r for r in saved["checks"] if r["check"] == "lemmaF.1 [exact, alpha=0.5]"]
    assert lemma and lemma[0]["verdict"] == "holds" and lemma[0]["scope"] == "run"
    assert lemma[0]["learner"] == EXACT_RUN["learner"] and lemma[0]["sources"]["measured"] == "exact"
    assert {r["scope"] for r in saved["checks"]} == {"run", "example", "proof"}
    bad = _copy(run_dir, tmp_path / "absurd")
    path = bad / "exact" / "alpha_0.5" / "metrics.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[2]["D_chi2"], rows[2]["chi2_q_data"] = 4e279, 1e279
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    capsys.readouterr()
    assert main(["report", "--run", str(bad)]) == 0
    saved = _assert_checks_json_honest(bad / "checks.json")
    lemma = [r for r in saved["checks"] if r["check"] == "lemmaF.1 [exact, alpha=0.5]"][0]
    assert lemma["verdict"] == "vacuous" and not lemma["passed"] and "1e+279" in lemma["reason"]
    summary = (bad / "summary.md").read_text()
    assert "run-specific binding checks and controls:" in summary and "vacuous: " in summary


def test_validate_on_a_run_with_proxy_metrics_only_exits_3(tmp_path, capsys):
    """A KDE run on the 10-D mixture has informative checks only: nothing binding concerns it, so
    `collapse validate` says so in one line and exits 3 (the exact run, control, exits 0 above)."""
    out = tmp_path / "kde"
    assert main(["train", "--target", "gmm", "--model", "kde", "--generations", "2", "--n", "32", "--steps", "5",
                 "--eval-paths", "16", "--eval-points", "64", "--device", "cpu", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["validate", "--run", str(out)]) == NOTHING_BINDING == 3
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "no binding check concerns the run" in err[0]
    import re
    proofs = re.search(r"proof rows: (\d+)/(\d+) passed", captured.out)
    assert proofs and proofs.group(1) == proofs.group(2) and int(proofs.group(2)) >= 14
    assert main(["report", "--run", str(out)]) == 0
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# collapse train: summary of one run (gmm, kde")
    assert "No binding check concerns this run" in summary
    _assert_checks_json_honest(out / "checks.json")
