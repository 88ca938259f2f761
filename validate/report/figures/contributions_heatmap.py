"""Heat map of contributions to D_N by generation: entry (N, i) = (1-alpha)^{2(N-i)} eps2_i
(THEORY.md §3, consequences of the accumulation recursion). The matrix comes from `bounds`."""
from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import MaxNLocator

from validate.report.figures.style import integer_ticks, new_figure, save


def contributions_heatmap(matrices: dict, path_stem):
    """`matrices[alpha]` = `bounds.contributions(alpha, eps2)`: row k, column i holds
    (1-alpha)^{2(k-i)} eps2_i, the share of generation i's error in D_{k+1}."""
    fig, axes = new_figure(len(matrices), width=3.6, height=3.3)
    for ax, (a, m) in zip(axes[0], sorted(matrices.items())):
        m = np.asarray(m, dtype=float)
        shown = np.where(m > 0, m, np.nan)
        pos = m[m > 0]
        norm = LogNorm(vmin=max(pos.min(), pos.max() * 1e-8), vmax=pos.max()) if pos.size else None
        n = m.shape[0]  # row k holds the contributions to D_{k+1}
        im = ax.imshow(shown, origin="lower", aspect="auto", norm=norm, cmap="magma",
                       extent=(-0.5, n - 0.5, 0.5, n + 0.5))
        integer_ticks(ax)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"alpha = {a}", fontsize=9)
        ax.set_xlabel("source generation i")
        ax.set_ylabel("target generation N")
        fig.colorbar(im, ax=ax, label=r"$(1-\alpha)^{2(N-i)}\varepsilon_i^2$")
    return save(fig, path_stem)
