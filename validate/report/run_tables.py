"""The tables of a report (``DIR/tables/*.{md,csv,tex}``), from a `RunData`."""
from __future__ import annotations

import math

import numpy as np

import bounds
from validate.checks.bootstrap import MIN_SEEDS_FOR_INTERVAL, bootstrap_mean_ci
from validate.checks.check import flat_row
from validate.checks.exact_suite import bound_curves
from validate.checks.learner_quality import quality_rows
from validate.report.run_data import RunData, clipped_at_zero, stack
from validate.report.tables import write_table

NEURAL_TABLE_KEYS = ("second_moment", "w2_to_data", "D_kl", "I_ideal_kl", "epshat2", "eps2", "eta")
W2_NOTE = ("w2_to_data: the split-half debiased W2, sqrt(max(0, .)), is clipped at 0 (biased up near p = q); "
           "w2_clipped_at_0 says where a seed's estimate was clipped to 0: there 0 means 'not distinguishable "
           "at this sample size', not 'equal'.")
INTERVAL_NOTE = (f"Intervals: 90% percentile bootstrap over seeds, given from {MIN_SEEDS_FOR_INTERVAL} seeds on; "
                 "from fewer they are labelled with their seed count and are rough. inf: infinite.")


def bounds_table(data: RunData) -> list:
    """The accumulation table (DIR/bounds/accumulated.csv) as tables/bounds_accumulated.*.

    Parameters
    ----------
    data : RunData
        The loaded run directory.

    Returns
    -------
    list of pathlib.Path
        The table files written (none when the run lacks the data).
    """
    if data.accumulated is None:
        return []
    return write_table(data.path, "bounds_accumulated", data.accumulated,
                       "Accumulated drift D_N of the recursion (bounds.accumulated)")


def exact_tables(data: RunData) -> list:
    """exact_generations (D beside the recursion) and exact_bounds_vs_measured (per-step bounds).

    Parameters
    ----------
    data : RunData
        The loaded run directory.

    Returns
    -------
    list of pathlib.Path
        The table files written (none when the run lacks the data).
    """
    if not data.exact:
        return []
    gen_rows, bvm_rows = [], []
    for alpha, a in sorted(data.exact.items()):
        n = len(a["alpha"])
        b = bound_curves(a)
        R, kl_bound, lo, hi = b["recursion"], b["kl_bound"], b["thm34_lower"], b["thm34_upper"]
        for i in range(n):
            gen_rows.append({"alpha": alpha, "generation": i + 1, "D_chi2": a["D_chi2"][i + 1],
                             "recursion": R[i + 1], "I_chi2": a["I_chi2"][i], "eps2": a["eps2"][i],
                             "epshat2": a["epshat2"][i], "eta": a["eta"][i]})
            bvm_rows.append({"alpha": alpha, "generation": i, "KL": a["kl_ideal"][i], "half_epshat2": kl_bound[i],
                             "chi2": a["chi2_ideal"][i], "quarter_eta_eps2": lo[i], "four_eps2": hi[i]})
    return (write_table(data.path, "exact_generations", gen_rows,
                        "Exact Gaussian pipeline: D_i = chi2(p^i || data) beside the recursion with the measured eps2_i")
            + write_table(data.path, "exact_bounds_vs_measured", bvm_rows,
                          "Exact Gaussian pipeline: per-step divergences beside their bounds (C = c = 0)"))


def eta_table(data: RunData) -> list:
    """eta by error type (exact and estimated) as tables/eta_by_error_type.*.

    Parameters
    ----------
    data : RunData
        The loaded run directory.

    Returns
    -------
    list of pathlib.Path
        The table files written (none when the run lacks the data).
    """
    if data.eta_by_error_type is None:
        return []
    return write_table(data.path, "eta_by_error_type", [{"error": k, **v} for k, v in data.eta_by_error_type.items()],
                       "Observability by error type: exact and by regression over simulated paths")


def neural_table(data: RunData) -> list:
    """neural_generations: per group and generation, the mean over seeds (90% bootstrap intervals).

    Parameters
    ----------
    data : RunData
        The loaded run directory.

    Returns
    -------
    list of pathlib.Path
        The table files written (none when the run lacks the data).
    """
    cat = bounds.catalog()
    table = []
    for (target, model, alpha), runs in data.neural.items():
        g = stack(runs, "generation")[0].astype(int)
        stats = {k: bootstrap_mean_ci(stack(runs, k)) for k in NEURAL_TABLE_KEYS}
        first = runs[0].rows[0]
        bound = cat["prop3.1"].upper_fn(epshat2=np.nan_to_num(stats["epshat2"][0]))
        clipped = clipped_at_zero(runs)
        rough = "" if len(runs) >= MIN_SEEDS_FOR_INTERVAL else f" ({len(runs)} seeds < {MIN_SEEDS_FOR_INTERVAL})"
        for i, gen in enumerate(g):
            row = {"target": target, "model": model, "alpha": alpha, "generation": int(gen), "seeds": len(runs)}
            for k in NEURAL_TABLE_KEYS:
                mean, lo, hi = (s[i] for s in stats[k])
                if not math.isnan(mean):  # inf is shown as inf, never dropped
                    row[k] = mean
                    if len(runs) > 1 and k in ("w2_to_data", "D_kl"):
                        row[f"{k}_90ci"] = f"[{lo:.3g}, {hi:.3g}]{rough}"
                if k == "w2_to_data":
                    row["w2_clipped_at_0"] = bool(clipped[i])
            if math.isfinite(stats["epshat2"][0][i]):
                row["prop3.1_bound"] = float(bound[i])
            row["D_estimator"] = first.get("D_kl_estimator", "")
            table.append(row)
    if not table:
        return []
    return write_table(data.path, "neural_generations", table,
                       "Neural runs: drift and per-step quantities by generation (mean over seeds, 90% bootstrap interval)",
                       notes=[W2_NOTE, INTERVAL_NOTE])


def learner_quality_table(data: RunData) -> list:
    """learner_quality: generation 0 of each neural run against its target; returns the rows.

    Parameters
    ----------
    data : RunData
        The loaded run directory.

    Returns
    -------
    list of dict
        The rows (also written as tables/learner_quality.*).
    """
    quality = quality_rows(data.path)
    if quality:
        write_table(data.path, "learner_quality", [{k: v for k, v in r.items() if k != "mode_weights"} for r in quality],
                    "Generation-0 quality of each neural run (validate.checks.learner_quality)")
    return quality


def checks_table(data: RunData, rows: list[dict]) -> list:
    """Every check and control with its verdict as tables/checks.*.

    Parameters
    ----------
    data : RunData
        The loaded run directory.
    rows : list of dict
        Summary rows of the checks.

    Returns
    -------
    list of pathlib.Path
        The table files written.
    """
    return write_table(data.path, "checks", [flat_row(r) for r in rows],
                       "Every check and control with its verdict (vacuous: an infinite or absurd number; see reason)",
                       blank="A blank reason: the check is not vacuous; a blank learner or target: a proof row "
                             "(true of any run); a blank min_margin or constants: none defined.")


def all_tables(data: RunData) -> list:
    """Every table but the checks table (written once the checks are known).

    Parameters
    ----------
    data : RunData
        The loaded run directory.

    Returns
    -------
    list of pathlib.Path
        The table files written (none when the run lacks the data).
    """
    return bounds_table(data) + exact_tables(data) + eta_table(data) + neural_table(data)
