"""2-D PCA scatter of generated samples: rows are fresh fractions alpha, columns generations.

The principal axes are fitted on the data samples once and shared by every panel, so panels are
comparable and drift shows as movement against the grey data cloud.
"""
from __future__ import annotations

import numpy as np

from validate.report.figures.style import alpha_color, new_figure, save


def pca_axes(data: np.ndarray, k: int = 2):
    """Mean and the top-k principal directions (columns) of `data` (n, d)."""
    x = np.asarray(data, dtype=float).reshape(len(data), -1)
    mu = x.mean(0)
    _, _, vt = np.linalg.svd(x - mu, full_matrices=False)
    return mu, vt[:k].T


def pca_scatter(samples: dict, data: np.ndarray, path_stem, max_points: int = 2000, seed: int = 0):
    """`samples[(alpha, generation)]` -> array (n, ...). Returns the written paths."""
    alphas = sorted({a for a, _ in samples})
    gens = sorted({g for _, g in samples})
    mu, axes_ = pca_axes(data)
    rng = np.random.default_rng(seed)

    def project(x):
        x = np.asarray(x, dtype=float).reshape(len(x), -1)
        if len(x) > max_points:
            x = x[rng.choice(len(x), max_points, replace=False)]
        return (x - mu) @ axes_

    ref = project(data)
    fig, axes = new_figure(len(gens), len(alphas), width=2.6, height=2.6, sharex=True, sharey=True)
    for r, a in enumerate(alphas):
        for c, g in enumerate(gens):
            ax = axes[r, c]
            ax.scatter(ref[:, 0], ref[:, 1], s=2, c="0.8", label="data", rasterized=True)
            if (a, g) in samples:
                p = project(samples[(a, g)])
                ax.scatter(p[:, 0], p[:, 1], s=2, color=alpha_color(a), label="generated", rasterized=True)
            if r == 0:
                ax.set_title(f"generation {g}")
            if c == 0:
                ax.set_ylabel(f"alpha = {a}\nPC 2")
            if r == len(alphas) - 1:
                ax.set_xlabel("PC 1")
    axes[0, 0].legend(loc="upper left", fontsize=7, markerscale=4)
    return save(fig, path_stem)
