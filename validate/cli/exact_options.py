"""The options of `collapse exact`, generated from the fields of
`validate.pipeline.exact_runs.ExactRunConfig` (type, range, choices, help and default declared
there once; sweep specs read the same fields).
"""
from __future__ import annotations

import argparse
from dataclasses import MISSING, fields

from validate.cli.arg_types import typed
from validate.pipeline.exact_runs import ExactRunConfig

#: field -> option name where they differ (`--alpha 0.1 0.5` sets `alphas`)
OPTION_NAMES = {"alphas": "alpha"}


def option_name(field_name: str) -> str:
    """The long option of a field: ``--n-samples`` for `n_samples`, ``--alpha`` for `alphas`."""
    return "--" + OPTION_NAMES.get(field_name, field_name).replace("_", "-")


def add_exact_arguments(parser: argparse.ArgumentParser) -> None:
    """One option per field of `ExactRunConfig` (dest = the field name).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser to add the options to.
    """
    for f in fields(ExactRunConfig):
        setting = f.metadata["setting"]
        default = f.default if f.default is not MISSING else None
        shown = " ".join(f"{v:g}" for v in default) if isinstance(default, tuple) else default
        kwargs = {"dest": f.name, "default": list(default) if isinstance(default, tuple) else default,
                  "help": f"{setting.help} (default: {shown if shown is not None else 'none'})"}
        if setting.choices is not None:
            kwargs["choices"] = setting.choices
        else:
            kwargs["type"] = typed(option_name(f.name)[2:], setting.scalar, setting.check)
        if setting.nargs is not None:
            kwargs["nargs"] = setting.nargs
            kwargs["metavar"] = option_name(f.name)[2:].upper()
        parser.add_argument(option_name(f.name), **kwargs)


def exact_config(args) -> ExactRunConfig:
    """The configuration of parsed options.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options (`add_exact_arguments`).

    Returns
    -------
    ExactRunConfig
        The validated settings.

    Raises
    ------
    ValueError
        Settings that only fail together (t0 >= T, n_samples <= dim + 1).
    """
    return ExactRunConfig(**{f.name: getattr(args, f.name) for f in fields(ExactRunConfig)})
