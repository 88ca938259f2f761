"""Shared figure plumbing: a headless backend, one palette for alphas, PNG+PDF output, and the rule
for values a figure cannot draw to scale (infinite, or above `validate.checks.verdict.ABSURD` in
magnitude): they are drawn as a triangle at the top of the axes with a note, never dropped while
their legend entry stays (issue 20, point 4)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

from validate.checks.verdict import ABSURD  # noqa: E402

OFF_SCALE_NOTE = "\u25b2 at the top: infinite or > 1e12, not to scale"


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 4.2, height: float = 3.4, **kw):
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kw)
    return fig, axes


def alpha_color(alpha: float):
    """A fixed colour per fresh fraction so every figure reads the same way."""
    return plt.get_cmap("viridis")(0.1 + 0.8 * float(alpha))


def off_scale(values) -> np.ndarray:
    """True where a value cannot be drawn to scale: +-inf or above `ABSURD` in magnitude (NaN is
    missing, not off scale)."""
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isinf(v) | (np.isfinite(v) & (np.abs(v) > ABSURD))


def plot_series(ax, x, y, fmt: str = "o-", yerr=None, **kw) -> int:
    """`ax.errorbar` of the drawable part of y against x; every off-scale value (`off_scale`) is a
    triangle at the top of the axes in the series' colour, labelled "inf" or its value, so a series
    that is infinite everywhere is still drawn. Returns the number of off-scale points (call
    `note_off_scale` once per axes after all series).

    Parameters
    ----------
    ax : matplotlib Axes
        Where to draw.
    x, y : array_like
        The series.
    fmt : str
        Format of the drawable points (default "o-").
    yerr : array_like or None
        Error bars (shape (n,) or (2, n)), dropped at off-scale points.
    **kw
        Passed to `ax.errorbar` (color, label, ms, ...).

    Returns
    -------
    int
        How many points were off scale.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    bad = off_scale(y)
    shown = np.where(bad, np.nan, y)
    err = None if yerr is None else np.where(bad, np.nan, np.asarray(yerr, dtype=float))
    line = ax.errorbar(x, shown, yerr=err, fmt=fmt, **kw)
    if bad.any():
        color = line.lines[0].get_color()
        top = blended_transform_factory(ax.transData, ax.transAxes)
        ax.plot(x[bad], np.full(bad.sum(), 0.97), "^", color=color, ms=6, transform=top, clip_on=False)
        for xi, yi in zip(x[bad], y[bad]):
            ax.annotate("inf" if np.isinf(yi) else f"{yi:.1e}", (xi, 0.97), xycoords=top, xytext=(0, -9),
                        textcoords="offset points", fontsize=5, ha="center", color=color)
    return int(bad.sum())


def note_off_scale(ax, count: int) -> None:
    """Write `OFF_SCALE_NOTE` under the axes' title when `count` > 0."""
    if count:
        ax.text(0.01, 0.90, OFF_SCALE_NOTE, transform=ax.transAxes, fontsize=6, color="0.3", va="top")


def use_log_if_spread(ax, values, axis: str = "y", decades: float = 1.5):
    """Log scale when the positive drawable values span more than `decades` decades."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0) & ~off_scale(v)]
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
