"""The checks of a finished run directory, as `collapse validate` prints them: the library call."""
from __future__ import annotations

import bounds
from validate.checks.check import Check
from validate.report.run_checks import all_checks
from validate.report.run_data import RunData
from validate.report.sweep_report import is_sweep, sweep_checks

#: check names besides the catalog's ids
EXTRA_CHECK_NAMES = ("eta",)


class UnknownCheck(ValueError):
    """A check name that is neither a catalog id nor "eta"; the message lists the known ones."""


def check_names() -> list[str]:
    """The names `check_run(only=...)` accepts: the catalog's result ids and "eta"."""
    return sorted(set(bounds.catalog()) | set(EXTRA_CHECK_NAMES))


def check_run(run_dir, z: float = 2.0, only=None) -> list[Check]:
    """Every check and control of a finished run (`collapse reproduce`, `collapse train` or
    `collapse sweep` directory), each a `Check` with its verdicts (`Check.summary_row()` is the
    row `collapse validate` prints; `Check.binding and Check.failed` is a failure).

    Parameters
    ----------
    run_dir : str or path-like
        The run directory.
    z : float
        Standard errors of tolerance for estimated quantities (default 2).
    only : iterable of str or None
        Keep the checks of these catalog ids (e.g. "prop3.1"); None keeps all.

    Returns
    -------
    list of Check
        In the order `collapse validate` prints them.

    Raises
    ------
    UnknownCheck
        A name of `only` that is not a check (a ValueError; the message lists the known ones).
    RunFileError
        A missing or malformed run file.
    """
    only = None if only is None else list(only)
    if only:
        known = check_names()
        unknown = [c for c in only if c not in known]
        if unknown:
            raise UnknownCheck(f"unknown check {unknown[0]!r}; known: {', '.join(known)}")
    found = sweep_checks(run_dir, z) if is_sweep(run_dir) else all_checks(RunData.load(run_dir), z=z)
    return [c for c in found if not only or c.result_id.split("[")[0] in only]
