"""The options of `collapse exact`, generated from the fields of
`validate.pipeline.exact_runs.ExactRunConfig` (type, range, choices, help and default declared
there once; sweep specs read the same fields).
"""
from __future__ import annotations

import argparse
from dataclasses import MISSING, fields

from validate.cli.setting_options import add_setting_options
from validate.pipeline.exact_runs import ExactRunConfig
from validate.settings import settings_of

#: field -> option name where they differ (`--alpha 0.1 0.5` sets `alphas`)
OPTION_NAMES = {"alphas": "alpha"}


def add_exact_arguments(parser: argparse.ArgumentParser) -> None:
    """One option per field of `ExactRunConfig` (dest = the field name).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser to add the options to.
    """
    defaults = {f.name: f.default if f.default is not MISSING else None for f in fields(ExactRunConfig)}
    add_setting_options(parser, settings_of(ExactRunConfig), defaults, renamed=OPTION_NAMES)


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
