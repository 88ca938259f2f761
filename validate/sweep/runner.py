"""Running a sweep: expand the spec, skip what is finished, execute the rest, record the outcome.

Layout of a sweep directory `DIR`::

  sweep.toml       the spec as given (rewritten on every invocation)
  sweep.json       the expanded runs (`SweepRun.to_json()`), in spec order
  status.json      per run: state and, for this invocation's executions, status, seconds, host;
                   counts of finished, failed and missing runs
  runs/<name>/     one run directory per combination (`validate.sweep.task`)

Executors: "serial" runs in this process, one run after another (debugging); "dask" submits one
task per run to a Dask distributed cluster (`validate.sweep.dask`): an embedded `LocalCluster`, or
an existing cluster at `scheduler`. Runs already finished on disk are not submitted, so running the
same command again does no work; a partial run resumes after its last finished generation.
"""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path


from run_files import MissingRunFile, atomic_write_text, write_json
from validate.sweep.progress import SweepProgress
from validate.sweep.spec import SweepError, SweepRun, SweepSpec, load_spec
from validate.sweep.task import FAILED, FINISHED, execute_run, finished_generations, run_state

EXECUTORS = ("dask", "serial")
SPEC_FILE, SWEEP_FILE, STATUS_FILE, RUNS_DIR = "sweep.toml", "sweep.json", "status.json", "runs"


def plan(spec: SweepSpec, device: str | None = None) -> list[SweepRun]:
    """The runs of `spec`, with `device` (when given) replacing every train run's device; the
    device is not part of a run's identity, so the directories do not change.

    Parameters
    ----------
    spec : SweepSpec
        The parsed spec.
    device : str or None
        Device of every train run (None: as in the spec).

    Returns
    -------
    list of SweepRun
        The runs.

    Raises
    ------
    SpecError
        As `validate.sweep.spec.expand`.
    """
    runs = spec.runs()
    if device is None:
        return runs
    return [replace(r, config={**r.config, "device": device}) if r.kind == "train" else r for r in runs]


