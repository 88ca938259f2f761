"""The sweep spec: a TOML file (standard-library `tomllib`) expanded into one run per combination.

Layout of a spec::

    [run]                      # fixed `collapse train` settings (long option names, underscores)
    target = "gmm"
    model = "mlp"
    generations = 2
    [run.learner]              # optional: a section's settings in its own table (the same keys)
    lr = 1e-3
    hidden = 64
    [run.model_kw]             # a table-valued setting (the learner's other keywords)
    dropout = 0.0
    [axes]                     # lists crossed with each other: one train run per combination
    alpha = [0.1, 0.9]
    seed = [0, 1]

    [exact]                    # optional: exact-Gaussian runs (`collapse exact` settings)
    dim = 3
    generations = 4
    [exact.axes]
    alpha = [0.1, 0.9]

A user's learner: ``model = "mypkg.mymod:make_learner"`` (importable by the runs) with its settings in
a ``[run.model_kw]`` table (neural/learner_factory.py).

Train runs exist when `[run]` or `[axes]` is present, exact runs when `[exact]` is. The keys are
the settings of the configuration objects, not of the command line: a train run's are
`validate.pipeline.train_settings.TRAIN_SETTINGS` (every field of `neural.config.RetrainingConfig`
and its sections, so every `collapse train` option), flat in `[run]` / `[axes]` or inside the
sections' sub-tables `[run.learner]`, `[run.schedule]`, `[run.pipeline]`, `[run.evaluation]` (and
`[axes.<section>]`): a setting's name is unique, so the two spellings are the same run; the free
tables `model_kw`, `target_kw`, `injected_error` are TOML tables (`[run.model_kw]`). An exact run's
the fields of `validate.pipeline.exact_runs.ExactRunConfig`, with one `alpha` (a number) for its
`alphas`. Values are checked against the setting's type, choices and range, then every combination
is checked as the configuration checks it (`RetrainingConfig.validate`, `ExactRunConfig`), so a
malformed spec is refused before anything is written, with one line naming the table and the key.

Identity: a run's directory is `<readable prefix>-<hash>`, the prefix from the target, the model and
the axis values, the hash the first 10 hex digits of SHA-256 over its kind and full configuration
minus the keys a resume may change (`generations`, `device`, as `neural.run_store.RunStore.open`
allows): a longer run of the same configuration extends the shorter one in the same directory.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser from the `tomli` package (a dependency there)
    import tomli as tomllib

from validate.pipeline.exact_runs import ExactRunConfig
from validate.pipeline.train_settings import (SECTION_NAMES, SETTING_SECTIONS, TRAIN_SETTINGS, train_config,
                                              train_defaults)
from validate.settings import Setting, fraction, settings_of

KINDS = ("train", "exact")
TOP_LEVEL = ("run", "axes", "exact")
SWEEP_OWNED = {"train": ("out", "quiet"), "exact": ("format", "plot", "out")}
IDENTITY_EXCLUDES = ("generations", "device")  # the keys `RunStore.open` lets a resume change
HASH_DIGITS = 10
PREFIX_MAX = 80
DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda|cuda:\d+)$")


class SweepError(ValueError):
    """A sweep that cannot start as given (spec, options, cluster): one line for the CLI."""


class SpecError(SweepError):
    """A malformed sweep spec: the message is one line naming the file, the table and the key."""


@dataclass
class SweepRun:
    """One run of a sweep: `kind` ("train" or "exact"), the `axes` values that pick it out, its full
    `config` (train: `RetrainingConfig.to_json()`; exact: every `collapse exact` setting), its
    identity `digest` and directory `name`.

    Parameters
    ----------
    name : str
        Directory name (prefix and digest).
    kind : str
        "train" or "exact".
    axes : dict
        The axis values of this run.
    config : dict
        Its full configuration.
    digest : str
        Its identity hash (`run_digest`).
    """

    name: str
    kind: str
    axes: dict
    config: dict
    digest: str

    def to_json(self) -> dict:
        """The run as a JSON-ready dict.

        Returns
        -------
        dict
            The five fields.
        """
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict) -> "SweepRun":
        """The run from its `to_json` dict.

        Parameters
        ----------
        obj : dict
            A dict written by `to_json` (extra keys ignored).

        Returns
        -------
        SweepRun
            The run.

        Raises
        ------
        KeyError
            If a field is missing.
        """
        return cls(**{k: obj[k] for k in ("name", "kind", "axes", "config", "digest")})


@dataclass
class SweepSpec:
    """A parsed spec: per kind, the fixed settings and the axes (insertion order kept).

    Parameters
    ----------
    source : str
        Name used in error messages (the file name).
    fixed : dict
        kind -> {key: value}, the fixed settings.
    axes : dict
        kind -> {key: [values]}, the axes.
    text : str
        The TOML text.
    """

    source: str
    fixed: dict = field(default_factory=dict)  # kind -> {key: value}
    axes: dict = field(default_factory=dict)  # kind -> {key: [values]}
    text: str = ""

    def runs(self) -> list[SweepRun]:
        """Every combination of every kind, validated (see `expand`).

        Returns
        -------
        list of SweepRun
            The runs.

        Raises
        ------
        SpecError
            As `expand`.
        """
        return expand(self)


# ----- the settings of the two kinds of run ------------------------------------------------------
def _settings(kind: str) -> dict[str, Setting]:
    """key -> `Setting` of a train run (`validate.pipeline.train_settings`) or an exact run (the
    fields of `ExactRunConfig`, one `alpha` instead of `alphas`)."""
    if kind == "train":
        return dict(TRAIN_SETTINGS)
    exact = settings_of(ExactRunConfig)
    del exact["alphas"]
    return {"alpha": Setting(float, fraction, help="the run's fresh-data fraction"), **exact}


def _defaults(kind: str) -> dict:
    if kind == "train":
        return train_defaults()
    return {"alpha": None, **{f.name: f.default for f in fields(ExactRunConfig) if f.name != "alphas"}}


def _where(kind: str, table: str) -> str:
    return f"[{table}]" if kind == "train" else ("[exact]" if table == "run" else "[exact.axes]")


def _coerce(value, setting: Setting, key: str, where: str):
    """The TOML value as the setting's type; SpecError naming the key otherwise."""
    if setting.scalar is dict:
        if not isinstance(value, dict):
            raise SpecError(f"{where} {key}: expected a table, got {value!r}")
        return dict(value)
    if setting.scalar is bool:
        if not isinstance(value, bool):
            raise SpecError(f"{where} {key}: expected true or false, got {value!r}")
        return value
    if setting.nargs in ("+", "*"):
        if not isinstance(value, list):
            raise SpecError(f"{where} {key}: expected a list, got {value!r}")
        if setting.nargs == "+" and not value:
            raise SpecError(f"{where} {key}: expected a non-empty list")
        return [_coerce_scalar(v, setting, key, where) for v in value]
    return _coerce_scalar(value, setting, key, where)


