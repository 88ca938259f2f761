"""The example notebooks run top to bottom (their own cells assert what they show)."""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("name", ["proof_step.ipynb", "bound_vs_empirical.ipynb", "limit_law.ipynb",
                                  "your_model.ipynb"])
def test_notebook_executes(name, tmp_path):
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
