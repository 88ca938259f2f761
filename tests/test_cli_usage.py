"""The CLI reports bad usage in one line with exit status 2."""
import subprocess
import sys

import pytest

from validate.cli.arg_types import output_directory
from validate.cli import main


def test_unknown_subcommand_exits_2():
    proc = subprocess.run([sys.executable, "-m", "validate.cli", "nonsense"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


# every subcommand with --out, with its other required arguments
OUT_COMMANDS = {
    "reproduce": ["reproduce"],
    "train": ["train"],
    "sweep": ["sweep", "spec.toml"],
}


@pytest.mark.parametrize("name", sorted(OUT_COMMANDS))
@pytest.mark.parametrize("out", ["/proc/x", "FILE", "FILE/below"])
def test_impossible_output_directory_is_a_usage_error(name, out, tmp_path, capsys):
    """An output directory that cannot be created (under /proc, or a file's path) exits 2 with one
    line naming it, before any work (issue 20 point 5: a traceback and exit 1 before)."""
    (tmp_path / "FILE").write_text("a file")
    out = out.replace("FILE", str(tmp_path / "FILE"))
    assert main([*OUT_COMMANDS[name], "--out", out]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"argument --out: cannot create or write the directory {out!r}" in err


def test_possible_output_directories_pass_and_leave_nothing(tmp_path):
    """Control: a new nested directory and an existing one are accepted, and the write probe
    leaves neither a directory nor a file behind."""
    convert = output_directory("out")
    assert convert(str(tmp_path / "new" / "nested")) == str(tmp_path / "new" / "nested")
    assert convert(str(tmp_path)) == str(tmp_path)
    assert list(tmp_path.iterdir()) == []
