"""Lambdified closed form D_N vs a plain Python loop over the recursion, side by side.

Grid: 10^6 points (alpha, eps2, N, D0): alpha uniform on [0, 1] with exact 0, exact 1 and tiny
values (1e-15..1e-3) mixed in, eps2 log-uniform on [1e-8, 1], N integer in [0, 200], D0 in [0, 1]. The loop costs O(N) per
point and the closed form O(1), so the ratio grows with N; the break-even N is printed too.
Prints both timings, their ratio, and the largest relative disagreement. Timings are CPU time of
this process (time.process_time): the machine is shared, and wall-clock time would count the
moments another process held the core.
Run: .venv/bin/python bench/bench_bounds.py
"""
import time

import numpy as np

import bounds

POINTS = 10**6
MAX_N = 200


def grid(rng):
    alpha = rng.uniform(0, 1, POINTS)
    kind = rng.integers(0, 10, POINTS)
    alpha[kind == 0] = 0.0
    alpha[kind == 1] = 1.0
    alpha[kind == 2] = 10.0 ** rng.uniform(-15, -3, (kind == 2).sum())
    eps2 = 10.0 ** rng.uniform(-8, 0, POINTS)
    N = rng.integers(0, MAX_N + 1, POINTS).astype(float)
    D0 = rng.uniform(0, 1, POINTS)
    return alpha, eps2, N, D0


def loop(alpha, eps2, N, D0):
    out = []
    for a, e, n, d in zip(alpha.tolist(), eps2.tolist(), N.tolist(), D0.tolist()):
        b = (1 - a) ** 2
        for _ in range(int(n)):
            d = b * d + e
        out.append(d)
    return np.array(out)


def best_of(repeats, fn, *args):
    """Least CPU time of `repeats` calls (the first touches fresh memory) and the result."""
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        out = fn(*args)
        times.append(time.process_time() - t0)
    return min(times), out


def main():
    alpha, eps2, N, D0 = grid(np.random.default_rng(0))
    f = bounds.closed_form_function()
    f(alpha[:10], eps2[:10], N[:10], D0[:10])  # warm the lambdify cache
    t_closed, closed = best_of(5, f, alpha, eps2, N, D0)
    t_checked, checked = best_of(5, bounds.accumulated, alpha, eps2, N, D0)
    t0 = time.process_time()
    ref = loop(alpha, eps2, N, D0)
    t_loop = time.process_time() - t0
    rel = np.abs(closed - ref) / np.maximum(np.abs(ref), np.finfo(float).tiny)
    print(f"points: {POINTS}, N in [0, {MAX_N}] (mean {N.mean():.1f} steps per point)")
    print(f"closed form (lambdified, numpy, best of 5): {t_closed:.4f} s CPU")
    print(f"accumulated() incl. input checks (best of 5): {t_checked:.4f} s CPU")
    print(f"python loop over the recursion (one run): {t_loop:.2f} s CPU")
    print(f"speed-up closed form vs loop: {t_loop / t_closed:.0f}x (with checks: {t_loop / t_checked:.0f}x)")
    per_step = t_loop / N.sum()
    print(f"loop cost per recursion step: {per_step * 1e9:.0f} ns; closed form per point: "
          f"{t_closed / POINTS * 1e9:.0f} ns (break-even at N = {t_closed / POINTS / per_step:.1f})")
    print(f"max relative disagreement: {rel.max():.2e} (identical arrays from accumulated: {np.array_equal(closed, checked)})")
    ok = rel.max() <= 1e-10 and t_loop / t_closed >= 100
    print("PASS" if ok else "FAIL", "(target: >= 100x, <= 1e-10 relative)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
