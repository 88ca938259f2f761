"""The report over a sweep directory (what `collapse report --run DIR` builds when DIR holds
sweep.json): coverage, tables and figures over the axes, and every check of every run.

* Coverage: every run of the spec with its state (finished, partial, failed, missing), generations
  on disk, and the error of a failed run.
* Tables over the axes: runs that differ only by `seed` form a group; per group and generation the
  mean over seeds with a 90% percentile bootstrap interval (`validate.checks.bootstrap`; one seed: the
  value itself), for train runs (`sweep_train_by_axes`) and exact runs (`sweep_exact_by_axes`), and
  the last common generation of each group (`sweep_*_final`).
* Figures by axis: for each axis other than seed with two values or more, the mean at the last
  generation where the quantity is defined against that axis, one line per combination of the other axes; and each quantity over
  generations, one line per group.
* Checks: for every train run with metrics, `validate.report.run_checks.neural_checks` (informative);
  for every finished exact run, `validate.checks.exact_suite.exact_checks` and its `controls`; once, the
  tight Brownian example and its control. Check names end in `<run name>`.

Nothing is recomputed but the checks, so the report of a large sweep takes seconds.
"""
from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from validate.report import figures
from validate.checks.bootstrap import bootstrap_mean_ci
from validate.checks.counts import count_rows, counts_line
from validate.checks.check import attribute, flat_row
from validate.checks.assumption_suite import exact_run_companion_examples, gaussian_companion_checks
from validate.checks.exact_suite import EXACT_RUN, arrays_from_rows, controls, exact_checks, tight_brownian_controls
from run_files import METRICS_FILE, atomic_write_text, write_json
from validate.checks.grid_suite import grid_checks
from validate.report.run_checks import neural_checks
from validate.report.run_data import RunData, neural_runs, stack_rows
from validate.report.run_io import read_metrics
from validate.sweep.runner import RUNS_DIR, SWEEP_FILE, load_plan
from validate.sweep.task import FINISHED, finished_generations, load_failure, run_state
from validate.report.tables import render, write_table

SEED_AXIS = "seed"
QUANTITIES = {
    "train": ("second_moment", "w2_to_data", "D_kl", "D_chi2", "I_kl", "I_chi2", "I_ideal_kl", "eps2", "epshat2", "eta"),
    "exact": ("D_chi2", "D_kl", "I_chi2", "kl_ideal", "chi2_ideal", "eps2", "epshat2", "eta"),
}
FIGURE_QUANTITIES = {"train": ("w2_to_data", "D_kl", "eta"), "exact": ("D_chi2", "eps2", "eta")}
LABELS = {"w2_to_data": "W2(samples, data)", "D_kl": "KL(p^{i+1} || data)", "D_chi2": "D_i = chi2(p^i || data)",
          "eta": "observability eta_i", "eps2": "eps2_i"}


def is_sweep(run_dir) -> bool:
    """Whether `run_dir` is a sweep directory (it holds sweep.json).

    Parameters
    ----------
    run_dir : str or path-like
        The sweep directory.

    Returns
    -------
    bool
        True when DIR/sweep.json exists.
    """
    return (Path(run_dir) / SWEEP_FILE).is_file()


def coverage(run_dir) -> list[dict]:
    """One row per run of the sweep: name, kind, axes, state, generations on disk, error.

    Parameters
    ----------
    run_dir : str or path-like
        The sweep directory.

    Returns
    -------
    list of dict
        One row per run.
    """
    rows = []
    for r in load_plan(run_dir):
        d = Path(run_dir) / RUNS_DIR / r.name
        failure = load_failure(d) if run_state(r, d) != FINISHED else None
        rows.append({"run": r.name, "kind": r.kind, **{k: _show(v) for k, v in r.axes.items()},
                     "state": run_state(r, d), "generations": f"{finished_generations(r, d)}/{r.config['generations']}",
                     "error": (failure or {}).get("error", "")})
    return rows


def _show(value):
    return " ".join(map(str, value)) if isinstance(value, list) else value


def _runs_with_metrics(run_dir, kind: str):
    """[(SweepRun, directory, metrics rows)] for the runs of `kind` that have metrics."""
    out = []
    for r in load_plan(run_dir):
        d = Path(run_dir) / RUNS_DIR / r.name
        if r.kind != kind or not (d / METRICS_FILE).is_file() or finished_generations(r, d) == 0:
            continue
        rows = read_metrics(d)
        out.append((r, d, rows if kind == "exact" else rows[: r.config["generations"]]))
    return out


