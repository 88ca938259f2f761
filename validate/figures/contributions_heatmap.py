"""Heat map of contributions to D_N by generation: entry (N, i) = (1-alpha)^{2(N-i)} eps2_i
(THEORY.md §3, consequences of the accumulation recursion). The matrix comes from `bounds`."""
from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm

from validate.figures.style import new_figure, save


def contributions_heatmap(matrices: dict, path_stem):
    """`matrices[alpha]` = array (N+1, N+1), lower-triangular, rows N, columns i."""
    fig, axes = new_figure(len(matrices), width=3.6, height=3.3)
    for ax, (a, m) in zip(axes[0], sorted(matrices.items())):
        m = np.asarray(m, dtype=float)
        shown = np.where(m > 0, m, np.nan)
        pos = m[m > 0]
        norm = LogNorm(vmin=max(pos.min(), pos.max() * 1e-8), vmax=pos.max()) if pos.size else None
        im = ax.imshow(shown, origin="lower", aspect="auto", norm=norm, cmap="magma")
        ax.set_title(f"alpha = {a}", fontsize=9)
        ax.set_xlabel("source generation i")
        ax.set_ylabel("target generation N")
        fig.colorbar(im, ax=ax, label=r"$(1-\alpha)^{2(N-i)}\varepsilon_i^2$")
    return save(fig, path_stem)
