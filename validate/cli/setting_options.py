"""Command-line options generated from configuration settings (`run_files.settings.Setting`):
one option per setting, its type, range check, choices, nargs and help taken from the setting, so no
default or choice is restated in argparse code (`collapse train`, `collapse exact`)."""
from __future__ import annotations

import argparse
import json
from typing import Mapping

from validate.cli.arg_types import typed
from validate.settings import Setting


def option_name(name: str, renamed: Mapping | None = None) -> str:
    """The long option of a setting: ``--eval-paths`` for `eval_paths`, ``--T`` for `T`."""
    return "--" + (renamed or {}).get(name, name).replace("_", "-")


def table(name: str):
    """An argument type: a JSON object (a free table such as ``model_kw``), else a one-line error."""
    def convert(text: str):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            raise argparse.ArgumentTypeError(f"{name} must be a JSON object such as '{{\"key\": 1}}', got {text!r}")
        return value
    convert.__name__ = name
    return convert


def _shown(default) -> str:
    if default is None:
        return "none"
    if isinstance(default, (tuple, list)):
        return " ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in default) or "none"
    if isinstance(default, dict):
        return json.dumps(default) if default else "{}"
    return f"{default:g}" if isinstance(default, float) else str(default)


def add_setting_options(parser: argparse.ArgumentParser, settings: Mapping[str, Setting], defaults: Mapping,
                        keep_defaults: bool = True, renamed: Mapping | None = None) -> None:
    """One option per setting (dest = the setting's name).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser to add the options to.
    settings : mapping of str to Setting
        The settings, in the order of the help.
    defaults : mapping
        setting -> default (shown in the help).
    keep_defaults : bool
        True: an absent option takes its default; False: it is None (the configuration then applies
        its own default).
    renamed : mapping or None
        setting -> option name where they differ (``alphas`` -> ``alpha``).
    """
    for name, setting in settings.items():
        option = option_name(name, renamed)
        label = option[2:]
        default = defaults.get(name)
        kwargs = {"dest": name, "help": f"{setting.help} (default: {_shown(default)})"}
        kwargs["default"] = (list(default) if isinstance(default, tuple) else default) if keep_defaults else None
        if setting.scalar is dict:
            kwargs.update(type=table(label), metavar="JSON")
        elif setting.choices is not None and setting.nargs is not None:
            kwargs["choices"] = setting.choices
        elif setting.choices is not None:   # checked by the setting: "target must be one of ..."
            kwargs.update(type=typed(label, setting.scalar, setting.check_item),
                          metavar="{" + ",".join(map(str, setting.choices)) + "}")
        else:
            kwargs["type"] = typed(label, setting.scalar, setting.check)
        if setting.nargs is not None:
            kwargs.update(nargs=setting.nargs, metavar=label.upper())
        parser.add_argument(option, **kwargs)
