"""A setting of a run configuration, declared once: its type, range, choices and help.

Configuration dataclasses (`neural.config.RetrainingConfig` and its sections,
`validate.pipeline.exact_runs.ExactRunConfig`) carry a `Setting` in the metadata of each field (key
``"setting"``, made by `setting_field`); the command line (`validate.cli`) builds its options from
them and a sweep spec (`validate.sweep.spec`) type-checks its TOML values with them, so a value
range lives in one place. Here, in the torch-free `run_files`, because both `neural` (the
retraining configuration) and `validate` (exact runs, the CLI) use it. No argparse here: the CLI
wraps these checks.
"""
from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields
from typing import Callable

__all__ = ["Setting", "at_least", "default_of", "finite", "fraction", "positive", "setting_field",
           "settings_of", "validate_settings"]


def at_least(lo: int) -> Callable[[str, int], None]:
    """The check "an integer >= lo".

    Parameters
    ----------
    lo : int
        The smallest allowed value.

    Returns
    -------
    callable
        ``check(name, value)``, raising ValueError naming `name`.
    """
    def check(name: str, value) -> None:
        if isinstance(value, bool) or not (math.isfinite(value) and value >= lo and value == math.floor(value)):
            wanted = "a non-negative integer" if lo == 0 else f"an integer >= {lo}"
            raise ValueError(f"{name} must be {wanted}, got {value!r}")
    return check


def positive(name: str, value) -> None:
    """A finite number > 0 (times, bandwidths); ValueError naming `name` otherwise."""
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value:g}")


def finite(name: str, value) -> None:
    """Any finite number (slopes, biases); ValueError naming `name` otherwise."""
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value:g}")


def fraction(name: str, value) -> None:
    """A number in [0, 1] (alpha); ValueError naming `name` otherwise."""
    if not 0.0 <= value <= 1.0:   # NaN fails too
        raise ValueError(f"{name} must be in [0, 1], got {value:g}")


@dataclass(frozen=True)
class Setting:
    """Type, range and help of one setting.

    Parameters
    ----------
    scalar : type
        float, int, str, bool or dict (a free table): the type of the value (of each item of a list).
    check : callable or None
        ``check(name, value)`` raising ValueError naming the setting (a range); None: any value.
    choices : tuple or None
        The allowed values (of each item of a list).
    nargs : str or None
        None for one value, "+" for a non-empty list, "*" for a possibly empty list.
    optional : bool
        None is allowed (the setting is absent).
    help : str
        One line for the command line's help.
    """

    scalar: type
    check: Callable | None = None
    choices: tuple | None = None
    nargs: str | None = None
    optional: bool = False
    help: str = ""

    def validate(self, name: str, value) -> None:
        """Raise ValueError naming `name` unless `value` is of this setting's type, range and choices.

        Parameters
        ----------
        name : str
            The setting's name, used in the message.
        value : object
            The value (a list when `nargs` is set).

        Raises
        ------
        ValueError
            The first item that is of the wrong type, outside the range or not a choice.
        """
        if value is None:
            if not self.optional:
                raise ValueError(f"{name} must be given, got None")
            return
        if self.nargs is None:
            self.check_item(name, value)
            return
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{name} must be a list, got {value!r}")
        if self.nargs == "+" and not value:
            raise ValueError(f"{name} must hold at least one value")
        outside = [item for item in value if self.choices is not None and item not in self.choices]
        if outside:
            raise ValueError(f"{name} must be among {', '.join(map(str, self.choices))}, got {outside}")
        for item in value:
            self.check_item(name, item)

    def check_item(self, name: str, value) -> None:
        """Raise ValueError naming `name` unless `value` (one item) is of this setting's scalar type,
        choices and range."""
        if self.scalar is bool:
            ok = isinstance(value, bool)
        elif self.scalar is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif self.scalar is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        else:
            ok = isinstance(value, self.scalar)
        if not ok:
            raise ValueError(f"{name} must be of type {self.scalar.__name__}, got {value!r}")
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"{name} must be one of {', '.join(map(str, self.choices))}, got {value!r}")
        if self.check is not None:
            self.check(name, value)


def setting_field(default, setting: Setting, factory=None):
    """A dataclass field with its `Setting` in the metadata.

    Parameters
    ----------
    default : object
        The default (immutable: a number, a string, a tuple, None); ignored when `factory` is given.
    setting : Setting
        Type, range, choices and help.
    factory : callable or None
        A default factory (for a free table, ``dict``).

    Returns
    -------
    dataclasses.Field
    """
    if factory is not None:
        return field(default_factory=factory, metadata={"setting": setting})
    return field(default=default, metadata={"setting": setting})


def default_of(f):
    """The default of a dataclass field (calling its factory), or None when it has none."""
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return None


def settings_of(config_type) -> dict[str, Setting]:
    """field name -> `Setting` of a configuration dataclass (the fields that declare one).

    Parameters
    ----------
    config_type : type
        A dataclass whose fields carry ``metadata={"setting": Setting(...)}``.

    Returns
    -------
    dict
        In field order.
    """
    return {f.name: f.metadata["setting"] for f in fields(config_type) if "setting" in f.metadata}


def validate_settings(config) -> None:
    """Check every field of a configuration dataclass instance against its `Setting`.

    Parameters
    ----------
    config : dataclass instance
        The configuration.

    Raises
    ------
    ValueError
        Naming the first bad field.
    """
    for name, setting in settings_of(type(config)).items():
        setting.validate(name, getattr(config, name))
