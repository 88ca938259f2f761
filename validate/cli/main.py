"""The `collapse` command line: one subcommand per capability.

Each subcommand lives in its own module `validate/cli/<name>.py` exposing
`add_arguments(parser)` and `run(args) -> int`; value ranges are declared once, as argument types
in `validate.cli.arg_types`. Only the chosen subcommand's module is imported (the documented
import boundary of the CLI): `collapse bounds` and `collapse exact` never import torch.

Exit status: 0 on success; 2 on a usage error (a bad value, a missing or malformed file, an output
directory that cannot be written), printed as one line naming the argument or the file; 1 with
the traceback on anything else, which is a bug; 130 when interrupted (finished work is kept).
`collapse validate` also exits 1 when a binding bound is violated and 3 when no binding check
concerns the run (`validate.checks.counts.NOTHING_BINDING`).
"""
from __future__ import annotations

import errno
import importlib
import sys

from run_files import RunFileError
from validate.cli.parser import SUBCOMMANDS, build_parser, chosen_subcommand

#: errors of the environment, not of the code (an output directory that is read-only or full):
#: reported in one line with the file they concern. A missing file is a `RunFileError` where the
#: user named it, and a bug (traceback) anywhere else.
ENVIRONMENT_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}


class UsageError(Exception):
    """Bad input from the user, found by the CLI layer: reported as one line, exit status 2."""


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
    chosen = chosen_subcommand(argv)
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
