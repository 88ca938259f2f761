"""`collapse bounds`: the accumulated-drift table D_N (THEORY.md §3 recursion) and the catalog in LaTeX.

collapse bounds --alpha 0.1 0.5 0.9 --eps2 1e-3 --generations 20 --format markdown|csv|latex
collapse bounds --latex
"""
from __future__ import annotations

import argparse

from bounds import catalog
from validate.report.bounds_table import COLUMNS, accumulated_rows
from validate.cli.arg_types import count, fraction, nonnegative
from validate.report.tables import render as render_rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the subcommand's options.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    """
    parser.add_argument("--alpha", type=fraction("alpha"), nargs="+", default=[0.1, 0.5, 0.9],
                        help="fresh-data fractions in [0, 1] (default: 0.1 0.5 0.9)")
    parser.add_argument("--eps2", type=nonnegative("eps2"), nargs="+", default=[1e-3],
                        help="constant per-generation score error(s) eps2 >= 0 (default: 1e-3)")
    parser.add_argument("--generations", type=count("generations"), default=20, help="last generation N >= 0 (default: 20)")
    parser.add_argument("--D0", type=nonnegative("D0"), default=0.0, help="initial divergence D_0 >= 0 (default: 0)")
    parser.add_argument("--format", choices=("markdown", "csv", "latex"), default="markdown")
    parser.add_argument("--latex", action="store_true", help="print every catalog result in LaTeX and exit")


def render(rows: list[dict], fmt: str) -> str:
    """The accumulation rows as a table.

    Parameters
    ----------
    rows : list of dict
        Rows of `validate.report.bounds_table.accumulated_rows`.
    fmt : {"markdown", "csv", "latex"}
        Format.

    Returns
    -------
    str
        The table.

    Raises
    ------
    ValueError
        If fmt is not a known format.
    """
    return render_rows(rows, fmt, columns=COLUMNS, digits=6, caption="Accumulated drift D_N of the recursion")


def catalog_latex() -> str:
    """Every catalog result in LaTeX, each with its statement and source as comments.

    Returns
    -------
    str
        The LaTeX text.
    """
    out = []
    for rid, result in catalog().items():
        out.append(f"% {rid}: {result.statement}\n% source: {result.source}\n\\[ {result.latex()} \\]")
    return "\n\n".join(out) + "\n"


def run(args) -> int:
    """Print the accumulation table, or the catalog with --latex.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options.

    Returns
    -------
    int
        Exit status (0).
    """
    if args.latex:
        print(catalog_latex(), end="")
        return 0
    print(render(accumulated_rows(args.alpha, args.eps2, args.generations, args.D0), args.format), end="")
    return 0
