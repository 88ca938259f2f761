"""One measured quantity against generation, one line per fresh fraction alpha, with error bars."""
from __future__ import annotations

import numpy as np

from validate.report.figures.style import alpha_color, integer_ticks, new_figure, note_off_scale, plot_series, save, use_log_if_spread


def over_generations(series: dict, ylabel: str, path_stem, ylim=None, title: str | None = None,
                     note: str | None = None):
    """`series[alpha]` = dict(generation, value, stderr (optional), label (optional), clipped
    (optional booleans: points where an estimator was clipped at 0, drawn hollow)); off-scale values
    are drawn at the top (`style.plot_series`); `note` is a second line of the title."""
    fig, axes = new_figure(1)
    ax = axes[0, 0]
    values, off = [], 0
    for a, s in sorted(series.items()):
        col = alpha_color(a)
        off += plot_series(ax, s["generation"], s["value"], "o-", yerr=s.get("stderr"), ms=3, color=col,
                           label=s.get("label", f"alpha = {a}"), capsize=2)
        if s.get("clipped") is not None and np.any(s["clipped"]):
            k = np.asarray(s["clipped"], dtype=bool)
            ax.plot(np.asarray(s["generation"])[k], np.asarray(s["value"], dtype=float)[k], "o", ms=7, mfc="none",
                    color=col, label="clipped at 0" if a == min(series) else None)
        values.append(np.ravel(s["value"]))
    if ylim is not None:
        ax.set_ylim(*ylim)
    else:
        use_log_if_spread(ax, np.concatenate(values))
    ax.set_xlabel("generation i")
    integer_ticks(ax)
    ax.set_ylabel(ylabel)
    if title or note:
        ax.set_title("\n".join(t for t in (title, note) if t), fontsize=9 if not note else 8)
    note_off_scale(ax, off)
    ax.legend(fontsize=7)
    return save(fig, path_stem)
