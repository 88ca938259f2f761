"""The documented import boundaries: `collapse bounds` and `collapse exact` (which writes run
directories with --out) never import torch, and the `neural` package resolves every export to the
object its name promises."""
import subprocess
import sys

import pytest


@pytest.mark.parametrize("argv", [["bounds", "--generations", "2"], ["exact", "--generations", "1", "--dim", "1",
                                                                     "--steps", "5"],
                                  ["exact", "--generations", "1", "--dim", "1", "--alpha", "0.5", "--out", "OUT"]])
def test_torch_free_commands_do_not_import_torch(argv, tmp_path):
    argv = [str(tmp_path / "exact") if a == "OUT" else a for a in argv]
    code = ("import sys\nfrom validate.cli import main\nrc = main(%r)\n"
            "assert rc == 0, rc\nprint('torch' in sys.modules, 'neural' in sys.modules)" % argv)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False False"


def test_control_a_torch_command_does_import_torch():
    code = "import sys\nfrom validate.cli import build_parser\nbuild_parser('train')\nprint('torch' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip().splitlines()[-1] == "True"


def test_exports_resolve_to_functions_even_after_their_submodule_is_imported():
    import neural
    import neural.observability  # noqa: F401  binds the submodule to the package attribute
    import neural.path_energy  # noqa: F401
    from neural import observability_mc, path_energy_mc

    assert callable(path_energy_mc) and path_energy_mc.__module__ == "neural.path_energy"
    assert callable(observability_mc) and observability_mc.__module__ == "neural.observability"
    assert neural.path_energy_mc is path_energy_mc
    assert "path_energy" not in neural.__all__ and "GaussianMixture" not in neural.__all__
    for name in neural.__all__:
        assert getattr(neural, name) is not None
