"""The configuration of a recursive retraining run: frozen dataclasses, validated on construction.

`RetrainingConfig` holds four sections and three settings of its own (THEORY.md section 2 for the
loop, section 6 for the paper's protocol):

* `LearnerConfig` -- the score model (`model`: "kde", "mlp", "unet" or a user's "module:factory")
  and its options: the KDE's `bandwidth`; a network's `hidden`, `depth`, `lr`, `train_steps`
  (optimizer steps per generation), `batch_size`, `parameterization`, `tail_scale`; any other
  keyword of the learner in the free table `model_kw`.
* `ScheduleConfig` -- the sampler's time schedule: horizon `T`, truncation time `t0`,
  Euler-Maruyama `steps`, annealed truncation `t0_schedule`.
* `PipelineConfig` -- the retraining loop: `target` (and `target_kw`), `alpha` (and
  `alpha_schedule`), `generations`, `n`, `mode`, `seed`, `injected_error`.
* `EvaluationConfig` -- what is measured: `metrics`, `eval_paths`, `eval_points`, `exact`.
* `device`, `dtype`, `chunk_size`.

Every field carries a `run_files.settings.Setting` (type, range, choices, help) in its metadata:
the command line's options and a sweep spec's keys are generated from them (`validate.cli`,
`validate.sweep`). Every setting's name is unique across the sections, so a run is also written
flat: ``RetrainingConfig(alpha=0.5, lr=1e-3, T=4.0)`` builds the sections, ``config.alpha`` reads
through to `config.pipeline.alpha`, and `to_json` writes the flat mapping that `config.json` has
always held (the network options inside `model_kw`, as before), so run directories written before
the sections existed resume, share generation 0 and reuse fits unchanged. `from_json` reads that
flat mapping or a nested one (``{"learner": {...}, "schedule": {...}, ...}``).

Bad values raise ValueError naming the field and its allowed range.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, fields, replace

import torch

from run_files.settings import (Setting, at_least, default_of, fraction, positive, setting_field, settings_of,
                                validate_settings)
from .grid_exact import grid_exact_supported
from .learners import LEARNER_NAMES, PARAMETERIZATIONS
from .sde import VPSDE
from .targets import TARGET_NAMES, make_target

METRIC_NAMES = ("D_chi2", "D_kl", "I_chi2", "I_kl", "eps2", "epshat2", "eta")
MODES = ("replace", "accumulate")
EXACT_MODES = ("auto", "grid", "off")
INJECTED_TYPES = ("aligned", "random", "time_only")   # neural.error_injection (reconstructed forms)
DTYPES = {"float32": torch.float32, "float64": torch.float64}
#: a user's learner: "package.module:factory" (`model`)
FACTORY_PATTERN = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
#: typed learner options -> their key in the learner's keyword arguments (`model_kw`)
LEARNER_KW = {"hidden": "hidden", "depth": "depth", "lr": "lr", "train_steps": "steps", "batch_size": "batch_size",
              "parameterization": "parameterization", "tail_scale": "tail_scale"}
NETWORK_ONLY = ("lr", "train_steps", "batch_size")
MLP_ONLY = ("hidden", "depth", "parameterization")


def _model_name(name: str, value) -> None:
    if value not in LEARNER_NAMES and not FACTORY_PATTERN.match(value):
        raise ValueError(f"{name} must be one of {', '.join(LEARNER_NAMES)} or 'module:factory', got {value!r}")


def _alpha_item(name: str, value) -> None:
    """An item of alpha_schedule is an alpha: checked and named as one."""
    fraction("alpha", value)


def _freeze(config, name: str) -> None:
    """A list field stored as a tuple (the configuration is immutable)."""
    value = getattr(config, name)
    if isinstance(value, list):
        object.__setattr__(config, name, tuple(value))


@dataclass(frozen=True)
class LearnerConfig:
    """The score model and its options.

    Parameters
    ----------
    model : str
        "kde", "mlp", "unet" (`neural.learners.make_learner`) or "module:factory" (default "kde").
    bandwidth : float > 0
        The KDE's bandwidth h (default 0.6).
    hidden, depth : int >= 1 or None
        The MLP's width and residual blocks (None: the learner's default).
    lr : float > 0 or None
        Adam's learning rate of a network.
    train_steps : int >= 1 or None
        Optimizer steps per generation of a network (``model_kw["steps"]``).
    batch_size : int >= 1 or None
        A network's minibatch size.
    parameterization : str or None
        The MLP's output: "eps" or "gaussian_residual" (THEORY.md section 8 "Tails decide chi2").
    tail_scale : float > 0 or None
        gaussian_residual only: the tail Gaussian's standard deviation (default: the data's).
    model_kw : dict
        Any other keyword of the learner (e.g. the U-Net's ``base_channels``); a typed option given
        here (e.g. ``{"steps": 600}``) moves to its field.

    Raises
    ------
    ValueError
        Naming the first bad field, or an option the model does not take.
    """

    model: str = setting_field("kde", Setting(str, _model_name, help="score model: kde, mlp, unet or module:factory"))
    bandwidth: float = setting_field(0.6, Setting(float, positive, help="KDE bandwidth h"))
    hidden: int | None = setting_field(None, Setting(int, at_least(1), optional=True, help="mlp width"))
    depth: int | None = setting_field(None, Setting(int, at_least(1), optional=True, help="mlp residual blocks"))
    lr: float | None = setting_field(None, Setting(float, positive, optional=True, help="network learning rate (Adam)"))
    train_steps: int | None = setting_field(None, Setting(int, at_least(1), optional=True,
                                                          help="optimizer steps per generation (networks)"))
    batch_size: int | None = setting_field(None, Setting(int, at_least(1), optional=True, help="network minibatch size"))
    parameterization: str | None = setting_field(None, Setting(
        str, None, PARAMETERIZATIONS, optional=True,
        help="mlp output: eps (noise prediction, exponential tails) or gaussian_residual (Gaussian tails)"))
    tail_scale: float | None = setting_field(None, Setting(
        float, positive, optional=True, help="gaussian_residual: the tail Gaussian's standard deviation (none: the data's)"))
    model_kw: dict = setting_field(None, Setting(dict, help="other keyword arguments of the learner (a table)"), factory=dict)

    def __post_init__(self):
        if not isinstance(self.model_kw, dict):
            raise ValueError(f"model_kw must be a table (dict), got {self.model_kw!r}")
        free = dict(self.model_kw)
        for name, key in LEARNER_KW.items():
            if key in free:
                value = free.pop(key)
                if getattr(self, name) not in (None, value):
                    raise ValueError(f"{name} is given twice: {getattr(self, name)!r} and model_kw[{key!r}] = {value!r}")
                object.__setattr__(self, name, value)
        object.__setattr__(self, "model_kw", free)
        validate_settings(self)
        for name in NETWORK_ONLY + MLP_ONLY:
            if getattr(self, name) is None:
                continue
            if self.model == "kde" or (name in MLP_ONLY and self.model == "unet"):
                wanted = "a network model" if name in NETWORK_ONLY else "model mlp"
                raise ValueError(f"{name} needs {wanted}, got model {self.model!r}")
        if self.tail_scale is not None and self.parameterization != "gaussian_residual":
            raise ValueError("tail_scale needs parameterization gaussian_residual")

    def learner_kw(self) -> dict:
        """The learner's keyword arguments: the typed options that are set, then `model_kw` (the
        ``model_kw`` of `config.json`)."""
        typed = {key: getattr(self, name) for name, key in LEARNER_KW.items() if getattr(self, name) is not None}
        return {**typed, **self.model_kw}


@dataclass(frozen=True)
class ScheduleConfig:
    """The sampler's time schedule (THEORY.md section 2; annealed truncation section 5).

    Parameters
    ----------
    T : float > 0
        Horizon (default 4).
    t0 : float in (0, T)
        Early-stopping time (default 0.02).
    steps : int >= 1
        Euler-Maruyama steps of sampling and of the path metrics (default 50).
    t0_schedule : tuple of float in (0, T), or None
        t0 of generations 0, 1, ... (last repeated).

    Raises
    ------
    ValueError
        Naming the first bad field.
    """

    T: float = setting_field(4.0, Setting(float, positive, help="horizon T of the forward SDE"))
    t0: float = setting_field(0.02, Setting(float, positive, help="truncation (early-stopping) time t0 in (0, T)"))
    steps: int = setting_field(50, Setting(int, at_least(1), help="Euler-Maruyama steps T -> t0"))
    t0_schedule: tuple | None = setting_field(None, Setting(
        float, positive, nargs="+", optional=True,
        help="t0 for generations 0, 1, ... (last value repeated): annealed truncation (THEORY.md section 5)"))

    def __post_init__(self):
        _freeze(self, "t0_schedule")
        validate_settings(self)
        VPSDE(self.T, self.t0)
        for t in self.t0_schedule or ():
            if not t < self.T:
                raise ValueError(f"t0_schedule values must be in (0, T) = (0, {self.T}), got {t!r}")


def _injected_error(name: str, spec) -> None:
    if spec.get("type") not in INJECTED_TYPES or isinstance(spec.get("size"), bool) or \
            not isinstance(spec.get("size"), (int, float)) or not abs(spec["size"]) < float("inf"):
        raise ValueError(f"{name} must be {{'type': one of {INJECTED_TYPES}, 'size': a finite number}}, got {spec!r}")


@dataclass(frozen=True)
class PipelineConfig:
    """The retraining loop (THEORY.md section 2).

    Parameters
    ----------
    target : str
        A name of ``TARGET_NAMES`` (default "gmm", the paper's 10-D mixture).
    target_kw : dict
        Keyword arguments of `make_target`.
    alpha : float in [0, 1]
        Fraction of fresh data (default 0.5).
    alpha_schedule : tuple of float in [0, 1], or None
        alpha of generations 1, 2, ... (last repeated).
    generations : int >= 1
        Number of generations (default 3).
    n : int >= 2
        Training-set size per generation (default 512).
    mode : str
        "replace" or "accumulate" (default "replace").
    seed : int >= 0
        Run seed (default 0).
    injected_error : dict or None
        ``{"type": one of INJECTED_TYPES, "size": w}``, added to the learned score.

    Raises
    ------
    ValueError
        Naming the first bad field.
    """

    target: str = setting_field("gmm", Setting(str, None, TARGET_NAMES, help="target law (gmm: the paper's 10-D mixture)"))
    target_kw: dict = setting_field(None, Setting(dict, help="keyword arguments of the target (a table)"), factory=dict)
    alpha: float = setting_field(0.5, Setting(float, fraction, help="fresh-data fraction in [0, 1]"))
    alpha_schedule: tuple | None = setting_field(None, Setting(
        float, _alpha_item, nargs="+", optional=True, help="alpha for generations 1, 2, ... (last value repeated); overrides alpha"))
    generations: int = setting_field(3, Setting(int, at_least(1), help="number of generations"))
    n: int = setting_field(512, Setting(int, at_least(2), help="training-set size per generation"))
    mode: str = setting_field("replace", Setting(str, None, MODES, help="replace or accumulate past data"))
    seed: int = setting_field(0, Setting(int, at_least(0), help="run seed"))
    injected_error: dict | None = setting_field(None, Setting(
        dict, _injected_error, optional=True, help="score error added to the learned score: {type, size} (a table)"))

    def __post_init__(self):
        _freeze(self, "alpha_schedule")
        validate_settings(self)


@dataclass(frozen=True)
class EvaluationConfig:
    """What each generation measures.

    Parameters
    ----------
    metrics : tuple of str
        Names of ``METRIC_NAMES`` to compute (default none).
    eval_paths : int >= 1
        Simulated paths for eps2, epshat2 and eta (the paper: 50,000; default 1000).
    eval_points : int >= 1
        Draws for D and I and the W2 subset (default 1000).
    exact : str
        "auto", "grid" or "off": exact grid laws (THEORY.md section 7).

    Raises
    ------
    ValueError
        Naming the first bad field.
    """

    metrics: tuple = setting_field((), Setting(str, None, METRIC_NAMES, nargs="*",
                                               help="expensive metrics to compute"))
    eval_paths: int = setting_field(1000, Setting(int, at_least(1), help="simulated paths for eps2/epshat2/eta"))
    eval_points: int = setting_field(1000, Setting(int, at_least(1), help="draws for D/I and the W2 subset"))
    exact: str = setting_field("auto", Setting(
        str, None, EXACT_MODES, help="exact grid laws: grid = required (Gaussian mixtures of dimension <= 2), "
        "auto = grid when possible, off = the sample-based estimators"))

    def __post_init__(self):
        _freeze(self, "metrics")
        validate_settings(self)


SECTIONS = {"learner": LearnerConfig, "schedule": ScheduleConfig, "pipeline": PipelineConfig,
            "evaluation": EvaluationConfig}


def _device(name: str, value) -> None:
    if not re.match(r"^(auto|cpu|cuda|cuda:\d+)$", value.strip().lower()):
        raise ValueError(f"{name} must be one of auto, cpu, cuda, cuda:N, got {value!r}")


@dataclass(frozen=True, init=False)
class RetrainingConfig:
    """One recursive run (module docstring): four sections and the device, dtype and chunk size.

    Built from sections, from flat settings (``RetrainingConfig(alpha=0.1, lr=1e-3)``), or both
    (flat settings override the sections' values); a section may also be given as a dict of its
    settings. Flat names read through: ``config.alpha is config.pipeline.alpha``, and
    ``config.model_kw`` is the learner's full keyword arguments (`LearnerConfig.learner_kw`).

    Parameters
    ----------
    learner, schedule, pipeline, evaluation : section, dict or None
        The sections (None: defaults).
    device : str
        "auto", "cpu", "cuda" or "cuda:N" (default "auto").
    dtype : str
        A key of ``DTYPES``: data, samples and the sampler (metrics run in float64; default "float32").
    chunk_size : int >= 1 or None
        Rows per score call in the samplers (bounds memory).
    **flat
        Settings of the sections by name.

    Raises
    ------
    ValueError
        An unknown setting, or naming the first bad field; "grid" exact laws on a target without
        them.
    """

    learner: LearnerConfig
    schedule: ScheduleConfig
    pipeline: PipelineConfig
    evaluation: EvaluationConfig
    device: str = setting_field("auto", Setting(str, _device, help="auto (CUDA when present), cpu, cuda, cuda:N"))
    dtype: str = setting_field("float32", Setting(str, None, tuple(DTYPES),
                                                  help="dtype of data, samples and the sampler (metrics run in float64)"))
    chunk_size: int | None = setting_field(None, Setting(int, at_least(1), optional=True,
                                                         help="rows per score call (bounds memory)"))

    def __init__(self, learner=None, schedule=None, pipeline=None, evaluation=None, device="auto", dtype="float32",
                 chunk_size=None, **flat):
        given = {"learner": learner, "schedule": schedule, "pipeline": pipeline, "evaluation": evaluation}
        owner = section_of_settings()
        unknown = [k for k in flat if k not in owner]
        if unknown:
            raise ValueError(f"{unknown[0]} is not a setting of a retraining run; allowed: {', '.join(flat_settings())}")
        for name, cls in SECTIONS.items():
            section = given[name]
            mine = {k: v for k, v in flat.items() if owner[k] == name}
            if isinstance(section, dict):
                section, mine = None, {**section, **mine}
            if section is None:
                section = cls(**mine)
            elif not isinstance(section, cls):
                raise ValueError(f"{name} must be a {cls.__name__} or a table, got {type(section).__name__}")
            elif mine:
                section = replace(section, **mine)
            object.__setattr__(self, name, section)
        object.__setattr__(self, "device", device)
        object.__setattr__(self, "dtype", dtype)
        object.__setattr__(self, "chunk_size", chunk_size)
        self.__post_init__()

    def __post_init__(self):
        validate_settings(self)
        if self.exact == "grid" and not grid_exact_supported(make_target(self.target, **self.target_kw)):
            raise ValueError(f"exact='grid' needs a Gaussian-mixture target of dimension <= 2, got {self.target!r}")

    def __getattr__(self, name):
        """Flat read-through: a setting of a section by its name."""
        if name == "model_kw":
            return self.learner.learner_kw()
        section = section_of_settings().get(name)
        if section is None or section not in SECTIONS:
            raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")
        return getattr(object.__getattribute__(self, section), name)

    def validate(self) -> None:
        """Nothing left to check: a RetrainingConfig is validated when built (kept for callers)."""

    def replace(self, **changes) -> "RetrainingConfig":
        """A copy with flat settings changed (validated)."""
        return RetrainingConfig(**{**self.settings(), **changes})

    def settings(self) -> dict:
        """Every setting by its name (`setting_fields`; ``model_kw`` the free table only)."""
        return {name: getattr(self.learner, name) if section == "learner" else getattr(self, name)
                for name, section in section_of_settings().items()}

    def uses_exact_grid(self, target) -> bool:
        """Whether the run takes exact grid laws (neural/grid_exact.py): `exact` is "grid", or
        "auto" on a target the grid engine holds (a Gaussian mixture of dimension <= 2).

        Parameters
        ----------
        target : object
            The run's target (`make_target(self.target, **self.target_kw)`).

        Returns
        -------
        bool
        """
        return self.exact == "grid" or (self.exact == "auto" and grid_exact_supported(target))

    def alpha_at(self, g: int) -> float:
        """alpha_g: the schedule's (g-1)-th value (last repeated), else `alpha` (g = 0: the
        schedule's first value)."""
        schedule = self.pipeline.alpha_schedule
        if not schedule or g == 0:
            return float(self.alpha if not schedule else schedule[0])
        return float(schedule[min(g, len(schedule)) - 1])

    def t0_at(self, g: int) -> float:
        """t0 of generation g: `t0_schedule[g]` (last value repeated), else `t0`."""
        schedule = self.schedule.t0_schedule
        if not schedule:
            return float(self.t0)
        return float(schedule[min(g, len(schedule) - 1)])

    def to_json(self) -> dict:
        """The flat mapping of `config.json`: every setting by name, lists as lists, the network
        options inside ``model_kw`` (the format run directories have always held)."""
        out = {}
        for name in section_of_settings():
            if name in LEARNER_KW:   # inside model_kw
                continue
            value = getattr(self, name)   # model_kw: the learner's full keyword arguments
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    def to_nested_json(self) -> dict:
        """The sections as nested mappings (``{"learner": {...}, ..., "device": ...}``)."""
        out = {}
        for name in SECTIONS:
            section = getattr(self, name)
            out[name] = {f.name: list(v) if isinstance(v := getattr(section, f.name), tuple) else v
                         for f in fields(section)}
        return {**out, "device": self.device, "dtype": self.dtype, "chunk_size": self.chunk_size}

    @classmethod
    def from_json(cls, obj: dict) -> "RetrainingConfig":
        """The configuration of a `to_json` (flat) or `to_nested_json` mapping.

        Raises
        ------
        ValueError
            An unknown key, or as the constructor.
        """
        return cls(**obj)


def flat_settings() -> dict[str, str]:
    """setting name -> the section holding it ("learner", ..., or "run" for device, dtype, chunk_size),
    in declaration order."""
    out = {}
    for name, cls in SECTIONS.items():
        out.update({f.name: name for f in fields(cls)})
    out.update({name: "run" for name in settings_of(RetrainingConfig)})
    return out


@functools.cache
def section_of_settings() -> dict[str, str]:
    """`flat_settings`, computed once (do not modify the returned mapping)."""
    return flat_settings()


def setting_fields() -> dict:
    """setting name -> its dataclass field (type, default, `Setting` metadata), in declaration
    order: what the command line and sweep specs are generated from."""
    out = {}
    for cls in list(SECTIONS.values()) + [RetrainingConfig]:
        out.update({f.name: f for f in fields(cls) if "setting" in f.metadata})
    return out


def setting_defaults() -> dict:
    """setting name -> default (the fields' defaults)."""
    return {name: default_of(f) for name, f in setting_fields().items()}
