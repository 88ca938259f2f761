"""One measured quantity against generation, one line per fresh fraction alpha, with error bars."""
from __future__ import annotations

import numpy as np

from validate.report.figures.style import alpha_color, integer_ticks, new_figure, save, use_log_if_spread


def over_generations(series: dict, ylabel: str, path_stem, ylim=None, title: str | None = None):
    """`series[alpha]` = dict(generation, value, stderr (optional))."""
    fig, axes = new_figure(1)
    ax = axes[0, 0]
    values = []
    for a, s in sorted(series.items()):
        ax.errorbar(s["generation"], s["value"], yerr=s.get("stderr"), fmt="o-", ms=3,
                    color=alpha_color(a), label=f"alpha = {a}", capsize=2)
        values.append(np.ravel(s["value"]))
    if ylim is not None:
        ax.set_ylim(*ylim)
    else:
        use_log_if_spread(ax, np.concatenate(values))
    ax.set_xlabel("generation i")
    integer_ticks(ax)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return save(fig, path_stem)
