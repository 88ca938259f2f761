"""Thm 3.4: the intra-generation divergence I_i inside [1/4 eta_i eps2_i, 4 eps2_i] (leading
terms; the caller evaluates both ends from `bounds.catalog()`)."""
from __future__ import annotations

import numpy as np

from validate.report.figures.style import (alpha_color, integer_ticks, new_figure, note_off_scale, off_scale, plot_series, save,
                                   use_log_if_spread)


def divergence_band(series: dict, path_stem, reference: str = "q_i"):
    """`series[alpha]` = dict(generation, chi2, kl (optional), lower, upper); `reference` names (in
    mathtext) the law the divergences are taken to."""
    fig, axes = new_figure(len(series), width=3.6, sharey=True)
    values = []
    for ax, (a, s) in zip(axes[0], sorted(series.items())):
        g = np.asarray(s["generation"])
        lo, hi = (np.where(off_scale(v), np.nan, v) for v in (np.asarray(s["lower"], float), np.asarray(s["upper"], float)))
        ax.fill_between(g, lo, hi, color=alpha_color(a), alpha=0.2,
                        label=r"$[\frac{1}{4}\eta\varepsilon^2,\ 4\varepsilon^2]$")
        off = plot_series(ax, g, s["chi2"], "o-", color=alpha_color(a), ms=3, label=rf"$\chi^2(p^{{i+1}}\|{reference})$")
        if s.get("kl") is not None:
            off += plot_series(ax, g, s["kl"], "s:", color="0.3", ms=3, label=rf"KL$(p^{{i+1}}\|{reference})$")
        note_off_scale(ax, off)
        ax.set_title(f"alpha = {a}", fontsize=9)
        ax.set_xlabel("generation i")
        integer_ticks(ax)
        values += [s["lower"], s["upper"], s["chi2"]]
    axes[0, 0].set_ylabel("intra-generation divergence")
    for ax in axes[0]:
        use_log_if_spread(ax, np.concatenate([np.ravel(v) for v in values]))
    axes[0, 0].legend(fontsize=7)
    return save(fig, path_stem)
