"""Exact Gaussian propagation (gaussian_exact) against a Monte-Carlo particle simulation, side by side.

1. The same Euler-Maruyama chain (d = 10, full data covariance, affine error W = -0.03 I, |xi| = 0.05,
   K = 500 steps, T = 4, t0 = 0.02): exact moments (`reverse`) vs 10^5 particles. Prints both
   times, the speed ratio, and the Monte-Carlo error the exact answer removes (mean, covariance,
   KL of the fitted Gaussian to the exact law, and the error of chi2(output || data) computed from
   the fitted Gaussian).
2. Scale: d = 256 with full covariances, K = 500, 20 generations (`generations`, exact eta,
   mixture terms skipped), with an isotropic W (commuting: O(d) per step in the eigenbasis); and,
   for one generation, the same error written as a dense matrix W = -0.03 I, which runs the general
   full-matrix path (O(d^3) per step): both times side by side and the largest relative difference.
   Then the default call with the mixture terms I_chi2, I_kl (issue 13 point 4:
   `generations(data, 0.5, 20, error=AffineError(W=-0.03, xi=...), steps=500)`), and for one
   generation's pair (p^{i+1}, q_i) the exact two-component method against the importance sampler
   at the default 2^16 samples, side by side (times, ratio, and the z-score of their difference).
3. The diagonal fast path at d = 10,000: `reverse`, `path_energy`, `observability` (K = 500) and
   20 generations.
Times are CPU seconds of this process (time.process_time) with BLAS limited to one thread, so that
a shared machine's load does not inflate them; wall-clock figures on a loaded machine varied 3x.
Usage: python bench/bench_exact.py [--particles 100000]
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
from gaussian_exact import AffineError, Gaussian, chi2, kl, observability, path_energy, reverse  # noqa: E402
from gaussian_exact.generations import generations  # noqa: E402
from gaussian_exact.mixture import chi2_to_mixture, kl_to_mixture  # noqa: E402

T, T0, K = 4.0, 0.02, 500


def data_law(d, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((d, d))
    return Gaussian(np.zeros(d), 0.36 * np.eye(d) + 0.05 * (a @ a.T) / d)


def particles(target, error, n, seed):
    """The chain Y_{k+1} = Y_k + h (Y_k/2 + score(Y_k, t_k) + e(Y_k, t_k)) + sqrt(h) Z_k, Y_0 ~ N(0, I)."""
    rng = np.random.default_rng(seed)
    d, h = target.dim, (T - T0) / K
    lam, U = np.linalg.eigh(target.cov)
    y = rng.standard_normal((n, d))
    for k in range(K):
        t = T - k * h
        a, s2 = math.exp(-t / 2), -math.expm1(-t)
        sig_inv = (U / (a * a * lam + s2)) @ U.T
        drift = 0.5 * y - (y - a * target.mean) @ sig_inv + error(y, t)
        y += h * drift + math.sqrt(h) * rng.standard_normal((n, d))
    return y


def timed(f):
    start = time.process_time()
    out = f()
    return out, time.process_time() - start


def chain_vs_particles(n):
    d = 10
    data = data_law(d)
    error = AffineError(W=-0.03, xi=0.05 * np.ones(d) / math.sqrt(d))
    exact, t_exact = timed(lambda: reverse(data, error, T, T0, steps=K))
    reps = 5
    for _ in range(reps - 1):
        t_exact = min(t_exact, timed(lambda: reverse(data, error, T, T0, steps=K))[1])
    y, t_mc = timed(lambda: particles(data, error, n, seed=1))
    fitted = Gaussian(y.mean(0), np.cov(y, rowvar=False))
    print(f"[1] same chain, d={d}, K={K}: exact {t_exact * 1e3:.1f} ms (best of {reps}), "
          f"Monte Carlo {n} particles {t_mc:.2f} s, ratio {t_mc / t_exact:.0f}x")
    print(f"    MC error removed: |mean| max {np.abs(fitted.mean - exact.mean).max():.2e}, "
          f"|cov| max {np.abs(fitted.cov - exact.cov).max():.2e}, KL(fitted || exact) {kl(fitted, exact):.2e}, "
          f"chi2 to data {chi2(fitted, data):.5f} (MC) vs {chi2(exact, data):.5f} (exact)")


def scale_256():
    d, n_gen = 256, 20
    data = data_law(d)
    iso = AffineError(W=-0.03, xi=0.05 * np.ones(d) / math.sqrt(d))
    res, t_iso = timed(lambda: generations(data, 0.5, n_gen, error=iso, steps=K, mixture_samples=0))
    print(f"[2] d={d} full covariances, K={K}, {n_gen} generations, isotropic W (commuting path), exact eta, "
          f"all identity terms: {t_iso:.2f} s ({t_iso / n_gen * 1e3:.0f} ms per generation)")
    # the same error written as a dense matrix W = -0.03 I runs the general O(d^3)-per-step path
    dense_iso = AffineError(W=-0.03 * np.eye(d), xi=iso.xi(0.0))
    fast1, t_fast1 = timed(lambda: generations(data, 0.5, 1, error=iso, steps=K, mixture_samples=0))
    full1, t_full1 = timed(lambda: generations(data, 0.5, 1, error=dense_iso, steps=K, mixture_samples=0))
    rel = max(abs(fast1.arrays[f][0] - full1.arrays[f][0]) / max(abs(full1.arrays[f][0]), 1e-300)
              for f in ("eps2", "epshat2", "eta", "J", "cross", "kl_ideal", "I_kl_gaussian"))
    rel = max(rel, abs(fast1.D_chi2[1] - full1.D_chi2[1]) / full1.D_chi2[1])
    print(f"    one generation: general full-matrix path (same error as a dense W) {t_full1:.2f} s, "
          f"commuting path {t_fast1 * 1e3:.0f} ms, ratio {t_full1 / t_fast1:.0f}x; "
          f"max relative difference of D, eps2, epshat2, eta, J, cross, KLs: {rel:.1e}")


def mixture_terms_256():
    d, n_gen = 256, 20
    data = data_law(d)
    iso = AffineError(W=-0.03, xi=0.05 * np.ones(d) / math.sqrt(d))
    res, t_all = timed(lambda: generations(data, 0.5, n_gen, error=iso, steps=K))
    a = res.arrays
    print(f"    with the mixture terms (the default call): {t_all:.2f} s for {n_gen} generations; "
          f"I_chi2[-1] = {a['I_chi2'][-1]:.10g} +- {a['I_chi2_se'][-1]:.1e}, "
          f"I_kl[-1] = {a['I_kl'][-1]:.10g} +- {a['I_kl_se'][-1]:.1e}")
    p, q = res.laws[-1], res.training[-1]
    for fun in (chi2_to_mixture, kl_to_mixture):
        (val, err), t_exact = timed(lambda: fun(p, q))
        (mc, se), t_is = timed(lambda: fun(p, q, n=2 ** 16, rng=0, method="importance"))
        print(f"    one generation, {fun.__name__}: exact {t_exact * 1e3:.0f} ms (error {err:.1e}) vs importance "
              f"sampling 2^16 {t_is:.2f} s (se {se:.1e}), ratio {t_is / t_exact:.0f}x; z = {(mc - val) / se:+.2f}")


def diagonal_10000():
    d = 10_000
    rng = np.random.default_rng(3)
    data = Gaussian(np.zeros(d), rng.uniform(0.2, 1.0, d))
    error = AffineError(W=rng.uniform(-0.005, 0.005, d), xi=None)
    out, t_rev = timed(lambda: reverse(data, error, T, T0, steps=K))
    _, t_en = timed(lambda: path_energy(data, error, T, T0, path="learned", steps=K))
    eta, t_eta = timed(lambda: observability(data, error, T, T0, steps=K))
    res, t_gen = timed(lambda: generations(data, 0.5, 20, error=error, steps=K, mixture_samples=0))
    assert out.is_diagonal and res.laws[-1].is_diagonal
    print(f"[3] diagonal fast path d={d}, K={K}: reverse {t_rev:.3f} s, path_energy {t_en:.3f} s, "
          f"observability {t_eta:.3f} s (eta={eta:.3f}); 20 generations {t_gen:.2f} s (D_20={res.D_chi2[-1]:.4g})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--particles", type=int, default=100_000)
    args = parser.parse_args()
    chain_vs_particles(args.particles)
    scale_256()
    mixture_terms_256()
    diagonal_10000()
