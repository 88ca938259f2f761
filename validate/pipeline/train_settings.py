"""The settings of a recursive retraining run as a flat mapping, generated from the fields of
`neural.config.RetrainingConfig` and its sections, and the configuration built from such a mapping.

A sweep spec's `[run]` keys are these settings (`validate.sweep.spec`, flat or in the sections'
tables); `collapse train`'s options are generated from them (`validate.cli.train_options`), and
both build the configuration with `train_config`. Type, range, choices and help come from each
field's `run_files.settings.Setting`; defaults from the fields. One setting is not a field but a
convenience: `data_dir` (the image targets' files), which goes to `target_kw` of an image target
and is ignored by the others (so a sweep may cross image and other targets under one data_dir).
"""
from __future__ import annotations

from typing import Mapping

from neural.config import SECTIONS, RetrainingConfig, section_of_settings, setting_defaults, setting_fields
from neural.devices import resolve_device
from validate.settings import Setting
from neural.learner_factory import import_factory, is_factory_spec

IMAGE_TARGETS = ("fashion_mnist", "cifar10")
#: settings that are not fields of the configuration
CONVENIENCES = {"data_dir": Setting(str, optional=True, help="directory holding Fashion-MNIST or CIFAR-10 files")}

TRAIN_SETTINGS: dict[str, Setting] = {**{name: f.metadata["setting"] for name, f in setting_fields().items()},
                                      **CONVENIENCES}
#: the table (section) of each setting, for nested sweep specs: learner, schedule, pipeline, evaluation, run
SETTING_SECTIONS: dict[str, str] = {**section_of_settings(), "data_dir": "pipeline"}
SECTION_NAMES = tuple(SECTIONS)


def train_defaults() -> dict:
    """setting -> default (the fields' defaults; None for the conveniences)."""
    return {**setting_defaults(), **{name: None for name in CONVENIENCES}}


def train_config(settings: Mapping) -> RetrainingConfig:
    """The run's configuration from settings (keys of TRAIN_SETTINGS; absent ones take defaults),
    validated, its device resolvable.

    Parameters
    ----------
    settings : mapping
        Setting -> value.

    Returns
    -------
    neural.config.RetrainingConfig
        The validated configuration.

    Raises
    ------
    ValueError
        Naming the first bad setting (an unknown key, the configuration's checks, an unavailable
        device).
    """
    unknown = [k for k in settings if k not in TRAIN_SETTINGS]
    if unknown:
        raise ValueError(f"{unknown[0]} is not a setting of a train run; allowed: {', '.join(TRAIN_SETTINGS)}")
    s = {k: v for k, v in settings.items() if v is not None or TRAIN_SETTINGS[k].optional}
    data_dir, target = s.pop("data_dir", None), s.get("target", train_defaults()["target"])
    if target in IMAGE_TARGETS:   # as config.json has always held it (None: the default location)
        s["target_kw"] = {"data_dir": data_dir, **s.get("target_kw", {})}
    config = RetrainingConfig(**s)
    if is_factory_spec(config.model):   # a user's learner: its module must import before any work
        import_factory(config.model)
    resolve_device(config.device)
    return config
