"""The Dask executor of a sweep: one task per run on a Dask distributed cluster.

The cluster is an embedded `LocalCluster` (worker processes, one thread each, `workers` of them,
each with the resource GPU=1 when runs use CUDA), or an existing cluster joined at `scheduler`
(tcp://HOST:PORT; e.g. dask-jobqueue's SLURMCluster, see the README). One run per worker: a
worker of the embedded cluster has one thread (Dask also sets OMP_NUM_THREADS=1 in its worker
processes, so torch uses one core), and a CUDA run asks for one GPU resource. Dask may assign
several runs to a worker ahead of time (they wait there; work stealing rebalances them). A worker that dies mid-run (killed, out of memory, preempted)
has its task rescheduled by Dask on another worker, up to `distributed.scheduler.allowed-failures`
times (default 3); `validate.sweep.task.execute_run` then resumes the run from its last finished
generation. A task that Dask gives up on is recorded as a failed run, like one that raised.
Needs the optional extra `sweep` (`pip install .[sweep]`).
"""
from __future__ import annotations

import contextlib
import traceback
import uuid

from distributed import Client, LocalCluster, TimeoutError, wait

from run_files import write_json
from validate.sweep.resources import default_workers, uses_gpu
from validate.sweep.spec import SweepError
from validate.sweep.task import FAILURE_FILE, execute_run, finished_generations

GPU_RESOURCE = "GPU"
CONNECT_TIMEOUT = "30s"


@contextlib.contextmanager
def sweep_client(scheduler: str | None = None, workers: int | None = None, gpu: bool = False, client=None):
    """A `distributed.Client`: `client` itself (left open), one connected to `scheduler`, or one on
    an embedded LocalCluster of `workers` single-threaded worker processes (closed on exit).

    Parameters
    ----------
    scheduler : str or None
        Address of a running Dask scheduler.
    workers : int or None
        Workers of the embedded cluster (default `default_workers`).
    gpu : bool
        Give each embedded worker one GPU resource.
    client : distributed.Client or None
        A client to use as is.

    Yields
    ------
    distributed.Client
        The client.

    Raises
    ------
    SweepError
        If the scheduler cannot be reached, or gpu without a CUDA device for an embedded cluster.
    """
    if client is not None:
        yield client
        return
    if scheduler is not None:
        try:
            joined = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"scheduler {scheduler!r} cannot be reached within {CONNECT_TIMEOUT} "
                             f"({type(exc).__name__}); is the Dask cluster running?") from None
        with joined:
            yield joined
        return
    n = workers or default_workers(gpu)
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                      resources={GPU_RESOURCE: 1} if gpu else None) as cluster, Client(cluster) as local:
        yield local


def _executing_keys(dask_worker) -> list:
    return [ts.key for ts in dask_worker.state.executing]


def running_count(client, keys) -> int:
    """Tasks among `keys` that a worker is executing now (the scheduler assigns tasks to workers
    ahead of time, so its `processing` counts queued tasks too).

    Parameters
    ----------
    client : distributed.Client
        The client.
    keys : iterable of str
        Task keys.

    Returns
    -------
    int
        Number of those tasks executing now (0 when the workers cannot be asked).
    """
    keys = set(keys)
    try:
        per_worker = client.run(_executing_keys, on_error="ignore")
    except Exception:  # noqa: BLE001 - a progress count is not worth failing the sweep over
        return 0
    return sum(1 for ks in per_worker.values() if isinstance(ks, list) for k in ks if k in keys)


def run_on_dask(pending, dirs, progress, scheduler=None, workers=None, client=None, interval: float = 30.0) -> dict:
    """Execute the `pending` runs (`SweepRun`s; `dirs[name]` their directories) as Dask tasks.

    Parameters
    ----------
    pending : list of SweepRun
    dirs : dict
        name -> run directory.
    progress : SweepProgress
        Updated and reported after each completion and every `interval` seconds.
    scheduler, workers, client
        See `sweep_client`.
    interval : float
        Seconds between progress lines while nothing completes (> 0).

    Returns
    -------
    dict
        name -> `execute_run`'s result (a failure entry with the error when Dask gave up on a task).

    Raises
    ------
    ValueError
        If interval is not > 0.
    SweepError
        As `sweep_client`.
    """
    if not interval > 0:
        raise ValueError(f"interval must be > 0, got {interval}")
    gpu = any(uses_gpu(r) for r in pending)
    results = {}
    with sweep_client(scheduler, workers, gpu, client) as c:
        tag = uuid.uuid4().hex[:8]
        futures = {}
        for r in pending:
            fut = c.submit(execute_run, r.to_json(), str(dirs[r.name]), key=f"collapse-sweep-{tag}-{r.name}",
                           pure=False, resources={GPU_RESOURCE: 1} if uses_gpu(r) else None)
            futures[fut] = r
        if gpu and not any(r.get(GPU_RESOURCE) for r in _worker_resources(c)) and progress.stream is not None:
            progress.stream.write(f"[collapse sweep] no worker offers the resource {GPU_RESOURCE} yet: CUDA runs wait "
                                  f"for a worker started with --resources {GPU_RESOURCE}=1\n")
        not_done = set(futures)
        while not_done:
            slots = sum(r.get(GPU_RESOURCE, 0) for r in _worker_resources(c)) if gpu else sum(c.nthreads().values())
            progress.parallelism = max(1, int(slots))
            try:
                done, not_done = wait(not_done, timeout=interval, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            for fut in done:
                r = futures[fut]
                results[r.name] = _result(fut, r, dirs[r.name])
                progress.done(results[r.name])
            progress.running = running_count(c, {f.key for f in not_done})
            progress.report()
    return results


def _worker_resources(client) -> list:
    return [w.get("resources", {}) for w in client.scheduler_info().get("workers", {}).values()]


def _result(fut, run, run_dir) -> dict:
    """The task's value, or a failure entry when the task itself errored (e.g. KilledWorker)."""
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - Dask gave up on the task; record it as a failed run
        failure = {"name": run.name, "status": "failed", "error": f"{type(exc).__name__}: {exc}".splitlines()[0],
                   "traceback": "".join(traceback.format_exception(exc)), "config": run.config,
                   "generations": finished_generations(run, run_dir), "seconds": 0.0}
        run_dir.mkdir(parents=True, exist_ok=True)
        write_json(run_dir / FAILURE_FILE, failure)
        return failure
