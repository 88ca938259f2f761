"""The assumptions, the proof's steps and the companion laws on grid-exact network runs (THEORY.md
section 8; neural/grid_theory.py, validate/checks/assumption_suite.py): on the in-regime
gaussian_residual network every step binds and holds and Thm 3.4 holds with its computed constants; on
the heavy-tailed eps-MLP the chi2 results read "not applicable" naming A3; the companion laws hold on
both, each beside a control that must fail (the tv.mix discount (1-alpha)^2 on the run, the accumulation
laws without their bias on an exact Gaussian chain built for it, every proof step's mutation on its tight
case). The independent answers: the tight cases are equalities by construction; the Gaussian chain's
TV comes from quadrature and its Hellinger distance from the closed form."""
import math

import pytest

from neural.retraining import RetrainingConfig, run_generations
from validate.checks.assumption_suite import companion_examples, proof_step_examples
from validate.checks.grid_suite import grid_run_checks
from validate.report.run_data import RunData, neural_runs


def _run(tmp, **model_kw):
    cfg = RetrainingConfig(target="gmm1d", model="mlp", alpha=0.5, generations=2, n=256, steps=40, seed=0,
                           device="cpu", dtype="float32", model_kw=dict(steps=150, **model_kw))
    run_generations(cfg, tmp)
    (run,) = neural_runs(RunData.load(tmp))
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("theory")
    return {"in_regime": _run(base / "residual", parameterization="gaussian_residual", tail_scale=0.6),
            "heavy": _run(base / "eps")}


def _by(checks, start):
    return [c for c in checks if c.name.startswith(start)]


def test_in_regime_network_every_proof_step_binds_and_holds(runs):
    rows = runs["in_regime"].rows
    assert all(r["A3_holds"] and math.isfinite(r["chi2_ideal"]) and r["eps2"] <= 1 for r in rows)
    checks = grid_run_checks(runs["in_regime"])
    steps = _by(checks, "proof step")
    assert {c.result_id for c in steps} == {f"proof.{n}" for n in ("(a)", "(b)", "(c)", "(d)", "(e1)", "(e2)", "(e3)", "(e4)")}
    assert all(c.kind == "check" and c.passed and c.generations == [0, 1] for c in steps)
    (control,) = _by(checks, "control: proof step (a)")
    assert control.kind == "control" and control.passed
    computed = _by(checks, "thm3.4 (lower, computed") + _by(checks, "thm3.4 (upper, computed") + _by(checks, "prop3.3 (computed")
    assert len(computed) == 3 and all(c.kind == "check" and c.passed for c in computed)
    assert not any("not applicable" in c.reason for c in checks)


def test_each_step_control_fails_on_its_tight_case():
    checks = proof_step_examples()
    assert len(checks) == 14
    for c in checks:
        assert c.passed, c.name           # the step holds (tight), its mutated control is violated
    assert sum(c.kind == "control" for c in checks) == 7


def test_heavy_tailed_network_chi2_results_are_not_applicable(runs):
    rows = runs["heavy"].rows
    assert rows[0]["A3_holds"] is False and rows[0]["A3_reason"]
    checks = grid_run_checks(runs["heavy"])
    chi2 = [c for c in checks if c.result_id in ("thm3.4", "prop3.3", "prop3.3b", "prop4.1", "thm4.2")]
    assert chi2
    for c in chi2:
        assert c.verdict == "vacuous" and not c.passed and not c.failed
        assert "not applicable: " in c.reason and "A3 fails (E*[Lambda^a] = inf for a >= 1.5)" in c.reason, c.reason


@pytest.mark.parametrize("which", ["in_regime", "heavy"])
def test_companion_laws_hold_on_both_networks_beside_a_failing_control(runs, which):
    checks = grid_run_checks(runs[which])
    for start in ("tv.mix", "hellinger.mix", "tv.step", "hellinger.step", "tv.accumulation", "hellinger.accumulation"):
        found = _by(checks, start)
        assert found and all(c.passed for c in found), start
    (control,) = _by(checks, "control: tv.mix")
    assert control.passed and control.generations == [1]
    dpi = _by(checks, "renyi.dpi")
    assert len(dpi) == 4 and all(c.verdict in ("holds", "vacuous") and not c.failed for c in dpi)
    if which == "in_regime":
        assert all(c.passed for c in dpi)


