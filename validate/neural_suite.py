"""Checks, tables and figures for the neural runs of a reproduce directory
(DIR/neural/<target>_<model>_alpha_<a>_seed_<s>, each a `collapse train` run).

Runs that differ only by seed form a group; tables and figures show the mean over seeds with a
percentile bootstrap interval (validate.bootstrap).
Neural measurements are estimates with standard errors, and for the KDE learner on the Gaussian
mixture they rest on one approximation (the law of a generation's samples is taken to be its KDE
smoothed to t0; see `neural.retraining`). So every neural check is informative:
* prop3.1: `I_ideal_kl` = KL(p^{i+1} || q_i smoothed to t0), what 1/2 epshat2 bounds, against
  `bounds.catalog()["prop3.1"]`, with the two standard errors combined;
* thm3.4: `I_ideal_chi2` against the band, in the small-error regime only (eps2 <= 1); outside it the
  verdict is inconclusive.
Runs with exact grid laws (targets of dimension <= 2) are skipped here: `validate.grid_suite` checks
them as binding, exactly as the Gaussian pipeline.
"""
from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np

import bounds
from validate import figures
from validate.bootstrap import bootstrap_mean_ci
from validate.checks import check
from validate.grid_suite import is_grid_exact
from validate.run_io import read_config, read_metrics


def neural_run_dirs(run_dir) -> list[Path]:
    """The `collapse train` runs under DIR/neural, or DIR itself when it is one."""
    if (Path(run_dir) / "metrics.jsonl").is_file():
        return [Path(run_dir)]
    return sorted(p for p in (Path(run_dir) / "neural").glob("*") if (p / "metrics.jsonl").is_file())


def _column(rows, key):
    return np.array([math.nan if r.get(key) is None else r[key] for r in rows], dtype=float)


def groups(run_dir) -> dict:
    """(target, model, alpha) -> list of (run dir, metrics rows), one per seed."""
    out = defaultdict(list)
    for d in neural_run_dirs(run_dir):
        cfg = read_config(d)
        rows = read_metrics(d, required=("generation", "alpha", "second_moment", "w2_to_data"))
        injected = cfg.get("injected_error")
        model = cfg.get("model", "?") + (f"+{injected['type']}" if injected else "")
        key = (cfg.get("target", "gmm"), model, float(cfg.get("alpha", rows[0]["alpha"])))
        out[key].append((d, rows))
    return dict(sorted(out.items()))


def _stack(runs, key):
    """(seeds, generations) array of `key` over the runs of a group (shortest run decides)."""
    n = min(len(rows) for _, rows in runs)
    return np.vstack([_column(rows[:n], key) for _, rows in runs])


def neural_checks(run_dir) -> list:
    cat = bounds.catalog()
    out = []
    for (target, model, alpha), runs in groups(run_dir).items():
        if all(is_grid_exact(rows) for _, rows in runs):
            continue  # exact grid laws: checked as binding by validate.grid_suite
        tag = f" [{target} {model}, alpha={alpha:g}, {len(runs)} seed(s)]"
        g = _stack(runs, "generation").astype(int).ravel()
        kl, kl_se = _stack(runs, "I_ideal_kl").ravel(), _stack(runs, "I_ideal_kl_se").ravel()
        eh, eh_se = _stack(runs, "epshat2").ravel(), _stack(runs, "epshat2_se").ravel()
        ok = np.isfinite(kl) & np.isfinite(eh)
        if ok.any():
            se = np.sqrt(np.nan_to_num(kl_se[ok]) ** 2 + (np.nan_to_num(eh_se[ok]) / 2) ** 2)
            out += check(cat["prop3.1"], kl[ok], {"epshat2": eh[ok]}, se, generations=g[ok], binding=False,
                         name="prop3.1" + tag, note=runs[0][1][0].get("I_ideal_kl_estimator", ""))
        chi, chi_se = _stack(runs, "I_ideal_chi2").ravel(), _stack(runs, "I_ideal_chi2_se").ravel()
        e2, eta = _stack(runs, "eps2").ravel(), _stack(runs, "eta").ravel()
        ok = np.isfinite(chi) & np.isfinite(e2) & np.isfinite(eta)
        if ok.sum() >= 2:
            for c in check(cat["thm3.4"], chi[ok], {"eps2": e2[ok], "eta": np.clip(eta[ok], 0, 1)}, chi_se[ok],
                           generations=g[ok], fit=("C", "c"), in_regime_only=True, binding=False,
                           note="in the small-error regime eps2 <= 1 only"):
                c.name = f"{c.name}{tag}"
                out.append(c)
    return out


TABLE_KEYS = ("second_moment", "w2_to_data", "D_kl", "I_ideal_kl", "epshat2", "eps2", "eta")


