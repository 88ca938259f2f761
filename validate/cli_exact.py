"""`collapse exact`: exact Gaussian generations, no training (gaussian_exact.generations).

collapse exact --alpha 0.1 0.5 0.9 --generations 20 --dim 10 [--steps 500] [--slope -0.03] [--bias 0.05]
               [--mode replace|accumulate] [--n-samples N] --format markdown|csv|latex [--plot PATH]

Data and error are `validate.exact_runs.exact_setup`: N(0, S) with a full seeded covariance S, and
the affine score error e(x, t) = slope x + bias u, u = (1, ..., 1)/sqrt(d). One row per alpha and
generation g: D_* of p^g; the other columns describe the transition g -> g+1 (empty on the last).
"""
from __future__ import annotations

import argparse
import math

COLUMNS = ("alpha", "generation", "D_chi2", "D_kl", "D_w2", "I_chi2", "I_chi2_se", "I_chi2_gaussian",
           "eps2", "epshat2", "eta", "kl_ideal", "cross", "J")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--alpha", type=float, nargs="+", default=[0.1, 0.5, 0.9],
                        help="fresh-data fractions in [0, 1] (default: 0.1 0.5 0.9)")
    parser.add_argument("--generations", type=int, default=20, help="number of generations N >= 1 (default: 20)")
    parser.add_argument("--dim", type=int, default=10, help="dimension d >= 1 (default: 10)")
    parser.add_argument("--steps", type=int, default=500,
                        help="Euler-Maruyama steps K >= 1 on [t0, T]; 0 for continuous time (default: 500)")
    parser.add_argument("--T", type=float, default=4.0, help="horizon T (default: 4)")
    parser.add_argument("--t0", type=float, default=0.02, help="early-stopping time t0 in [0, T) (default: 0.02)")
    parser.add_argument("--slope", type=float, default=-0.03, help="W = slope * I in e = W x + xi (default: -0.03)")
    parser.add_argument("--bias", type=float, default=0.05, help="|xi|, along (1,...,1)/sqrt(d) (default: 0.05)")
    parser.add_argument("--mode", choices=("replace", "accumulate"), default="replace")
    parser.add_argument("--n-samples", type=int, default=None,
                        help="fit the learner from this many samples per generation (default: population level)")
    parser.add_argument("--mixture-samples", type=int, default=2 ** 13,
                        help="importance samples for chi2/KL to the mixture q_i in d >= 2; 0 skips (default: 8192)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data covariance and the samples")
    parser.add_argument("--format", choices=("markdown", "csv", "latex"), default="markdown")
    parser.add_argument("--plot", default=None, metavar="PATH", help="save D_chi2 against generation to PATH")


def check_args(args) -> None:
    """ValueError naming the first out-of-range setting (what `table` would refuse), before any work.

    Raises
    ------
    ValueError
        generations < 1, dim < 1, steps < 0, mixture_samples < 0, or an alpha outside [0, 1].
    """
    if args.generations < 1:
        raise ValueError(f"generations must be an integer >= 1, got {args.generations}")
    if args.dim < 1:
        raise ValueError(f"dim must be an integer >= 1, got {args.dim}")
    if args.steps < 0:
        raise ValueError(f"steps must be an integer >= 1, or 0 for continuous time, got {args.steps}")
    if args.mixture_samples < 0:
        raise ValueError(f"mixture-samples must be >= 0, got {args.mixture_samples}")
    for a in args.alpha:
        if not 0.0 <= a <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {a}")


def table(args) -> list[dict]:
    """Rows for every alpha (see the module docstring)."""
    from gaussian_exact.generations import generations
    from validate.exact_runs import exact_setup

    check_args(args)
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


def plot(rows: list[dict], path: str) -> None:
    from validate.figures.style import alpha_color, new_figure, use_log_if_spread

    fig, axes = new_figure()
    ax = axes[0][0]
    for a in dict.fromkeys(r["alpha"] for r in rows):
        sel = [r for r in rows if r["alpha"] == a]
        ax.plot([r["generation"] for r in sel], [r["D_chi2"] for r in sel], "o-", ms=3, color=alpha_color(a),
                label=f"alpha = {a:g}")
    use_log_if_spread(ax, [r["D_chi2"] for r in rows if math.isfinite(r["D_chi2"]) and r["D_chi2"] > 0])
    ax.set_xlabel("generation")
    ax.set_ylabel("D = chi2(p^g || data)")
    ax.set_title("exact Gaussian generations")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    import matplotlib.pyplot as plt

    plt.close(fig)


def run(args) -> int:
    from validate.tables import render

    rows = table(args)
    print(render(rows, args.format, columns=COLUMNS, digits=6,
                 caption="Exact Gaussian generations (gaussian_exact)"), end="")
    if args.plot:
        plot(rows, args.plot)
    return 0
