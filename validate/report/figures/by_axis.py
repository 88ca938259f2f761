"""Figures over a sweep's axes: a quantity at the last generation against one axis, and a quantity
over generations with one line per combination of the axes (means over seeds, interval bars)."""
from __future__ import annotations

import numpy as np

from validate.report.figures.style import integer_ticks, new_figure, save, use_log_if_spread


def _numeric(values) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def final_by_axis(series: dict, axis: str, ylabel: str, path_stem, title: str | None = None):
    """`series[label]` = dict(x=axis values, value=means, lower=, upper=): one line per label (the
    other axes' values), the axis on the x-axis (numeric values at their place, others in order)."""
    fig, axes = new_figure(1, width=4.8)
    ax = axes[0, 0]
    all_x = [x for s in series.values() for x in s["x"]]
    numeric = _numeric(all_x)
    order = list(dict.fromkeys(map(str, all_x)))
    values = []
    for i, (label, s) in enumerate(sorted(series.items())):
        x = np.asarray(s["x"], dtype=float) if numeric else np.array([order.index(str(v)) for v in s["x"]], float)
        v = np.asarray(s["value"], dtype=float)
        err = np.vstack([v - np.asarray(s["lower"], float), np.asarray(s["upper"], float) - v])
        ax.errorbar(x, v, yerr=np.clip(np.nan_to_num(err), 0, None), fmt="o-", ms=4, capsize=3, color=f"C{i % 10}",
                    label=label or "all runs")
        values.append(v)
    if not numeric:
        ax.set_xticks(range(len(order)), order, fontsize=7)
    use_log_if_spread(ax, np.concatenate(values) if values else [])
    ax.set_xlabel(axis)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6)
    return save(fig, path_stem)


def curves_by_group(series: dict, ylabel: str, path_stem, title: str | None = None):
    """`series[label]` = dict(generation, value, lower, upper): one line per combination."""
    fig, axes = new_figure(1, width=4.8)
    ax = axes[0, 0]
    values = []
    for i, (label, s) in enumerate(sorted(series.items())):
        v = np.asarray(s["value"], dtype=float)
        err = np.vstack([v - np.asarray(s["lower"], float), np.asarray(s["upper"], float) - v])
        ax.errorbar(s["generation"], v, yerr=np.clip(np.nan_to_num(err), 0, None), fmt="o-", ms=3, capsize=2,
                    color=f"C{i % 10}", label=label or "all runs")
        values.append(v)
    use_log_if_spread(ax, np.concatenate(values) if values else [])
    ax.set_xlabel("generation i")
    integer_ticks(ax)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6)
    return save(fig, path_stem)
