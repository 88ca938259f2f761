"""The cost of exact TV between Gaussians (gaussian_exact.tv) on the exact runs, side by side.

1. Per call, d = 2, 5, 10 (random full covariances and means, the pairs of the exact runs' size): TV
   against the Hellinger closed form in the same process (ratio), and its error estimate.
2. One default exact run (`validate.pipeline.exact_runs.ExactRunConfig()`: d = 10, 20 generations, continuous
   time, the mixture terms as in `collapse reproduce`): its time, the share spent in the TV calls (every
   `tv_with_error` of `gaussian_exact.generations` timed by a wrapper), and the ratio of the run to the run
   without them.
Times are CPU seconds of this process (time.process_time) with BLAS limited to one thread.
Usage: python bench/bench_exact_tv.py
"""
import importlib
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gaussian_exact import Gaussian, hellinger, tv_with_error  # noqa: E402
from validate.pipeline.exact_runs import ExactRunConfig, exact_run_rows  # noqa: E402

gen = importlib.import_module("gaussian_exact.generations")   # the module (the package exports its function)


def spd(rng, d):
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (q * rng.uniform(0.3, 1.5, d)) @ q.T


def per_call(reps=20):
    rng = np.random.default_rng(0)
    for d in (2, 5, 10):
        pairs = [(Gaussian(0.3 * rng.standard_normal(d), spd(rng, d)), Gaussian(0.3 * rng.standard_normal(d), spd(rng, d)))
                 for _ in range(reps)]
        t = time.process_time()
        errors = [tv_with_error(p, q)[1] for p, q in pairs]
        t_tv = (time.process_time() - t) / reps
        t = time.process_time()
        for p, q in pairs:
            hellinger(p, q)
        t_h = (time.process_time() - t) / reps
        print(f"[1] d = {d:2d}: TV {t_tv * 1e3:.2f} ms per call, Hellinger {t_h * 1e3:.3f} ms, ratio {t_tv / t_h:.0f}x; "
              f"largest error estimate {max(errors):.1e}")


def one_run():
    spent = [0.0, 0]
    inner = gen.tv_with_error

    def timed(p, q):
        t = time.process_time()
        out = inner(p, q)
        spent[0] += time.process_time() - t
        spent[1] += 1
        return out

    gen.tv_with_error = timed
    try:
        t = time.process_time()
        exact_run_rows(ExactRunConfig(), 0.5)
        total = time.process_time() - t
    finally:
        gen.tv_with_error = inner
    print(f"[2] default exact run (d = 10, 20 generations, alpha = 0.5): {total:.2f} s, of which {spent[1]} TV calls "
          f"{spent[0]:.2f} s ({spent[0] / spent[1] * 1e3:.1f} ms each); ratio to the run without them "
          f"{total / (total - spent[0]):.2f}x")


if __name__ == "__main__":
    per_call()
    one_run()
