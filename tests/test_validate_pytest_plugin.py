"""The pytest plugin (validate/testing/pytest_plugin.py, entry point pytest11): `pytest --collapse-run
DIR` passes on an unaltered finished run and fails when one metric is altered to violate a binding
bound; one item per check of `validate.check_run`; the session fixture runs a small configuration
once. Loading the plugin imports neither hypothesis nor torch."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from validate import check_run
from tests._small_runs import write_small_exact_run

pytest_plugins = ["pytester"]
PLUGIN = "validate.testing.pytest_plugin"
ROOT = Path(__file__).resolve().parents[1]


def _plugin_args():
    """-p PLUGIN: safe whether or not the installed package registers it (test below)."""
    return ["-p", PLUGIN]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return write_small_exact_run(tmp_path_factory.mktemp("run"))


def test_an_unaltered_run_passes_with_one_item_per_check(run_dir, pytester):
    checks = check_run(run_dir)
    result = pytester.runpytest(*_plugin_args(), "--collapse-run", str(run_dir), "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert result.ret == 0 and outcomes.get("failed", 0) == 0
    assert outcomes.get("passed", 0) + outcomes.get("skipped", 0) == len(checks)
    binding_held = sum(c.kind in ("check", "control", "proof") and c.passed for c in checks)
    assert outcomes.get("passed", 0) == binding_held > 0


def test_a_metric_altered_to_violate_a_binding_bound_fails(run_dir, tmp_path, pytester):
    bad = Path(shutil.copytree(run_dir, tmp_path / "bad"))
    path = bad / "exact" / "alpha_0.5" / "metrics.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[3]["D_chi2"] *= 1.05  # D_3 no longer satisfies the one-step identity (binding, exact)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = pytester.runpytest(*_plugin_args(), "--collapse-run", str(bad), "--collapse-check", "identity",
                                "-p", "no:cacheprovider")
    assert result.ret == 1 and result.parseoutcomes().get("failed", 0) >= 1
    result.stdout.fnmatch_lines(["*identity*failed: verdict violated*"])


def test_informative_and_vacuous_checks_are_skipped_with_the_reason(run_dir, pytester):
    checks = check_run(run_dir)
    skipped = [c for c in checks if not (c.kind in ("check", "control", "proof") and c.passed)]
    result = pytester.runpytest(*_plugin_args(), "--collapse-run", str(run_dir), "-rs", "-p", "no:cacheprovider")
    assert result.parseoutcomes().get("skipped", 0) == len(skipped)
    if any(not c.binding for c in checks):
        result.stdout.fnmatch_lines(["*SKIPPED*informative*"])


@pytest.mark.parametrize("extra, message", [([], "does not exist"), (["--collapse-check", "prop9.9"], "unknown check")])
def test_a_bad_run_or_check_is_a_usage_error(pytester, tmp_path, extra, message):
    result = pytester.runpytest(*_plugin_args(), "--collapse-run", str(tmp_path / "none"), *extra,
                                "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in "\n".join(result.errlines + result.outlines)


def test_the_small_run_fixture_runs_once_per_session(pytester):
    pytester.makepyfile(test_user="""
        import validate

        seen = []

        def test_first(collapse_small_run):
            seen.append(collapse_small_run)
            rows = validate.check_run(collapse_small_run)
            assert rows and not [c for c in rows if c.binding and c.failed]

        def test_second(collapse_small_run):
            seen.append(collapse_small_run)
            assert seen[0] == seen[1] and (collapse_small_run / "metrics.jsonl").is_file()
    """)
    pytester.makeconftest("""
        import pytest
        from neural import RetrainingConfig

        @pytest.fixture(scope="session")
        def collapse_small_config():
            return RetrainingConfig(target="gmm1d", generations=2, n=64, steps=8, metrics=["D_kl"],
                                    eval_points=64, device="cpu")
    """)
    result = pytester.runpytest(*_plugin_args(), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_loading_the_plugin_imports_neither_hypothesis_nor_torch():
    code = (f"import sys, {PLUGIN}; bad = [m for m in ('hypothesis', 'torch') if m in sys.modules]; "
            "assert not bad, bad")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_pyproject_registers_the_plugin_entry_point():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {PLUGIN: PLUGIN}


@pytest.mark.parametrize("name, ok", [(PLUGIN, True), ("collapse", False)])
def test_the_entry_point_and_an_explicit_p_load_one_plugin(run_dir, tmp_path, name, ok):
    """With the entry point installed (a distribution's metadata on sys.path), `-p PLUGIN` still
    works because the entry point bears the module's name; the control, an entry point named
    otherwise, makes pytest refuse the second registration."""
    dist = tmp_path / "site" / "fake_collapse-0.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-collapse\nVersion: 0.0\n")
    (dist / "entry_points.txt").write_text(f"[pytest11]\n{name} = {PLUGIN}\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path / "site")])}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", PLUGIN, "--collapse-run", str(run_dir),
                           "--collapse-check", "identity", "-q", "-p", "no:cacheprovider"], cwd=tmp_path,
                          env=env, capture_output=True, text=True)
    assert (done.returncode == 0) == ok, done.stdout[-2000:] + done.stderr[-2000:]
    if not ok:
        assert "already registered" in done.stdout + done.stderr
