"""The settings of an exact Gaussian run, declared once: `collapse exact` and sweep specs use them.

Data and error are `validate.pipeline.exact_runs.exact_setup`: N(0, S) with a full seeded covariance S, and
the affine score error e(x, t) = slope x + bias u, u = (1, ..., 1)/sqrt(d). One row per alpha and
generation g: D_* of p^g; the other columns describe the transition g -> g+1 (empty on the last).
"""
from __future__ import annotations

import argparse

from gaussian_exact.generations import generations
from validate.cli.arg_types import count, finite, fraction, positive
from validate.pipeline.exact_runs import exact_setup

COLUMNS = ("alpha", "generation", "D_chi2", "D_kl", "D_w2", "I_chi2", "I_chi2_se", "I_chi2_gaussian",
           "eps2", "epshat2", "eta", "kl_ideal", "cross", "J")


def add_exact_arguments(parser: argparse.ArgumentParser) -> None:
    """The settings of an exact run (`collapse exact`, the `[exact]` tables of a sweep spec).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser to add the options to.
    """
    parser.add_argument("--alpha", type=fraction("alpha"), nargs="+", default=[0.1, 0.5, 0.9],
                        help="fresh-data fractions in [0, 1] (default: 0.1 0.5 0.9)")
    parser.add_argument("--generations", type=count("generations", 1), default=20, help="number of generations N >= 1 (default: 20)")
    parser.add_argument("--dim", type=count("dim", 1), default=10, help="dimension d >= 1 (default: 10)")
    parser.add_argument("--steps", type=count("steps"), default=500,
                        help="Euler-Maruyama steps K >= 1 on [t0, T]; 0 for continuous time (default: 500)")
    parser.add_argument("--T", type=positive("T"), default=4.0, help="horizon T (default: 4)")
    parser.add_argument("--t0", type=finite("t0"), default=0.02, help="early-stopping time t0 in [0, T) (default: 0.02)")
    parser.add_argument("--slope", type=finite("slope"), default=-0.03, help="W = slope * I in e = W x + xi (default: -0.03)")
    parser.add_argument("--bias", type=finite("bias"), default=0.05, help="|xi|, along (1,...,1)/sqrt(d) (default: 0.05)")
    parser.add_argument("--mode", choices=("replace", "accumulate"), default="replace")
    parser.add_argument("--n-samples", type=count("n-samples", 1), default=None,
                        help="fit the learner from this many samples per generation (default: population level)")
    parser.add_argument("--mixture-samples", type=count("mixture-samples"), default=2 ** 13,
                        help="importance samples for chi2/KL to q_i where sampled (d >= 2, more than two components; two are exact); 0 skips (default: 8192)")
    parser.add_argument("--seed", type=count("seed"), default=0, help="seed of the data covariance and the samples")
    parser.add_argument("--format", choices=("markdown", "csv", "latex"), default="markdown")
    parser.add_argument("--plot", default=None, metavar="PATH", help="save D_chi2 against generation to PATH")


def check_exact_args(args) -> None:
    """The checks that involve two settings (single ranges are the argument types).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed settings.

    Raises
    ------
    ValueError
        t0 outside [0, T), or n_samples <= dim + 1.
    """
    if not 0 <= args.t0 < args.T:
        raise ValueError(f"t0 must be in [0, T) = [0, {args.T:g}), got {args.t0:g}")
    if args.n_samples is not None and args.n_samples <= args.dim + 1:
        raise ValueError(f"n-samples must be > dim + 1 = {args.dim + 1} (a covariance is fitted), got {args.n_samples}")


def exact_rows(args) -> list[dict]:
    """Rows of `collapse exact` for every alpha of `args` (see `validate.cli.exact`).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed settings (checked by `check_exact_args`).

    Returns
    -------
    list of dict
        One metrics row per generation and alpha.
    """
    check_exact_args(args)
    data, error = exact_setup(args.dim, args.seed, args.slope, args.bias)
    rows = []
    for a in args.alpha:
        res = generations(data, a, args.generations, error=error, n_samples=args.n_samples, mode=args.mode,
                          T=args.T, t0=args.t0, steps=args.steps or None, seed=args.seed,
                          mixture_samples=args.mixture_samples)
        for row in res.rows():
            row["alpha"] = a
            rows.append(row)
    return rows
