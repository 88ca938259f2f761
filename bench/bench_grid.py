"""The exact grid chain (gaussian_exact.GridLaw, THEORY.md section 7): convergence and cost.

1. Quadrature convergence (grid spacing): a Gaussian target with an affine error, where the Gaussian
   engine gives the K-step chain in closed form; the largest relative error over the learned
   output's density, KL and chi2 (learned vs ideal output), eps2, epshat2 and eta, by spacing
   dx / sqrt(h) and steps K. d = 1: N(0.3, 0.36), W = -0.1, xi = 0.05; d = 2: N(m, S) with a
   correlated S and a full W.
2. Time discretization (steps): the same quantities of the K-step chain against the continuous-time
   limit (Gaussian engine, steps=None): how the continuous limit is reached (O(h)).
3. Cost: CPU seconds (time.process_time, BLAS on one thread) of every quantity of one generation
   (learned and ideal chains, eps2, epshat2, eta, KL, chi2) at K = 500: d = 1 on the default grid,
   d = 2 on 256 x 256.
4. The paper's 10-D mixture as a product: the 2-D mixture (gmm2d: five components at (0, 0) and
   (+-4, +-4), covariance 0.36 I) times eight N(0, 0.36) coordinates, with the coordinate-wise error
   beta tanh(x): exact KL, chi2, eps2, epshat2, eta of one generation (exact score + error).
5. Speed against a baseline checkout (--baseline DIR, e.g. a worktree of the commit before a change):
   CPU seconds of one 1-D chain (K = 500, default grid, learned + ideal + eta) and one 2-D chain
   (K = 100, 128 x 128), each measured here and, in a subprocess importing DIR's gaussian_exact, there;
   the ratio is printed.
Usage: python bench/bench_grid.py [--quick] [--baseline DIR] [--speed-only]
"""
import argparse
import math
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gaussian_exact import (AffineError, Gaussian, GridLaw, block_result, chi2, combine_blocks, kl,  # noqa: E402
                            observability, path_energy, reverse, run_grid_chain)

from gaussian_exact.grid_transition import SPACING_RATIO  # noqa: E402

T, T0 = 4.0, 0.02


def timed(f):
    start = time.process_time()
    out = f()
    return out, time.process_time() - start


def closed_form(g, err, steps):
    learned, ideal = reverse(g, err, T, T0, steps), reverse(g, None, T, T0, steps)
    return {"kl": kl(learned, ideal), "chi2": chi2(learned, ideal),
            "eps2": path_energy(g, err, T, T0, "ideal", steps),
            "epshat2": path_energy(g, err, T, T0, "learned", steps),
            "eta": observability(g, err, T, T0, steps)}, learned


def grid_quantities(law, err, steps):
    r = run_grid_chain(law, err, T, T0, steps, track_eta=True)
    return {"kl": kl(r.learned, r.ideal), "chi2": chi2(r.learned, r.ideal), "eps2": r.eps2,
            "epshat2": r.epshat2, "eta": r.eta}, r.learned


def worst(a, b, law_a, law_b):
    errs = {k: abs(a[k] - b[k]) / abs(b[k]) for k in b}
    dens = np.exp(law_b.logpdf(law_a.points)).reshape(law_a.shape)
    errs["density"] = float(np.max(np.abs(law_a.density - dens)) / dens.max())
    return max(errs.values())


def case(d):
    if d == 1:
        return Gaussian([0.3], [[0.36]]), AffineError(W=-0.1, xi=[0.05]), [0.3], 0.36
    S = np.array([[0.36, 0.1], [0.1, 0.5]])
    m = [0.3, -0.2]
    return Gaussian(m, S), AffineError(W=np.array([[-0.1, 0.05], [0.02, 0.08]]), xi=[0.05, -0.03]), m, S


def convergence(d, settings):
    g, err, m, S = case(d)
    rows = []
    for steps, points, bounds in settings:
        law = GridLaw.mixture([1.0], [m], [S], points=points, bounds=bounds)
        h = (T - T0) / steps
        ratio = float(law.spacing.max()) / math.sqrt(h)
        if ratio > SPACING_RATIO:   # refused by the engine (check_spacing)
            continue
        exact, learned = closed_form(g, err, steps)
        (got, glaw), sec = timed(lambda: grid_quantities(law, err, steps))
        rows.append((d, steps, points, ratio, worst(got, exact, glaw, learned), sec))
    return rows


def discretization(settings):
    g, err, m, S = case(1)
    limit, _ = closed_form(g, err, None)
    rows = []
    for steps in settings:
        law = GridLaw.mixture([1.0], [m], [S], points=max(428, int(16 / (0.5 * math.sqrt(3.98 / steps))) + 1))
        got, _ = grid_quantities(law, err, steps)
        rows.append((steps, {k: abs(got[k] - limit[k]) / abs(limit[k]) for k in limit}))
    return rows


