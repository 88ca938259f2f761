"""The sweep spec: a TOML file (standard-library `tomllib`) expanded into one run per combination.

Layout of a spec::

    [run]                      # fixed `collapse train` settings (long option names, underscores)
    target = "gmm"
    model = "kde"
    generations = 2
    [axes]                     # lists crossed with each other: one train run per combination
    alpha = [0.1, 0.9]
    seed = [0, 1]

    [exact]                    # optional: exact-Gaussian runs (`collapse exact` settings)
    dim = 3
    generations = 4
    [exact.axes]
    alpha = [0.1, 0.9]

Train runs exist when `[run]` or `[axes]` is present, exact runs when `[exact]` is. Every key is an
option of `collapse train` (resp. `collapse exact`) with `-` written `_`, minus the ones the sweep
owns (`out`, `quiet`; `format`, `plot`); an exact run has one `alpha` (a number), not a list.
Values are checked against the option's type and choices, then every combination is checked as the
command would check it (`RetrainingConfig.validate`, `exact_options.check_exact_args`), so a malformed spec is
refused before anything is written, with one line naming the table and the key.

Identity: a run's directory is `<readable prefix>-<hash>`, the prefix from the target, the model and
the axis values, the hash the first 10 hex digits of SHA-256 over its kind and full configuration
minus the keys a resume may change (`generations`, `device`, as `neural.run_store.RunStore.open`
allows): a longer run of the same configuration extends the shorter one in the same directory.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser from the `tomli` package (a dependency there)
    import tomli as tomllib

from validate.cli.exact_options import add_exact_arguments, check_exact_args
from validate.cli.train_options import add_train_arguments, train_config

KINDS = ("train", "exact")
TOP_LEVEL = ("run", "axes", "exact")
SWEEP_OWNED = {"train": ("out", "quiet"), "exact": ("format", "plot")}
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


# ----- the options of the two commands --------------------------------------------------------------
def _options(kind: str) -> dict:
    """dest -> argparse action of `collapse train` / `collapse exact`, minus the sweep-owned ones."""
    parser = argparse.ArgumentParser(add_help=False)
    (add_train_arguments if kind == "train" else add_exact_arguments)(parser)
    return {a.dest: a for a in parser._actions if a.dest not in SWEEP_OWNED[kind]}


def _defaults(kind: str) -> dict:
    return {dest: action.default for dest, action in _options(kind).items()}


def _where(kind: str, table: str) -> str:
    return f"[{table}]" if kind == "train" else ("[exact]" if table == "run" else "[exact.axes]")


def _coerce(value, action, key: str, where: str, kind: str):
    """The TOML value as the option's type; SpecError naming the key otherwise."""
    scalar = action.type
    if kind == "exact" and key == "alpha":  # one alpha per exact run; the sweep crosses them
        return _coerce_scalar(value, float, None, key, where)
    if isinstance(action, argparse._StoreTrueAction):
        if not isinstance(value, bool):
            raise SpecError(f"{where} {key}: expected true or false, got {value!r}")
        return value
    if action.nargs in ("+", "*"):
        if not isinstance(value, list):
            raise SpecError(f"{where} {key}: expected a list, got {value!r}")
        if action.nargs == "+" and not value:
            raise SpecError(f"{where} {key}: expected a non-empty list")
        return [_coerce_scalar(v, scalar, action.choices, key, where) for v in value]
    if value is None:
        return None
    return _coerce_scalar(value, scalar, action.choices, key, where)


def _coerce_scalar(value, scalar, choices, key: str, where: str):
    """The value as `scalar` (float, int, str or a `validate.cli.arg_types` type, whose range is checked)."""
    if hasattr(scalar, "scalar"):
        value = _coerce_scalar(value, scalar.scalar, choices, key, where)
        try:
            scalar.check(value)
        except ValueError as exc:
            raise SpecError(f"{where} {key}: {exc}") from None
        return value
    if scalar is float:
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


def _parse_tables(kind: str, fixed, axes, source: str):
    options = _options(kind)
    allowed = ", ".join(sorted(options))
    out_fixed, out_axes = {}, {}
    for table, content in (("run", fixed), ("axes", axes)):
        where = f"{source}: {_where(kind, table)}"
        if not isinstance(content, dict):
            raise SpecError(f"{where} must be a table, got {content!r}")
        for key, value in content.items():
            if key in SWEEP_OWNED[kind]:
                raise SpecError(f"{where} {key}: set by `collapse sweep`, not by the spec")
            if key not in options:
                raise SpecError(f"{where} unknown key {key!r}; allowed: {allowed}")
            if table == "run":
                out_fixed[key] = _coerce(value, options[key], key, where, kind)
                continue
            if key in out_fixed:
                raise SpecError(f"{where} {key}: also set in {_where(kind, 'run')}; give it in one table")
            if not isinstance(value, list):
                raise SpecError(f"{where} {key}: an axis is a list of values, got {value!r}")
            if not value:
                raise SpecError(f"{where} {key}: empty axis; give at least one value")
            values = [_coerce(v, options[key], key, where, kind) for v in value]
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
    return train_config(argparse.Namespace(**settings)).to_json()


def _exact_config(settings: dict) -> dict:
    args = argparse.Namespace(**{**settings, "alpha": [settings["alpha"]] if not isinstance(settings["alpha"], list)
                                 else settings["alpha"]})
    if len(args.alpha) != 1:
        raise ValueError(f"alpha of an exact run must be one number (an axis crosses several), got {args.alpha}")
    check_exact_args(args)
    return {**settings, "alpha": float(args.alpha[0])}


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
