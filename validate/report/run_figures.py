"""The figures of a report (``DIR/figures/*.{png,pdf}``), from a `RunData`; nothing is recomputed
but the (cheap) bound curves."""
from __future__ import annotations

import numpy as np

import bounds
from run_files import generation_dir_name
from validate.report import figures
from validate.checks.bootstrap import MIN_SEEDS_FOR_INTERVAL, bootstrap_mean_ci
from validate.checks.exact_suite import bound_curves
from validate.checks.grid_suite import grid_figures
from validate.report.figures.neural_series import series_figures
from validate.report.run_data import RunData, clipped_at_zero, column, neural_runs, stack

IDEAL = r"p^{i+1}_{\star}"  # the ideal sampler's output: exact score of the training law


def exact_figures(data: RunData) -> list[str]:
    """The figures of the exact Gaussian runs (divergences over generations beside the recursion).

    Parameters
    ----------
    data : RunData
        The loaded run directory.

    Returns
    -------
    list of str
        Paths of the figures written (none when the run lacks the data).
    """
    if not data.exact:
        return []
    band, energy, env, heat, eta = {}, {}, {}, {}, {}
    for alpha, a in sorted(data.exact.items()):
        n = len(a["alpha"])
        g = np.arange(n)
        b = bound_curves(a)
        R, kl_bound, lo, hi, eighth = (b[k] for k in ("recursion", "kl_bound", "thm34_lower", "thm34_upper",
                                                      "prop33b_lower"))
        energy[alpha] = dict(generation=g, kl=a["kl_ideal"], kl_bound=kl_bound, chi2=a["chi2_ideal"], chi2_bound=eighth)
        band[alpha] = dict(generation=g, chi2=a["chi2_ideal"], kl=a["kl_ideal"], lower=lo, upper=hi)
        env[alpha] = dict(generation=np.arange(n + 1), D=a["D_chi2"], envelope=R)
        heat[alpha] = bounds.contributions(alpha, a["eps2"])
        eta[alpha] = dict(generation=g, eta=a["eta"])
    figs = data.path / "figures"
    made = figures.drift_envelope(env, figs / "exact_drift_envelope")
    made += figures.kl_and_chi2_vs_energy(energy, figs / "exact_kl_and_chi2_vs_energy", IDEAL)
    made += figures.divergence_band(band, figs / "exact_divergence_band", IDEAL)
    made += figures.contributions_heatmap(heat, figs / "exact_contributions_heatmap")
    made += figures.eta_over_generations(eta, figs / "exact_eta_over_generations")
    return [str(p) for p in made]


def eta_figure(data: RunData) -> list[str]:
    """eta by error type, exact beside estimated.

    Parameters
    ----------
    data : RunData
        The loaded run directory.

    Returns
    -------
    list of str
        Paths of the figures written (none when the run lacks the data).
    """
    etas = data.eta_by_error_type
    if etas is None:
        return []
    estimates = {k: (v["mc"], v["mc_se"]) for k, v in etas.items() if "mc" in v}
    return [str(p) for p in figures.eta_by_error_type({k: v["exact"] for k, v in etas.items()},
                                                      data.path / "figures" / "exact_eta_by_error_type", estimates)]


def _interval(x):
    mean, lo, hi = bootstrap_mean_ci(x)
    return mean, np.vstack([mean - lo, hi - mean])


def _seed_label(alpha, seeds: int) -> str:
    """The legend label of a mean over `seeds` seeds: says when no interval is drawn."""
    if seeds >= MIN_SEEDS_FOR_INTERVAL:
        return f"alpha = {alpha} (mean of {seeds} seeds, 90% interval)"
    return f"alpha = {alpha} ({seeds} seed{'s' if seeds > 1 else ''}, no interval: < {MIN_SEEDS_FOR_INTERVAL})"


