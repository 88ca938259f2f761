"""The library API of `validate` (its `__all__`): every name resolves, `import validate` is cheap
and free of torch, and the verdict words are the documented ones."""
import subprocess
import sys

import validate


def test_every_exported_name_resolves():
    for name in validate.__all__:
        assert getattr(validate, name) is not None, name
    assert validate.run_report is validate.build_report


def test_control_an_unknown_name_is_an_attribute_error():
    try:
        validate.no_such_name
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("validate.no_such_name resolved")


def test_import_validate_loads_neither_torch_nor_its_layers():
    code = ("import sys, validate\nprint(sorted(m for m in sys.modules if m == 'torch' or "
            "m.startswith('validate.') or m in ('argparse', 'hypothesis')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_verdict_words():
    assert (validate.HOLDS, validate.VIOLATED, validate.INCONCLUSIVE) == ("holds", "violated", "inconclusive")
