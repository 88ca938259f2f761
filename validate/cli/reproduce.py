"""`collapse reproduce --out DIR [--scale small|paper] [--device cpu|cuda|auto]`: the main job."""
from __future__ import annotations

import argparse

from neural.devices import resolve_device
from neural.protocol_cost import format_duration
from validate.cli.arg_types import count, fraction, output_directory
from validate.checks.counts import count_rows, counts_line
from validate.cli.main import UsageError
from validate.pipeline.reproduce import SCALES, estimate_neural, reproduce


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the subcommand's options.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    """
    parser.add_argument("--out", required=True, type=output_directory("out"),
                        help="output directory (resumed if it holds a partial run)")
    parser.add_argument("--scale", choices=tuple(SCALES), default="small",
                        help="small: CPU, a few minutes (default); tiny: a smoke run; "
                             "paper: the paper's protocol, for a GPU")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    parser.add_argument("--seed", type=count("seed"), default=0)
    parser.add_argument("--alpha", type=fraction("alpha"), nargs="+", default=[0.1, 0.5, 0.9], help="fresh fractions in [0, 1]")
    parser.add_argument("--no-neural", action="store_true", help="skip the neural runs (bounds and exact only)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--estimate", action="store_true",
                        help="print a duration estimate of the neural part from a short calibration on the device "
                             "and exit (the paper scale prints it anyway before starting)")


def run(args) -> int:
    """Run every part into --out and build the report.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options.

    Returns
    -------
    int
        Exit status (0).

    Raises
    ------
    UsageError
        If the reproduce settings are refused (ValueError).
    """
    try:
        device = str(resolve_device(args.device))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.estimate:
        est = estimate_neural(SCALES[args.scale], tuple(args.alpha), args.seed, device)
        for d in est["specs"]:
            print(f"{d['spec']} x {d['runs']} runs on {d['device']}: about {format_duration(d['seconds'])} "
                  f"(KDE kernel {d['kde']:.3g} entries/s, mixture kernel {d['mixture']:.3g} entries/s, "
                  f"eta regression {d['regression_seconds']:.2f} s each)")
        print(f"estimated duration of the neural part at scale {args.scale!r}: {format_duration(est['seconds'])}")
        return 0
    result = reproduce(args.out, scale=args.scale, device=device, seed=args.seed, alphas=tuple(args.alpha),
                       neural=not args.no_neural, progress=not args.quiet)
    print(f"wrote {args.out}/summary.md, {args.out}/tables/, {args.out}/figures/; "
          f"{counts_line(count_rows(result['checks']))}")
    return 0
