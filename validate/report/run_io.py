"""Reading finished runs: `config.json` and `metrics.jsonl` (one JSON object per generation), and
the JSON and JSON-lines readers every reader of a run directory uses (`read_json`, `json_lines`).

A run directory is what `collapse train` (neural.run_store) or `collapse exact --out` writes.
Missing directories, files or fields raise `RunFileError` (a ValueError; `MissingRunFile` is also a
FileNotFoundError) with one line naming the file.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from run_files import CONFIG_FILE, METRICS_FILE, MissingRunFile, RunFileError, generation_dir_name


def read_json(path):
    """The JSON document in the file `path` (which must exist).

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    object
        The document.

    Raises
    ------
    RunFileError
        If the file is not valid JSON (the message names the file and the line).
    """
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise RunFileError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None


def json_lines(path):
    """(line number, object) for each non-blank line of a JSON-lines file (which must exist).

    Parameters
    ----------
    path : str or path-like
        The file.

    Yields
    ------
    tuple of int and object
        The 1-based line number and the line's JSON value.

    Raises
    ------
    RunFileError
        If a line is not valid JSON (the message names the file and the line).
    """
    path = Path(path)
    with path.open() as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                raise RunFileError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None


def read_metrics(run_dir, required: Iterable[str] = ("generation",)) -> list[dict]:
    """The per-generation rows of a run, in file order; every row must hold the `required` keys.

    Parameters
    ----------
    run_dir : str or path-like
        The run directory.
    required : iterable of str
        Keys every row must hold (default ("generation",)).

    Returns
    -------
    list of dict
        The rows of metrics.jsonl (blank lines skipped).

    Raises
    ------
    MissingRunFile
        If the directory or its metrics.jsonl does not exist.
    RunFileError
        If a line is not valid JSON, misses a required key, or the file holds no row.
    """
    run = Path(run_dir)
    if not run.is_dir():
        raise MissingRunFile(f"run directory {str(run)!r} does not exist")
    path = run / METRICS_FILE
    if not path.is_file():
        raise MissingRunFile(f"{str(path)!r} not found: is {str(run)!r} a finished run?")
    rows = []
    for lineno, row in json_lines(path):
        missing = [k for k in required if k not in row]
        if missing:
            raise RunFileError(f"{path}:{lineno}: missing field(s) {', '.join(missing)}")
        rows.append(row)
    if not rows:
        raise RunFileError(f"{path} holds no generation")
    return rows


def verify_generation_files(run_dir) -> None:
    """For a `collapse train` run (config.json, metrics.jsonl, gen_0000/ ...): every generation named
    in metrics.jsonl must have its directory, and every directory the files the others hold
    (metrics.json, samples, checkpoint); raises MissingRunFile naming the first missing file.

    Parameters
    ----------
    run_dir : str or path-like
        The run directory.

    Raises
    ------
    MissingRunFile
        If the directory, metrics.jsonl, a listed generation directory or one of its files is
        missing.
    RunFileError
        If metrics.jsonl is malformed (as `read_metrics`).
    """
    run = Path(run_dir)
    rows = read_metrics(run)
    gens = [run / generation_dir_name(r["generation"]) for r in rows]
    for g in gens:
        if not g.is_dir():
            raise MissingRunFile(f"{g} is missing (listed in {run / METRICS_FILE}): the run is corrupted")
    names = set().union(*({f.name for f in g.iterdir()} for g in gens)) | {"metrics.json"}
    for g in gens:
        for name in sorted(names):
            if not (g / name).is_file():
                raise MissingRunFile(f"{g / name} is missing: the run is corrupted (rerun `collapse train` "
                                 "with the same arguments to redo it after deleting that generation)")


def read_config(run_dir) -> dict:
    """The run's `config.json`, or {} when the run has none.

    Parameters
    ----------
    run_dir : str or path-like
        The run directory.

    Returns
    -------
    dict
        The configuration ({} when there is no config.json).

    Raises
    ------
    RunFileError
        If config.json is not valid JSON.
    """
    path = Path(run_dir) / CONFIG_FILE
    return read_json(path) if path.is_file() else {}
