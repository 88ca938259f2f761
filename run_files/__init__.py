"""run_files: the files of a run directory, their names (defined once) and the one atomic writer.

Every JSON, JSON-lines and text file the toolkit writes goes through `atomic_write_text`: the
text goes to a temporary file in the same directory, is flushed and fsynced, and is renamed into
place with `os.replace` (atomic on POSIX), then the directory is fsynced, so a reader (or a run
killed at any moment) sees the old file or the new one, never a half-written one. numpy only and
no other project package: `neural` (the retraining store) and `validate` (exact runs, reports,
sweeps) both write through it, and the torch-free commands (`collapse bounds`, `collapse exact`)
import it without importing `neural`.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Iterable

import numpy as np

CONFIG_FILE = "config.json"          # a run's configuration
METRICS_FILE = "metrics.jsonl"       # one JSON object per finished generation
GENERATION_METRICS_FILE = "metrics.json"  # inside gen_<g>/: that generation's metrics
MANIFEST_FILE = "manifest.json"      # a `collapse reproduce` directory's manifest
CHECKS_FILE = "checks.json"
SUMMARY_FILE = "summary.md"
GENERATION_DIR = re.compile(r"^gen_(\d{4,})$")

__all__ = ["CHECKS_FILE", "CONFIG_FILE", "GENERATION_DIR", "GENERATION_METRICS_FILE", "MANIFEST_FILE",
           "METRICS_FILE", "SUMMARY_FILE", "MissingRunFile", "RunFileError", "atomic_write_text",
           "generation_dir_name", "to_jsonable", "write_json", "write_jsonl"]


class RunFileError(ValueError):
    """A run directory's file is missing, malformed or belongs to another run; the message names
    the file. The CLI reports it in one line (exit 2)."""


class MissingRunFile(RunFileError, FileNotFoundError):
    """A run directory or one of its files does not exist."""


def generation_dir_name(g: int) -> str:
    """``gen_<g>`` with at least four digits: the directory of generation g."""
    return f"gen_{int(g):04d}"


def to_jsonable(value):
    """`json.dumps` default: numpy scalars and arrays as Python numbers and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def atomic_write_text(path, text: str) -> Path:
    """Write `text` to `path` atomically and durably (temporary file, fsync, `os.replace`).

    Parameters
    ----------
    path : str or Path
        The destination; its parent directory is created if missing.
    text : str
        The whole content.

    Returns
    -------
    Path
        The destination.

    Raises
    ------
    OSError
        When the directory cannot be written (read-only, full disk); the temporary file is removed
        and the destination is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_directory(path.parent)
    return path


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some file systems do not open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_json(path, obj) -> Path:
    """`obj` as indented JSON, atomically (see `atomic_write_text`)."""
    return atomic_write_text(path, json.dumps(obj, indent=2, default=to_jsonable) + "\n")


def write_jsonl(path, rows: Iterable[dict]) -> Path:
    """`rows` as JSON lines (one object per line), atomically (see `atomic_write_text`)."""
    return atomic_write_text(path, "".join(json.dumps(r, default=to_jsonable) + "\n" for r in rows))
