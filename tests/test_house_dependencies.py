"""The dependency rule of the developers' guide and the rules of validate's layers, read from the
source with ast (imports inside functions included), each with a control: a synthetic tree that
breaks the rule must be caught."""
from pathlib import Path

from _import_graph import PRIVATE_ALLOWED, house_violations, module_imports, violations

ROOT = Path(__file__).resolve().parents[1]


def test_the_project_obeys_the_dependency_rule():
    graph = module_imports(ROOT)
    assert len(graph) > 50  # it read the packages
    assert violations(graph) == []


def test_the_project_obeys_the_rules_of_the_layers():
    assert house_violations(ROOT) == []


def test_validate_has_at_most_a_dozen_top_level_modules():
    top = [p for p in (ROOT / "validate").iterdir() if p.suffix == ".py" or (p / "__init__.py").is_file()]
    assert len(top) <= 12, sorted(p.name for p in top)


def test_every_private_allowance_is_still_needed():
    """An allow-list entry whose use is gone must go too (the temporary ones of issue 17)."""
    from _import_graph import _module_name, _uses

    used = set()
    for module, name in PRIVATE_ALLOWED:
        path = next(p for p in ROOT.glob("*/**/*.py") if _module_name(ROOT, p) == module)
        if name in _uses(ROOT, module, path)[1]:
            used.add((module, name))
    assert used == set(PRIVATE_ALLOWED)


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


LAYER_BREAKS = {
    "bounds/__init__.py": "", "gaussian_exact/__init__.py": "", "neural/__init__.py": "",
    "neural/retraining.py": "def _Run():\n    pass\n",
    "neural/store.py": "from .retraining import _Run\n",
    "neural/reader.py": "from . import retraining\nx = retraining._Run\n",
    "validate/__init__.py": "",
    "validate/cli/__init__.py": "", "validate/cli/main.py": "import argparse\n",
    "validate/testing/__init__.py": "", "validate/testing/strategies.py": "import hypothesis\n",
    "validate/sweep/__init__.py": "",
    "validate/sweep/spec.py": "import argparse\nfrom validate.cli import main\n",
    "validate/sweep/task.py": "def run():\n    import validate.testing.strategies\n",
    "validate/report/__init__.py": "", "validate/report/tables.py": "from hypothesis import strategies\n",
    "validate/report/figures.py": "import argparse as ap\nx = ap._StoreTrueAction\n",
}


def test_control_each_layer_rule_is_caught(tmp_path):
    _write(tmp_path, LAYER_BREAKS)
    found = house_violations(tmp_path)
    assert "validate.sweep.spec imports argparse: only validate.cli parses arguments" in found
    assert "validate.sweep.spec imports the CLI module validate.cli" in found
    assert "validate.sweep.task imports validate.testing.strategies: validate.testing is for tests only" in found
    assert any(f.startswith("validate.report.tables imports hypothesis") for f in found)
    assert "neural.store uses the private name neural.retraining._Run of another module" in found
    assert "neural.reader uses the private name neural.retraining._Run of another module" in found
    assert "validate.report.figures uses the private name argparse._StoreTrueAction of another module" in found
    # the layers themselves may: argparse in validate.cli, hypothesis in validate.testing
    assert not any(f.startswith(("validate.cli.main", "validate.testing.strategies")) for f in found)
    # nothing else is reported
    assert "validate.report.figures imports argparse: only validate.cli parses arguments" in found
    assert len(found) == 9, found  # the above, and spec importing validate.cli.main (the name main)
