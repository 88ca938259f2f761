"""Observability eta: by error type (aligned w_i x, random w x, time-only xi(t)) and over
generations. eta in [0, 1] is the share of the path error visible at the endpoint."""
from __future__ import annotations

import numpy as np

from validate.report.figures.over_generations import over_generations
from validate.report.figures.style import new_figure, save


def eta_by_error_type(values: dict, path_stem, estimates: dict | None = None):
    """Bars: `values[name]` = exact eta; points with 2-s.e. bars: `estimates[name]` = (eta_hat, se)."""
    names = list(values)
    fig, axes = new_figure(1, width=5.2)
    ax = axes[0, 0]
    x = np.arange(len(names))
    ax.bar(x, [float(values[n]) for n in names], color=[f"C{i}" for i in range(len(names))], alpha=0.8,
           label="exact (gaussian_exact)")
    if estimates:
        est = [estimates.get(n, (np.nan, np.nan)) for n in names]
        ax.errorbar(x, [e[0] for e in est], yerr=[2 * e[1] for e in est], fmt="ko", ms=4, capsize=4,
                    label="regression estimate, 2 s.e.")
        ax.legend(fontsize=7)
    ax.set_xticks(x, names, fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(r"observability $\eta$")
    ax.set_title("eta by error type", fontsize=9)
    return save(fig, path_stem)


def eta_over_generations(series: dict, path_stem):
    """`series[alpha]` = dict(generation, eta, eta_stderr (optional), label (optional))."""
    renamed = {a: dict(generation=s["generation"], value=s["eta"], stderr=s.get("eta_stderr"),
                       **({"label": s["label"]} if "label" in s else {}))
               for a, s in series.items()}
    return over_generations(renamed, r"observability $\eta_i$", path_stem, ylim=(0, 1.05))
