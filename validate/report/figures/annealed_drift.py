"""Drift from data over generations under constant versus annealed truncation (THEORY.md §5,
reconstructed): the ideal recursion's distance to data, which settles at the limit's for constant t0
and returns toward 0 when t0(i) -> 0."""
from __future__ import annotations

import numpy as np

from validate.report.figures.style import integer_ticks, new_figure, save


def annealed_drift(series: dict, path_stem, ylabel: str = r"TV$(p^i, \mathrm{data})$", title: str = ""):
    """series: {label: dict(generation, value)}, e.g. "constant t0 = 0.02", "t0(i) = 0.02 * 0.8^i"."""
    fig, axes = new_figure(1, width=5.0, height=3.6)
    ax = axes[0, 0]
    for k, (label, s) in enumerate(series.items()):
        g, v = np.asarray(s["generation"]), np.asarray(s["value"])
        keep = g >= 1
        ax.semilogy(g[keep], v[keep], "o-", ms=3, color=f"C{k}", label=label)
    ax.set_xlabel("generation i")
    integer_ticks(ax)
    ax.set_ylabel(ylabel)
    ax.set_title(title or "ideal recursion: constant vs annealed truncation", fontsize=9)
    ax.legend(fontsize=7)
    return save(fig, path_stem)
