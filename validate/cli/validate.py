"""`collapse validate --run DIR [--check NAME ...] [--z Z]`: print every check and its verdict, then
one line of counts (`validate.checks.counts`). Exit status: 1 when a binding check is violated beyond
z standard errors of the measurement (or a control is not violated); 3 when no binding check
concerns the run (only proof rows, example rows, informative or vacuous checks: nothing binding can
be said about it, e.g. an image U-Net with proxy metrics only); 2 on a usage error; 0 otherwise."""
from __future__ import annotations

import argparse
import sys

from validate.cli.arg_types import nonnegative
from validate.cli.main import UsageError
from validate.report.check_run import UnknownCheck, check_run
from validate.report.tables import render
from validate.checks.counts import NOTHING_BINDING, concerns_run, count_rows, counts_line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the subcommand's options.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    """
    parser.epilog = (f"exit status: 0 when every run-specific binding check passes; 1 when a binding check is "
                     f"violated (or a control is not); 2 on a usage error; {NOTHING_BINDING} when no binding check "
                     "concerns the run (only proofs, examples, informative or vacuous checks)")
    parser.add_argument("--run", required=True, help="a directory written by `collapse reproduce`, `collapse train` or `collapse sweep`")
    parser.add_argument("--check", nargs="+", default=None,
                        help="only checks of these catalog ids (e.g. prop3.1 lemmaF.1)")
    parser.add_argument("--z", type=nonnegative("z"), default=2.0,
                        help="standard errors of tolerance for estimated quantities (default 2)")


def run(args) -> int:
    """Print the checks of a run directory and their verdicts.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options.

    Returns
    -------
    int
        Exit status: 1 when a binding check fails, 3 (`NOTHING_BINDING`) when no run-specific
        binding check says anything about the run, else 0.

    Raises
    ------
    UsageError
        If a --check name is unknown.
    """
    try:
        checks = check_run(args.run, z=args.z, only=args.check)
    except UnknownCheck as exc:
        raise UsageError(str(exc)) from None
    rows = [c.summary_row() for c in checks]
    print(render(rows, "markdown", columns=["check", "kind", "scope", "verdict", "min_margin", "passed", "reason"]),
          end="")
    counts = count_rows(rows)
    print(counts_line(counts))
    if any(c.binding and c.failed for c in checks):
        return 1
    if not concerns_run(counts):
        sys.stderr.write(f"collapse validate: no binding check concerns the run {args.run}: its binding rows are "
                         f"proofs, examples or vacuous, the rest informative (exit {NOTHING_BINDING})\n")
        return NOTHING_BINDING
    return 0