def _coerce_scalar(value, setting: Setting, key: str, where: str):
    """The value as the setting's scalar (float, int or str), in its choices and range."""
    scalar, choices = setting.scalar, setting.choices
    if scalar is dict:
        if not isinstance(value, dict):
            raise SpecError(f"{where} {key}: expected a table, got {value!r}")
    elif scalar is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"{where} {key}: expected a number, got {value!r}")
        value = float(value)
    elif scalar is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(f"{where} {key}: expected an integer, got {value!r}")
    elif not isinstance(value, str):
        raise SpecError(f"{where} {key}: expected a string, got {value!r}")
    if choices is not None and value not in choices:
        raise SpecError(f"{where} {key}: must be one of {', '.join(map(str, choices))}, got {value!r}")
    if setting.check is not None:
        try:
            setting.check(key, value)
        except ValueError as exc:
            raise SpecError(f"{where} {key}: {exc}") from None
    return value


# ----- parsing ------------------------------------------------------------------------------------
def parse_spec(text: str, source: str = "spec") -> SweepSpec:
    """Parse and type-check a spec (module docstring).

    Parameters
    ----------
    text : str
        The TOML text.
    source : str
        The name used in error messages (the file name).

    Returns
    -------
    SweepSpec

    Raises
    ------
    SpecError
        Not TOML, an unknown table or key, an axis that is not a non-empty list of distinct values, a
        key both fixed and an axis, a value of the wrong type or outside the option's choices, or a
        combination the command itself refuses; one line naming the key.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: not valid TOML ({exc})") from None
    unknown = [k for k in doc if k not in TOP_LEVEL]
    if unknown:
        raise SpecError(f"{source}: unknown table or key {unknown[0]!r}; a spec holds [run], [axes] and [exact]")
    spec = SweepSpec(source=source, text=text)
    tables = {}
    if "run" in doc or "axes" in doc:
        tables["train"] = (doc.get("run", {}), doc.get("axes", {}))
    if "exact" in doc:
        exact = doc["exact"]
        if not isinstance(exact, dict):
            raise SpecError(f"{source}: [exact] must be a table, got {exact!r}")
        tables["exact"] = ({k: v for k, v in exact.items() if k != "axes"}, exact.get("axes", {}))
    if not tables:
        raise SpecError(f"{source}: the spec holds no run: give [run] and [axes] (train runs) or [exact]")
    for kind, (fixed, axes) in tables.items():
        spec.fixed[kind], spec.axes[kind] = _parse_tables(kind, fixed, axes, source)
    expand(spec)  # every combination checked now, before anything is written
    return spec


def _flatten_sections(content: dict, table: str, source: str) -> dict:
    """A train table's settings with the sections' sub-tables (``[run.learner]``, ``[axes.schedule]``)
    merged in: every setting's name is unique, so ``[run.learner] lr`` is ``[run] lr``."""
    out = {k: v for k, v in content.items() if k not in SECTION_NAMES}
    for section in SECTION_NAMES:
        if section not in content:
            continue
        where = f"{source}: [{table}.{section}]"
        if not isinstance(content[section], dict):
            raise SpecError(f"{where} must be a table, got {content[section]!r}")
        for key, value in content[section].items():
            if SETTING_SECTIONS.get(key) != section:
                allowed = ", ".join(k for k, v in SETTING_SECTIONS.items() if v == section)
                raise SpecError(f"{where} unknown key {key!r}; allowed: {allowed}")
            if key in out:
                raise SpecError(f"{where} {key}: also set in [{table}]; give it in one table")
            out[key] = value
    return out


