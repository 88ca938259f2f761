"""Peak memory and time of chi2_to_mixture / kl_to_mixture on the edge families of issue 20 (point 1).

Families (d = 2): components 50 sd apart (an OverflowError before), p's variance next to the
finiteness boundary 3.2 (4.8 GB of quadrature nodes at 3.1999 before), p one component with the other
60 sd away (31-53 % errors before). Memory: tracemalloc's peak (numpy's buffers included) per call,
and the process's ru_maxrss at the end. Time: each family's time as a ratio to the in-process
baseline, the referee's d = 2 random case (tests/_mixture_reference.py case "d2_random").

Run: PYTHONPATH=. python bench/bench_mixture_edges.py
"""
import importlib.util
import pathlib
import resource
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from gaussian_exact import Gaussian  # noqa: E402
from gaussian_exact.mixture import GaussianMixture, chi2_to_mixture, kl_to_mixture  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "_mixture_reference", pathlib.Path(__file__).resolve().parents[1] / "tests" / "_mixture_reference.py")
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

I2 = np.eye(2)


def mixture(a, means, variances):
    return GaussianMixture([a, 1 - a], [Gaussian(np.asarray(m, float), v * I2) for m, v in zip(means, variances)])


def baseline():
    prob = ref.case("d2_random")
    return Gaussian(prob.m, prob.S), GaussianMixture(prob.w, [Gaussian(m, c) for m, c in zip(prob.means, prob.covs)])


FAMILIES = {
    "baseline d2_random": baseline(),
    "50 sd apart, p = N(0, 0.5 I)": (Gaussian(np.zeros(2), 0.5 * I2), mixture(0.5, [(0, 0), (50, 0)], [1.0, 1.0])),
    "boundary, vp = 3.1999": (Gaussian(np.zeros(2), 3.1999 * I2), mixture(0.5, [(0, 0), (0, 0)], [1.0, 1.6])),
    "boundary, vp = 3.19999": (Gaussian(np.zeros(2), 3.19999 * I2), mixture(0.5, [(0, 0), (0, 0)], [1.0, 1.6])),
    "p = g1, g2 60 sd away": (Gaussian(np.zeros(2), I2), mixture(0.5, [(0, 0), (60, 0)], [1.0, 1.0])),
}


def measure(p, q, repeats=3):
    tracemalloc.start()
    start = time.perf_counter()
    for _ in range(repeats):
        chi = chi2_to_mixture(p, q)
        kl = kl_to_mixture(p, q)
    seconds = (time.perf_counter() - start) / repeats
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return chi, kl, seconds, peak


def main():
    base = None
    for name, (p, q) in FAMILIES.items():
        chi, kl, seconds, peak = measure(p, q)
        base = base or seconds
        print(f"{name:32s} chi2 {chi[0]:.12g} +- {chi[1]:.2g}  KL {kl[0]:.12g} +- {kl[1]:.2g}  "
              f"time x{seconds / base:.2f} of the baseline  tracemalloc peak {peak / 2 ** 20:.1f} MiB")
    print(f"process ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
