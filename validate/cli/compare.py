"""`collapse compare RUN_A RUN_B [--rtol R] [--atol A] [--rename OLD=NEW ...] [--json OUT]`: two
finished runs compared row by row (`validate.report.run_comparison`). Exit status: 0 when they
agree within the tolerance, 1 when they differ, 2 on bad input (one line)."""
from __future__ import annotations

import argparse

from run_files import write_json
from validate.cli.arg_types import nonnegative
from validate.cli.main import UsageError
from validate.report.run_comparison import compare_runs, comparison_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the subcommand's options.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    """
    parser.epilog = "exit status: 0 when the runs agree within the tolerance, 1 when they differ, 2 on bad input"
    parser.add_argument("run_a", metavar="RUN_A", help="the reference run directory")
    parser.add_argument("run_b", metavar="RUN_B", help="the run directory compared with it")
    parser.add_argument("--rtol", type=nonnegative("rtol"), default=1e-9,
                        help="relative tolerance of numbers (default 1e-9)")
    parser.add_argument("--atol", type=nonnegative("atol"), default=0.0,
                        help="absolute tolerance of numbers (default 0)")
    parser.add_argument("--rename", nargs="+", action="extend", default=[], metavar="OLD=NEW",
                        help="a check of RUN_A renamed in RUN_B")
    parser.add_argument("--json", default=None, metavar="OUT", help="write the full comparison as JSON to OUT")
    parser.add_argument("--limit", type=int, default=20, help="differences listed in the printed report (default 20)")


def run(args) -> int:
    """Compare the two runs, print the short report, write the JSON.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options.

    Returns
    -------
    int
        Exit status: 0 when the runs agree within the tolerance, 1 when they differ.

    Raises
    ------
    UsageError
        If a --rename item is not OLD=NEW, a renamed check is not in RUN_A, or a tolerance is not
        finite.
    """
    rename = {}
    for item in args.rename:
        old, sep, new = item.partition("=")
        if not sep or not old or not new:
            raise UsageError(f"--rename takes OLD=NEW (check names), got {item!r}")
        rename[old] = new
    try:
        result = compare_runs(args.run_a, args.run_b, rtol=args.rtol, atol=args.atol, rename=rename)
    except ValueError as exc:
        if type(exc) is not ValueError:  # RunFileError: main reports it with the file
            raise
        raise UsageError(str(exc)) from None
    print(comparison_text(result, limit=max(args.limit, 0)), end="")
    if args.json:
        write_json(args.json, result)
    return 0 if result["identical"] else 1
