"""Binding checks for neural runs with exact grid laws (neural/grid_exact.py, THEORY.md section 7).

A `collapse train` run of a Gaussian-mixture target of dimension <= 2 (any learner) carries, per
generation, the exact law of its sampler's output and every quantity of THEORY.md section 2 computed
from it (estimators named "grid_exact..."). So the catalog is checked on it exactly as on the Gaussian
pipeline (`validate.checks.exact_suite.exact_checks` and `controls`, reused as they are):

* binding: Lemma F.1 (chi2(q_i || data) = (1 - alpha)^2 D_i), the one-step identity, both innovation
  inequalities, and Prop 3.1 (KL(p^{i+1} || ideal chain output) <= 1/2 epshat2, exact by discrete
  Girsanov on the chain);
* informative, constants fitted on the first half: Thm 3.4, Prop 3.3b, Prop 4.1, Thm 4.2;
* controls that must be violated: Lemma F.1 with (1 - alpha), the identity without its cross term
  (only for runs with a generation i >= 1, where D_i > 0: at D_0 = 0 the mutations change nothing).

alpha_i is the realised fresh fraction round(alpha n)/n (1 at generation 0, which trains on data).
Lemma F.1, the identity and the innovation inequalities are pointwise, so they are checked on the
good set G = {data >= kappa max data} (THEORY.md section 8; a reconstruction of the paper's A5),
named so in the row; every other chi2 row takes the exact chi2 over R^d, +inf where it diverges
(tails heavier than data's), never a box integral of a divergent chi2. "accumulate" runs are skipped: their training law is not the two-term mixture
these identities are written for.
Runs with the theory metrics of `neural.grid_theory` also get the assumption rows, the proof steps,
Thm 3.4 / Prop 3.3 with computed constants and the companion laws (`validate.checks.assumption_suite`),
and their chi2 results read "not applicable: A3 fails (...)" (vacuous) where an assumption fails.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gaussian_exact import GridLaw
from neural.grid_exact import data_grid_law
from neural.targets import make_target
from validate.report import figures
from validate.checks.assumption_suite import has_theory_metrics, mark_not_applicable, theory_run_checks
from validate.checks.check import attribute
from validate.checks.exact_suite import controls, exact_checks
from run_files import generation_dir_name
from validate.checks.learner_quality import data_on_grid
from validate.report.run_data import learner_label

GRID_FIELDS = ("fresh_fraction", "D_chi2", "I_chi2", "chi2_ideal", "D_prev_chi2_G", "D_chi2_G", "chi2_q_data_G",
               "cross_G", "J_G", "I_chi2_G", "kl_ideal", "eps2", "epshat2", "eta", "G_kappa")
# runs written before the good-set metrics: their box integrals over {data > 1e-300} are a good set too
OLD_GRID_FIELDS = {"D_prev_chi2_G": "D_prev_chi2_box", "D_chi2_G": "D_chi2_box", "chi2_q_data_G": "chi2_q_data",
                   "cross_G": "cross", "J_G": "J", "I_chi2_G": "I_chi2_box"}
ON_G_ROWS = ("lemmaF.1", "identity", "innovation")   # pointwise identities and inequalities: they hold on G


def _fields(rows: list[dict]) -> list[dict]:
    """The rows with the good-set keys (old runs: from their box integrals, G_kappa = None)."""
    if "D_chi2_G" in rows[0]:
        return rows
    return [dict(r, **{new: r[old] for new, old in OLD_GRID_FIELDS.items() if old in r}, G_kappa=None) for r in rows]


def is_grid_exact(rows: list[dict]) -> bool:
    """True when the metrics rows come from a run with exact grid laws.

    Parameters
    ----------
    rows : list of dict
        Metrics rows (runs written before the good-set metrics are read through their box integrals).

    Returns
    -------
    bool
        Whether the rows carry the exact grid-law fields.
    """
    return bool(rows) and str(rows[0].get("eps2_estimator", "")).startswith("grid_exact") and all(
        k in _fields(rows)[0] for k in GRID_FIELDS)


def run_fields(run) -> dict:
    """The structured run fields of a check on `run` (`validate.checks.check.Check.run`).

    Parameters
    ----------
    run : validate.report.run_data.NeuralRun
        The run.

    Returns
    -------
    dict
        "directory", "learner" (the model, with its injected error type), "target", "alpha", "seed".
    """
    cfg = run.config
    return {"directory": str(run.path), "learner": learner_label(cfg),
            "target": cfg.get("target"), "alpha": cfg.get("alpha"), "seed": cfg.get("seed")}


def grid_arrays(rows: list[dict], on_good_set: bool = False) -> dict:
    """The arrays `exact_checks` takes, from a grid-exact run's metrics rows (module docstring): the
    exact chi2 over R^d (+inf where divergent), or with on_good_set the integrals over
    G = {data >= kappa max data} (for the rows of ON_G_ROWS).

    Parameters
    ----------
    rows : list of dict
        Metrics rows of a grid-exact run.
    on_good_set : bool
        The good-set versions of D_chi2, I_chi2 and chi2_ideal.

    Returns
    -------
    dict
        Per-generation arrays (as `validate.checks.exact_suite.arrays_from_rows`).
    """
    rows = _fields(rows)
    col = lambda k: np.array([float(r[k]) for r in rows])  # noqa: E731
    if on_good_set:
        D = np.concatenate([[float(rows[0]["D_prev_chi2_G"])], col("D_chi2_G")])
        I = col("I_chi2_G")
    else:
        D = np.concatenate([[0.0 if rows[0].get("generation", 0) == 0 else float(rows[0]["D_prev_chi2_G"])],
                            col("D_chi2")])
        I = col("I_chi2")
    return {"alpha": col("fresh_fraction"), "D_chi2": D,
            "chi2_q_data": col("chi2_q_data_G"), "cross": col("cross_G"), "J": col("J_G"),
            "I_chi2": I, "I_chi2_se": np.zeros(len(rows)), "kl_ideal": col("kl_ideal"),
            "chi2_ideal": col("chi2_ideal"), "eps2": col("eps2"), "epshat2": col("epshat2"), "eta": col("eta")}


def good_set_label(rows: list[dict]) -> str:
    """How the rows of ON_G_ROWS name their set."""
    kappa = _fields(rows)[0].get("G_kappa")
    if kappa is None:
        return "on G = {data > 1e-300} (box integrals of a run written before the good-set metrics)"
    return f"on G = {{data >= {float(kappa):g} max data}} (reconstruction of A5)"


def grid_run_checks(run, label: str | None = None, z: float = 2.0) -> list:
    """Checks and controls of one grid-exact `collapse train` run (a `validate.report.run_data.NeuralRun`;
    empty when it is not one). Lemma F.1, the identity and the innovation inequalities use the
    integrals over the good set G (pointwise, so exact there); every other chi2 row the exact chi2 over
    R^d, +inf where it diverges (never a box value of a divergent integral).

    Parameters
    ----------
    run : validate.report.run_data.NeuralRun
        The run.
    label : str or None
        Label of its checks (default: from the run's config).
    z : float
        Standard errors of tolerance (default 2).

    Returns
    -------
    list of validate.checks.check.Check
        The checks and controls.
    """
    cfg, rows = run.config, run.rows
    if not is_grid_exact(rows) or cfg.get("mode", "replace") != "replace":
        return []
    fields = run_fields(run)
    label = label or (f"grid exact, {fields['target']} {fields['learner']}, alpha={float(fields['alpha']):g}, "
                      f"seed {fields['seed']}")
    on_G = grid_arrays(rows, on_good_set=True)
    label_G = f"{label}, {good_set_label(rows)}"
    checks = [c for c in exact_checks(on_G, label_G, z=z) if c.name.startswith(ON_G_ROWS)]
    checks += [c for c in exact_checks(grid_arrays(rows), label, z=z) if not c.name.startswith(ON_G_ROWS)]
    if np.any(on_G["D_chi2"][:-1] > 1e-8):   # the mutations change nothing while D_i = 0 (generation 0 only)
        checks += controls(on_G, label_G)
    if has_theory_metrics(rows):   # THEORY.md section 8: assumptions, proof steps, companion laws
        checks += theory_run_checks(rows, label, fields)
        mark_not_applicable(checks, rows)
    return attribute(checks, scope="run", run=fields)


def grid_checks(runs, z: float = 2.0) -> list:
    """`grid_run_checks` over several runs (each a `validate.report.run_data.NeuralRun`).

    Parameters
    ----------
    runs : iterable of validate.report.run_data.NeuralRun
        The runs.
    z : float
        Standard errors of tolerance (default 2).

    Returns
    -------
    list of validate.checks.check.Check
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
    runs : iterable of validate.report.run_data.NeuralRun
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
