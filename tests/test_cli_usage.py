"""The CLI reports bad usage in one line with exit status 2."""
import subprocess
import sys


def test_unknown_subcommand_exits_2():
    proc = subprocess.run([sys.executable, "-m", "validate.cli", "nonsense"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
