"""Cost of the tilted-moment and conditional recursions of THEORY.md section 8 against one plain grid
chain (issue 18 point 6: at most 3x one plain grid chain, 1-D, K = 500).

Target: the two-mode mixture 0.5 N(-1.5, 0.36) + 0.5 N(1.5, 0.36) on its default grid, error
0.3 tanh(x), K = 500. Baselines (run in the same process): `run_grid_chain` with the ideal chain
only, and with both chains (learned + ideal, as one generation's laws). Measured: grid_path_moments
with one order a = 2 (tilted moment + Novikov + <M> moments), with four orders (0.5, 1.5, 2, 3), and
with conditional=True (adds g, c and the learned chain: the proof's Zbar, Psi), and the Riccati
recursion of a 1-D Gaussian target. CPU seconds (time.process_time, BLAS on one thread), best of
`--repeat` runs.
Usage: python bench/bench_path_moments.py [--repeat N]
"""
import argparse
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gaussian_exact import (AffineError, Gaussian, GridLaw, grid_path_moments, proof_skeleton,  # noqa: E402
                            run_grid_chain, tilted_moment)

STEPS = 500


def best(f, repeat):
    times = []
    for _ in range(repeat):
        start = time.process_time()
        f()
        times.append(time.process_time() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    law = GridLaw.mixture([0.5, 0.5], [[-1.5], [1.5]], [0.36, 0.36])

    def error(x, t):
        return 0.3 * np.tanh(x)

    rows = [
        ("plain chain (ideal only)", lambda: run_grid_chain(law, error, steps=STEPS, learned=False)),
        ("plain chains (learned + ideal)", lambda: run_grid_chain(law, error, steps=STEPS)),
        ("moments, a = 2", lambda: grid_path_moments(law, error, (2.0,), steps=STEPS)),
        ("moments, a in (0.5, 1.5, 2, 3)", lambda: grid_path_moments(law, error, (0.5, 1.5, 2.0, 3.0), steps=STEPS)),
        ("proof skeleton (conditional, no order)", lambda: proof_skeleton(law, error, steps=STEPS)),
        ("conditional + a = 2", lambda: grid_path_moments(law, error, (2.0,), steps=STEPS, conditional=True)),
    ]
    print(f"1-D grid {law.shape[0]} points, K = {STEPS}; CPU seconds, best of {args.repeat}")
    times = [best(f, args.repeat) for _, f in rows]
    ideal, plain = times[0], times[1]
    print(f"  {'':42s} {'CPU s':>7s}   {'/ plain':>7s}   {'/ ideal':>7s}   (plain: learned + ideal chains)")
    for (name, _), t in zip(rows, times):
        print(f"  {name:42s} {t:7.3f}   {t / plain:6.2f}x   {t / ideal:6.2f}x")
    gauss = Gaussian([0.3], [0.36])
    e = AffineError(W=-0.2, xi=[0.1])
    t = best(lambda: tilted_moment(gauss, e, 2.0, steps=STEPS), args.repeat)
    print(f"  {'Riccati recursion, 1-D Gaussian, a = 2':42s} {t:7.3f}   {t / plain:6.2f}x   {t / ideal:6.2f}x")


if __name__ == "__main__":
    main()
