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
