"""Shared figure plumbing: a headless backend, one palette for alphas, PNG+PDF output."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 4.2, height: float = 3.4, **kw):
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kw)
    return fig, axes


def alpha_color(alpha: float):
    """A fixed colour per fresh fraction so every figure reads the same way."""
    return plt.get_cmap("viridis")(0.1 + 0.8 * float(alpha))


def use_log_if_spread(ax, values, axis: str = "y", decades: float = 1.5):
    """Log scale when the positive values span more than `decades` decades."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size and np.log10(v.max() / v.min()) > decades:
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")


def save(fig, path_stem) -> list[Path]:
    """Write `<stem>.png` (150 dpi) and `<stem>.pdf`; return both paths; close the figure."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    paths = [stem.with_suffix(".png"), stem.with_suffix(".pdf")]
    fig.savefig(paths[0], dpi=150)
    fig.savefig(paths[1])
    plt.close(fig)
    return paths


def integer_ticks(ax):
    """Generations are integers: no 2.5 on the axis."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
