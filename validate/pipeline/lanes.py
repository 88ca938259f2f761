"""Lanes of the main job: groups of neural run specs that run side by side, one process per lane.

On the CPU the small networks of `collapse reproduce` (a 1-D or 10-D MLP, an 8 x 8 U-Net) do not
keep two cores busy from one process: their matrices are too small for torch's intra-op threads,
which then mostly wait on each other (two threads were up to 6x slower than one on a shared
machine, bench/RESULTS.md, 2026-11-28). Two processes with one thread each use both cores. A spec
names its lane with the key ``"lane"`` (default 0); lane 0 runs in the calling process, every other
lane in a spawned process of its own. Lanes are independent: a run never reads a run of another
lane (generation-0 sharing and fit reuse stay within a lane). Every run writes its own directory
and is resumable, so a lane killed with its parent leaves only finished generations.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
import traceback

PARENT_POLL_SECONDS = 1.0


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask where the OS has one).

    Returns
    -------
    int
        At least 1.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def neural_lanes(specs: list, device: str, cores: int | None = None) -> list:
    """The specs grouped by their "lane" key (lanes in increasing order, specs in their order), or
    all of them as one lane when the runs are not on the CPU, or fewer than two cores are usable.

    Parameters
    ----------
    specs : list of NeuralRunSpec or dict
        Neural run specs (a SCALES entry's `neural`).
    device : str
        Device of the runs; lanes are used on "cpu" only (a GPU job is one process).
    cores : int or None
        Usable cores (default `usable_cores()`).

    Returns
    -------
    list of list
        The lanes; empty when there are no specs.

    Raises
    ------
    ValueError
        If a spec's "lane" is not an int >= 0.
    """
    for s in specs:
        lane = _lane(s)
        if isinstance(lane, bool) or not isinstance(lane, int) or lane < 0:
            raise ValueError(f"a spec's lane must be an int >= 0, got {lane!r}")
    if not specs:
        return []
    cores = usable_cores() if cores is None else cores
    if not str(device).startswith("cpu") or cores < 2:
        return [list(specs)]
    ids = sorted({_lane(s) for s in specs})
    return [[s for s in specs if _lane(s) == i] for i in ids]


def _lane(spec) -> int:
    """A spec's lane: the `lane` of a `validate.pipeline.run_spec.NeuralRunSpec`, or the "lane" key of
    a dict (0 when absent)."""
    return spec.get("lane", 0) if isinstance(spec, dict) else spec.lane


def lane_threads(lanes: int, cores: int | None = None) -> int:
    """torch threads per lane: the usable cores shared out, at least 1.

    Parameters
    ----------
    lanes : int
        Number of lanes running at once.
    cores : int or None
        Usable cores (default `usable_cores()`).

    Returns
    -------
    int
        ``max(1, cores // lanes)`` (all cores for a single lane).
    """
    cores = usable_cores() if cores is None else cores
    return max(1, cores // max(1, lanes))


def _watch_parent(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(3)   # the parent is gone: stop writing into its output directory
        time.sleep(PARENT_POLL_SECONDS)


def _thread_limit(threads: int, torch: bool):
    """torch's and numpy's BLAS threads limited to `threads`; BLAS only when the lane has no torch
    (importing torch costs a drawing lane seconds)."""
    if torch:
        from neural.devices import cpu_threads
        return cpu_threads(threads)
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=int(threads), user_api="blas")


def _lane_main(conn, parent_pid: int, threads: int, func, args, torch: bool = True) -> None:
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    try:
        with _thread_limit(threads, torch):
            value = func(*args)
    except BaseException as exc:   # reported to the parent, which raises it again
        try:
            conn.send(("error", traceback.format_exc(), exc))
        except Exception:   # an exception that does not pickle: its traceback alone
            conn.send(("error", traceback.format_exc(), None))
        conn.close()
        raise SystemExit(1)
    conn.send(("ok", value))
    conn.close()


class LaneProcess:
    """``func(*args)`` in a spawned process with `threads` torch threads; `result()` waits for it and
    returns its (picklable) value, or raises its exception again when it failed; `stop()` terminates it.

    Parameters
    ----------
    func : callable
        A module-level function (spawn pickles it by name).
    args : tuple
        Its picklable arguments.
    threads : int >= 1
        torch and BLAS threads in the lane.
    torch : bool
        The lane uses torch (default True); False: only BLAS threads are limited and torch is not
        imported (a lane that draws figures starts in about a second instead of four).
    """

    def __init__(self, func, args: tuple, threads: int, torch: bool = True):
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_lane_main, args=(child, os.getpid(), int(threads), func, args, bool(torch)),
                                   daemon=True)
        self.process.start()
        child.close()

    def result(self):
        """Wait for the lane and return ``func(*args)``; an exception it raised is raised here again, of
        its own type (so that the CLI still tells a usage error from a bug), chained to a RuntimeError
        with the lane's traceback.

        Raises
        ------
        Exception
            The lane's exception, when it raised one that pickles.
        RuntimeError
            If the lane raised one that does not pickle, or died without reporting.
        """
        try:
            message = self._conn.recv()
        except EOFError:   # died without reporting (killed)
            message = None
        self.process.join()
        if message is None or message[0] != "ok" or self.process.exitcode != 0:
            detail = message[1] if message and message[0] == "error" else f"exit code {self.process.exitcode}"
            failure = RuntimeError(f"a parallel lane of the neural runs failed:\n{detail}")
            exc = message[2] if message and message[0] == "error" else None
            if isinstance(exc, Exception):
                raise exc from failure
            raise failure
        return message[1]

    def stop(self) -> None:
        """Terminate the lane (its runs keep their finished generations)."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
