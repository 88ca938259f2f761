"""Exact densities p^i by generation against the data density, for a 1-D run with exact grid laws
(gen_<g>/exact_law.npz, THEORY.md section 7): the picture that shows drift at a glance."""
from __future__ import annotations

import numpy as np

from validate.report.figures.style import new_figure, save


def densities_by_generation(laws: dict, data: tuple, path_stem, samples: dict | None = None, title: str = ""):
    """`laws[g]` = (grid, density) of p^{g+1} (generation g's samples); `data` = (grid, density);
    `samples[g]` optional 1-D sample arrays drawn as faint histograms beside their exact law."""
    fig, axes = new_figure(1, width=6.0)
    ax = axes[0, 0]
    ax.plot(data[0], data[1], "k-", lw=1.6, label="data")
    gens = sorted(laws)
    cmap = __import__("matplotlib").colormaps["viridis"]
    for j, g in enumerate(gens):
        color = cmap(j / max(1, len(gens) - 1))
        grid, dens = laws[g]
        ax.plot(grid, dens, color=color, lw=1.0, label=f"$p^{{{g + 1}}}$ (generation {g}, exact)")
        if samples and g in samples:
            ax.hist(np.ravel(samples[g]), bins=80, density=True, color=color, alpha=0.15)
    lo = min(float(grid[np.argmax(dens > 1e-4 * dens.max())]) for grid, dens in [data] + [laws[g] for g in gens])
    hi = max(float(grid[len(grid) - 1 - np.argmax(dens[::-1] > 1e-4 * dens.max())]) for grid, dens in [data] + [laws[g] for g in gens])
    ax.set_xlim(lo, hi)
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.legend(fontsize=7)
    ax.set_title(title or "exact sample laws by generation", fontsize=9)
    return save(fig, path_stem)
