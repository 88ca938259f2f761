"""On-disk store of a recursive run, written so that a killed run never leaves a half-written
generation and resumes from its last finished one.

Layout of `out_dir`:
  config.json            the run's configuration (written once; a resume must match it)
  gen_0000/ ...          one directory per finished generation: arrays (.npy), checkpoint.pt,
                         metrics.json; built as `gen_0000.tmp-<pid>` and renamed into place
                         (`os.replace` of a directory is atomic), so it exists only when complete
  metrics.jsonl          one JSON line per finished generation, rebuilt from the generation
                         directories and replaced atomically after each commit
A directory `gen_k` counts as finished only when gen_0 .. gen_{k-1} are too; leftovers
(`*.tmp-*`, or directories after a gap) are removed when the store is opened.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import tempfile
from pathlib import Path

import numpy as np
import torch

_GEN = re.compile(r"^gen_(\d{4,})$")
CRASH_AT_ENV = "COLLAPSE_CRASH_AT"   # fault injection for the interrupted-run tests


def crash_point(point: str, g: int) -> None:
    """SIGKILL this process when the environment variable COLLAPSE_CRASH_AT is "<point>:<g>" (the
    interrupted-run tests kill a run at named moments of `commit_generation`; a no-op otherwise).
    Points: "start", "array" (one array written: mid-write), "checkpoint", "renamed" (the
    generation is in place, metrics.jsonl not yet rewritten)."""
    if os.environ.get(CRASH_AT_ENV) == f"{point}:{g}":
        os.kill(os.getpid(), signal.SIGKILL)


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same directory and `os.replace`."""
    path = Path(path)
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


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class RunStore:
    """Atomic per-generation storage in `out_dir` (see the module docstring)."""

    def __init__(self, out_dir):
        self.root = Path(out_dir)

    def gen_dir(self, g: int) -> Path:
        return self.root / f"gen_{g:04d}"

    # ----- opening -------------------------------------------------------------------------
    def open(self, config: dict, compare_keys_except=("generations",)) -> int:
        """Create or reopen the run; returns the number of finished generations. A reopened run
        must have the same config.json (keys in `compare_keys_except` may differ)."""
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"out must be a directory, got the file {self.root}")
        self.root.mkdir(parents=True, exist_ok=True)
        config_path = self.root / "config.json"
        text = json.dumps(config, indent=2, sort_keys=True, default=_json_default)
        if config_path.exists():
            old = json.loads(config_path.read_text())
            new = json.loads(text)
            diff = sorted(k for k in set(old) | set(new)
                          if k not in compare_keys_except and old.get(k) != new.get(k))
            if diff:
                raise ValueError(f"out {self.root} holds a run with a different config ({', '.join(diff)}); "
                                 "use another --out directory")
        atomic_write_text(config_path, text + "\n")
        finished = self._clean()
        self._write_metrics_file(finished)
        return finished

    def _clean(self) -> int:
        for entry in self.root.iterdir():
            if ".tmp-" in entry.name:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        done = sorted(int(m.group(1)) for e in self.root.iterdir() if (m := _GEN.match(e.name)))
        finished = 0
        while finished in done and (self.gen_dir(finished) / "metrics.json").exists():
            finished += 1
        for g in done:
            if g >= finished:
                shutil.rmtree(self.gen_dir(g))
        return finished

    # ----- writing -------------------------------------------------------------------------
    def commit_generation(self, g: int, arrays: dict, checkpoint: dict, metrics: dict) -> None:
        """Write generation g (arrays as .npy, checkpoint.pt, metrics.json) atomically, then
        rewrite metrics.jsonl."""
        if self.gen_dir(g).exists():
            raise ValueError(f"generation {g} is already stored in {self.root}")
        crash_point("start", g)
        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=f"gen_{g:04d}.tmp-"))
        try:
            for name, value in arrays.items():
                np.save(tmp / f"{name}.npy", np.asarray(value))
                crash_point("array", g)
            torch.save(checkpoint, tmp / "checkpoint.pt")
            crash_point("checkpoint", g)
            (tmp / "metrics.json").write_text(json.dumps(metrics, default=_json_default) + "\n")
            os.replace(tmp, self.gen_dir(g))
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        crash_point("renamed", g)
        self._write_metrics_file(g + 1)

    def _write_metrics_file(self, finished: int) -> None:
        lines = [json.dumps(m, default=_json_default) for m in self.metrics(finished)]
        atomic_write_text(self.root / "metrics.jsonl", "".join(line + "\n" for line in lines))

    # ----- reading -------------------------------------------------------------------------
    def metrics(self, finished: int | None = None) -> list:
        finished = self.finished() if finished is None else finished
        return [json.loads((self.gen_dir(g) / "metrics.json").read_text()) for g in range(finished)]

    def finished(self) -> int:
        g = 0
        while (self.gen_dir(g) / "metrics.json").exists():
            g += 1
        return g

    def load_array(self, g: int, name: str) -> np.ndarray:
        return np.load(self.gen_dir(g) / f"{name}.npy")

    def load_checkpoint(self, g: int, map_location="cpu") -> dict:
        return torch.load(self.gen_dir(g) / "checkpoint.pt", map_location=map_location, weights_only=False)
