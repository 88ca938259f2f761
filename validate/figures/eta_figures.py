"""Observability eta: by error type (aligned w_i x, random w x, time-only xi(t)) and over
generations. eta in [0, 1] is the share of the path error visible at the endpoint."""
from __future__ import annotations

import numpy as np

from validate.figures.over_generations import over_generations
from validate.figures.style import new_figure, save


def eta_by_error_type(values: dict, path_stem, stderr: dict | None = None):
    """`values[name]` = eta (scalar or array over scales/runs); bars with error bars."""
    names = list(values)
    means = [float(np.mean(values[n])) for n in names]
    errs = [float(np.mean(stderr[n])) if stderr and n in stderr else 0.0 for n in names]
    fig, axes = new_figure(1, width=5.0)
    ax = axes[0, 0]
    ax.bar(names, means, yerr=errs, color=[f"C{i}" for i in range(len(names))], capsize=4)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(r"observability $\eta$")
    ax.set_title("eta by error type", fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    return save(fig, path_stem)


def eta_over_generations(series: dict, path_stem):
    """`series[alpha]` = dict(generation, eta, eta_stderr (optional))."""
    renamed = {a: dict(generation=s["generation"], value=s["eta"], stderr=s.get("eta_stderr"))
               for a, s in series.items()}
    return over_generations(renamed, r"observability $\eta_i$", path_stem, ylim=(0, 1.05))