def costs():
    out = {}
    g, err, m, S = case(1)
    law = GridLaw.mixture([1.0], [m], [S])
    _, sec = timed(lambda: grid_quantities(law, err, 500))
    out["d=1 default grid (%d points), K=500" % law.shape[0]] = sec
    g, err, m, S = case(2)
    law = GridLaw.mixture([1.0], [m], [S], points=256)
    _, sec = timed(lambda: grid_quantities(law, err, 500))
    out["d=2 256 x 256, K=500"] = sec
    return out


def paper_product(beta=0.3, steps=500):
    means = [[0.0, 0.0], [4.0, 4.0], [4.0, -4.0], [-4.0, 4.0], [-4.0, -4.0]]
    err = lambda x, t: beta * np.tanh(x)
    block2 = GridLaw.mixture([0.2] * 5, means, [0.36] * 5)
    block1 = GridLaw.mixture([1.0], [[0.0]], [0.36])
    (b2, s2), (b1, s1) = timed(lambda: block_result(block2, err, T, T0, steps)), timed(
        lambda: block_result(block1, err, T, T0, steps, multiplicity=8))
    return block2, b2, b1, combine_blocks([b2, b1]), s1 + s2


SPEED_CASES = {"d=1, K=500, default grid": (1, 500, None), "d=2, K=100, 128 x 128": (2, 100, 128)}


def speed(name: str) -> float:
    """CPU seconds of one speed case (learned + ideal chains and eta) with the gaussian_exact imported here."""
    d, K, pts = SPEED_CASES[name]
    g, err, m, S = case(d)
    law = GridLaw.mixture([1.0], [m], [S], points=pts) if pts else GridLaw.mixture([1.0], [m], [S])
    return timed(lambda: run_grid_chain(law, err, T, T0, K, track_eta=True))[1]


def speed_against(baseline: str) -> None:
    import subprocess
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for name in SPEED_CASES:
        now = speed(name)
        code = (f"import sys; sys.path.insert(0, {baseline!r}); sys.path.insert(1, {os.path.join(here, 'bench')!r}); "
                f"import gaussian_exact; assert gaussian_exact.__file__.startswith({baseline!r}); "
                f"import bench_grid; print(bench_grid.speed({name!r}))")
        env = dict(os.environ, PYTHONPATH=baseline)
        before = float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                      check=True).stdout.split()[-1])
        print(f"speed, {name}: {now:.2f} s CPU now, {before:.2f} s at {baseline}: ratio {now / before:.2f}")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the 256 x 256 runs")
    ap.add_argument("--baseline", help="a checkout to compare the speed of one 1-D and one 2-D chain against")
    ap.add_argument("--speed-only", action="store_true", help="only the speed comparison (needs --baseline)")
    args = ap.parse_args(argv)
    if args.baseline:
        speed_against(os.path.abspath(args.baseline))
        if args.speed_only:
            return
    one = [(K, pts, None) for K in (100, 500, 1000) for pts in (None,)] + [
        (500, 182, (-8, 8)), (500, 220, (-8, 8)), (500, 300, (-8, 8)), (1000, 300, (-8, 8))]
    one = [(K, pts if pts else GridLaw.mixture([1.0], [[0.3]], [0.36]).shape[0], b) for K, pts, b in one]
    two = [(100, 68, (-6.5, 6.5)), (100, 72, (-6.5, 6.5)), (100, 96, (-6.5, 6.5)), (500, 182, (-8, 8)),
           (500, 192, (-8, 8))] + ([] if args.quick else [(500, 256, (-8, 8))])
    print("| d | steps K | points per axis | dx / sqrt(h) | max rel. error vs closed form | CPU s |")
    print("|---|---|---|---|---|---|")
    for d, K, pts, ratio, e, sec in convergence(1, one) + convergence(2, two):
        print(f"| {d} | {K} | {pts} | {ratio:.2f} | {e:.1e} | {sec:.2f} |")
    print()
    print("| steps K | KL | chi2 | eps2 | epshat2 | eta |  (relative distance of the K-step chain to continuous time, d = 1)")
    print("|---|---|---|---|---|---|")
    for K, errs in discretization((50, 100, 200, 500, 1000)):
        print(f"| {K} | " + " | ".join(f"{errs[k]:.2e}" for k in ("kl", "chi2", "eps2", "epshat2", "eta")) + " |")
    print()
    if not args.quick:
        for name, sec in costs().items():
            print(f"cost, every quantity of one generation, {name}: {sec:.2f} s CPU")
        law, b2, b1, tot, sec = paper_product()
        print(f"paper 10-D mixture = gmm2d ({law.shape[0]}^2 grid) x 8 N(0, 0.36), error 0.3 tanh(x), K = 500 "
              f"({sec:.1f} s CPU):")
        for name, b in (("2-D block", b2), ("each 1-D block", b1), ("10-D product", tot)):
            print(f"  {name}: KL {b.kl:.5g}, chi2 {b.chi2:.5g}, eps2 {b.eps2:.5g}, epshat2 {b.epshat2:.5g}, "
                  f"eta {b.eta:.4f}")


if __name__ == "__main__":
    main()
