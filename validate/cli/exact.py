"""`collapse exact`: exact Gaussian generations, no training (gaussian_exact.generations).

collapse exact --alpha 0.1 0.5 0.9 --generations 20 --dim 10 [--steps 0] [--slope -0.03] [--bias 0.05]
               [--mode replace|accumulate] [--n-samples N] --format markdown|csv|latex [--plot PATH] [--out DIR]

The settings are the fields of `validate.pipeline.exact_runs.ExactRunConfig` (shared with sweep
specs and `collapse reproduce`, whose exact part the defaults compute); with --out, the runs are
written by that module's one writer, as `collapse reproduce` writes them (DIR/alpha_<alpha>/).
"""
from __future__ import annotations

import argparse
import math

import matplotlib.pyplot as plt

from validate.cli.main import UsageError
from validate.cli.exact_options import add_exact_arguments, exact_config
from validate.pipeline.exact_runs import COLUMNS, exact_rows, run_exact
from validate.report.run_io import read_metrics
from validate.report.figures.style import alpha_color, new_figure, use_log_if_spread
from validate.report.tables import render


def plot(rows: list[dict], path: str) -> None:
    """D_chi2 over generations, one curve per alpha, saved to path.

    Parameters
    ----------
    rows : list of dict
        Rows of `validate.pipeline.exact_runs.exact_rows`.
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
    parser.add_argument("--format", choices=("markdown", "csv", "latex"), default="markdown")
    parser.add_argument("--plot", default=None, metavar="PATH", help="save D_chi2 against generation to PATH")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="also write the runs to DIR/alpha_<alpha>/ (config.json, metrics.jsonl), as "
                        "`collapse reproduce` writes DIR/exact; finished runs of the same settings are kept")


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
        config = exact_config(args)
    except ValueError as exc:  # settings that only fail together (t0 >= T, ...)
        raise UsageError(str(exc)) from None
    if args.out:
        runs = run_exact(args.out, config)
        rows = [{**row, "alpha": a} for a, run in zip(config.alphas, runs) for row in read_metrics(run)]
    else:
        rows = exact_rows(config)
    print(render(rows, args.format, columns=COLUMNS, digits=6,
                 caption="Exact Gaussian generations (gaussian_exact)"), end="")
    if args.plot:
        plot(rows, args.plot)
    return 0
