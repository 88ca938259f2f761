"""Added cost of the theory metrics of one grid-exact generation (neural.grid_theory.theory_metrics:
one grid_path_moments pass with 4 orders, Novikov, <M> moments up to 3 and the conditional quantities,
plus TV / Hellinger / Renyi on the grid laws) against the plain per-generation chain
(run_grid_chain with learned + ideal + eta, what neural.grid_exact ran before), issue 18 point 6.

Target: the gmm1d mixture on the network grid of neural.grid_exact (reach 30 sd, K = 500), score the
exact score of q plus the error 0.3 tanh(x) (a numpy callable: the network's evaluation cost is not
included, it adds the same to both). CPU seconds (time.process_time, one BLAS thread), best of --repeat.
Usage: python bench/bench_theory_metrics.py [--repeat N] [--steps K]
"""
import argparse
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gaussian_exact import chi2_reason, run_grid_chain  # noqa: E402
from neural.grid_exact import REACH, data_grid_law  # noqa: E402
from neural.grid_theory import theory_metrics  # noqa: E402
from neural.targets import make_target  # noqa: E402


def best(f, repeat):
    times = []
    for _ in range(repeat):
        start = time.process_time()
        f()
        times.append(time.process_time() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()
    T, t0, K = 4.0, 0.02, args.steps
    law = data_grid_law(make_target("gmm1d"), K, T, t0, reach=REACH["network"][1])

    def score(x, t):
        return law.score(x, t) + 0.3 * np.tanh(x)

    def plain():
        return run_grid_chain(law, None, T, t0, K, score=score, learned=True, ideal=True, track_eta=True)

    r = plain()
    chi2 = chi2_reason(r.learned, r.ideal).value
    base = best(plain, args.repeat)
    extra = best(lambda: theory_metrics(law, law, law, r.learned, r.ideal, score, K, T, t0, chi2), args.repeat)
    print(f"grid: {law.shape[0]} points, K = {K}")
    print(f"plain generation chain (learned + ideal + eta): {base:.2f} s CPU")
    print(f"theory metrics (added):                        {extra:.2f} s CPU  ({extra / base:.2f}x the plain chain)")


if __name__ == "__main__":
    main()
