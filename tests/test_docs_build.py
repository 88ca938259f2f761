"""The Sphinx site builds with warnings as errors (`make docs`), and covers every export.

The build here renders the notebooks without executing them (``nb_execution_mode=off``): their
execution is tests/test_validate_notebooks.py's job, and `make docs` executes them.
"""
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SHARED_THEORY = ROOT.parent / "shared" / "THEORY.md"

pytest.importorskip("sphinx")
pytest.importorskip("myst_nb")


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs_html")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
         "-D", "nb_execution_mode=off", "-d", str(out / ".doctrees"), str(DOCS), str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"sphinx build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
    return out


def test_site_builds_without_warnings(built_site):
    for page in ("index.html", "theory.html", "examples/limit_law.html", "api/validate.html"):
        assert (built_site / page).is_file(), page


@pytest.mark.parametrize("package", ["bounds", "gaussian_exact", "neural", "run_files", "validate"])
def test_every_export_has_a_reference_page(built_site, package):
    names = importlib.import_module(package).__all__
    generated = {p.name for p in (built_site / "api" / "generated").glob(f"{package}.*.html")}
    missing = [n for n in names if f"{package}.{n}.html" not in generated and f"{package}.{n}.{n}.html" not in generated]
    assert not missing, f"exports without a reference page: {missing}"


@pytest.mark.skipif(not SHARED_THEORY.is_file(), reason="no shared/THEORY.md beside this checkout")
def test_theory_page_is_the_shared_theory():
    assert (DOCS / "theory.md").read_text() == SHARED_THEORY.read_text(), \
        "docs/theory.md is stale: cp ../shared/THEORY.md docs/theory.md"


def test_readme_links_stay_inside_the_checkout():
    """A user's clone has no ../shared: every relative link of the README names a file of the
    checkout (the theory is linked as docs/theory.md)."""
    text = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)#\s]+)", text)
    relative = [link for link in links if "://" not in link and not link.startswith("mailto:")]
    assert "docs/theory.md" in relative
    missing = [link for link in relative if not (ROOT / link).exists()]
    outside = [link for link in relative if not (ROOT / link).resolve().is_relative_to(ROOT)]
    assert not missing and not outside, (missing, outside)
