"""`collapse validate --run DIR [--check NAME ...] [--z Z]`: exit 1 when a binding check is violated
beyond z standard errors of the measurement (or a control is not violated), 0 otherwise."""
from __future__ import annotations

import argparse

from validate.cli.arg_types import nonnegative
from validate.cli.main import UsageError
from validate.report.check_run import UnknownCheck, check_run
from validate.report.tables import render


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the subcommand's options.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    """
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
        Exit status: 1 when a binding check fails, else 0.

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
    print(render(rows, "markdown", columns=["check", "kind", "verdict", "min_margin", "passed"]), end="")
    failed = [c for c in checks if c.binding and c.failed]
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
