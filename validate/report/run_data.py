"""A finished run directory, read once into one object (`RunData.load`).

Accepted layouts: a `collapse reproduce` directory (DIR/manifest.json, DIR/bounds/accumulated.csv,
DIR/exact/alpha_<a>/metrics.jsonl, DIR/exact/eta_by_error_type.json,
DIR/neural/<target>_<model>_alpha_<a>_seed_<s>/, each a `collapse train` run), or a single
`collapse train` run (config.json, metrics.jsonl, gen_0000/, ...). Checks, tables, figures and the
summary (`run_checks`, `run_tables`, `run_figures`, `summary`) read this object, never the files.
"""
from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from run_files import MANIFEST_FILE, METRICS_FILE, MissingRunFile, RunFileError
from validate.checks.exact_suite import arrays_from_rows
from validate.checks.limit_suite import LIMIT_CHECKS_FILE
from validate.report.run_io import read_config, read_json, read_metrics, verify_generation_files

EXACT_FIELDS = ("generation", "alpha", "D_chi2", "eps2", "epshat2", "eta")
NEURAL_FIELDS = ("generation", "alpha", "second_moment", "w2_to_data")


@dataclass
class NeuralRun:
    """One `collapse train` run: its directory, config and metrics rows.

    Parameters
    ----------
    path : pathlib.Path
        The run directory.
    config : dict
        Its config.json.
    rows : list of dict
        Its metrics rows.
    """

    path: Path
    config: dict
    rows: list


@dataclass
class RunData:
    """Everything a report needs from a run directory.

    Attributes
    ----------
    path : Path
    manifest : dict
        `manifest.json`, or a manifest made from a single run's config.
    accumulated : list of dict or None
        Rows of `bounds/accumulated.csv`.
    exact : dict
        alpha -> arrays of one exact run (`exact_suite.arrays_from_rows`).
    eta_by_error_type : dict or None
        `exact/eta_by_error_type.json`.
    neural : dict
        (target, model, alpha) -> list of `NeuralRun`, one per seed, sorted; model carries the
        injected error type ("mlp+aligned") when there is one.
    limit_checks : list or None
        The limit-law checks `collapse reproduce` saved (DIR/limit/checks.json), as field dicts.
    """

    path: Path
    manifest: dict
    accumulated: list | None = None
    exact: dict = field(default_factory=dict)
    eta_by_error_type: dict | None = None
    neural: dict = field(default_factory=dict)
    limit_checks: list | None = None

    @classmethod
    def load(cls, run_dir, neural: bool = True) -> "RunData":
        """Read a run directory (see the module docstring).

        Parameters
        ----------
        run_dir : str or path-like
            A `collapse reproduce` directory or a single `collapse train` run.
        neural : bool
            Read the neural runs (default True; False: `neural` is empty, e.g. while they still run).

        Returns
        -------
        RunData
            Everything read from it.

        Raises
        ------
        MissingRunFile
            The directory does not exist or is neither layout.
        RunFileError
            A file is malformed (the message names it).
        """
        run = Path(run_dir)
        return cls(path=run, manifest=load_manifest(run), accumulated=_accumulated(run), exact=_exact(run),
                   eta_by_error_type=_read_json(run / "exact" / "eta_by_error_type.json"),
                   neural=_neural_groups(run) if neural else {}, limit_checks=_read_json(run / LIMIT_CHECKS_FILE))


def load_manifest(run_dir) -> dict:
    """`manifest.json` of a reproduce directory, or one made from a single `collapse train` run.

    Parameters
    ----------
    run_dir : str or path-like
        The run directory.

    Returns
    -------
    dict
        The manifest.

    Raises
    ------
    MissingRunFile
        If the directory does not exist, or holds neither manifest.json nor metrics.jsonl.
    RunFileError
        If manifest.json or config.json is not valid JSON.
    """
    run = Path(run_dir)
    if not run.is_dir():
        raise MissingRunFile(f"run directory {str(run_dir)!r} does not exist")
    path = run / MANIFEST_FILE
    if path.is_file():
        return read_json(path)
    if (run / METRICS_FILE).is_file():
        config = read_config(run)
        return {"scale": "single run", "kind": "train", "target": config.get("target"), "model": config.get("model"),
                "seed": config.get("seed"), "alphas": [config.get("alpha")], "device": config.get("device")}
    raise MissingRunFile(f"{str(path)!r} not found: neither a `collapse reproduce` directory nor a "
                         "`collapse train` run (no metrics.jsonl)")


