"""Binding checks for neural runs with exact grid laws (neural/grid_exact.py, THEORY.md section 7).

A `collapse train` run of a Gaussian-mixture target of dimension <= 2 (any learner) carries, per
generation, the exact law of its sampler's output and every quantity of THEORY.md section 2 computed
from it (estimators named "grid_exact..."). So the catalog is checked on it exactly as on the Gaussian
pipeline (`validate.exact_suite.exact_checks` and `controls`, reused as they are):

* binding: Lemma F.1 (chi2(q_i || data) = (1 - alpha)^2 D_i), the one-step identity, both innovation
  inequalities, and Prop 3.1 (KL(p^{i+1} || ideal chain output) <= 1/2 epshat2, exact by discrete
  Girsanov on the chain);
* informative, constants fitted on the first half: Thm 3.4, Prop 3.3b, Prop 4.1, Thm 4.2;
* controls that must be violated: Lemma F.1 with (1 - alpha), the identity without its cross term
  (only for runs with a generation i >= 1, where D_i > 0: at D_0 = 0 the mutations change nothing).

alpha_i is the realised fresh fraction round(alpha n)/n (1 at generation 0, which trains on data).
The chi2 quantities are the integrals over the grid's box (`*_box` metrics), on which the identities
hold exactly even where chi2 over R^d is infinite (tails heavier than data's; then D_chi2 = inf is
reported beside them). "accumulate" runs are skipped: their training law is not the two-term mixture
these identities are written for.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gaussian_exact import GridLaw
from neural.grid_exact import data_grid_law
from neural.targets import make_target
from validate import figures
from validate.exact_suite import controls, exact_checks
from validate.learner_quality import data_on_grid
from validate.run_data import learner_label
from neural.run_files import generation_dir_name

GRID_FIELDS = ("fresh_fraction", "D_prev_chi2_box", "D_chi2_box", "chi2_q_data", "cross", "J", "I_chi2_box",
               "kl_ideal", "chi2_ideal_box", "eps2", "epshat2", "eta")


def is_grid_exact(rows: list[dict]) -> bool:
    """True when the metrics rows come from a run with exact grid laws.

    Parameters
    ----------
    rows : list of dict
        Metrics rows.

    Returns
    -------
    bool
        Whether the rows carry the exact grid-law fields.
    """
    return bool(rows) and str(rows[0].get("eps2_estimator", "")).startswith("grid_exact") and all(
        k in rows[0] for k in GRID_FIELDS)


def grid_arrays(rows: list[dict]) -> dict:
    """The arrays `exact_checks` takes, from a grid-exact run's metrics rows (module docstring).

    Parameters
    ----------
    rows : list of dict
        Metrics rows of a grid-exact run.

    Returns
    -------
    dict
        Per-generation arrays (as `validate.exact_suite.arrays_from_rows`).
    """
    col = lambda k: np.array([float(r[k]) for r in rows])  # noqa: E731
    return {"alpha": col("fresh_fraction"),
            "D_chi2": np.concatenate([[float(rows[0]["D_prev_chi2_box"])], col("D_chi2_box")]),
            "chi2_q_data": col("chi2_q_data"), "cross": col("cross"), "J": col("J"),
            "I_chi2": col("I_chi2_box"), "I_chi2_se": np.zeros(len(rows)), "kl_ideal": col("kl_ideal"),
            "chi2_ideal": col("chi2_ideal_box"), "eps2": col("eps2"), "epshat2": col("epshat2"), "eta": col("eta")}


def grid_run_checks(run, label: str | None = None, z: float = 2.0) -> list:
    """Checks and controls of one grid-exact `collapse train` run (a `validate.run_data.NeuralRun`;
    empty when it is not one).

    Parameters
    ----------
    run : validate.run_data.NeuralRun
        The run.
    label : str or None
        Label of its checks (default: from the run's config).
    z : float
        Standard errors of tolerance (default 2).

    Returns
    -------
    list of validate.checks.Check
        The checks and controls.
    """
    cfg, rows = run.config, run.rows
    if not is_grid_exact(rows) or cfg.get("mode", "replace") != "replace":
        return []
    model = learner_label(cfg)
    label = label or f"grid exact, {cfg.get('target')} {model}, alpha={float(cfg.get('alpha')):g}, seed {cfg.get('seed')}"
    a = grid_arrays(rows)
    checks = exact_checks(a, label, z=z)
    if np.any(a["D_chi2"][:-1] > 1e-8):   # the mutations change nothing while D_i = 0 (generation 0 only)
        checks += controls(a, label)
    return checks


def grid_checks(runs, z: float = 2.0) -> list:
    """`grid_run_checks` over several runs (each a `validate.run_data.NeuralRun`).

    Parameters
    ----------
    runs : iterable of validate.run_data.NeuralRun
        The runs.
    z : float
        Standard errors of tolerance (default 2).

    Returns
    -------
    list of validate.checks.Check
        The checks of every grid-exact run.
    """
    out = []
    for run in runs:
        out += grid_run_checks(run, z=z)
    return out


def _load_law(path):
    with np.load(path) as z:
        return z["grid"], z["density"]


def grid_figures(runs, out_dir) -> list[str]:
    """For grid-exact runs: the exact 1-D densities by generation against data (one figure per 1-D
    run without an injected error), and eta by error type (exact, with the regression estimate) over
    1-D MLP runs with injected errors plus the run without one at the same alpha.

    Parameters
    ----------
    runs : iterable of validate.run_data.NeuralRun
        The runs.
    out_dir : str or path-like
        Where figures/ is.

    Returns
    -------
    list of str
        Paths of the figures written.
    """
    made, etas, estimates = [], {}, {}
    figs = Path(out_dir) / "figures"
    for run in runs:
        d, cfg, rows = Path(run.path), run.config, run.rows
        if not is_grid_exact(rows):
            continue
        law0 = d / generation_dir_name(0) / "exact_law.npz"
        grid0, _ = _load_law(law0)
        if grid0.ndim != 1:
            continue
        injected = cfg.get("injected_error")
        model = cfg.get("model")
        if injected is None and model != "kde":
            made += _tail_figure(law0, cfg, figs / f"log_density_tails_{d.name}".replace(".", "p"))
        if injected is None:
            laws = {r["generation"]: _load_law(d / generation_dir_name(r["generation"]) / "exact_law.npz") for r in rows}
            target = make_target(cfg["target"], **cfg.get("target_kw", {}))
            data = data_grid_law(target, cfg["steps"], cfg["T"], cfg["t0"])
            data_curve = (data.axes[0], data.density)
            samples = {r["generation"]: np.load(d / generation_dir_name(r["generation"]) / "samples.npy") for r in rows}
            made += figures.densities_by_generation(
                laws, data_curve, figs / f"grid_densities_{d.name}".replace(".", "p"), samples,
                title=f"{cfg['target']}, {learner_label(cfg)}, alpha = {float(cfg['alpha']):g}: exact $p^i$ (lines), samples (histograms)")
        if model == "mlp" and "eta_regression" in rows[0]:
            kind = "none" if injected is None else injected["type"]
            key = (cfg["target"], float(cfg["alpha"]))
            etas.setdefault(key, {})[kind] = rows[0]["eta"]
            estimates.setdefault(key, {})[kind] = (rows[0]["eta_regression"], rows[0]["eta_regression_se"])
    for (target, alpha), values in etas.items():
        if len(values) > 1:
            order = [k for k in ("none", "aligned", "random", "time_only") if k in values]
            made += figures.eta_by_error_type({k: values[k] for k in order},
                                              figs / f"grid_eta_by_error_type_{target}_mlp_alpha_{alpha:g}".replace(".", "p"),
                                              {k: estimates[(target, alpha)][k] for k in order})
    return [str(p) for p in made]


def _tail_figure(law_file: Path, cfg: dict, path_stem) -> list:
    """The generation-0 exact law's log density against the data's (`figures.log_density_tails`):
    where a network's tails make chi2(p^1 || data) infinite, and why (THEORY.md section 8)."""
    law = GridLaw.load(law_file, mass_tol=1.0)
    target = make_target(cfg["target"], **cfg.get("target_kw", {}))
    data = data_on_grid(target, law)
    spread = float(np.sqrt(target.full_covs().numpy()[:, 0, 0].min()))
    return figures.log_density_tails(law.axes[0], law.logp, data.logp, path_stem,
                                     title=f"{cfg['target']}, {learner_label(cfg)}: log density of $p^1$ against data",
                                     beyond=float(np.abs(target.means.numpy()).max()) + 4 * spread)
