"""The exact Gaussian experiments of `collapse reproduce`, written as run directories.

Data: N(0, S) in dimension d with S = 0.36 I + 0.05 A A^T / d (A a seeded Gaussian matrix: a
full, non-commuting covariance). Error: the constant affine score error e(x, t) = w x + b u,
u = (1, ..., 1)/sqrt(d) (defaults w = -0.03, b = 0.05: eps2 about 0.04, in the small-error regime).
The reverse process is the paper's (T = 4, t0 = 0.02), in continuous time unless `steps` is given.
Each alpha becomes `DIR/alpha_<alpha>/metrics.jsonl` (one row per generation,
`GenerationsResult.rows()`) with its `config.json`.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from validate.run_io import CONFIG_FILE, METRICS_FILE, write_json, write_jsonl


def exact_setup(dim: int, seed: int = 0, w: float = -0.03, b: float = 0.05):
    """(data Gaussian, AffineError) of the module docstring."""
    from gaussian_exact import AffineError, Gaussian

    rng = np.random.default_rng(seed)
    a = rng.standard_normal((dim, dim))
    cov = 0.36 * np.eye(dim) + 0.05 * (a @ a.T) / dim
    u = np.ones(dim) / math.sqrt(dim)
    return Gaussian(np.zeros(dim), cov), AffineError(W=w, xi=b * u)


def run_exact(out_dir, alphas, generations: int, dim: int, seed: int = 0, steps=None,
              mixture_samples: int = 2 ** 13, w: float = -0.03, b: float = 0.05, progress=None) -> list[Path]:
    """One exact run per alpha; a finished alpha (config and metrics present) is not recomputed."""
    from gaussian_exact.generations import generations as run_generations

    data, error = exact_setup(dim, seed, w, b)
    written = []
    for alpha in alphas:
        run = Path(out_dir) / f"alpha_{alpha:g}"
        config = {"kind": "exact", "alpha": alpha, "generations": generations, "dim": dim, "seed": seed,
                  "steps": steps, "T": 4.0, "t0": 0.02, "error": {"w": w, "b": b},
                  "mixture_samples": mixture_samples}
        if (run / METRICS_FILE).is_file() and (run / CONFIG_FILE).is_file():
            written.append(run)
            continue
        res = run_generations(data, alpha, generations, error=error, steps=steps, seed=seed,
                              mixture_samples=mixture_samples)
        write_jsonl(run / METRICS_FILE, res.rows())
        write_json(run / CONFIG_FILE, config)  # written last: its presence marks the run finished
        written.append(run)
        if progress is not None:
            progress(f"exact alpha={alpha:g}: D_{generations} = {res.D_chi2[-1]:.4g}")
    return written


def eta_by_error_type(dim: int, seed: int = 0, scale: float = 0.05, steps: int = 100,
                      mc_paths: int = 4000) -> dict:
    """Exact eta for the paper's three error types on the exact setup's data law (THEORY.md §6):
    aligned `w x` (W = scale I, along the state, like the drift), random `W x` (a seeded Gaussian
    matrix of the same Frobenius norm), time-only constant `xi` and time-only oscillating
    `xi(t) = scale u cos(2 pi 8 t / T)` (which nearly averages out); beside each, the Monte-Carlo
    regression estimate of `neural.observability` on `mc_paths` simulated chains (0 skips it).
    Returns {name: {"exact", "mc", "mc_se"}}."""
    from gaussian_exact import AffineError, observability

    data, _ = exact_setup(dim, seed)
    rng = np.random.default_rng(seed + 1)
    rand = rng.standard_normal((dim, dim))
    rand *= scale * math.sqrt(dim) / np.linalg.norm(rand)
    u = np.ones(dim) / math.sqrt(dim)

    def oscillating(t):
        return scale * u * math.cos(2 * math.pi * 8 * t / 4.0)

    parts = {"aligned w x": (scale * np.eye(dim), None), "random W x": (rand, None),
             "time-only xi": (None, scale * u), "oscillating xi(t)": (None, oscillating)}
    out = {}
    for name, (W, xi) in parts.items():
        exact = float(observability(data, AffineError(W=W, xi=xi), steps=steps))
        out[name] = {"exact": exact, **(_eta_mc(data, W, xi, steps, mc_paths, seed) if mc_paths else {})}
    return out


def _eta_mc(data, W, xi, steps: int, n_paths: int, seed: int) -> dict:
    """neural.observability on the same chain (exact Gaussian score plus the same error)."""
    import torch

    from neural import GaussianMixture, observability
    from neural.error_injection import ErrorInjectedScore

    law = GaussianMixture([1.0], data.mean[None], data.cov[None])
    learned = ErrorInjectedScore(law.score, W=W, xi=xi)
    gen = torch.Generator().manual_seed(seed)
    x_T = torch.randn(n_paths, data.dim, generator=gen, dtype=torch.float64)
    res = observability(learned, law.score, x_T, steps=steps, generator=gen)
    return {"mc": res["eta"], "mc_se": res["eta_se"], "mc_estimator": res["estimator"]}
