"""What the existing approximations cost, measured against exact grid values (THEORY.md section 7).

On gmm1d (0.2 N(0, 0.36) + 0.4 N(-4, 0.36) + 0.4 N(4, 0.36)), generation 0 (q_0 = data, so the exact
score of q is the mixture's closed form), n training draws, Euler-Maruyama with K steps from N(0, 1):
1. "KDE pushed to t0": `neural.retraining` takes the law of a KDE learner's samples to be the KDE
   of the training set smoothed to t0 (exact only with exact sampling from the KDE's own time-T
   marginal). Against the exact law of the K-step chain with the KDE score: KL(exact || pushed),
   and the KL to data of each (D_1).
2. The regression estimator of eta (`neural.observability`, poly2 features, the paper's estimator)
   and the Monte-Carlo eps2 against the exact eta and eps2 of the chain, for the KDE and an MLP
   learner, with no injected error and with the three injected types (aligned w x, random w G x,
   time-only xi; neural.error_injection), over `--paths` ideal paths.
Usage: python bench/bench_grid_bias.py [--n 400] [--steps 100] [--paths 4000] [--mlp-steps 600]
"""
import argparse
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gaussian_exact import GridLaw, kl, run_grid_chain  # noqa: E402
from neural.error_injection import aligned_error, random_direction_error, time_only_error  # noqa: E402
from neural.gaussian_mixture import TorchGaussianMixture  # noqa: E402
from neural.grid_exact import NumpyScore, data_grid_law  # noqa: E402
from neural.learners import make_learner  # noqa: E402
from neural.observability import observability_mc  # noqa: E402
from neural.sde import VPSDE  # noqa: E402
from neural.targets import make_target  # noqa: E402

T, T0 = 4.0, 0.02


def pushed_law(x_train, h, grid: GridLaw) -> GridLaw:
    """The KDE (1/n) sum N(x_j, h^2) pushed to t0: components N(a x_j, a^2 h^2 + s^2), on the grid."""
    a, s2 = np.exp(-T0 / 2), -np.expm1(-T0)
    x = x_train[:, 0]
    var = a * a * h * h + s2
    return GridLaw.mixture(np.full(len(x), 1 / len(x)), (a * x)[:, None], np.full(len(x), var),
                           points=grid.shape[0], bounds=(grid.axes[0][0], grid.axes[0][-1]), mass_tol=1e-4)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--paths", type=int, default=4000)
    ap.add_argument("--mlp-steps", type=int, default=600)
    ap.add_argument("--size", type=float, default=0.2, help="size w of the injected errors")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    target = make_target("gmm1d")
    sde = VPSDE(T, T0)
    gen = torch.Generator().manual_seed(0)
    x_train = target.sample(args.n, generator=gen, dtype=torch.float64)
    data = data_grid_law(target, args.steps, T, T0, reach=14.0)
    learners = {"kde": make_learner("kde", (1,), "cpu", bandwidth=0.6).fit(x_train),
                "mlp": make_learner("mlp", (1,), "cpu", steps=args.mlp_steps).fit(x_train.float(), generator=gen)}
    learners["mlp"] = _as64(learners["mlp"])

    # 1. KDE pushed to t0 vs the exact chain law of the KDE learner
    rows = []
    for K in sorted({20, 50, args.steps, 500}):
        grid = data_grid_law(target, K, T, T0, reach=14.0)
        exact = run_grid_chain(grid, score=NumpyScore(learners["kde"], "cpu", torch.float64), T=T, t0=T0, steps=K,
                               learned=True, ideal=False).learned
        pushed = pushed_law(x_train.numpy(), 0.6, grid)
        rows.append((K, kl(exact, pushed), kl(exact, grid), kl(pushed, grid)))
    print("1. KDE learner (h = 0.6, n = %d): the KDE pushed to t0 against the exact law of the K-step chain" % args.n)
    print("| steps K | KL(exact chain law || KDE pushed to t0) | D_1 = KL(. || data): exact | pushed | relative bias of D_1 |")
    print("|---|---|---|---|---|")
    for K, gap, d_exact, d_pushed in rows:
        print(f"| {K} | {gap:.4g} | {d_exact:.5g} | {d_pushed:.5g} | {(d_pushed - d_exact) / d_exact:+.1%} |")
    print()

    # 2. eta by regression (poly2) and MC eps2 against the exact values
    print(f"2. eta and eps2 on gmm1d, K = {args.steps}, {args.paths} ideal paths (regression on poly2 features)")
    print("| learner | injected error | exact eta | regression eta +- se | bias | exact eps2 | MC eps2 +- se |")
    print("|---|---|---|---|---|---|---|")
    injections = {"none": lambda s: s, "aligned": lambda s: aligned_error(s, args.size, 1),
                  "random": lambda s: random_direction_error(s, args.size, 1, seed=0),
                  "time-only": lambda s: time_only_error(s, torch.full((1,), args.size, dtype=torch.float64))}
    for name, base in learners.items():
        for kind, inject in injections.items():
            learned = inject(base)
            r = run_grid_chain(data, score=NumpyScore(learned, "cpu", torch.float64), T=T, t0=T0, steps=args.steps,
                               learned=False, ideal=True, track_eta=True)
            x_T = torch.randn((args.paths, 1), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
            est = observability_mc(learned, target.score, x_T, sde, args.steps, features="poly2",
                                   generator=torch.Generator().manual_seed(2))
            eta, eps2 = est["eta"], est["eps2"]
            print(f"| {name} | {kind} | {r.eta:.4f} | {eta.value:.4f} +- {eta.se:.4f} | "
                  f"{eta.value - r.eta:+.4f} | {r.eps2:.5g} | {eps2.value:.5g} +- {eps2.se:.2g} |")


def _as64(score):
    def f(x, t):
        with torch.no_grad():
            return score(x.float(), t).double()
    return f


if __name__ == "__main__":
    main()