def _interval(x):
    mean, lo, hi = bootstrap_mean_ci(x)
    return mean, np.vstack([mean - lo, hi - mean])


def neural_tables_and_figures(run_dir) -> list[str]:
    from validate.report import write_table

    run_dir = Path(run_dir)
    cat = bounds.catalog()
    table, made = [], []
    per_group = defaultdict(dict)  # (target, model) -> figure series by alpha
    for (target, model, alpha), runs in groups(run_dir).items():
        g = _stack(runs, "generation")[0].astype(int)
        stats = {k: bootstrap_mean_ci(_stack(runs, k)) for k in TABLE_KEYS}
        first = runs[0][1][0]
        bound = cat["prop3.1"].upper_fn(epshat2=np.nan_to_num(stats["epshat2"][0]))
        for i, gen in enumerate(g):
            row = {"target": target, "model": model, "alpha": alpha, "generation": int(gen), "seeds": len(runs)}
            for k in TABLE_KEYS:
                mean, lo, hi = (s[i] for s in stats[k])
                if math.isfinite(mean):
                    row[k] = mean
                    if len(runs) > 1 and k in ("w2_to_data", "D_kl"):
                        row[f"{k}_90ci"] = f"[{lo:.3g}, {hi:.3g}]"
            if math.isfinite(stats["epshat2"][0][i]):
                row["prop3.1_bound"] = float(bound[i])
            row["D_estimator"] = first.get("D_kl_estimator", "")
            table.append(row)
        series = per_group[(target, model)]
        for key in ("w2_to_data", "D_kl"):
            values = _stack(runs, key)
            if np.isfinite(values).any():
                mean, err = _interval(values)
                series.setdefault(key, {})[alpha] = dict(generation=g, value=mean, stderr=err if len(runs) > 1 else None)
        eta = _stack(runs, "eta")
        if np.isfinite(eta).any():
            mean, err = _interval(eta)
            series.setdefault("eta", {})[alpha] = dict(generation=g, eta=mean, eta_stderr=err if len(runs) > 1 else None)
        d0, rows0 = runs[0]
        kl, eh = _column(rows0, "I_ideal_kl"), _column(rows0, "epshat2")
        if np.isfinite(kl).any() and np.isfinite(eh).any():
            e2, et = np.nan_to_num(_column(rows0, "eps2")), np.nan_to_num(np.clip(_column(rows0, "eta"), 0, 1))
            series.setdefault("energy", {})[alpha] = dict(
                generation=g, kl=kl, kl_bound=cat["prop3.1"].upper_fn(epshat2=np.nan_to_num(eh)),
                chi2=_column(rows0, "I_ideal_chi2"), chi2_bound=cat["prop3.3b"].lower_fn(eta=et, eps2=e2))
        for k in sorted({0, int(g[len(g) // 2]), int(g[-1])}):
            samples = d0 / f"gen_{k:04d}" / "samples.npy"
            if samples.is_file() and np.load(samples, mmap_mode="r").reshape(-1).size > np.load(samples, mmap_mode="r").shape[0]:
                series.setdefault("pca", {})[(alpha, k)] = np.load(samples)   # PCA needs at least 2 coordinates
        data = d0 / "gen_0000" / "training_batch.npy"  # generation 0 trains on fresh data only
        if "data" not in series and data.is_file():
            series["data"] = np.load(data)
    if table:
        write_table(run_dir, "neural_generations", table,
                    "Neural runs: drift and per-step quantities by generation (mean over seeds, 90% bootstrap interval)")
    figs = run_dir / "figures"
    for (target, model), s in per_group.items():
        stem, what = f"{target}_{model}", f"{target}, {model} learner"
        if "w2_to_data" in s:
            made += figures.over_generations(s["w2_to_data"], r"$W_2$(samples, data)", figs / f"{stem}_w2_to_data",
                                             title=f"{what}: Wasserstein-2 distance to data")
        if "D_kl" in s:
            made += figures.over_generations(s["D_kl"], r"KL$(p^{i+1}\|\mathrm{data})$ of generation $i$'s samples", figs / f"{stem}_drift_kl",
                                             title=f"{what}: accumulated drift (KL)")
        if "eta" in s:
            made += figures.eta_over_generations(s["eta"], figs / f"{stem}_eta_over_generations")
        if "energy" in s:
            made += figures.kl_and_chi2_vs_energy(s["energy"], figs / f"{stem}_kl_and_chi2_vs_energy", r"q_i^{t_0}")
        if "pca" in s and "data" in s:
            made += figures.pca_scatter(s["pca"], s["data"], figs / f"{stem}_pca_scatter")
    return [str(p) for p in made]