def neural_series(data: RunData) -> dict:
    """(target, model) -> figure series by alpha (means over seeds, first seed's samples; intervals
    only from `MIN_SEEDS_FOR_INTERVAL` seeds on, the label says so otherwise), with the bound curves:
    what `validate.report.figures.series_figures` draws.

    Parameters
    ----------
    data : RunData
        The loaded run directory.

    Returns
    -------
    dict
        (target, model) -> series (plain arrays and dicts: it pickles to a drawing process).
    """
    cat = bounds.catalog()
    per_group = {}
    for (target, model, alpha), runs in data.neural.items():
        g = stack(runs, "generation")[0].astype(int)
        series = per_group.setdefault((target, model), {})
        enough, label = len(runs) >= MIN_SEEDS_FOR_INTERVAL, _seed_label(alpha, len(runs))
        for key in ("w2_to_data", "D_kl"):
            values = stack(runs, key)
            if (~np.isnan(values)).any():  # an infinite series is drawn (at the top), not dropped
                mean, err = _interval(values)
                series.setdefault(key, {})[alpha] = dict(generation=g, value=mean, stderr=err if enough else None,
                                                         label=label)
                if key == "w2_to_data":
                    series[key][alpha]["clipped"] = clipped_at_zero(runs)
        eta = stack(runs, "eta")
        if np.isfinite(eta).any():
            mean, err = _interval(eta)
            series.setdefault("eta", {})[alpha] = dict(generation=g, eta=mean, eta_stderr=err if enough else None,
                                                       label=label)
        d0, rows0 = runs[0].path, runs[0].rows
        kl, eh = column(rows0, "I_ideal_kl"), column(rows0, "epshat2")
        if np.isfinite(kl).any() and np.isfinite(eh).any():
            e2, et = np.nan_to_num(column(rows0, "eps2")), np.nan_to_num(np.clip(column(rows0, "eta"), 0, 1))
            series.setdefault("energy", {})[alpha] = dict(
                generation=g, kl=kl, kl_bound=cat["prop3.1"].upper_fn(epshat2=np.nan_to_num(eh)),
                chi2=column(rows0, "I_ideal_chi2"), chi2_bound=cat["prop3.3b"].lower_fn(eta=et, eps2=e2))
        for k in sorted({0, int(g[len(g) // 2]), int(g[-1])}):
            samples = d0 / generation_dir_name(k) / "samples.npy"
            if samples.is_file() and np.load(samples, mmap_mode="r")[0].size > 1:  # PCA needs >= 2 coordinates
                series.setdefault("pca", {})[(alpha, k)] = np.load(samples)
        first = d0 / generation_dir_name(0) / "training_batch.npy"  # generation 0 trains on fresh data only
        if "data" not in series and first.is_file():
            series["data"] = np.load(first)
    return per_group


def neural_figures(data: RunData) -> list[str]:
    """The figures of the neural runs (means over seeds with bootstrap intervals):
    `series_figures(neural_series(data), ...)`.

    Parameters
    ----------
    data : RunData
        The loaded run directory.

    Returns
    -------
    list of str
        Paths of the figures written (none when the run lacks the data).
    """
    return series_figures(neural_series(data), data.path / "figures")


def grid_law_figures(data: RunData) -> list[str]:
    """The figures of the neural runs' exact grid laws (`validate.checks.grid_suite.grid_figures`).

    Parameters
    ----------
    data : RunData
        The loaded run directory.

    Returns
    -------
    list of str
        Paths of the figures written (none without grid-exact runs).
    """
    return grid_figures(neural_runs(data), data.path)


FIGURE_PARTS = ("exact", "eta", "neural", "grid")


def all_figures(data: RunData, parts=FIGURE_PARTS) -> list[str]:
    """Every figure of the run (exact, eta, neural: the runs' series, grid: their exact grid laws), or
    those of the named parts (`collapse reproduce` draws the parts at different times and the
    neural series in a second process, `validate.pipeline.reproduce`).

    Parameters
    ----------
    data : RunData
        The loaded run directory.
    parts : sequence of str
        Parts of FIGURE_PARTS to draw, in that order (default: all).

    Returns
    -------
    list of str
        Paths of the figures written (none when the run lacks the data).

    Raises
    ------
    ValueError
        If a part is not in FIGURE_PARTS.
    """
    unknown = [p for p in parts if p not in FIGURE_PARTS]
    if unknown:
        raise ValueError(f"parts must be among {FIGURE_PARTS}, got {unknown}")
    draw = {"exact": exact_figures, "eta": eta_figure, "neural": neural_figures, "grid": grid_law_figures}
    return [path for part in FIGURE_PARTS if part in parts for path in draw[part](data)]
