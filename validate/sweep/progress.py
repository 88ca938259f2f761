"""Progress of a sweep: how many runs are finished, running, failed and queued, and an ETA.

ETA = queued-or-running runs x mean wall time of the runs finished in this invocation / parallelism
(the number of workers; 1 for the serial executor). Runs found finished on disk count as finished
but not in the mean; before the first run of this invocation finishes the ETA is unknown ("--").
"""
from __future__ import annotations

import sys
import time


class SweepProgress:
    """Counts of a sweep's runs and a one-line report of them.

    Parameters
    ----------
    total : int
        Runs in the sweep (>= 0).
    parallelism : int
        Runs executed at once (>= 1).
    stream : file-like or None
        Where `report` writes its line (stderr by default); None writes nothing.

    Raises
    ------
    ValueError
        total < 0 or parallelism < 1.
    """

    def __init__(self, total: int, parallelism: int = 1, stream=sys.stderr, clock=time.monotonic):
        if total < 0:
            raise ValueError(f"total must be >= 0, got {total}")
        if parallelism < 1:
            raise ValueError(f"parallelism must be >= 1, got {parallelism}")
        self.total, self.parallelism, self.stream, self.clock = total, parallelism, stream, clock
        self.finished = self.failed = self.skipped = self.running = 0
        self.durations: list[float] = []
        self.started = clock()

    @property
    def queued(self) -> int:
        return self.total - self.finished - self.failed - self.running

    def start(self, n: int = 1) -> None:
        """Record that n runs started executing.

        Parameters
        ----------
        n : int
            Number of runs (default 1).
        """
        self.running += n

    def done(self, result: dict) -> None:
        """Record a finished execution (`validate.sweep.task.execute_run`'s result).

        Parameters
        ----------
        result : dict
            The run's result; "status" decides the counter.
        """
        self.running = max(0, self.running - 1)
        status = result.get("status")
        if status == "failed":
            self.failed += 1
        else:
            self.finished += 1
            if status == "skipped":
                self.skipped += 1
            else:
                self.durations.append(float(result.get("seconds", 0.0)))

    def eta_seconds(self) -> float | None:
        """Seconds until every run is done, or None before a run of this invocation finished."""
        left = self.total - self.finished - self.failed
        if left == 0:
            return 0.0
        if not self.durations:
            return None
        return left * (sum(self.durations) / len(self.durations)) / self.parallelism

    def line(self) -> str:
        eta = self.eta_seconds()
        shown = "--" if eta is None else _clock(eta)
        return (f"{self.finished}/{self.total} finished ({self.skipped} already on disk), {self.running} running, "
                f"{self.failed} failed, {max(0, self.queued)} queued; elapsed {_clock(self.clock() - self.started)}, "
                f"ETA {shown}")

    def report(self) -> None:
        if self.stream is not None:
            self.stream.write(f"[collapse sweep] {self.line()}\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"
