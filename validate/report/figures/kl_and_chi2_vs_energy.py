"""Per generation: KL(p^{i+1} || q_i) against 1/2 epshat2_i (Prop 3.1, an upper bound) and
chi2(p^{i+1} || q_i) against 1/8 eta_i eps2_i (Prop 3.3, a lower bound in its regime).
The bound curves are evaluated by the caller from `bounds.catalog()`."""
from __future__ import annotations

import numpy as np

from validate.report.figures.style import alpha_color, integer_ticks, new_figure, note_off_scale, plot_series, save, use_log_if_spread


def kl_and_chi2_vs_energy(series: dict, path_stem, reference: str = "q_i"):
    """`series[alpha]` = dict(generation, kl, kl_bound, chi2, chi2_bound) of equal-length arrays;
    `reference` names (in mathtext) the law the divergences are taken to."""
    fig, axes = new_figure(2)
    left, right = axes[0]
    spread = {"left": [], "right": []}
    off = {"left": 0, "right": 0}
    for a, s in sorted(series.items()):
        col = alpha_color(a)
        g = np.asarray(s["generation"])
        off["left"] += plot_series(left, g, s["kl"], "o-", color=col, ms=3, label=f"KL, alpha={a}")
        off["left"] += plot_series(left, g, s["kl_bound"], "--", color=col,
                                   label=r"$\frac{1}{2}\hat\varepsilon^2$" if a == min(series) else None)
        off["right"] += plot_series(right, g, s["chi2"], "o-", color=col, ms=3, label=f"chi2, alpha={a}")
        off["right"] += plot_series(right, g, s["chi2_bound"], "--", color=col,
                                    label=r"$\frac{1}{8}\eta\varepsilon^2$" if a == min(series) else None)
        spread["left"] += [s["kl"], s["kl_bound"]]
        spread["right"] += [s["chi2"], s["chi2_bound"]]
    for ax, side, title in ((left, "left", "Prop 3.1: KL <= 1/2 epshat2"),
                            (right, "right", "Prop 3.3: chi2 >= 1/8 eta eps2")):
        ax.set_xlabel("generation i")
        integer_ticks(ax)
        ax.set_title(title, fontsize=9)
        use_log_if_spread(ax, np.concatenate([np.ravel(v) for v in spread[side]]))
        note_off_scale(ax, off[side])
        ax.legend(fontsize=7)
    left.set_ylabel(rf"KL$(p^{{i+1}}\|{reference})$")
    right.set_ylabel(rf"$\chi^2(p^{{i+1}}\|{reference})$")
    return save(fig, path_stem)
