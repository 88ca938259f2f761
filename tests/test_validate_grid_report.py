"""Report pieces for runs with exact grid laws: the densities-by-generation figure, eta by error type
(exact against the regression estimate) for an MLP on gmm1d, and the binding checks in all_checks."""
from pathlib import Path

from neural.retraining import RetrainingConfig, run_generations
from validate.checks.grid_suite import grid_figures
from validate.report.run_checks import all_checks
from validate.report.run_data import RunData, neural_runs


def test_grid_runs_give_figures_and_binding_checks(tmp_path):
    base = dict(target="gmm1d", alpha=0.5, n=200, steps=20, seed=0, device="cpu")
    run_generations(RetrainingConfig(model="kde", generations=2, **base), tmp_path / "neural" / "gmm1d_kde")
    mlp = dict(model="mlp", generations=1, metrics=["eta"], eval_paths=300,
               model_kw={"steps": 200, "hidden": 32, "depth": 1}, **base)
    run_generations(RetrainingConfig(**mlp), tmp_path / "neural" / "gmm1d_mlp")
    run_generations(RetrainingConfig(injected_error={"type": "aligned", "size": -0.2}, **mlp),
                    tmp_path / "neural" / "gmm1d_mlp_aligned")
    (tmp_path / "manifest.json").write_text("{}")
    data = RunData.load(tmp_path)
    made = grid_figures(neural_runs(data), tmp_path)
    names = {Path(p).name for p in made}
    assert "grid_densities_gmm1d_kde.png" in names and "grid_eta_by_error_type_gmm1d_mlp_alpha_0p5.png" in names
    checks = all_checks(data, proofs=False)
    grid = [c for c in checks if "grid exact" in c.name]
    binding = [c for c in grid if c.binding and c.expect == "holds"]
    assert {c.result_id for c in binding} >= {"lemmaF.1", "identity", "innovation", "innovation.J", "prop3.1"}
    assert not any(c.failed for c in binding)
    assert any(c.expect == "violated" and c.passed for c in grid)
