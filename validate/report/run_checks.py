"""Every verdict a run directory supports: exact-run checks and controls, the tight Brownian
example, the eta estimator against the exact eta, the neural checks, and the symbolic proofs.

Runs with exact grid laws (targets of dimension <= 2) are checked by `validate.checks.grid_suite`, as
binding, exactly as the Gaussian pipeline. Other neural measurements are estimates with standard errors, and for the KDE learner on the Gaussian
mixture they rest on one approximation (the law of a generation's samples is taken to be its KDE
smoothed to t0; see `neural.retraining`). So every neural check is informative:

* prop3.1: `I_ideal_kl` = KL(p^{i+1} || q_i smoothed to t0), what 1/2 epshat2 bounds, against
  `bounds.catalog()["prop3.1"]`, with the two standard errors combined;
* thm3.4: `I_ideal_chi2` against the band, in the small-error regime only (eps2 <= 1); outside it the
  verdict is inconclusive.

Every check is attributed (`validate.checks.attribute`): scope "run" with the run's directory,
learner and target for the exact Gaussian runs and the neural runs; "example" for the tight
Brownian example and the limit-law checks (reference laws computed beside the run, not the run's
learned laws); "proof" for the symbolic proofs.
"""
from __future__ import annotations

import copy

import numpy as np

import bounds
from validate.checks.check import Check, attribute, check, verdict_rows
from validate.checks.companion_estimate_suite import (companion_estimate_checks, has_distance_estimates,
                                                       not_computable_checks)
from validate.checks.exact_suite import EXACT_RUN, controls, exact_checks, tight_brownian_controls
from validate.checks.grid_suite import grid_checks, is_grid_exact, run_fields
from validate.checks.limit_suite import checks_from_saved
from validate.checks.proof_suite import proof_checks
from validate.checks.assumption_suite import (companion_examples, exact_run_companion_examples, gaussian_companion_checks,
                                             proof_step_examples)
from validate.report.run_data import RunData, neural_runs, stack
from validate.checks.verdict import verdicts


def eta_estimator_checks(data: RunData, z: float = 2.0) -> list[Check]:
    """The regression estimator of eta (neural.observability) against the exact eta, per error type:
    equal within z standard errors (binding: the estimator is consistent for this quantity).

    Parameters
    ----------
    data : RunData
        The loaded run directory.
    z : float
        Standard errors of tolerance (default 2).

    Returns
    -------
    list of validate.checks.check.Check
        One check per error type (none without eta data).
    """
    out = []
    for name, v in (data.eta_by_error_type or {}).items():
        if "mc" not in v:
            continue
        verdict, margin = verdicts([v["mc"]], [v["exact"]], "equal", stderr=v["mc_se"], z=z)
        rows = verdict_rows([0], [v["mc"]], v["mc_se"], [v["exact"]], margin, verdict)
        out.append(Check(f"eta estimator vs exact [{name}]", "eta", "equal", rows,
                         note=v.get("mc_estimator", ""), sources={"measured": "estimate", "bound": "exact"},
                         run={"directory": str(data.path / "exact"), "learner": f"exact Gaussian, {name} error",
                              "target": "gaussian"}))
    return out


