"""The exact Gaussian experiments of `collapse reproduce`, written as run directories.

Data: N(0, S) in dimension d with S = 0.36 I + 0.05 A A^T / d (A a seeded Gaussian matrix: a
full, non-commuting covariance). Error: the constant affine score error e(x, t) = w x + b u,
u = (1, ..., 1)/sqrt(d) (defaults w = -0.03, b = 0.05: eps2 about 0.04, in the small-error regime).
The reverse process is the paper's (T = 4, t0 = 0.02), in continuous time unless `steps` is given.
Each alpha becomes `DIR/alpha_<alpha>/metrics.jsonl` (one row per generation,
`GenerationsResult.rows()`) with its `config.json`. numpy and gaussian_exact only (`collapse exact`
stays free of torch); the eta-by-error-type experiment, which needs torch, is `validate.pipeline.eta_experiment`.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from gaussian_exact import AffineError, Gaussian
from gaussian_exact.generations import generations as run_generations
from neural.run_files import CONFIG_FILE, METRICS_FILE, write_json, write_jsonl


def exact_setup(dim: int, seed: int = 0, w: float = -0.03, b: float = 0.05):
    """(data Gaussian, AffineError) of the module docstring.

    Parameters
    ----------
    dim : int
        Dimension.
    seed : int
        Seed of the data covariance (default 0).
    w : float
        Linear error size (default -0.03).
    b : float
        Offset error size (default 0.05).

    Returns
    -------
    data, error : gaussian_exact.Gaussian, gaussian_exact.AffineError
        The data law and the score error.
    """
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((dim, dim))
    cov = 0.36 * np.eye(dim) + 0.05 * (a @ a.T) / dim
    u = np.ones(dim) / math.sqrt(dim)
    return Gaussian(np.zeros(dim), cov), AffineError(W=w, xi=b * u)


def run_exact(out_dir, alphas, generations: int, dim: int, seed: int = 0, steps=None,
              mixture_samples: int = 2 ** 13, w: float = -0.03, b: float = 0.05, progress=None) -> list[Path]:
    """One exact run per alpha; a finished alpha (config and metrics present) is not recomputed.

    Parameters
    ----------
    out_dir : str or path-like
        Parent of the ``alpha_<alpha>`` run directories.
    alphas : iterable of float
        Fresh-data fractions.
    generations : int
        Generations per run.
    dim : int
        Dimension.
    seed : int
        Seed (default 0).
    steps : int or None
        Reverse-chain steps (None: continuous time).
    mixture_samples : int
        Importance samples of I_chi2 / I_kl (default 2**13).
    w, b : float
        Error sizes (`exact_setup`).
    progress : callable or None
        ``progress(line)`` after each run.

    Returns
    -------
    list of pathlib.Path
        The run directories, one per alpha.
    """
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
