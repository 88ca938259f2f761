"""The TV and Hellinger companion laws on runs whose distances are Monte Carlo estimates (10-D KDE on
the Gaussian mixture): the identities and bounds hold within their standard errors on a real run,
their controls fail, the delta-method errors match hand derivatives, and runs without densities get
vacuous rows that say why."""
import numpy as np
import pytest

import bounds
from neural import RetrainingConfig, run_generations
from validate.checks.companion_estimate_suite import (NOT_COMPUTABLE, TRIVIAL, bound_stderr,
                                                      companion_estimate_checks, has_distance_estimates,
                                                      not_computable_checks)
from validate.checks.verdict import HOLDS, INCONCLUSIVE, VACUOUS, VIOLATED


@pytest.fixture(scope="module")
def kde_rows(tmp_path_factory):
    cfg = RetrainingConfig(target="gmm", model="kde", alpha=0.5, generations=3, n=150, steps=60, seed=0,
                           device="cpu", dtype="float64", eval_paths=100, eval_points=200,
                           metrics=["D_kl", "epshat2"])
    return run_generations(cfg, tmp_path_factory.mktemp("kde"))


def by_name(checks):
    return {c.name.split(" [")[0]: c for c in checks}


def test_the_run_reports_every_distance_with_its_error(kde_rows):
    assert has_distance_estimates(kde_rows)
    assert kde_rows[0]["tv_prev_data"] == 0.0 and kde_rows[0]["tv_q_data"] == 0.0   # q_0 = data
    for r in kde_rows:
        for k in ("tv_p_data", "tv_p_ideal", "tv_ideal_q", "hel_p_data", "hel_p_ideal"):
            assert 0 <= r[k] <= 1 and 0 < r[f"{k}_se"] < 0.1


def test_laws_hold_and_the_discount_control_fails(kde_rows):
    checks = by_name(companion_estimate_checks([kde_rows], " [t]"))
    assert {"tv.mix", "hellinger.mix", "tv.step", "hellinger.step", "control: tv.mix with (1-alpha)^2",
            "tv.accumulation, one generation at a time", "hellinger.accumulation, one generation at a time",
            "tv.accumulation from generation 1", "hellinger.accumulation from generation 1"} <= set(checks)
    for name, c in checks.items():
        assert not c.binding
        verdicts = {r["verdict"] for r in c.rows}
        if name.startswith("control"):
            assert verdicts == {VIOLATED}
        else:
            assert verdicts <= {HOLDS, INCONCLUSIVE, VACUOUS} and VIOLATED not in verdicts
            assert all(r["reason"] in ("", TRIVIAL) for r in c.rows)
    mix = checks["tv.mix"].rows
    assert mix[1]["verdict"] == HOLDS and abs(mix[1]["measured"] - 0.5 * kde_rows[1]["tv_prev_data"]) < 4 * mix[1]["stderr"]


def test_a_false_budget_is_violated(kde_rows):
    fake = [dict(r, epshat2=r["epshat2"] * 1e-4, epshat2_se=r["epshat2_se"] * 1e-4) for r in kde_rows]
    step = by_name(companion_estimate_checks([fake], ""))["tv.step"]
    assert {r["verdict"] for r in step.rows} == {VIOLATED}


def test_bound_errors_match_hand_derivatives():
    cat = bounds.catalog()
    eps, se = np.array([0.3, 0.8]), np.array([0.01, 0.02])
    got = bound_stderr(cat["hellinger.step"], "upper", {"epshat2": eps}, {"epshat2": se})
    assert np.allclose(got, se / (4 * np.sqrt(eps)), rtol=1e-5)
    alpha, rho, rho_se = np.array([0.3, 0.6]), np.array([0.4, 0.2]), np.array([0.01, 0.03])
    got = bound_stderr(cat["tv.mix"], "expression", {"alpha": alpha, "tv": rho}, {"tv": rho_se})
    assert np.allclose(got, (1 - alpha) * rho_se, rtol=1e-6)
    got = bound_stderr(cat["hellinger.mix"], "upper", {"alpha": alpha, "hel": rho}, {"hel": rho_se})
    assert np.allclose(got, np.sqrt(1 - alpha) * rho_se, rtol=1e-6)


def test_runs_without_densities_say_why():
    checks = not_computable_checks(" [gmm mlp]", [0, 1, 2])
    assert [c.result_id for c in checks] == ["tv.step", "tv.accumulation", "hellinger.step", "hellinger.accumulation"]
    for c in checks:
        assert {r["verdict"] for r in c.rows} == {VACUOUS}
        assert all(r["reason"].startswith(NOT_COMPUTABLE) for r in c.rows)
        assert not c.passed and not c.failed


def test_rows_without_estimates_give_nothing():
    assert companion_estimate_checks([[{"generation": 0, "epshat2": 1.0}]], "") == []