def groups(run_dir, kind: str) -> dict:
    """(axis values but seed, as a sorted tuple of (axis, value)) -> [(run, dir, rows)], one per seed.

    Parameters
    ----------
    run_dir : str or path-like
        The sweep directory.
    kind : {"train", "exact"}
        The kind of runs.

    Returns
    -------
    dict
        Group key -> list of (SweepRun, directory, metrics rows).
    """
    out = defaultdict(list)
    for r, d, rows in _runs_with_metrics(run_dir, kind):
        key = tuple((k, _show(v)) for k, v in r.axes.items() if k != SEED_AXIS)
        out[key].append((r, d, rows))
    return dict(out)


def _label(key) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in key)


def _stack(members, name: str) -> np.ndarray:
    """(seeds, generations) of `name`, shortest run decides; NaN where a row lacks it."""
    return stack_rows([rows for _, _, rows in members], name)


def group_statistics(members, kind: str) -> dict:
    """quantity -> (generation, mean, lower, upper) over the group's seeds, for the quantities present.

    Parameters
    ----------
    members : list of (SweepRun, path, rows)
        One group (the values of `groups`).
    kind : {"train", "exact"}
        The kind of runs.

    Returns
    -------
    dict
        quantity -> (generation, mean, lower, upper) arrays.
    """
    n = min(len(rows) for _, _, rows in members)
    gens = np.array([row["generation"] for row in members[0][2][:n]])
    out = {}
    for q in QUANTITIES[kind]:
        x = _stack(members, q)
        if np.isfinite(x).any():
            mean, lo, hi = bootstrap_mean_ci(x)
            out[q] = (gens, mean, lo, hi)
    return out


def axis_tables(run_dir, kind: str):
    """(rows by group and generation, rows of each group's last common generation).

    Parameters
    ----------
    run_dir : str or path-like
        The sweep directory.
    kind : {"train", "exact"}
        The kind of runs.

    Returns
    -------
    by_generation, final : list of dict
        Table rows.
    """
    by_generation, final = [], []
    for key, members in sorted(groups(run_dir, kind).items(), key=lambda kv: str(kv[0])):
        stats = group_statistics(members, kind)
        if not stats:
            continue
        gens = next(iter(stats.values()))[0]
        for i, g in enumerate(gens):
            row = {**dict(key), "generation": int(g), "seeds": len(members)}
            for q, (_, mean, lo, hi) in stats.items():
                if math.isfinite(mean[i]):
                    row[q] = float(mean[i])
                    if len(members) > 1:
                        row[f"{q}_90ci"] = f"[{lo[i]:.3g}, {hi[i]:.3g}]"
            by_generation.append(row)
        final.append(dict(by_generation[-1]))
    return by_generation, final


def axis_figures(run_dir, kind: str) -> list[str]:
    """Last-generation means against each non-seed axis, and curves over generations per group.

    Parameters
    ----------
    run_dir : str or path-like
        The sweep directory.
    kind : {"train", "exact"}
        The kind of runs.

    Returns
    -------
    list of str
        Paths of the figures written.
    """
    grouped = groups(run_dir, kind)
    if not grouped:
        return []
    stats = {key: group_statistics(members, kind) for key, members in grouped.items()}
    axes = list(dict.fromkeys(k for key in grouped for k, _ in key))
    figs, made = Path(run_dir) / "figures", []
    for q in FIGURE_QUANTITIES[kind]:
        present = {key: s[q] for key, s in stats.items() if q in s}
        if not present:
            continue
        label = LABELS.get(q, q)
        made += figures.curves_by_group(
            {_label(key): dict(generation=g, value=m, lower=lo, upper=hi) for key, (g, m, lo, hi) in present.items()},
            label, figs / f"sweep_{kind}_{q}_over_generations", title=f"sweep, {kind} runs: {q} (mean over seeds)")
        for axis in axes:
            values = {dict(key).get(axis) for key in present}
            if len(values) < 2:
                continue
            series = defaultdict(lambda: dict(x=[], value=[], lower=[], upper=[]))
            for key, (g, m, lo, hi) in sorted(present.items(), key=lambda kv: str(kv[0])):
                others = tuple((k, v) for k, v in key if k != axis)
                s = series[_label(others)]
                last = _last_finite(m)
                s["x"].append(dict(key)[axis])
                s["value"].append(m[last])
                s["lower"].append(lo[last])
                s["upper"].append(hi[last])
            for s in series.values():  # sort each line by its axis values
                order = sorted(range(len(s["x"])), key=lambda i: (str(type(s["x"][i])), s["x"][i]))
                for k in s:
                    s[k] = [s[k][i] for i in order]
            made += figures.final_by_axis(dict(series), axis, f"{label}, last generation with a value",
                                          figs / f"sweep_{kind}_{q}_by_{axis}",
                                          title=f"sweep, {kind} runs: {q} at the last generation by {axis}")
    return [str(p) for p in made]


def _last_finite(values) -> int:
    """Index of the last finite entry (exact runs have no transition quantities on their last row)."""
    finite = np.flatnonzero(np.isfinite(values))
    return int(finite[-1]) if finite.size else len(values) - 1


