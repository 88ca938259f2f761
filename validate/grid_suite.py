"""Binding checks for neural runs with exact grid laws (neural/grid_exact.py, THEORY.md section 7).

A `collapse train` run of a Gaussian-mixture target of dimension <= 2 (any learner) carries, per
generation, the exact law of its sampler's output and every quantity of THEORY.md section 2 computed
from it (estimators named "grid_exact..."). So the catalog is checked on it exactly as on the Gaussian
pipeline (`validate.exact_suite.exact_checks` and `controls`, reused as they are):
* binding: Lemma F.1 (chi2(q_i || data) = (1 - alpha)^2 D_i), the one-step identity, both innovation
  inequalities, and Prop 3.1 (KL(p^{i+1} || ideal chain output) <= 1/2 epshat2, exact by discrete
  Girsanov on the chain);
* informative, constants fitted on the first half: Thm 3.4, Prop 3.3b, Prop 4.1, Thm 4.2;
* controls that must be violated: Lemma F.1 with (1 - alpha), the identity without its cross term.
alpha_i is the realised fresh fraction round(alpha n)/n (1 at generation 0, which trains on data).
The chi2 quantities are the integrals over the grid's box (`*_box` metrics), on which the identities
hold exactly even where chi2 over R^d is infinite (tails heavier than data's; then D_chi2 = inf is
reported beside them). "accumulate" runs are skipped: their training law is not the two-term mixture
these identities are written for.
"""
from __future__ import annotations

import numpy as np

from validate.exact_suite import controls, exact_checks
from validate.run_io import read_config, read_metrics

GRID_FIELDS = ("fresh_fraction", "D_prev_chi2_box", "D_chi2_box", "chi2_q_data", "cross", "J", "I_chi2_box",
               "kl_ideal", "chi2_ideal_box", "eps2", "epshat2", "eta")


def is_grid_exact(rows: list[dict]) -> bool:
    """True when the metrics rows come from a run with exact grid laws."""
    return bool(rows) and str(rows[0].get("eps2_estimator", "")).startswith("grid_exact") and all(
        k in rows[0] for k in GRID_FIELDS)


def grid_arrays(rows: list[dict]) -> dict:
    """The arrays `exact_checks` takes, from a grid-exact run's metrics rows (module docstring)."""
    col = lambda k: np.array([float(r[k]) for r in rows])  # noqa: E731
    return {"alpha": col("fresh_fraction"),
            "D_chi2": np.concatenate([[float(rows[0]["D_prev_chi2_box"])], col("D_chi2_box")]),
            "chi2_q_data": col("chi2_q_data"), "cross": col("cross"), "J": col("J"),
            "I_chi2": col("I_chi2_box"), "I_chi2_se": np.zeros(len(rows)), "kl_ideal": col("kl_ideal"),
            "chi2_ideal": col("chi2_ideal_box"), "eps2": col("eps2"), "epshat2": col("epshat2"), "eta": col("eta")}


def grid_run_checks(run_dir, label: str | None = None) -> list:
    """Checks and controls of one grid-exact `collapse train` run (empty when it is not one)."""
    cfg = read_config(run_dir)
    rows = read_metrics(run_dir, required=("generation",))
    if not is_grid_exact(rows) or cfg.get("mode", "replace") != "replace":
        return []
    label = label or f"grid exact, {cfg.get('target')} {cfg.get('model')}, alpha={float(cfg.get('alpha')):g}, seed {cfg.get('seed')}"
    a = grid_arrays(rows)
    return exact_checks(a, label) + controls(a, label)


def grid_checks(run_dirs) -> list:
    """`grid_run_checks` over several run directories."""
    out = []
    for d in run_dirs:
        out += grid_run_checks(d)
    return out
