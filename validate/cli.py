"""The `collapse` command line: one subcommand per capability.

Each subcommand lives in its own module `validate/cli_<name>.py` exposing
`add_arguments(parser)` and `run(args) -> int`; value ranges are declared once, as argument types
in `validate.arg_types`. Only the chosen subcommand's module is imported (the documented
import boundary of the CLI): `collapse bounds` and `collapse exact` never import torch.

Exit status: 0 on success; 2 on a usage error (a bad value, a missing or malformed file, an output
directory that cannot be written), printed as one line naming the argument or the file; 1 with
the traceback on anything else, which is a bug; 130 when interrupted (finished work is kept).
`collapse validate` also exits 1 when a binding bound is violated and 3 when no binding check
concerns the run (`validate.check_counts.NOTHING_BINDING`).
"""
from __future__ import annotations

import argparse
import errno
import importlib
import sys

from neural.run_files import RunFileError

SUBCOMMANDS = {
    "bounds": ("validate.cli_bounds", "the paper's bounds: accumulated-drift tables and LaTeX"),
    "exact": ("validate.cli_exact", "exact Gaussian generations (no training)"),
    "train": ("validate.cli_train", "recursive retraining of a score model, resumable"),
    "validate": ("validate.cli_validate", "check a finished run against the bounds"),
    "report": ("validate.cli_report", "rebuild tables and figures from a finished run"),
    "reproduce": ("validate.cli_reproduce", "the main job: bounds, exact and neural runs, tables, figures"),
    "sweep": ("validate.cli_sweep", "a grid of runs from a TOML spec, on Dask (or serially), resumable"),
    "limit": ("validate.cli_limit", "the limit law's Hermite multipliers m_n(alpha, t0) (THEORY.md §5)"),
}
#: errors of the environment, not of the code (an output directory that is read-only or full):
#: reported in one line with the file they concern. A missing file is a `RunFileError` where the
#: user named it, and a bug (traceback) anywhere else.
ENVIRONMENT_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}


class UsageError(Exception):
    """Bad input from the user, found by the CLI layer: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (no usage block)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def _chosen(argv: list[str]) -> str | None:
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
    parser = _Parser(prog="collapse", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or name == only:
            importlib.import_module(module_name).add_arguments(p)
        p.set_defaults(_module=module_name)
    return parser


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        where = f" {exc.filename!r}" if exc.filename else ""
        return f"cannot write or read{where}: {exc.strerror or exc}"
    msg = exc.args[0] if exc.args else str(exc)
    return str(msg).splitlines()[0] if str(msg) else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """The `collapse` command: parse argv, run the subcommand, map expected errors to exit status 2.

    Usage errors, malformed or missing run files and environment OSErrors print one line and return
    2; an interrupt returns 130; any other exception propagates with its traceback.

    Parameters
    ----------
    argv : list of str or None
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = _chosen(argv)
    parser = build_parser(only=chosen if chosen in SUBCOMMANDS else "")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error already printed in one line (2)
        return int(exc.code or 0)
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args) or 0)
    except (UsageError, RunFileError) as exc:
        sys.stderr.write(f"collapse {args.command}: error: {_one_line(exc)}\n")
        return 2
    except OSError as exc:
        if exc.errno not in ENVIRONMENT_ERRNOS:
            raise
        sys.stderr.write(f"collapse {args.command}: error: {_one_line(exc)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"collapse {args.command}: interrupted; finished generations are kept\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
