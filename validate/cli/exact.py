"""`collapse exact`: exact Gaussian generations, no training (gaussian_exact.generations).

collapse exact --alpha 0.1 0.5 0.9 --generations 20 --dim 10 [--steps 500] [--slope -0.03] [--bias 0.05]
               [--mode replace|accumulate] [--n-samples N] --format markdown|csv|latex [--plot PATH]

The settings and the rows are `validate.cli.exact_options` (shared with sweep specs).
"""
from __future__ import annotations

import argparse
import math

import matplotlib.pyplot as plt

from validate.cli.main import UsageError
from validate.cli.exact_options import COLUMNS, add_exact_arguments, exact_rows
from validate.report.figures.style import alpha_color, new_figure, use_log_if_spread
from validate.report.tables import render


def plot(rows: list[dict], path: str) -> None:
    """D_chi2 over generations, one curve per alpha, saved to path.

    Parameters
    ----------
    rows : list of dict
        Rows of `validate.cli.exact_options.exact_rows`.
    path : str
        The figure file.
    """
    fig, axes = new_figure()
    ax = axes[0][0]
    for a in dict.fromkeys(r["alpha"] for r in rows):
        sel = [r for r in rows if r["alpha"] == a]
        ax.plot([r["generation"] for r in sel], [r["D_chi2"] for r in sel], "o-", ms=3, color=alpha_color(a),
                label=f"alpha = {a:g}")
    use_log_if_spread(ax, [r["D_chi2"] for r in rows if math.isfinite(r["D_chi2"]) and r["D_chi2"] > 0])
    ax.set_xlabel("generation")
    ax.set_ylabel("D = chi2(p^g || data)")
    ax.set_title("exact Gaussian generations")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the subcommand's options.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    """
    add_exact_arguments(parser)


def run(args) -> int:
    """Run the exact generations and print their rows (and the figure with --plot).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options.

    Returns
    -------
    int
        Exit status (0).

    Raises
    ------
    UsageError
        For settings that only fail together (t0 >= T, too few samples, ...).
    """
    try:
        rows = exact_rows(args)
    except ValueError as exc:  # settings that only fail together (t0 >= T, ...)
        raise UsageError(str(exc)) from None
    print(render(rows, args.format, columns=COLUMNS, digits=6,
                 caption="Exact Gaussian generations (gaussian_exact)"), end="")
    if args.plot:
        plot(rows, args.plot)
    return 0