def _accumulated(run: Path):
    path = run / "bounds" / "accumulated.csv"
    if not path.is_file():
        return None
    try:
        with path.open() as fh:
            return [{k: (float(v) if k != "generation" else int(v)) for k, v in r.items()}
                    for r in csv.DictReader(fh)]
    except (ValueError, TypeError) as exc:
        raise RunFileError(f"{path}: malformed ({exc})") from None


def _exact(run: Path) -> dict:
    out = {}
    for sub in sorted((run / "exact").glob("alpha_*")):
        out[float(sub.name.split("_", 1)[1])] = arrays_from_rows(read_metrics(sub, required=EXACT_FIELDS))
    return out


def _read_json(path: Path):
    return read_json(path) if path.is_file() else None


def neural_run_dirs(run_dir) -> list[Path]:
    """The `collapse train` runs under DIR/neural, or DIR itself when it is one.

    Parameters
    ----------
    run_dir : str or path-like
        The run directory.

    Returns
    -------
    list of pathlib.Path
        The run directories holding a metrics.jsonl, sorted.
    """
    if (Path(run_dir) / METRICS_FILE).is_file():
        return [Path(run_dir)]
    return sorted(p for p in (Path(run_dir) / "neural").glob("*") if (p / METRICS_FILE).is_file())


def learner_label(cfg: dict) -> str:
    """A run's learner as the reports name it: the learner's own name (config.json's "learner", else
    its "model"; a user's ``"module:factory"`` learner goes by its `neural.Learner.name`), its parameterization when not the default
    noise prediction ("mlp-gaussian_residual", `neural.learners.PARAMETERIZATIONS`), and the type of an
    injected score error ("mlp+aligned").

    Parameters
    ----------
    cfg : dict
        The run's config.json.

    Returns
    -------
    str
        The label.
    """
    injected = cfg.get("injected_error")
    parameterization = (cfg.get("model_kw") or {}).get("parameterization", "eps")
    name = (cfg.get("learner") or {}).get("name") or cfg.get("model", "?")
    return (name + (f"-{parameterization}" if parameterization != "eps" else "")
            + (f"+{injected['type']}" if injected else ""))


def _neural_groups(run: Path) -> dict:
    out = defaultdict(list)
    for d in neural_run_dirs(run):
        verify_generation_files(d)
        cfg = read_config(d)
        rows = read_metrics(d, required=NEURAL_FIELDS)
        key = (cfg.get("target", "gmm"), learner_label(cfg), float(cfg.get("alpha", rows[0]["alpha"])))
        out[key].append(NeuralRun(d, cfg, rows))
    return dict(sorted(out.items()))


def neural_runs(data: RunData) -> list:
    """Every `NeuralRun` of the run, in group order.

    Parameters
    ----------
    data : RunData
        The loaded run.

    Returns
    -------
    list of NeuralRun
        All runs of all groups.
    """
    return [run for runs in data.neural.values() for run in runs]


def column(rows, key) -> np.ndarray:
    """`key` of every row as floats (missing or null: nan).

    Parameters
    ----------
    rows : iterable of dict
        Metrics rows.
    key : str
        The field.

    Returns
    -------
    numpy.ndarray
        One float per row.
    """
    return np.array([math.nan if r.get(key) is None else r[key] for r in rows], dtype=float)


def stack(runs, key) -> np.ndarray:
    """(seeds, generations) array of `key` over the runs of a group (the shortest run decides).

    Parameters
    ----------
    runs : sequence of NeuralRun
        The runs of one group (at least one).
    key : str
        The field.

    Returns
    -------
    numpy.ndarray, shape (seeds, generations)
        The values, cut to the shortest run.
    """
    return stack_rows([r.rows for r in runs], key)


def clipped_at_zero(runs, key: str = "w2_to_data") -> np.ndarray:
    """(generations,) booleans: where some seed's `key` is exactly 0 from an estimator clipped at 0
    (the split-half debiased W2, `neural.estimators.wasserstein.w2_to_data`: sqrt(max(0, .))).

    Parameters
    ----------
    runs : sequence of NeuralRun
        The runs of one group.
    key : str
        The field (default "w2_to_data"; its estimator name is in "<key>_estimator").

    Returns
    -------
    numpy.ndarray of bool
        True where a clipped estimate is 0 in at least one seed.
    """
    values = stack(runs, key)
    debiased = np.array([["debiased" in str(r.get(f"{key}_estimator", "")) for r in run.rows[:values.shape[1]]]
                         for run in runs], dtype=bool)
    return np.any(debiased & (values == 0), axis=0)


def stack_rows(row_lists, key) -> np.ndarray:
    """(runs, generations) array of `key` over lists of metrics rows (the shortest list decides)."""
    n = min(len(rows) for rows in row_lists)
    return np.vstack([column(rows[:n], key) for rows in row_lists])
