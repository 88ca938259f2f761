"""`collapse train`: recursive retraining of a score model, resumable (neural.retraining).

collapse train --target gmm --model kde --alpha 0.5 --generations 3 --n 512 --steps 50 \
    --seed 0 --device cpu --out DIR [--mode replace|accumulate] [--alpha-schedule 0.9 0.5 ...] \
    [--metrics D_chi2 I_chi2 eps2 epshat2 eta] [--exact auto|grid|off]

Rerunning the same command on the same --out resumes after the last finished generation (a larger
--generations extends the run). torch is imported only when the command runs.
"""
from __future__ import annotations

import argparse
import json

METRIC_CHOICES = ("D_chi2", "D_kl", "I_chi2", "I_kl", "eps2", "epshat2", "eta")  # neural.retraining.METRIC_NAMES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", default="gmm", help="target law: gaussian, gmm, gmm1d, gmm2d, ring, two_moons, digits, "
                        "fashion_mnist, cifar10 (default: gmm, the paper's 10-D mixture)")
    parser.add_argument("--data-dir", default=None, help="directory holding Fashion-MNIST or CIFAR-10 files")
    parser.add_argument("--model", default="kde", help="score model: kde, mlp, unet (default: kde)")
    parser.add_argument("--alpha", type=float, default=0.5, help="fresh-data fraction in [0, 1] (default: 0.5)")
    parser.add_argument("--alpha-schedule", type=float, nargs="+", default=None,
                        help="alpha for generations 1, 2, ... (last value repeated); overrides --alpha")
    parser.add_argument("--generations", type=int, default=3, help="number of generations >= 1 (default: 3)")
    parser.add_argument("--n", type=int, default=512, help="training-set size per generation (default: 512)")
    parser.add_argument("--steps", type=int, default=50, help="Euler-Maruyama steps T -> t0 (default: 50)")
    parser.add_argument("--bandwidth", type=float, default=0.6, help="KDE bandwidth h (default: 0.6)")
    parser.add_argument("--mode", choices=("replace", "accumulate"), default="replace")
    parser.add_argument("--metrics", nargs="*", default=[], metavar="NAME",
                        help=f"expensive metrics to compute, among {' '.join(METRIC_CHOICES)}")
    parser.add_argument("--eval-paths", type=int, default=1000, help="simulated paths for eps2/epshat2/eta")
    parser.add_argument("--eval-points", type=int, default=1000, help="draws for D/I and the W2 subset")
    parser.add_argument("--train-steps", type=int, default=None, help="optimizer steps per generation (mlp/unet)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                        help="dtype of data, samples and the sampler (metrics run in float64)")
    parser.add_argument("--chunk-size", type=int, default=None, help="rows per score call (bounds memory)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:N")
    parser.add_argument("--out", required=True, help="run directory (created; reused to resume)")
    parser.add_argument("--exact", choices=("auto", "grid", "off"), default="auto",
                        help="exact grid laws and metrics (THEORY.md section 7): grid = required (targets of "
                        "dimension <= 2 with a density: gmm1d, gmm2d, gaussian, ring), auto = grid when "
                        "possible (default), off = the sample-based estimators")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def config_from_args(args):
    from neural.retraining import RetrainingConfig

    bad = [m for m in args.metrics if m not in METRIC_CHOICES]
    if bad:
        raise ValueError(f"--metrics must be among {' '.join(METRIC_CHOICES)}, got {' '.join(bad)}")
    target_kw = {"data_dir": args.data_dir} if args.target in ("fashion_mnist", "cifar10") else {}
    model_kw = {"steps": args.train_steps} if (args.train_steps and args.model != "kde") else {}
    return RetrainingConfig(target=args.target, model=args.model, alpha=args.alpha,
                            alpha_schedule=args.alpha_schedule, generations=args.generations, n=args.n,
                            steps=args.steps, seed=args.seed, device=args.device, mode=args.mode,
                            metrics=list(args.metrics), bandwidth=args.bandwidth, eval_paths=args.eval_paths,
                            eval_points=args.eval_points, dtype=args.dtype, chunk_size=args.chunk_size,
                            target_kw=target_kw, model_kw=model_kw, exact=args.exact)


def run(args) -> int:
    from neural.retraining import run_generations

    rows = run_generations(config_from_args(args), args.out, progress=not args.quiet)
    for row in rows:
        shown = {k: v for k, v in row.items() if not k.endswith(("_estimator", "_se"))}
        print(json.dumps(shown))
    print(f"{len(rows)} generation(s) in {args.out}")
    return 0
