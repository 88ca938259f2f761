"""Sphinx configuration: API reference from the numpydoc docstrings, the theory page, the notebooks.

Build with ``make docs`` (HTML in docs/_build/html, warnings are errors). The API pages under
docs/api/ are written here from each package's ``__all__``, so the reference cannot drift from what the packages export. The notebooks of
examples/ are read through the docs/examples link and executed by myst-nb (no network needed);
``-D nb_execution_mode=off`` renders them without running them (the test suite does that).
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
# The notebook kernels are subprocesses: they import this checkout, not whatever is installed.
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])

project = "collapse-theory"
author = "collapse-theory contributors"
copyright = "2026, " + author
release = version = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "myst_nb",
]
templates_path = ["_templates"]
# The docstrings write code and formulas in single backticks: show them as code, not as citations.
default_role = "code"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "api/generated/*.rst.tmp"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# numpydoc style through napoleon.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "description"
autodoc_class_signature = "mixed"

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True

html_theme = "alabaster"
html_static_path: list[str] = []
html_title = "collapse-theory"

PACKAGES = ("bounds", "gaussian_exact", "neural", "run_files", "validate")


def _exported(package: str) -> tuple[list[str], list[str]]:
    """Split a package's exports into (objects, modules), names relative to the package.

    A package without ``__all__`` has its public modules listed.
    """
    module = importlib.import_module(package)
    if not hasattr(module, "__all__"):
        return [], sorted(m.name for m in pkgutil.iter_modules(module.__path__) if not m.name.startswith("_"))
    objects, modules = [], []
    for name in module.__all__:
        value = getattr(module, name)
        (modules if isinstance(value, type(module)) else objects).append(name)
    return objects, modules


def _api_page(package: str) -> tuple[str, dict[str, str]]:
    """The package page (autosummary of its exported objects) and one automodule page per module."""
    objects, modules = _exported(package)
    title = f"``{package}``"
    lines = [title, "=" * len(title), "", f".. automodule:: {package}", "   :no-members:", "",
             f".. currentmodule:: {package}", ""]
    if objects:
        lines += ["Exported names", "--------------", "", ".. autosummary::", "   :toctree: generated",
                  "   :nosignatures:", ""] + [f"   {name}" for name in objects] + [""]
    pages = {}
    if modules:
        heading = "Modules" if not objects else "Exported modules"
        lines += [heading, "-" * len(heading), "", ".. toctree::", "   :maxdepth: 1", ""]
        for name in modules:
            full = f"{package}.{name}"
            lines.append(f"   generated/{full}")
            pages[full] = "\n".join([f"``{full}``", "=" * (len(full) + 4), "", f".. automodule:: {full}",
                                     "   :members:", ""])
        lines.append("")
    return "\n".join(lines), pages


def _write_api_pages() -> None:
    api = DOCS / "api"
    shutil.rmtree(api / "generated", ignore_errors=True)   # autosummary never removes a stale stub
    (api / "generated").mkdir(parents=True)
    for package in PACKAGES:
        text, pages = _api_page(package)
        (api / f"{package}.rst").write_text(text)
        for full, page in pages.items():
            (api / "generated" / f"{full}.rst").write_text(page)


_write_api_pages()