def write_plan(out_dir, spec: SweepSpec, runs: list[SweepRun]) -> Path:
    """Write the spec's text and DIR/sweep.json (the list of runs), creating DIR/runs.

    Parameters
    ----------
    out_dir : str or path-like
        The sweep directory.
    spec : SweepSpec
        The spec.
    runs : list of SweepRun
        Its runs.

    Returns
    -------
    pathlib.Path
        The sweep directory.

    Raises
    ------
    SweepError
        If out_dir is an existing file.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise SweepError(f"out must be a directory, got the file {out}")
    (out / RUNS_DIR).mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / SPEC_FILE, spec.text)
    write_json(out / SWEEP_FILE, {"source": spec.source, "runs": [r.to_json() for r in runs]})
    return out


def load_plan(out_dir) -> list[SweepRun]:
    """The runs recorded in DIR/sweep.json.

    Parameters
    ----------
    out_dir : str or path-like
        The sweep directory.

    Returns
    -------
    list of SweepRun
        The recorded runs.

    Raises
    ------
    MissingRunFile
        If sweep.json does not exist.
    """
    path = Path(out_dir) / SWEEP_FILE
    if not path.is_file():
        raise MissingRunFile(f"{str(path)!r} not found: is {str(out_dir)!r} a sweep directory?")
    return [SweepRun.from_json(r) for r in json.loads(path.read_text())["runs"]]


def run_sweep(spec, out_dir, executor: str = "dask", scheduler: str | None = None, workers: int | None = None,
              device: str | None = None, client=None, progress_stream=sys.stderr, failure_stream=sys.stderr,
              progress_interval: float = 30.0) -> dict:
    """Run every unfinished run of a sweep into `out_dir`.

    Parameters
    ----------
    spec : SweepSpec or path
        The spec (`validate.sweep.spec`), or the path of its TOML file.
    out_dir : path
        The sweep directory (module docstring); created, reused to resume.
    executor : {"dask", "serial"}
        Where runs execute.
    scheduler : str, optional
        Address of an existing Dask scheduler (tcp://HOST:PORT); default: an embedded LocalCluster.
    workers : int, optional
        Workers of the embedded LocalCluster (>= 1; default: CPU cores, or GPUs with a CUDA device).
    device : str, optional
        Overrides the device of every train run ("cuda": each run takes one GPU resource).
    client : distributed.Client, optional
        Use this client (not closed here) instead of `scheduler` / an embedded cluster.
    progress_stream : file-like or None
        Progress lines (finished, running, failed, ETA) go here; None is silent.
    failure_stream : file-like or None
        Each failed run (error, config, traceback) is written here.
    progress_interval : float
        Seconds between progress lines while nothing finishes (dask).

    Returns
    -------
    dict
        `runs`: one entry per run (name, kind, axes, state, and this invocation's result if it ran);
        `counts`: finished, failed, missing (neither finished nor failed), executed, skipped.

    Raises
    ------
    ValueError
        Unknown executor, workers < 1, `workers` or `scheduler` with the serial executor, or
        `workers` together with `scheduler`; SpecError for a malformed spec.
    """
    if executor not in EXECUTORS:
        raise SweepError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise SweepError(f"workers must be an integer >= 1, got {workers!r}")
    if executor == "serial" and (workers is not None or scheduler is not None):
        raise SweepError("workers and scheduler apply to the dask executor, not to --executor serial")
    if workers is not None and (scheduler is not None or client is not None):
        raise SweepError("workers sizes the embedded LocalCluster; it cannot be combined with scheduler")
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    runs = plan(spec, device)
    out = write_plan(out_dir, spec, runs)
    dirs = {r.name: out.absolute() / RUNS_DIR / r.name for r in runs}  # absolute: workers may have another cwd
    pending = [r for r in runs if run_state(r, dirs[r.name]) != FINISHED]
    progress = SweepProgress(len(runs), stream=progress_stream)
    for r in runs:
        if r not in pending:
            progress.done({"status": "skipped"})
    results = {}
    if pending:
        progress.report()
        if executor == "serial":
            for r in pending:
                progress.start()
                results[r.name] = execute_run(r.to_json(), str(dirs[r.name]))
                progress.done(results[r.name])
                progress.report()
        else:
            from validate.sweep.dask import run_on_dask  # Dask is an optional extra: imported when used

            results = run_on_dask(pending, dirs, progress, scheduler=scheduler, workers=workers, client=client,
                                  interval=progress_interval)
    summary = _summary(runs, dirs, results)
    write_json(out / STATUS_FILE, summary)
    report_failures(results, failure_stream)
    if progress_stream is not None:
        c = summary["counts"]
        progress_stream.write(f"[collapse sweep] {c['finished']} of {len(runs)} runs finished, {c['failed']} failed, "
                              f"{c['missing']} missing ({c['executed']} executed now, {c['skipped']} already on "
                              f"disk) in {out}\n")
    return summary


def _summary(runs, dirs, results) -> dict:
    entries, counts = [], {"finished": 0, "failed": 0, "missing": 0, "executed": len(results),
                           "skipped": len(runs) - len(results)}
    for r in runs:
        state = run_state(r, dirs[r.name])
        entry = {"name": r.name, "kind": r.kind, "axes": r.axes, "state": state,
                 "generations": finished_generations(r, dirs[r.name]), "of": r.config["generations"]}
        if r.name in results:
            res = results[r.name]
            entry.update({k: res[k] for k in ("status", "seconds", "host", "pid", "error") if k in res})
        counts["finished" if state == FINISHED else "failed" if state == FAILED else "missing"] += 1
        entries.append(entry)
    return {"runs": entries, "counts": counts}


def report_failures(results: dict, stream) -> None:
    """Write each failed run (error, config, traceback) to `stream`.

    Parameters
    ----------
    results : dict
        name -> result dict of `execute_run`.
    stream : file-like or None
        Where to write (None: nothing).
    """
    if stream is None:
        return
    for name, res in results.items():
        if res.get("status") != "failed":
            continue
        stream.write(f"[collapse sweep] run {name} failed: {res.get('error')}\n"
                     f"  config: {json.dumps(res.get('config', {}), sort_keys=True)}\n")
        for line in str(res.get("traceback", "")).rstrip().splitlines():
            stream.write(f"  | {line}\n")
