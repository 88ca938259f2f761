"""`collapse report --run DIR`: rebuild tables, figures and the summary of a finished run."""
from __future__ import annotations

import argparse

from validate.report.build import build_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the subcommand's options.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    """
    parser.add_argument("--run", required=True, help="a directory written by `collapse reproduce`, `collapse train` or `collapse sweep`")


def run(args) -> int:
    """Rebuild the tables, figures and summary of a finished run directory (`build_report`).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options.

    Returns
    -------
    int
        Exit status (0).
    """
    result = build_report(args.run)
    print(f"rebuilt {args.run}: {len(result['figures'])} figure files, {len(result['checks'])} checks")
    return 0
