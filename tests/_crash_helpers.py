"""Run `collapse` subcommands in child processes that can be SIGKILLed (interrupted-run tests).

A forkserver (started once, torch and the CLI preloaded) forks each child, so a child costs a
fork, not a Python start-up; `COLLAPSE_CRASH_AT` makes neural.run_store kill the child at a named
moment of a generation's commit."""
from __future__ import annotations

import multiprocessing as mp
import os
import signal

_CTX = None


def context():
    global _CTX
    if _CTX is None:
        _CTX = mp.get_context("forkserver")
        _CTX.set_forkserver_preload(["torch", "validate.cli", "neural.retraining", "tests._crash_helpers"])
    return _CTX


def _child(argv, crash, stderr_path):
    import torch

    from validate.cli import main

    torch.set_num_threads(1)
    if crash:
        os.environ["COLLAPSE_CRASH_AT"] = crash
    else:
        os.environ.pop("COLLAPSE_CRASH_AT", None)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    err = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC) if stderr_path else devnull
    os.dup2(err, 2)
    os._exit(int(main(list(argv)) or 0))


def run_cli(argv, crash: str | None = None, kill_after: float | None = None, stderr_path=None,
            timeout: float = 300.0) -> int:
    """Exit code of `collapse argv` in a child: -9 when killed (by `crash` or after `kill_after` s)."""
    p = context().Process(target=_child, args=(list(argv), crash, stderr_path))
    p.start()
    if kill_after is not None:
        p.join(kill_after)
        if p.is_alive():
            os.kill(p.pid, signal.SIGKILL)
    p.join(timeout)
    if p.is_alive():
        os.kill(p.pid, signal.SIGKILL)
        p.join()
        raise TimeoutError(f"collapse {' '.join(argv)} did not finish in {timeout} s")
    return p.exitcode


def loaded_modules(prefixes) -> list[str]:
    """Names of the modules loaded in this process that start with one of `prefixes` (a lane's
    imports, seen from a test)."""
    import sys
    return sorted(m for m in sys.modules if m.startswith(tuple(prefixes)))


def draw_series_then_list_modules(per_group, figs_dir, prefixes) -> tuple[list[str], list[str]]:
    """`series_figures(per_group, figs_dir)`, then `loaded_modules(prefixes)` in the same process."""
    from validate.report.figures import series_figures
    return series_figures(per_group, figs_dir), loaded_modules(prefixes)
