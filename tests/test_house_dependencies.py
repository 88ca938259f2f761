"""The dependency rule of the developers' guide, read from the source with ast (imports inside
functions included), and a control built from the three cycles the code once had."""
from pathlib import Path

from _import_graph import module_imports, violations

ROOT = Path(__file__).resolve().parents[1]


def test_the_project_obeys_the_dependency_rule():
    graph = module_imports(ROOT)
    assert len(graph) > 50  # it read the packages
    assert violations(graph) == []


def _write(root: Path, files: dict):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


# The three cycles of commit f28478e, reduced to their import statements.
OLD_CYCLES = {
    "bounds/__init__.py": "from .catalog import catalog\n",
    "bounds/catalog.py": "from .floor import derive_floor\n",
    "bounds/floor.py": "def collapse_floor():\n    from .catalog import catalog\n",
    "neural/__init__.py": "",
    "neural/gaussian_mixture.py": "from .kde_score import isotropic_mixture_stream\n",
    "neural/kde_score.py": "def as_mixture():\n    from .targets import GaussianMixture\n",
    "neural/targets.py": "from .gaussian_mixture import GaussianMixture\n",
    "validate/__init__.py": "",
    "validate/report.py": "def all_checks():\n    from validate.neural_suite import neural_checks\n",
    "validate/neural_suite.py": "def tables():\n    from validate.report import write_table\n",
}


def test_control_the_old_cycles_are_caught(tmp_path):
    _write(tmp_path, OLD_CYCLES)
    found = violations(module_imports(tmp_path))
    assert "import cycle: bounds.catalog <-> bounds.floor" in found
    assert "import cycle: neural.gaussian_mixture <-> neural.kde_score <-> neural.targets" in found
    assert "import cycle: validate.neural_suite <-> validate.report" in found


def test_control_forbidden_imports_are_caught(tmp_path):
    _write(tmp_path, {
        "bounds/__init__.py": "", "bounds/a.py": "import numpy\nfrom gaussian_exact import Gaussian\n",
        "gaussian_exact/__init__.py": "", "gaussian_exact/g.py": "def f():\n    import neural.sde\n",
        "neural/__init__.py": "", "neural/sde.py": "from validate.checks import check\n",
        "validate/__init__.py": "", "validate/checks.py": "", "validate/cli_x.py": "",
        "validate/report.py": "from validate import cli_x\n",
    })
    found = violations(module_imports(tmp_path))
    assert any(f.startswith("bounds.a imports gaussian_exact") for f in found)
    assert any(f.startswith("gaussian_exact.g imports neural.sde") for f in found)
    assert any(f.startswith("neural.sde imports validate.checks") for f in found)
    assert "validate.report imports the CLI module validate.cli_x" in found
