"""`collapse limit`: the limit law's Hermite multipliers (THEORY.md §5; reconstructed, derived in SymPy).

collapse limit --alpha 0.1 0.5 0.9 --t0 0.02 --modes 8 --format markdown|csv|latex

One row per (alpha, t0, mode n = 1..modes): `multiplier` m_n = alpha e^{-n t0/2} / (1 - (1-alpha) e^{-n t0/2})
(the limit's coefficient over data's), `one_round` e^{-n t0/2} and `rate` (1-alpha) e^{-n t0/2} (the
per-generation contraction of mode n toward the limit).
"""
from __future__ import annotations

import argparse

import numpy as np

import bounds
from validate.cli.arg_types import count, fraction, nonnegative
from validate.report.tables import render

COLUMNS = ("alpha", "t0", "mode", "multiplier", "one_round", "rate")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the subcommand's options.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    """
    parser.add_argument("--alpha", type=fraction("alpha"), nargs="+", default=[0.1, 0.5, 0.9],
                        help="fresh-data fractions in [0, 1] (default: 0.1 0.5 0.9)")
    parser.add_argument("--t0", type=nonnegative("t0"), nargs="+", default=[0.02], help="truncation times >= 0 (default: 0.02)")
    parser.add_argument("--modes", type=count("modes", 1), default=8, help="highest Hermite order n >= 1 (default: 8)")
    parser.add_argument("--format", choices=("markdown", "csv", "latex"), default="markdown")


def table(alphas, t0s, modes: int) -> list[dict]:
    """Rows of the multiplier table (module docstring). ValueError naming alpha, t0 or modes.

    Parameters
    ----------
    alphas : iterable of float in [0, 1]
        Fresh-data fractions.
    t0s : iterable of float >= 0
        Stopping times.
    modes : int >= 1
        Highest Hermite order.

    Returns
    -------
    list of dict
        One row per (alpha, t0, mode).

    Raises
    ------
    ValueError
        If modes is not an integer >= 1, or an alpha or t0 is out of range.
    """
    if isinstance(modes, bool) or int(modes) != modes or modes < 1:
        raise ValueError(f"modes must be an integer >= 1, got {modes!r}")
    n = np.arange(1, int(modes) + 1)
    cat = bounds.catalog()
    rows = []
    for a in alphas:
        for t in t0s:
            m = bounds.limit_multipliers(a, t, n)
            u = bounds.hermite_multiplier(t, n)
            r = cat["limit.mode_rate"].expression_fn(alpha=a, t0=t, mode=n)
            rows += [dict(alpha=a, t0=t, mode=int(k), multiplier=float(mk), one_round=float(uk), rate=float(rk))
                     for k, mk, uk, rk in zip(n, m, u, r)]
    return rows


def run(args) -> int:
    """Print the multiplier table.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options.

    Returns
    -------
    int
        Exit status (0).
    """
    rows = table(args.alpha, args.t0, args.modes)
    print(render(rows, args.format, columns=COLUMNS, digits=4,
                 caption="Limit multipliers m_n(alpha, t0) of the ideal recursion (THEORY.md §5, reconstructed)"), end="")
    return 0
