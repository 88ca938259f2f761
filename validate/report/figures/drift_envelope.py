"""Accumulated drift D_i = chi2(p^i || data) against generation, with the accumulation
recursion's value sum_i (1-alpha)^{2(N-i)} eps2_i (+ decayed D_0) drawn beside it (Thm 4.2)."""
from __future__ import annotations

import numpy as np

from validate.report.figures.style import (alpha_color, integer_ticks, new_figure, note_off_scale, off_scale, plot_series, save,
                                   use_log_if_spread)


def drift_envelope(series: dict, path_stem, ylabel: str = r"$D_i=\chi^2(p^i\|\mathrm{data})$"):
    """`series[alpha]` = dict(generation, D, envelope, D_stderr (optional), lower/upper (optional))."""
    fig, axes = new_figure(1, width=5.0, height=3.6)
    ax = axes[0, 0]
    values, off = [], 0
    for a, s in sorted(series.items()):
        col = alpha_color(a)
        g = np.asarray(s["generation"])
        k = g >= 1  # D_0 is set by the run, not measured
        se = None if s.get("D_stderr") is None else np.asarray(s["D_stderr"])[k]
        off += plot_series(ax, g[k], np.asarray(s["D"])[k], "o-", yerr=se, ms=3, color=col, label=f"measured, alpha={a}")
        off += plot_series(ax, g[k], np.asarray(s["envelope"])[k], "--", color=col,
                           label="recursion with measured eps2" if a == min(series) else None)
        if s.get("lower") is not None and s.get("upper") is not None:
            lo, hi = (np.where(off_scale(v), np.nan, v) for v in (np.asarray(s["lower"], float)[k],
                                                                   np.asarray(s["upper"], float)[k]))
            ax.fill_between(g[k], lo, hi, color=col, alpha=0.12)
        values += [np.asarray(s["D"])[k], np.asarray(s["envelope"])[k]]
    ax.set_xlabel("generation i")
    integer_ticks(ax)
    ax.set_ylabel(ylabel)
    use_log_if_spread(ax, np.concatenate([np.ravel(v) for v in values]))
    note_off_scale(ax, off)
    ax.legend(fontsize=7)
    return save(fig, path_stem)
