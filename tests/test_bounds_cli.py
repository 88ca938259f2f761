"""`collapse bounds`: tables in three formats, the LaTeX catalog, one-line errors."""
import csv
import io
import subprocess
import sys

import pytest

from validate.cli import main


def brute(alpha, eps2, N):
    D = 0.0
    for _ in range(N):
        D = (1 - alpha) ** 2 * D + eps2
    return D


def test_csv_table_matches_recursion(capsys):
    assert main(["bounds", "--alpha", "0.1", "0.5", "0.9", "--eps2", "1e-3", "--generations", "20",
                 "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {"alpha", "generation", "accumulated"} <= set(rows[0])
    assert len(rows) == 3 * 21
    for r in rows:
        expected = brute(float(r["alpha"]), 1e-3, int(r["generation"]))
        assert float(r["accumulated"]) == pytest.approx(expected, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("fmt, marker", [("markdown", "| alpha |"), ("latex", r"\begin{tabular}")])
def test_markdown_and_latex(capsys, fmt, marker):
    assert main(["bounds", "--alpha", "0.5", "--generations", "3", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert marker in out and "0.0013125" in out  # D_3 at alpha 0.5, eps2 1e-3


def test_latex_catalog(capsys):
    assert main(["bounds", "--latex"]) == 0
    out = capsys.readouterr().out
    for rid in ["prop3.1", "prop3.3", "thm3.4", "lemmaF.1", "identity", "innovation", "prop4.1", "thm4.2"]:
        assert f"% {rid}:" in out
    assert r"\frac{\hat{\epsilon}^{2}}{2}" in out


@pytest.mark.parametrize("args, word", [
    (["--alpha", "1.5"], "alpha"), (["--eps2", "-1"], "eps2"), (["--generations", "-2"], "generations"),
])
def test_bad_input_exits_2_with_one_line(capsys, args, word):
    assert main(["bounds", *args]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and word in lines[0]


def test_bad_input_in_a_subprocess():
    proc = subprocess.run([sys.executable, "-m", "validate.cli", "bounds", "--alpha", "2"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == ["collapse bounds: error: argument --alpha: alpha must be in [0, 1], got 2"]