def _parse_tables(kind: str, fixed, axes, source: str):
    options = _settings(kind)
    allowed = ", ".join(sorted(options))
    out_fixed, out_axes = {}, {}
    for table, content in (("run", fixed), ("axes", axes)):
        where = f"{source}: {_where(kind, table)}"
        if not isinstance(content, dict):
            raise SpecError(f"{where} must be a table, got {content!r}")
        if kind == "train":
            content = _flatten_sections(content, table, source)
        for key, value in content.items():
            if key in SWEEP_OWNED[kind]:
                raise SpecError(f"{where} {key}: set by `collapse sweep`, not by the spec")
            if key not in options:
                raise SpecError(f"{where} unknown key {key!r}; allowed: {allowed}")
            if table == "run":
                out_fixed[key] = _coerce(value, options[key], key, where)
                continue
            if key in out_fixed:
                raise SpecError(f"{where} {key}: also set in {_where(kind, 'run')}; give it in one table")
            if not isinstance(value, list):
                raise SpecError(f"{where} {key}: an axis is a list of values, got {value!r}")
            if not value:
                raise SpecError(f"{where} {key}: empty axis; give at least one value")
            values = [_coerce(v, options[key], key, where) for v in value]
            seen = set()
            for v in values:
                token = json.dumps(v)
                if token in seen:
                    raise SpecError(f"{where} {key}: the value {v!r} appears twice")
                seen.add(token)
            out_axes[key] = values
    return out_fixed, out_axes


