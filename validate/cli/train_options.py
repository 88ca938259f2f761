"""The options of `collapse train`, generated from the fields of `neural.config.RetrainingConfig`
(type, range, choices, help and default declared there once; sweep specs read the same fields)."""
from __future__ import annotations

import argparse

from neural.config import RetrainingConfig
from validate.cli.arg_types import output_directory
from validate.cli.setting_options import add_setting_options
from validate.pipeline.train_settings import TRAIN_SETTINGS, train_defaults
from validate.pipeline.train_settings import train_config as settings_config


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """One option per setting of a recursive run (`validate.pipeline.train_settings.TRAIN_SETTINGS`,
    dest = the setting's name), then the command's own `--out` and `--quiet`.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser to add the options to.
    """
    add_setting_options(parser, TRAIN_SETTINGS, train_defaults(), keep_defaults=False)
    parser.add_argument("--out", required=True, type=output_directory("out"), help="run directory (created; reused to resume)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def train_config(args) -> RetrainingConfig:
    """The run's configuration from parsed settings, validated.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed settings.

    Returns
    -------
    neural.config.RetrainingConfig
        The validated configuration.

    Raises
    ------
    ValueError
        Naming the first bad setting (the configuration's checks, an unavailable device).

    See Also
    --------
    validate.pipeline.train_settings.train_config : the same from a mapping (sweep specs).
    """
    return settings_config({k: v for k, v in vars(args).items() if k in TRAIN_SETTINGS})
