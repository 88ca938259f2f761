"""The parser of the `collapse` command: one subparser per subcommand, each declared by its own
module `validate/cli/<name>.py` (`add_arguments(parser)`), imported only when chosen."""
from __future__ import annotations

import argparse
import importlib
import sys

DESCRIPTION = "The `collapse` command line: one subcommand per capability."
SUBCOMMANDS = {
    "bounds": ("validate.cli.bounds", "the paper's bounds: accumulated-drift tables and LaTeX"),
    "exact": ("validate.cli.exact", "exact Gaussian generations (no training)"),
    "train": ("validate.cli.train", "recursive retraining of a score model, resumable"),
    "validate": ("validate.cli.validate", "check a finished run against the bounds"),
    "report": ("validate.cli.report", "rebuild tables and figures from a finished run"),
    "reproduce": ("validate.cli.reproduce", "the main job: bounds, exact and neural runs, tables, figures"),
    "sweep": ("validate.cli.sweep", "a grid of runs from a TOML spec, on Dask (or serially), resumable"),
    "compare": ("validate.cli.compare", "two finished runs compared row by row (checks, per-generation numbers, files)"),
    "limit": ("validate.cli.limit", "the limit law's Hermite multipliers m_n(alpha, t0) (THEORY.md §5)"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (no usage block)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def chosen_subcommand(argv: list[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not an option)."""
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, the arguments of that subcommand alone are declared (and only its
    module imported); the others are listed with their help text.

    Parameters
    ----------
    only : str or None
        A subcommand name ("" declares none; None declares all).

    Returns
    -------
    argparse.ArgumentParser
        The parser.
    """
    parser = _Parser(prog="collapse", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or name == only:
            importlib.import_module(module_name).add_arguments(p)
        p.set_defaults(_module=module_name)
    return parser