def load_spec(path) -> SweepSpec:
    """`parse_spec` of a file; SpecError (one line) when it does not exist.

    Parameters
    ----------
    path : str or path-like
        The TOML file.

    Returns
    -------
    SweepSpec
        The parsed spec.

    Raises
    ------
    SpecError
        If the file does not exist, or as `parse_spec`.
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"sweep spec {str(path)!r} not found")
    return parse_spec(path.read_text(), source=path.name)


# ----- expansion ----------------------------------------------------------------------------------
def expand(spec: SweepSpec) -> list[SweepRun]:
    """One `SweepRun` per combination of the axes of each kind (first axis slowest), each checked as
    `collapse train` / `collapse exact` would check it.

    Parameters
    ----------
    spec : SweepSpec
        The parsed spec.

    Returns
    -------
    list of SweepRun
        The runs, kind by kind.

    Raises
    ------
    SpecError
        A combination the command refuses (e.g. alpha outside [0, 1]), naming the key; or two runs of
        the same identity.
    """
    runs, names = [], {}
    for kind in KINDS:
        if kind not in spec.fixed:
            continue
        fixed, axes = spec.fixed[kind], spec.axes[kind]
        keys, defaults = list(axes), _defaults(kind)
        for combo in itertools.product(*(axes[k] for k in keys)):
            values = dict(zip(keys, combo))
            settings = {**defaults, **fixed, **values}
            try:
                config = _train_config(settings) if kind == "train" else _exact_config(settings)
            except ValueError as exc:
                raise SpecError(_locate(spec.source, kind, str(exc), fixed, values)) from None
            digest = run_digest(kind, config)
            run = SweepRun(name=f"{_prefix(kind, config, values)}-{digest}", kind=kind, axes=values,
                           config=config, digest=digest)
            if run.name in names:
                raise SpecError(f"{spec.source}: {_where(kind, 'axes')} the combinations {names[run.name]} and "
                                f"{values} give the same run")
            names[run.name] = values
            runs.append(run)
    return runs


def _train_config(settings: dict) -> dict:
    device = settings.get("device")
    if not isinstance(device, str) or not DEVICE_PATTERN.match(device.strip().lower()):
        raise ValueError(f"device must be one of auto, cpu, cuda, cuda:N, got {device!r}")
    return train_config(settings).to_json()


def _exact_config(settings: dict) -> dict:
    settings = dict(settings)
    alpha = settings.pop("alpha")
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool):
        raise ValueError(f"alpha of an exact run must be one number (an axis crosses several), got {alpha!r}")
    return ExactRunConfig(alphas=(alpha,), **settings).run_json(alpha)


def _locate(source: str, kind: str, message: str, fixed: dict, values: dict) -> str:
    """'<source>: [axes] alpha: alpha must be ...' with the table that set the key the message names."""
    key = message.split()[0].replace("-", "_") if message else ""
    if key in values:
        where = f"{_where(kind, 'axes')} {key}"
    elif key in fixed:
        where = f"{_where(kind, 'run')} {key}"
    else:
        where = f"{_where(kind, 'run')} (defaults) {key}"
    return f"{source}: {where}: {message}"


def run_digest(kind: str, config: dict) -> str:
    """First HASH_DIGITS hex digits of SHA-256 over the kind and the config minus IDENTITY_EXCLUDES.

    Parameters
    ----------
    kind : str
        "train" or "exact".
    config : dict
        The run's configuration.

    Returns
    -------
    str
        The hex digest.
    """
    identity = {k: v for k, v in config.items() if k not in IDENTITY_EXCLUDES}
    text = json.dumps({"kind": kind, "config": identity}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_DIGITS]


def _token(value) -> str:
    if isinstance(value, list):
        return "-".join(_token(v) for v in value) or "none"
    if isinstance(value, float):
        value = format(value, "g")
    return re.sub(r"[^A-Za-z0-9.+-]", "_", str(value))


def _prefix(kind: str, config: dict, values: dict) -> str:
    head = [config["target"], config["model"]] if kind == "train" else ["exact", f"d{config['dim']}"]
    shown = ("target", "model") if kind == "train" else ("dim",)
    parts = head + [f"{k}_{_token(v)}" for k, v in values.items() if k not in shown]
    return "_".join(_token(p) for p in parts)[:PREFIX_MAX]
