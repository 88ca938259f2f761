"""`collapse exact`: tables in three formats, a plot, one-line errors with exit status 2."""
import csv
import io

import pytest

from validate.cli import main

SMALL = ["exact", "--alpha", "0.2", "0.8", "--generations", "2", "--dim", "2", "--steps", "10",
         "--mixture-samples", "512"]


def test_csv_has_one_row_per_alpha_and_generation(capsys):
    assert main(SMALL + ["--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["alpha"], r["generation"]) for r in rows] == [
        ("0.2", "0"), ("0.2", "1"), ("0.2", "2"), ("0.8", "0"), ("0.8", "1"), ("0.8", "2")]
    assert float(rows[0]["D_chi2"]) == pytest.approx(0.0, abs=1e-12)
    assert float(rows[1]["D_chi2"]) > 0 and 0 <= float(rows[0]["eta"]) <= 1


@pytest.mark.parametrize("fmt, marker", [("markdown", "| alpha | generation |"), ("latex", r"\begin{tabular}")])
def test_markdown_and_latex(capsys, fmt, marker):
    assert main(SMALL + ["--format", fmt]) == 0
    assert marker in capsys.readouterr().out


def test_plot_is_written(tmp_path, capsys):
    path = tmp_path / "drift.png"
    assert main(SMALL + ["--plot", str(path)]) == 0
    assert path.stat().st_size > 1000


@pytest.mark.parametrize("extra, word", [(["--alpha", "1.5"], "alpha"), (["--dim", "0"], "dim"),
                                         (["--t0", "5"], "t0"), (["--steps", "-1"], "steps")])
def test_bad_input_is_one_line_exit_2(capsys, extra, word):
    assert main(SMALL + extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and word in err[0]


def test_defaults_write_the_exact_part_of_reproduce(tmp_path, monkeypatch, capsys):
    """`collapse exact --out` with its defaults writes, file for file, the exact runs of
    `collapse reproduce` (default scale, alphas and seed): one config type, one writer."""
    import validate.pipeline.reproduce as rep

    class Stop(Exception):
        pass

    def stop(*args, **kwargs):  # the step after the exact runs: they are on disk
        raise Stop

    monkeypatch.setattr(rep, "estimate_neural", lambda *a: {"seconds": 1.0, "specs": []})
    monkeypatch.setattr(rep, "eta_by_error_type", stop)
    with pytest.raises(Stop):
        rep.reproduce(tmp_path / "reproduce", device="cpu")
    assert main(["exact", "--out", str(tmp_path / "exact"), "--format", "csv"]) == 0
    printed = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    from_reproduce = sorted(p.relative_to(tmp_path / "reproduce" / "exact")
                            for p in (tmp_path / "reproduce" / "exact").rglob("*.json*"))
    from_exact = sorted(p.relative_to(tmp_path / "exact") for p in (tmp_path / "exact").rglob("*.json*"))
    assert from_exact == from_reproduce and len(from_exact) == 6  # 3 alphas: config.json, metrics.jsonl
    for rel in from_exact:
        assert (tmp_path / "exact" / rel).read_text() == (tmp_path / "reproduce" / "exact" / rel).read_text()
    assert len(printed) == 3 * 21 and {r["alpha"] for r in printed} == {"0.1", "0.5", "0.9"}


def test_control_other_settings_write_other_numbers(tmp_path):
    """The comparison above can fail: a run with 500 Euler steps (the old default) differs."""
    assert main(["exact", "--out", str(tmp_path / "continuous"), "--alpha", "0.5", "--generations", "2",
                 "--format", "csv"]) == 0
    assert main(["exact", "--out", str(tmp_path / "steps"), "--alpha", "0.5", "--generations", "2",
                 "--steps", "500", "--format", "csv"]) == 0
    run = "alpha_0.5/metrics.jsonl"
    assert (tmp_path / "continuous" / run).read_text() != (tmp_path / "steps" / run).read_text()


def test_a_finished_run_is_kept_and_other_settings_recompute(tmp_path, capsys):
    args = SMALL + ["--out", str(tmp_path), "--format", "csv"]
    assert main(args) == 0
    first = capsys.readouterr().out
    metrics = tmp_path / "alpha_0.2" / "metrics.jsonl"
    stamp = metrics.stat().st_mtime_ns
    assert main(args) == 0 and capsys.readouterr().out == first and metrics.stat().st_mtime_ns == stamp
    assert main(args + ["--seed", "1"]) == 0 and capsys.readouterr().out != first
