"""`collapse sweep SPEC --out DIR`: a grid of train and exact runs from a TOML spec, on Dask.

collapse sweep SPEC --out DIR [--executor dask|serial] [--scheduler tcp://HOST:PORT] [--workers N]
                   [--device cpu|cuda|auto] [--dry-run] [--quiet]

The spec (`validate.sweep.spec`) crosses its [axes]; each combination is a resumable run in
`DIR/runs/<prefix>-<hash>/`. Finished runs are skipped, partial ones resumed, so running the same
command again does no work. Exit status 0 when every run finished, 1 when some run failed (each
failure is printed with its config and traceback), 2 for a malformed spec or bad options.
`collapse report --run DIR` then builds the tables, figures and checks over the sweep.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from validate.sweep.runner import EXECUTORS, RUNS_DIR, plan, run_sweep
from validate.cli.arg_types import count, output_directory
from validate.cli.main import UsageError
from validate.sweep.spec import DEVICE_PATTERN, SweepError, load_spec
from validate.sweep.task import run_state


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the subcommand's options.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    """
    parser.add_argument("spec", help="the sweep spec (TOML: [run], [axes], optionally [exact] and [exact.axes])")
    parser.add_argument("--out", required=True, type=output_directory("out"), help="sweep directory (created; reused to resume)")
    parser.add_argument("--executor", choices=EXECUTORS, default="dask",
                        help="dask (default; an embedded LocalCluster unless --scheduler) or serial (in-process)")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                        help="join an existing Dask cluster instead of starting a LocalCluster")
    parser.add_argument("--workers", type=count("workers", 1), default=None,
                        help="worker processes of the LocalCluster (default: CPU cores; GPUs with --device cuda)")
    parser.add_argument("--device", default=None,
                        help="device of every train run (auto, cpu, cuda, cuda:N), overriding the spec; "
                        "with cuda each run takes one GPU resource")
    parser.add_argument("--dry-run", action="store_true", help="list the runs and their state; run nothing")
    parser.add_argument("--quiet", action="store_true", help="no progress lines (failures are still printed)")


def run(args) -> int:
    """Run (or resume) a sweep and build its report.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options.

    Returns
    -------
    int
        Exit status: 1 when a run failed or is missing, else 0.

    Raises
    ------
    UsageError
        If the spec, the options or the cluster is refused (SweepError).
    """
    try:
        return _run(args)
    except SweepError as exc:  # the spec, the options or the cluster: a usage error
        raise UsageError(str(exc)) from None


def _run(args) -> int:
    spec = load_spec(args.spec)
    if args.device is not None and not DEVICE_PATTERN.match(args.device.strip().lower()):
        raise SweepError(f"--device must be one of auto, cpu, cuda, cuda:N, got {args.device!r}")
    if args.dry_run:
        for r in plan(spec, args.device):
            print(f"{run_state(r, Path(args.out) / RUNS_DIR / r.name):9s} {r.kind:6s} {r.name}")
        return 0
    if args.executor == "dask" and importlib.util.find_spec("distributed") is None:
        raise SweepError("the dask executor needs Dask distributed: pip install '.[sweep]' (or use --executor serial)")
    summary = run_sweep(spec, args.out, executor=args.executor, scheduler=args.scheduler, workers=args.workers,
                        device=args.device, progress_stream=None if args.quiet else sys.stderr,
                        failure_stream=sys.stderr)
    c = summary["counts"]
    print(f"{c['finished']} of {len(summary['runs'])} runs finished, {c['failed']} failed, {c['missing']} missing "
          f"in {args.out}")
    return 1 if c["failed"] or c["missing"] else 0
