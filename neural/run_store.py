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
import shutil
import signal
import tempfile
from pathlib import Path

import numpy as np
import torch

from run_files import (CONFIG_FILE, GENERATION_DIR, GENERATION_METRICS_FILE, METRICS_FILE, RunFileError,
                        atomic_write_text, generation_dir_name, to_jsonable)
CRASH_AT_ENV = "COLLAPSE_CRASH_AT"   # fault injection for the interrupted-run tests


def crash_point(point: str, g: int) -> None:
    """SIGKILL this process when the environment variable COLLAPSE_CRASH_AT is "<point>:<g>" (the
    interrupted-run tests kill a run at named moments of `commit_generation`; a no-op otherwise).
    Points: "start", "array" (one array written: mid-write), "checkpoint", "renamed" (the
    generation is in place, metrics.jsonl not yet rewritten)."""
    if os.environ.get(CRASH_AT_ENV) == f"{point}:{g}":
        os.kill(os.getpid(), signal.SIGKILL)


class RunStore:
    """Atomic per-generation storage in `out_dir` (see the module docstring).

    Parameters
    ----------
    out_dir : str or path-like
        The run directory (created by `open`).
    """

    def __init__(self, out_dir):
        self.root = Path(out_dir)

    def gen_dir(self, g: int) -> Path:
        """The directory of generation g.

        Parameters
        ----------
        g : int
            Generation.

        Returns
        -------
        pathlib.Path
            ``out_dir/gen_<g>`` (it may not exist).
        """
        return self.root / generation_dir_name(g)

    # ----- opening -------------------------------------------------------------------------
    def open(self, config: dict, compare_keys_except=("generations",)) -> int:
        """Create or reopen the run; returns the number of finished generations. A reopened run
        must have the same config.json (keys in `compare_keys_except` may differ).

        Leftover temporary directories and generations after a gap are removed, and
        metrics.jsonl is rewritten.

        Parameters
        ----------
        config : dict
            The run's configuration (JSON-serialisable through ``to_jsonable``).
        compare_keys_except : tuple of str
            Keys allowed to differ from a stored config (default ("generations",)).

        Returns
        -------
        int
            Number of finished generations.

        Raises
        ------
        RunFileError
            If out_dir is a file, the stored config.json is not valid JSON, or it differs from
            config in a compared key.
        """
        if self.root.exists() and not self.root.is_dir():
            raise RunFileError(f"out must be a directory, got the file {self.root}")
        self.root.mkdir(parents=True, exist_ok=True)
        config_path = self.root / CONFIG_FILE
        text = json.dumps(config, indent=2, sort_keys=True, default=to_jsonable)
        if config_path.exists():
            try:
                old = json.loads(config_path.read_text())
            except json.JSONDecodeError as exc:
                raise RunFileError(f"{config_path}: not valid JSON ({exc.msg})") from None
            new = json.loads(text)
            diff = sorted(k for k in set(old) | set(new)
                          if k not in compare_keys_except and old.get(k) != new.get(k))
            if diff:
                raise RunFileError(f"out {self.root} holds a run with a different config ({', '.join(diff)}); "
                                 "use another --out directory")
        atomic_write_text(config_path, text + "\n")
        finished = self._clean()
        self._write_metrics_file(finished)
        return finished

    def _clean(self) -> int:
        for entry in self.root.iterdir():
            if ".tmp-" in entry.name:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        done = sorted(int(m.group(1)) for e in self.root.iterdir() if (m := GENERATION_DIR.match(e.name)))
        finished = 0
        while finished in done and (self.gen_dir(finished) / GENERATION_METRICS_FILE).exists():
            finished += 1
        for g in done:
            if g >= finished:
                shutil.rmtree(self.gen_dir(g))
        return finished

    # ----- writing -------------------------------------------------------------------------
    def commit_generation(self, g: int, arrays: dict, checkpoint: dict, metrics: dict, npz: dict | None = None) -> None:
        """Write generation g (arrays as .npy, checkpoint.pt, metrics.json, and each `npz` entry
        {name: {array name: array}} as name.npz) atomically, then rewrite metrics.jsonl.

        Parameters
        ----------
        g : int
            Generation.
        arrays : dict of str to array_like
            Saved as ``<name>.npy``.
        checkpoint : dict
            Saved with torch.save as checkpoint.pt.
        metrics : dict
            Saved as metrics.json (JSON-serialisable through ``to_jsonable``).
        npz : dict of str to dict, or None
            Saved as ``<name>.npz``.

        Raises
        ------
        ValueError
            If generation g is already stored.
        BaseException
            Whatever a write raises (the temporary directory is removed first and the error
            re-raised).
        """
        if self.gen_dir(g).exists():
            raise ValueError(f"generation {g} is already stored in {self.root}")
        crash_point("start", g)
        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=generation_dir_name(g) + ".tmp-"))
        try:
            for name, value in arrays.items():
                np.save(tmp / f"{name}.npy", np.asarray(value))
                crash_point("array", g)
            for name, members in (npz or {}).items():
                np.savez(tmp / f"{name}.npz", **{k: np.asarray(v) for k, v in members.items()})
            torch.save(checkpoint, tmp / "checkpoint.pt")
            crash_point("checkpoint", g)
            atomic_write_text(tmp / GENERATION_METRICS_FILE, json.dumps(metrics, default=to_jsonable) + "\n")
            os.replace(tmp, self.gen_dir(g))
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        crash_point("renamed", g)
        self._write_metrics_file(g + 1)

    def _write_metrics_file(self, finished: int) -> None:
        lines = [json.dumps(m, default=to_jsonable) for m in self.metrics(finished)]
        atomic_write_text(self.root / METRICS_FILE, "".join(line + "\n" for line in lines))

    # ----- reading -------------------------------------------------------------------------
    def metrics(self, finished: int | None = None) -> list:
        """The metrics of generations 0 .. finished - 1.

        Parameters
        ----------
        finished : int or None
            Number of generations to read (default: all finished ones).

        Returns
        -------
        list of dict
            One metrics dict per generation.
        """
        finished = self.finished() if finished is None else finished
        return [json.loads((self.gen_dir(g) / GENERATION_METRICS_FILE).read_text()) for g in range(finished)]

    def finished(self) -> int:
        g = 0
        while (self.gen_dir(g) / GENERATION_METRICS_FILE).exists():
            g += 1
        return g

    def load_array(self, g: int, name: str) -> np.ndarray:
        """Array `name` of generation g.

        Parameters
        ----------
        g : int
            Generation.
        name : str
            Array name (file ``<name>.npy``).

        Returns
        -------
        numpy.ndarray
            The array.

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        """
        return np.load(self.gen_dir(g) / f"{name}.npy")

    def load_checkpoint(self, g: int, map_location="cpu") -> dict:
        """The checkpoint dict of generation g.

        Parameters
        ----------
        g : int
            Generation.
        map_location : str or torch.device
            Where tensors are loaded (default "cpu").

        Returns
        -------
        dict
            The checkpoint.

        Raises
        ------
        FileNotFoundError
            If checkpoint.pt does not exist.
        """
        return torch.load(self.gen_dir(g) / "checkpoint.pt", map_location=map_location, weights_only=False)
