"""`collapse reproduce --out DIR [--scale small|paper] [--device cpu|cuda|auto]`: the main job."""
from __future__ import annotations

import argparse

from neural.devices import resolve_device
from validate.cli import UsageError
from validate.arg_types import count, fraction
from validate.reproduce import SCALES, reproduce


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output directory (resumed if it holds a partial run)")
    parser.add_argument("--scale", choices=tuple(SCALES), default="small",
                        help="small: CPU, a few minutes (default); tiny: a smoke run; "
                             "paper: the paper's protocol, for a GPU")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    parser.add_argument("--seed", type=count("seed"), default=0)
    parser.add_argument("--alpha", type=fraction("alpha"), nargs="+", default=[0.1, 0.5, 0.9], help="fresh fractions in [0, 1]")
    parser.add_argument("--no-neural", action="store_true", help="skip the neural runs (bounds and exact only)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def run(args) -> int:
    try:
        device = str(resolve_device(args.device))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    result = reproduce(args.out, scale=args.scale, device=device, seed=args.seed, alphas=tuple(args.alpha),
                       neural=not args.no_neural, progress=not args.quiet)
    failed = [r for r in result["checks"] if r["kind"] != "informative" and r["failed"]]
    print(f"wrote {args.out}/summary.md, {args.out}/tables/, {args.out}/figures/ "
          f"({len(result['checks'])} checks, {len(failed)} binding checks failed)")
    return 0
