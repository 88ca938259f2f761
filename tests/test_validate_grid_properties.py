"""Property-based validation on neural runs with exact grid laws (THEORY.md section 7): hypothesis draws
a 1-D mixture target, alpha, n, a learner (KDE or small MLP) and optionally an injected error
(validate.testing.strategies.grid_run_configs), runs 2-3 generations on the CPU, and every binding check of
the catalog must hold while every control is violated."""
import tempfile

import numpy as np
import pytest
from hypothesis import assume, given, settings

from neural.retraining import run_generations
from validate.checks.grid_suite import grid_run_checks
from validate.report.run_data import NeuralRun
from validate.report.run_io import read_config, read_metrics
from validate.testing.strategies import grid_run_configs


@pytest.mark.slow   # 5 min since the theory metrics run per generation. It found (2026-12-02) the control
# lemmaF.1 with (1-alpha) not violated where the realised fresh fraction round(alpha n)/n was 0 (the mutation
# then changes nothing); controls now skip alpha in {0, 1}, test_controls_skip_where_the_mutation_is_void.
@settings(max_examples=5, deadline=None)
@given(grid_run_configs())
def test_binding_checks_hold_and_controls_fail_on_exact_grid_runs(config):
    with tempfile.TemporaryDirectory() as out:
        try:
            rows = run_generations(config, out)
        except ValueError as exc:   # the sampler's law leaves the grid: the tail condition fails
            assume("cannot hold" not in str(exc))
            raise
        checks = grid_run_checks(NeuralRun(out, read_config(out), read_metrics(out)))
    assert all(r["eps2_estimator"].startswith("grid_exact") for r in rows)
    binding = [c for c in checks if c.binding and c.expect == "holds"]
    assert {c.result_id for c in binding} >= {"lemmaF.1", "identity", "innovation", "innovation.J", "prop3.1"}
    for c in binding:
        assert not c.failed, (c.name, c.verdict, c.rows)
    D = np.array([rows[0]["D_prev_chi2_G"]] + [r["D_chi2_G"] for r in rows])
    controls = [c for c in checks if c.expect == "violated"]
    core = [c for c in controls if c.name.startswith(("control: lemmaF.1", "control: identity"))]
    alpha = np.array([r["fresh_fraction"] for r in rows])
    mutable = np.any((D[1:-1] > 1e-8) & (alpha[1:] > 0) & (alpha[1:] < 1))   # where a mutation can fail
    assert len(core) == (2 if mutable else 0)
    cross = np.array([r["cross_G"] for r in rows[1:]])
    if np.all(D[1:-1] > 1e-6) and np.all(np.abs(cross) > 1e-6 * D[1:-1]):
        for c in controls:
            assert not c.failed, (c.name, c.verdict, c.rows)
