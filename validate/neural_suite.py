"""Checks, tables and figures for the neural runs of a reproduce directory (DIR/neural/<model>_alpha_<a>).

Neural measurements are estimates with standard errors, and for the KDE learner on the Gaussian
mixture they rest on one approximation (the law of a generation's samples is taken to be its
KDE smoothed to t0; see `neural.retraining`). So every neural check is informative:
* prop3.1: `I_ideal_kl` = KL(p^{i+1} || q_i smoothed to t0), what 1/2 epshat2 bounds, against
  `bounds.catalog()["prop3.1"]`, with the two standard errors combined;
* thm3.4: `I_ideal_chi2` against the band, in the small-error regime only (eps2 <= 1); outside it the
  verdict is inconclusive.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

import bounds
from validate import figures
from validate.checks import check
from validate.run_io import read_config, read_metrics


def neural_run_dirs(run_dir) -> list[Path]:
    return sorted(p for p in (Path(run_dir) / "neural").glob("*") if (p / "metrics.jsonl").is_file())


def _column(rows, key):
    return np.array([r.get(key, math.nan) if r.get(key) is not None else math.nan for r in rows], dtype=float)


def _runs(run_dir):
    for d in neural_run_dirs(run_dir):
        cfg = read_config(d)
        rows = read_metrics(d, required=("generation", "alpha", "second_moment", "w2_to_data"))
        yield d, cfg.get("model", d.name.split("_")[0]), float(cfg.get("alpha", rows[0]["alpha"])), rows


def neural_checks(run_dir) -> list:
    cat = bounds.catalog()
    out = []
    for d, model, alpha, rows in _runs(run_dir):
        tag = f" [{model}, alpha={alpha:g}]"
        g = _column(rows, "generation").astype(int)
        kl, kl_se = _column(rows, "I_ideal_kl"), _column(rows, "I_ideal_kl_se")
        eh, eh_se = _column(rows, "epshat2"), _column(rows, "epshat2_se")
        ok = np.isfinite(kl) & np.isfinite(eh)
        if ok.any():
            se = np.sqrt(np.nan_to_num(kl_se[ok]) ** 2 + (np.nan_to_num(eh_se[ok]) / 2) ** 2)
            out += check(cat["prop3.1"], kl[ok], {"epshat2": eh[ok]}, se, generations=g[ok], binding=False,
                         name="prop3.1" + tag, note=rows[0].get("I_ideal_kl_estimator", ""))
        chi, chi_se = _column(rows, "I_ideal_chi2"), _column(rows, "I_ideal_chi2_se")
        e2, eta = _column(rows, "eps2"), _column(rows, "eta")
        ok = np.isfinite(chi) & np.isfinite(e2) & np.isfinite(eta)
        if ok.sum() >= 2:
            for c in check(cat["thm3.4"], chi[ok], {"eps2": e2[ok], "eta": np.clip(eta[ok], 0, 1)}, chi_se[ok],
                           generations=g[ok], fit=("C", "c"), in_regime_only=True, binding=False,
                           note="in the small-error regime eps2 <= 1 only"):
                c.name = f"{c.name}{tag}"
                out.append(c)
    return out


def neural_tables_and_figures(run_dir) -> list[str]:
    from validate.report import write_table

    run_dir = Path(run_dir)
    cat = bounds.catalog()
    rows_out, made = [], []
    w2, dkl, eta, energy, pca = {}, {}, {}, {}, {}
    data_ref = None
    for d, model, alpha, rows in _runs(run_dir):
        g = _column(rows, "generation").astype(int)
        for r in rows:
            rows_out.append({"model": model, "alpha": alpha, "generation": r["generation"],
                             "second_moment": r["second_moment"], "w2_to_data": r["w2_to_data"],
                             "D_kl": r.get("D_kl"), "D_kl_se": r.get("D_kl_se"),
                             "I_ideal_kl": r.get("I_ideal_kl"), "prop3.1_bound": _bound(cat["prop3.1"], "upper", epshat2=r.get("epshat2")),
                             "eps2": r.get("eps2"), "eta": r.get("eta"), "eta_se": r.get("eta_se"),
                             "D_estimator": r.get("D_kl_estimator") or r.get("D_chi2_estimator")})
        if model != "kde":
            continue
        w2[alpha] = dict(generation=g, value=_column(rows, "w2_to_data"))
        if np.isfinite(_column(rows, "D_kl")).any():
            dkl[alpha] = dict(generation=g, value=_column(rows, "D_kl"), stderr=_column(rows, "D_kl_se"))
        if np.isfinite(_column(rows, "eta")).any():
            eta[alpha] = dict(generation=g, eta=_column(rows, "eta"), eta_stderr=_column(rows, "eta_se"))
        kl, eh = _column(rows, "I_ideal_kl"), _column(rows, "epshat2")
        if np.isfinite(kl).any() and np.isfinite(eh).any():
            e2, et = _column(rows, "eps2"), np.clip(_column(rows, "eta"), 0, 1)
            energy[alpha] = dict(generation=g, kl=kl, kl_bound=cat["prop3.1"].upper_fn(epshat2=np.nan_to_num(eh)),
                                 chi2=_column(rows, "I_ideal_chi2"),
                                 chi2_bound=cat["prop3.3b"].lower_fn(eta=np.nan_to_num(et), eps2=np.nan_to_num(e2)))
        gens = sorted({0, int(g[len(g) // 2]), int(g[-1])})
        for k in gens:
            samples = d / f"gen_{k:04d}" / "samples.npy"
            if samples.is_file():
                pca[(alpha, k)] = np.load(samples)
        first = d / "gen_0000" / "training_batch.npy"
        if data_ref is None and first.is_file():
            data_ref = np.load(first)  # generation 0 trains on fresh data only
    if rows_out:
        write_table(run_dir, "neural_generations", rows_out,
                    "Neural runs on the Gaussian mixture: drift and per-step quantities by generation")
    figs = run_dir / "figures"
    if w2:
        made += figures.over_generations(w2, r"$W_2$(samples, data)", figs / "kde_w2_to_data",
                                         title="KDE learner: Wasserstein-2 distance to data")
    if dkl:
        made += figures.over_generations(dkl, r"$D_i$ as KL$(p^i\|\mathrm{data})$", figs / "kde_drift_kl",
                                         title="KDE learner: accumulated drift (KL)")
    if eta:
        made += figures.eta_over_generations(eta, figs / "kde_eta_over_generations")
    if energy:
        made += figures.kl_and_chi2_vs_energy(energy, figs / "kde_kl_and_chi2_vs_energy", r"q_i^{t_0}")
    if pca and data_ref is not None:
        made += figures.pca_scatter(pca, data_ref, figs / "kde_pca_scatter")
    return [str(p) for p in made]


def _bound(result, part: str, **params):
    """The catalog bound at one row's parameters, or None when the row lacks them."""
    if any(v is None for v in params.values()):
        return None
    return float(result.function(part)(**params))
