"""The `collapse` command line: one subcommand per capability.

Each subcommand lives in its own module `validate/cli_<name>.py` exposing
`add_arguments(parser)` and `run(args) -> int`. Modules are imported lazily so that
`collapse bounds` never pays for importing torch.

Errors in user input (ValueError, FileNotFoundError, KeyError raised as `UsageError`) and
OSErrors of the output directory (read-only or full disk) print one line on stderr and exit with
status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    "bounds": ("validate.cli_bounds", "the paper's bounds: accumulated-drift tables and LaTeX"),
    "exact": ("validate.cli_exact", "exact Gaussian generations (no training)"),
    "train": ("validate.cli_train", "recursive retraining of a score model, resumable"),
    "validate": ("validate.cli_validate", "check a finished run against the bounds"),
    "report": ("validate.cli_report", "rebuild tables and figures from a finished run"),
    "reproduce": ("validate.cli_reproduce", "the main job: bounds, exact and neural runs, tables, figures"),
}


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse prints usage too; keep it short)
        sys.stderr.write(f"collapse: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="collapse", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        module = _load(module_name)
        if module is not None:
            module.add_arguments(p)
            p.set_defaults(_module=module_name)
        else:
            p.set_defaults(_module=None)
    return parser


def _load(module_name: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args._module is None:
        sys.stderr.write(f"collapse: error: subcommand {args.command!r} is not available yet\n")
        return 2
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args) or 0)
    except (ValueError, FileNotFoundError, NotADirectoryError, UsageError, KeyError) as exc:
        msg = exc.args[0] if exc.args else str(exc)
        sys.stderr.write(f"collapse {args.command}: error: {msg}\n")
        return 2
    except OSError as exc:   # read-only or full disk, permissions: one line, nothing half-written
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        sys.stderr.write(f"collapse {args.command}: error: cannot write or read{where}: {exc.strerror or exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"collapse {args.command}: interrupted; finished generations are kept\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
