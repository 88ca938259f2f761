"""validate: the paper's bounds held against exact and neural measurements (THEORY.md section 3).

The layers, each a subpackage: `validate.checks` (verdicts, `Check` rows, the suites),
`validate.report` (a finished run's data, checks, tables, figures, summary), `validate.pipeline`
(the experiments of `collapse reproduce`), `validate.sweep` (grids of runs, serial or on Dask),
`validate.cli` (the `collapse` command, the only place that knows argparse) and `validate.testing`
(hypothesis strategies, for tests only). The names below are the library API; they load on first
use (PEP 562), so `import validate` stays cheap and free of torch.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "validate.report.check_run": ("check_run", "check_names", "UnknownCheck"),
    "validate.report.build": ("build_report",),
    "validate.report.run_data": ("RunData",),
    "validate.report.run_comparison": ("compare_runs", "comparison_text"),
    "validate.pipeline.reproduce": ("reproduce",),
    "validate.pipeline.run_spec": ("NeuralRunSpec", "Scale"),
    "validate.pipeline.train_settings": ("train_config",),
    "validate.pipeline.exact_runs": ("ExactRunConfig", "run_exact", "write_exact_run", "exact_rows"),
    "validate.sweep.runner": ("run_sweep",),
    "validate.sweep.spec": ("load_spec", "parse_spec"),
    "validate.checks.check": ("Check",),
    "validate.checks.verdict": ("HOLDS", "VIOLATED", "INCONCLUSIVE", "VACUOUS", "FITTED", "verdicts"),
    "validate.settings": ("Setting",),
}
#: exported under another name than in its module
_ALIASES = {"run_report": ("validate.report.build", "build_report")}
_WHERE = {name: (module, name) for module, names in _EXPORTS.items() for name in names} | _ALIASES

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _WHERE[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