def sweep_checks(run_dir, z: float = 2.0) -> list:
    """Every check of every run (module docstring); `z` standard errors of tolerance.

    Parameters
    ----------
    run_dir : str or path-like
        The sweep directory.
    z : float
        Standard errors of tolerance (default 2).

    Returns
    -------
    list of validate.checks.check.Check
        The checks.
    """
    checks = tight_brownian_controls()
    exact_found = False
    for r, d, rows in _runs_with_metrics(run_dir, "exact"):
        if run_state(r, d) != FINISHED:
            continue
        a = arrays_from_rows(rows)
        checks += attribute(exact_checks(a, r.name, z=z) + controls(a, r.name) + gaussian_companion_checks(a, r.name),
                            scope="run",
                            run={**EXACT_RUN, "directory": str(d), "alpha": r.config.get("alpha")})
        exact_found = True
    if exact_found:   # the TV and Hellinger laws' controls on exact runs built for them
        checks += exact_run_companion_examples()
    for r, d, _ in _runs_with_metrics(run_dir, "train"):
        data = RunData.load(d)
        for c in neural_checks(data, z) + grid_checks(neural_runs(data), z):
            c.name = f"{c.name} <{r.name}>"
            checks.append(c)
    return checks


def build_sweep_report(run_dir, z: float = 2.0) -> dict:
    """Write tables/, figures/, checks.json and summary.md into the sweep directory; returns
    {"figures": paths, "checks": summary rows, "coverage": coverage rows}.

    Parameters
    ----------
    run_dir : str or path-like
        The sweep directory.
    z : float
        Standard errors of tolerance (default 2).

    Returns
    -------
    dict
        "figures", "checks" and "coverage".
    """
    run = Path(run_dir)
    cov = coverage(run)
    write_table(run, "sweep_coverage", cov, "Coverage of the sweep: every run and its state")
    made = []
    for kind in ("train", "exact"):
        by_generation, final = axis_tables(run, kind)
        if by_generation:
            write_table(run, f"sweep_{kind}_by_axes", by_generation,
                        f"Sweep, {kind} runs: mean over seeds by generation (90% bootstrap interval)")
            write_table(run, f"sweep_{kind}_final", final,
                        f"Sweep, {kind} runs: the last common generation of each combination of the axes")
        made += axis_figures(run, kind)
    checks = sweep_checks(run, z)
    rows = [c.summary_row() for c in checks]
    write_table(run, "checks", [flat_row(r) for r in rows], "Every check and control of every run, with its verdict")
    write_json(run / "checks.json", {"checks": rows, "details": [c.__dict__ for c in checks]})
    atomic_write_text(run / "summary.md", summary_markdown(cov, checks))
    return {"figures": made, "checks": rows, "coverage": cov}


def summary_markdown(cov: list[dict], checks: list) -> str:
    """The Markdown of the sweep's summary.md: coverage, failed runs and checks, the runs table, the checks.

    Parameters
    ----------
    cov : list of dict
        The coverage rows.
    checks : list
        The checks.

    Returns
    -------
    str
        The Markdown text.
    """
    states = defaultdict(int)
    for row in cov:
        states[row["state"]] += 1
    binding = [c for c in checks if c.binding]
    failed = [c for c in binding if c.failed]
    lines = ["# collapse sweep: summary", "",
             f"**Coverage: {len(cov)} runs, {states['finished']} finished, {states['failed']} failed, "
             f"{states['partial']} partial, {states['missing']} missing.**", "",
             f"**{counts_line(count_rows([c.summary_row() for c in checks]))}.** Informative checks are "
             "reported, not enforced; vacuous ones (an infinite or absurd number, or a bound at the quantity's largest value) say nothing. Tables over the axes "
             "(`tables/sweep_*_by_axes`, `tables/sweep_*_final`) show means over seeds with 90% percentile "
             "bootstrap intervals.", ""]
    bad = [r for r in cov if r["state"] == "failed"]
    if bad:
        lines += ["## Failed runs", ""] + [f"* `{r['run']}`: {r['error']} (see runs/{r['run']}/failure.json)"
                                           for r in bad] + [""]
    if failed:
        lines += ["## Binding checks that did not pass", ""] + [f"* {c.name}: {c.verdict}" for c in failed] + [""]
    lines += ["## Runs", "", render(cov, "markdown")]
    cols = ["check", "kind", "scope", "verdict", "reason", "min_margin", "constants", "passed", "note"]
    for title, group in (("Binding checks and controls", binding),
                         ("Informative checks", [c for c in checks if not c.binding])):
        lines += [f"## {title}", "", render([c.summary_row() for c in group], "markdown", columns=cols)]
    return "\n".join(lines)
