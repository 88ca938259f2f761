"""The settings of a recursive retraining run as a plain mapping, derived from the fields of
`neural.retraining.RetrainingConfig`, and the configuration built from such a mapping.

A sweep spec's `[run]` keys are these settings; `collapse train` builds its configuration with the
same `train_config`. Ranges are checked by `RetrainingConfig.validate` (called by `train_config`);
the mapping gives each setting its type and choices. Two settings are not fields but conveniences
of the command line: `data_dir` (goes to `target_kw` for the image targets), `train_steps`
(optimizer steps), `parameterization` and `tail_scale` (the MLP's output, THEORY.md section 8 "Tails
decide chi2"), which go to `model_kw`. `model_kw` itself is a table (a sweep spec's ``[run.model_kw]``):
the learner's keyword arguments, e.g. the settings of a user's ``"module:factory"`` learner.
"""
from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Mapping

from neural.devices import resolve_device
from neural.learner_factory import import_factory, is_factory_spec
from neural.learners import PARAMETERIZATIONS
from neural.retraining import DTYPES, EXACT_MODES, METRIC_NAMES, MODES, RetrainingConfig
from validate.settings import Setting, at_least, positive

#: fields that are tables of their own (keyword arguments of the learner, the target, the error)
TABLE_FIELDS = ("target_kw", "model_kw", "injected_error")
#: what the items of the list fields are; the choices of the fields that have them
LIST_ITEMS = {"alpha_schedule": (float, "+"), "t0_schedule": (float, "+"), "metrics": (str, "*")}
CHOICES = {"mode": MODES, "dtype": tuple(DTYPES), "exact": EXACT_MODES, "metrics": METRIC_NAMES}
SCALARS = {"str": str, "int": int, "float": float}
IMAGE_TARGETS = ("fashion_mnist", "cifar10")


def _field_settings() -> dict[str, Setting]:
    out = {}
    for f in fields(RetrainingConfig):
        if f.name in TABLE_FIELDS:
            continue
        kind = str(f.type).split("|")[0].strip()
        scalar, nargs = LIST_ITEMS[f.name] if kind == "list" else (SCALARS[kind], None)
        out[f.name] = Setting(scalar, at_least(0) if f.name == "seed" else None, CHOICES.get(f.name), nargs,
                              optional="None" in str(f.type))
    return out


TRAIN_SETTINGS: dict[str, Setting] = {
    **_field_settings(),
    "data_dir": Setting(str, optional=True, help="directory holding Fashion-MNIST or CIFAR-10 files"),
    "train_steps": Setting(int, at_least(1), optional=True, help="optimizer steps per generation (mlp/unet)"),
    "parameterization": Setting(str, None, PARAMETERIZATIONS, optional=True,
                                help="mlp output: eps (noise prediction) or gaussian_residual (Gaussian tails)"),
    "tail_scale": Setting(float, positive, optional=True, help="tail scale tau of the gaussian_residual mlp"),
    "model_kw": Setting(dict, optional=True, help="keyword arguments of the learner (a user's factory: its settings)"),
}


def train_defaults() -> dict:
    """setting -> default (the field defaults of `RetrainingConfig`; None for the conveniences)."""
    out = {}
    for f in fields(RetrainingConfig):
        if f.name in TRAIN_SETTINGS:
            out[f.name] = f.default if f.default is not MISSING else f.default_factory()
    return {**out, "data_dir": None, "train_steps": None, "parameterization": None, "tail_scale": None,
            "model_kw": None}


def train_config(settings: Mapping) -> RetrainingConfig:
    """The run's configuration from settings (keys of TRAIN_SETTINGS; absent ones take defaults),
    validated, its device resolvable.

    Parameters
    ----------
    settings : mapping
        Setting -> value.

    Returns
    -------
    neural.retraining.RetrainingConfig
        The validated configuration.

    Raises
    ------
    ValueError
        Naming the first bad setting (an unknown key, `RetrainingConfig.validate`, a user's
        ``"module:factory"`` model that does not import, an unavailable device).
    """
    unknown = [k for k in settings if k not in TRAIN_SETTINGS]
    if unknown:
        raise ValueError(f"{unknown[0]} is not a setting of a train run; allowed: {', '.join(TRAIN_SETTINGS)}")
    s = {**train_defaults(), **settings}
    data_dir, train_steps = s.pop("data_dir"), s.pop("train_steps")
    target_kw = {"data_dir": data_dir} if s["target"] in IMAGE_TARGETS else {}
    model_kw = dict(s.pop("model_kw") or {})
    if train_steps and s["model"] != "kde":
        model_kw["steps"] = train_steps
    parameterization, tail_scale = s.pop("parameterization"), s.pop("tail_scale")
    if parameterization is not None:
        if s["model"] != "mlp":
            raise ValueError(f"parameterization needs model mlp, got {s['model']!r}")
        model_kw["parameterization"] = parameterization
    if tail_scale is not None:
        if parameterization != "gaussian_residual":
            raise ValueError("tail_scale needs parameterization gaussian_residual")
        model_kw["tail_scale"] = tail_scale
    config = RetrainingConfig(**{**s, "metrics": list(s["metrics"])}, target_kw=target_kw, model_kw=model_kw)
    config.validate()
    if is_factory_spec(config.model):   # a user's learner: its module must import before any work
        import_factory(config.model)
    resolve_device(config.device)
    return config
