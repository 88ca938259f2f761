"""One run of a sweep, in its directory `DIR/runs/<name>/`: its state on disk and its execution.

What a run directory holds::

  sweep_run.json   the `SweepRun` (kind, axes values, full config, digest), written before any work
  config.json      the config, written by the run itself (train: `neural.run_store.RunStore`;
                   exact: last, so that its presence marks the run finished)
  metrics.jsonl    one line per generation (train: also gen_0000/, ... as `collapse train` writes them)
  failure.json     the error and traceback of the last attempt that raised (removed by a success)

Execution reuses the commands' own code: a train run is `neural.retraining.run_generations` (which
resumes after its last finished generation), an exact run `validate.pipeline.exact_runs.write_exact_run`
(the writer of `collapse exact --out` and `collapse reproduce`).
`execute_run` never raises for an error of the run: it returns the failure (config and traceback),
so one failing run does not stop the sweep. It is what a Dask worker executes; a worker that dies
mid-run has the same call retried elsewhere, which resumes from the directory.
"""
from __future__ import annotations

import json
import os
import socket
import time
import traceback
from pathlib import Path

import torch

from neural.retraining import RetrainingConfig, run_generations
from run_files import METRICS_FILE, write_json
from validate.pipeline.exact_runs import ExactRunConfig, write_exact_run
from validate.report.run_io import read_config
from validate.sweep.spec import SweepRun

RUN_FILE = "sweep_run.json"
FAILURE_FILE = "failure.json"
FINISHED, PARTIAL, MISSING, FAILED = "finished", "partial", "missing", "failed"


def finished_generations(run: SweepRun, run_dir) -> int:
    """Generations on disk that belong to this run's config (0 when the directory holds another).

    Train: consecutive complete `gen_XXXX/metrics.json` (what `RunStore.finished` counts). Exact:
    the rows of metrics.jsonl when config.json (written last) equals the run's config, else 0.

    Parameters
    ----------
    run : SweepRun
        The run.
    run_dir : str or path-like
        Its directory.

    Returns
    -------
    int
        Finished generations of this run's config.
    """
    run_dir = Path(run_dir)
    if run.kind == "exact":
        if (run_dir / METRICS_FILE).is_file() and read_config(run_dir) == run.config:
            return sum(1 for line in (run_dir / METRICS_FILE).read_text().splitlines() if line.strip()) - 1
        return 0
    g = 0
    while (run_dir / f"gen_{g:04d}" / "metrics.json").is_file():
        g += 1
    return g


def run_state(run: SweepRun, run_dir) -> str:
    """finished (every generation on disk), failed (the last attempt raised), partial (some
    generations) or missing (none).

    Parameters
    ----------
    run : SweepRun
        The run.
    run_dir : str or path-like
        Its directory.

    Returns
    -------
    str
        "finished", "failed", "partial" or "missing".
    """
    done = finished_generations(run, run_dir)
    if done >= run.config["generations"]:
        return FINISHED
    if (Path(run_dir) / FAILURE_FILE).is_file():
        return FAILED
    return PARTIAL if done > 0 else MISSING


def execute_run(run: dict, run_dir: str) -> dict:
    """Run (or resume) one sweep run in `run_dir`.

    Parameters
    ----------
    run : dict
        `SweepRun.to_json()`.
    run_dir : str
        Its directory (created). A train run's device "cuda" on a Dask worker of a LocalCluster
        with several GPUs becomes `cuda:<worker index mod GPU count>` (the device is not part of
        the run's identity).

    Returns
    -------
    dict
        `name`, `status` ("finished", "skipped" when there was nothing to do, or "failed"),
        `generations` on disk, `seconds`, `host`, `pid`; on failure also `error` (one line) and
        `traceback`.
    """
    spec = SweepRun.from_json(run)
    out = Path(run_dir)
    began = time.perf_counter()
    info = {"name": spec.name, "host": socket.gethostname(), "pid": os.getpid()}
    if run_state(spec, out) == FINISHED:
        return {**info, "status": "skipped", "generations": finished_generations(spec, out), "seconds": 0.0}
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / RUN_FILE, spec.to_json())
    try:
        if spec.kind == "train":
            _train(spec, out)
        else:
            _exact(spec, out)
    except Exception as exc:  # reported with the config and traceback; the sweep goes on
        failure = {**info, "status": "failed", "error": f"{type(exc).__name__}: {exc}".splitlines()[0],
                   "traceback": traceback.format_exc(), "config": spec.config,
                   "generations": finished_generations(spec, out), "seconds": time.perf_counter() - began}
        write_json(out / FAILURE_FILE, failure)
        return failure
    (out / FAILURE_FILE).unlink(missing_ok=True)
    return {**info, "status": "finished", "generations": finished_generations(spec, out),
            "seconds": time.perf_counter() - began}


def _train(spec: SweepRun, out: Path) -> None:
    config = RetrainingConfig.from_json(spec.config)
    config = config.replace(device=_worker_device(config.device))
    run_generations(config, out, progress=False)


def _worker_device(device: str) -> str:
    """"cuda" on a Dask worker named by an integer (a LocalCluster's) with several GPUs: that
    worker's own GPU; otherwise unchanged (SLURM jobs see their one GPU as cuda:0)."""
    if device != "cuda":
        return device
    try:
        from distributed import get_worker

        index = get_worker().name
    except (ImportError, ValueError):
        return device
    count = torch.cuda.device_count()
    if isinstance(index, int) and count > 1:
        return f"cuda:{index % count}"
    return device


def _exact(spec: SweepRun, out: Path) -> None:
    write_exact_run(out, ExactRunConfig.from_run_json(spec.config), spec.config["alpha"])


def load_failure(run_dir) -> dict | None:
    """The recorded failure of the run's last attempt, or None.

    Parameters
    ----------
    run_dir : str or path-like
        The run's directory.

    Returns
    -------
    dict or None
        The failure record (error, traceback, ...), or None.
    """
    path = Path(run_dir) / FAILURE_FILE
    return json.loads(path.read_text()) if path.is_file() else None
