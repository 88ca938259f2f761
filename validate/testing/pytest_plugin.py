"""The pytest plugin of the toolkit (entry point ``pytest11``, named as this module so that an explicit
``-p validate.testing.pytest_plugin`` beside the installed entry point loads it once): the checks of
a finished run as test items, and a fixture that runs a small configuration once per session.

``pytest --collapse-run DIR`` (repeatable) collects one item per check of the finished run in DIR
(`validate.check_run`: a `collapse train`, `collapse reproduce` or `collapse sweep` directory):

* a binding check or control fails when it fails (`Check.failed`: a bound violated beyond the
  uncertainty, a control that is not violated), and passes when it holds;
* an informative check (not binding: its assumptions are not certified by the numbers), a vacuous
  one (a bound compared with an infinite or meaningless number) and an inconclusive one are
  skipped, with the reason.

``--collapse-z Z`` sets the tolerance in standard errors (default 2), ``--collapse-check ID``
(repeatable) keeps the checks of these catalog ids.

Fixtures: ``collapse_small_config`` (session; a `neural.RetrainingConfig` of a small exact-grid
run: override it in a conftest.py), ``collapse_learner`` (session; None: the config's learner;
override it to put a learner object of your own in the loop) and ``collapse_small_run`` (session;
the directory of that run, run once per session). A test then asserts on
``validate.check_run(collapse_small_run)``.

Loading the plugin imports neither torch nor hypothesis: the toolkit loads when an option or a
fixture is used.
"""
from __future__ import annotations

from pathlib import Path

import pytest

#: the outcomes of a check as an item: its `Check.kind`s that can fail a test
BINDING_KINDS = ("check", "control", "proof")


def pytest_addoption(parser):
    group = parser.getgroup("collapse", "collapse-theory: checks of a finished run as test items")
    group.addoption("--collapse-run", action="append", default=[], metavar="DIR",
                    help="collect one item per check of the finished run in DIR (repeatable)")
    group.addoption("--collapse-z", type=float, default=2.0, metavar="Z",
                    help="tolerance in standard errors of estimated quantities (default 2)")
    group.addoption("--collapse-check", action="append", default=None, metavar="ID",
                    help="keep only the checks of this catalog id, e.g. prop3.1 (repeatable)")


class CheckFailed(Exception):
    """A binding check of a finished run failed (the item's `repr_failure` shows its rows)."""


class CollapseRun(pytest.Collector):
    """The checks of one finished run directory."""

    def __init__(self, *, path_text: str, z: float, only, **kw):
        super().__init__(**kw)
        self.run_dir, self.z, self.only = Path(path_text), z, only

    def collect(self):
        from validate.report.check_run import check_run

        try:
            checks = check_run(self.run_dir, z=self.z, only=self.only)
        except (ValueError, OSError) as exc:   # a missing or malformed run, an unknown check name
            raise pytest.UsageError(f"--collapse-run {self.run_dir}: {exc}") from None
        seen = {}
        for check in checks:
            base = f"{check.result_id}::{check.kind}::{check.name}"
            seen[base] = seen.get(base, 0) + 1
            name = base if seen[base] == 1 else f"{base}#{seen[base]}"
            yield CheckItem.from_parent(self, name=name, check=check)


class CheckItem(pytest.Item):
    """One check (`validate.Check`) of a finished run (module docstring)."""

    def __init__(self, *, check, **kw):
        super().__init__(**kw)
        self.check = check

    def runtest(self):
        c = self.check
        where = f"run {c.run.get('learner', '?')} on {c.run.get('target', '?')}" if c.run else c.scope
        if c.kind in BINDING_KINDS:
            if c.failed:
                raise CheckFailed(c)
            if c.vacuous:
                pytest.skip(f"{c.name}: vacuous ({where}): {c.reason or c.note}")
            if not c.passed:
                pytest.skip(f"{c.name}: {c.verdict} ({where}): {c.note or 'within the uncertainty'}")
            return
        pytest.skip(f"{c.name}: informative, {c.verdict} ({where}): {c.reason or c.note or 'not binding'}")

    def repr_failure(self, excinfo, style=None):
        if not isinstance(excinfo.value, CheckFailed):
            return super().repr_failure(excinfo, style)
        c = self.check
        bad = [r for r in c.rows if r.get("verdict") != c.expect]
        lines = [f"{c.kind} {c.name} ({c.result_id}, {c.side}) failed: verdict {c.verdict}, expected {c.expect}",
                 f"run: {c.run}"] + ([f"note: {c.note}"] if c.note else [])
        lines += [f"  generation {r.get('generation')}: {_row_text(r)}" for r in bad[:10]]
        return "\n".join(lines)

    def reportinfo(self):
        return self.path, None, f"{self.parent.run_dir}: {self.name}"


def _row_text(row: dict) -> str:
    keys = ("verdict", "measured", "bound", "margin", "se", "reason")
    return ", ".join(f"{k} = {row[k]}" for k in keys if k in row and row[k] not in ("", None))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    """Append the items of every ``--collapse-run`` directory (before -k and -m deselect)."""
    for path_text in config.getoption("collapse_run") or []:
        collector = CollapseRun.from_parent(session, name=f"collapse-run:{path_text}", path_text=path_text,
                                            z=config.getoption("collapse_z"),
                                            only=config.getoption("collapse_check"))
        items.extend(collector.collect())


@pytest.fixture(scope="session")
def collapse_small_config():
    """A small `neural.RetrainingConfig`: the KDE on the 1-D mixture "gmm1d", two generations at
    alpha = 0.5, exact grid laws (THEORY.md section 7), D and path metrics. Override in a conftest.py."""
    from neural import RetrainingConfig

    return RetrainingConfig(target="gmm1d", model="kde", alpha=0.5, generations=2, n=128, steps=16,
                            metrics=["D_kl", "D_chi2", "eps2", "epshat2"], eval_paths=200, eval_points=128,
                            device="cpu", seed=0)


@pytest.fixture(scope="session")
def collapse_learner():
    """The learner object of `collapse_small_run` (None: the one `collapse_small_config` names)."""
    return None


@pytest.fixture(scope="session")
def collapse_small_run(collapse_small_config, collapse_learner, tmp_path_factory):
    """The directory of `collapse_small_config` run once per session (with `collapse_learner`)."""
    from neural import Retraining

    out = tmp_path_factory.mktemp("collapse_small_run") / "run"
    Retraining(collapse_small_config, out, learner=collapse_learner).run()
    return out