def test_accumulation_controls_fail_on_a_bias_dominated_exact_chain():
    checks = companion_examples()
    assert [c.kind for c in checks] == ["check", "control", "check", "control"]
    assert all(c.passed for c in checks)


def test_tv_controls_fail_on_exact_runs_built_for_them():
    """d = 10, t0 = 0.5: the accumulation laws hold and, with the bias dropped, are violated at every
    generation; the 1-D chain started off the data: tv.accumulation holds, with (1-alpha)^2 it is violated."""
    from validate.checks.assumption_suite import exact_run_companion_examples
    from validate.checks.verdict import trivial_reason
    checks = exact_run_companion_examples()
    assert [c.kind for c in checks] == ["check"] * 4 + ["control"] * 4 + ["check", "control"]
    assert all(c.scope == "example" for c in checks)
    for c in checks:
        for r in c.rows:
            if r["verdict"] == "vacuous":   # only a Hellinger bound grown past 1, never a pass
                assert c.kind == "check" and r["bound"] >= 1 and r["reason"] == trivial_reason(1.0), c.name
            else:
                assert r["verdict"] == ("violated" if c.kind == "control" else "holds"), c.name
    vac = [c.name.split(" [")[0] for c in checks if c.vacuous_rows]
    assert vac == ["hellinger.accumulation from generation 0"]
    assert all(c.passed for c in checks if not c.vacuous_rows)


def test_gaussian_hellinger_closed_form_matches_quadrature():
    from scipy import integrate

    from gaussian_exact import Gaussian
    from gaussian_exact.divergences import hellinger
    p, q = Gaussian([0.3], [0.36]), Gaussian([-0.2], [0.8])
    dens = lambda g, x: math.exp(-(x - g.mean[0]) ** 2 / (2 * g.cov[0, 0])) / math.sqrt(2 * math.pi * g.cov[0, 0])  # noqa: E731
    h2 = 0.5 * integrate.quad(lambda x: (math.sqrt(dens(p, x)) - math.sqrt(dens(q, x))) ** 2, -30, 30, limit=200)[0]
    assert hellinger(p, q) == pytest.approx(math.sqrt(h2), rel=1e-9)
    assert hellinger(p, p) == 0.0


def test_tv_and_hellinger_laws_hold_on_an_exact_gaussian_run():
    from validate.checks.assumption_suite import gaussian_companion_checks
    from validate.checks.exact_suite import arrays_from_rows
    from validate.pipeline.exact_runs import ExactRunConfig, exact_run_rows
    cfg = ExactRunConfig(alphas=(0.5,), generations=4, dim=3, mixture_samples=0)
    checks = gaussian_companion_checks(arrays_from_rows(exact_run_rows(cfg, 0.5)), "exact")
    assert [c.name.split(" [")[0] for c in checks] == [
        "tv.step", "tv.accumulation, one generation at a time", "tv.accumulation from generation 0",
        "hellinger.step", "hellinger.accumulation, one generation at a time", "hellinger.accumulation from generation 0"]
    assert all(c.passed and c.kind == "check" for c in checks)


def test_an_unresolved_tv_makes_its_rows_vacuous_not_holding():
    """A transition whose TV error estimate exceeds the tolerance (here inf, its value NaN) gives vacuous
    rows there (and, accumulated from generation 0, after it), never a pass under an infinite tolerance."""
    from validate.checks.assumption_suite import gaussian_companion_checks
    from validate.checks.exact_suite import arrays_from_rows
    from validate.pipeline.exact_runs import ExactRunConfig, exact_run_rows
    a = arrays_from_rows(exact_run_rows(ExactRunConfig(alphas=(0.5,), generations=4, dim=3, mixture_samples=0), 0.5))
    a["tv_error"][1], a["tv_p_ideal"][1], a["D_tv"][2] = math.inf, math.nan, math.nan
    checks = {c.name.split(" [")[0]: c for c in gaussian_companion_checks(a, "x") if c.result_id.startswith("tv.")}
    verdicts = {name: [r["verdict"] for r in c.rows] for name, c in checks.items()}
    assert verdicts["tv.step"] == ["holds", "vacuous", "holds", "holds"]
    assert verdicts["tv.accumulation, one generation at a time"] == ["holds", "vacuous", "vacuous", "holds"]
    assert verdicts["tv.accumulation from generation 0"] == ["holds", "vacuous", "vacuous", "vacuous"]
    assert not any(c.passed for c in checks.values())