def neural_checks(data: RunData, z: float = 2.0) -> list[Check]:
    """prop3.1 and thm3.4 on every group of neural runs (informative; see the module docstring).

    Parameters
    ----------
    data : RunData
        The loaded run directory.
    z : float
        Standard errors of tolerance (default 2).

    Returns
    -------
    list of validate.checks.check.Check
        The informative checks.
    """
    cat = bounds.catalog()
    out = []
    for (target, model, alpha), runs in data.neural.items():
        if all(is_grid_exact(r.rows) for r in runs):
            continue  # exact grid laws: checked as binding by validate.checks.grid_suite
        tag = f" [{target} {model}, alpha={alpha:g}, {len(runs)} seed(s)]"
        run = {**run_fields(runs[0]), "directory": ", ".join(str(r.path) for r in runs),
               "seed": [r.config.get("seed") for r in runs]}
        src = {"measured": "estimate", "bound": "estimate"}
        g = stack(runs, "generation").astype(int).ravel()
        kl, kl_se = stack(runs, "I_ideal_kl").ravel(), stack(runs, "I_ideal_kl_se").ravel()
        eh, eh_se = stack(runs, "epshat2").ravel(), stack(runs, "epshat2_se").ravel()
        ok = np.isfinite(kl) & np.isfinite(eh)
        if ok.any():
            se = np.sqrt(np.nan_to_num(kl_se[ok]) ** 2 + (np.nan_to_num(eh_se[ok]) / 2) ** 2)
            out += attribute(check(cat["prop3.1"], kl[ok], {"epshat2": eh[ok]}, se, generations=g[ok],
                                   binding=False, name="prop3.1" + tag, sources=src, z=z,
                                   note=runs[0].rows[0].get("I_ideal_kl_estimator", "")), run=run)
        if any(has_distance_estimates(r.rows) for r in runs):
            out += attribute(companion_estimate_checks([r.rows for r in runs], tag, z), run=run)
        elif _proxy_only(runs):
            out += attribute(not_computable_checks(tag, stack(runs, "generation")[0]), run=run)
        chi, chi_se = stack(runs, "I_ideal_chi2").ravel(), stack(runs, "I_ideal_chi2_se").ravel()
        e2, eta = stack(runs, "eps2").ravel(), stack(runs, "eta").ravel()
        ok = np.isfinite(chi) & np.isfinite(e2) & np.isfinite(eta)
        if ok.sum() >= 2:
            for c in check(cat["thm3.4"], chi[ok], {"eps2": e2[ok], "eta": np.clip(eta[ok], 0, 1)}, chi_se[ok],
                           generations=g[ok], fit=("C", "c"), in_regime_only=True, binding=False,
                           note="in the small-error regime eps2 <= 1 only", z=z, sources=src):
                c.name = f"{c.name}{tag}"
                out += attribute([c], run=run)
    return out


def _proxy_only(runs) -> bool:
    """True when a group's divergences are Gaussian proxies (no density of the learned law)."""
    names = [str(r.rows[0].get(f"{k}_estimator", "")) for r in runs if r.rows for k in ("D_kl", "D_chi2", "I_kl", "I_chi2")]
    return any("gaussian_proxy" in n for n in names)


def all_checks(data: RunData, z: float = 2.0, proofs=True) -> list[Check]:
    """Every check and control on the run's data (exact runs, the tight example, neural runs), then
    the symbolic proofs (kind "proof"); `z` standard errors of tolerance for estimates.

    Parameters
    ----------
    data : RunData
        The loaded run directory.
    z : float
        Standard errors of tolerance (default 2).
    proofs : bool or list of Check
        Append the symbolic proofs (default True: computed here; a list: those, already computed by
        `proof_checks()`; False: none).

    Returns
    -------
    list of validate.checks.check.Check
        Every check.
    """
    checks = tight_brownian_controls() + eta_estimator_checks(data, z)
    for alpha, a in data.exact.items():
        label = f"exact, alpha={alpha:g}"
        checks += attribute(exact_checks(a, label, z=z) + controls(a, label) + gaussian_companion_checks(a, label),
                            scope="run",
                            run={**EXACT_RUN, "directory": str(data.path / "exact" / f"alpha_{alpha:g}"), "alpha": alpha})
    if data.exact:   # the TV and Hellinger laws' controls on exact runs built for them
        checks += exact_run_companion_examples()
    checks += neural_checks(data, z)
    grid = grid_checks(neural_runs(data), z)  # runs with exact grid laws: binding (grid_suite)
    checks += grid
    if any(c.result_id.startswith("proof.") for c in grid):   # the cases built for the theory rows' controls
        checks += proof_step_examples()
    if any(c.result_id.startswith(("tv.", "hellinger.")) for c in checks):
        checks += companion_examples()
    checks += attribute(checks_from_saved(data.limit_checks), scope="example",  # THEORY.md §5 (limit_stage)
                        run={"learner": "exact limit law", "target": "reference mixtures"})
    if proofs is True:
        checks += proof_checks()
    elif proofs:
        checks += copy.deepcopy(list(proofs))   # attribute() below writes into them
    return attribute(checks, run={"directory": str(data.path)})
