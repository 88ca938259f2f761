"""The paper's eta-by-error-type experiment (THEORY.md §6) on the exact setup's data law: the
exact eta (gaussian_exact) beside the regression estimate over simulated paths (neural)."""
from __future__ import annotations

import math

import numpy as np
import torch

from gaussian_exact import AffineError
from gaussian_exact import observability as exact_observability
from neural.error_injection import ErrorInjectedScore
from neural.gaussian_mixture import TorchGaussianMixture
from neural.observability import observability_mc
from validate.pipeline.exact_runs import exact_setup


def eta_by_error_type(dim: int, seed: int = 0, scale: float = 0.05, steps: int = 100,
                      mc_paths: int = 4000) -> dict:
    """Exact eta for the paper's three error types on the exact setup's data law (THEORY.md §6):
    aligned `w x` (W = scale I, along the state, like the drift), random `W x` (a seeded Gaussian
    matrix of the same Frobenius norm), time-only constant `xi` and time-only oscillating
    `xi(t) = scale u cos(2 pi 8 t / T)` (which nearly averages out); beside each, the Monte-Carlo
    regression estimate of `neural.observability` on `mc_paths` simulated chains (0 skips it).
    Returns {name: {"exact", "mc", "mc_se"}}.

    Parameters
    ----------
    dim : int
        Dimension of the exact setup.
    seed : int
        Seed of the setup and the random direction (default 0).
    scale : float
        Error size (default 0.05).
    steps : int
        Reverse-chain steps (default 100).
    mc_paths : int
        Simulated chains of the regression estimate (0 skips it; default 4000).

    Returns
    -------
    dict
        Error type -> {"exact", "mc", "mc_se", ...}.
    """
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
        exact = float(exact_observability(data, AffineError(W=W, xi=xi), steps=steps))
        out[name] = {"exact": exact, **(_eta_mc(data, W, xi, steps, mc_paths, seed) if mc_paths else {})}
    return out


def _eta_mc(data, W, xi, steps: int, n_paths: int, seed: int) -> dict:
    """neural.observability_mc on the same chain (exact Gaussian score plus the same error)."""
    law = TorchGaussianMixture([1.0], data.mean[None], data.cov[None])
    learned = ErrorInjectedScore(law.score, W=W, xi=xi)
    gen = torch.Generator().manual_seed(seed)
    x_T = torch.randn(n_paths, data.dim, generator=gen, dtype=torch.float64)
    eta = observability_mc(learned, law.score, x_T, steps=steps, generator=gen)["eta"]
    return {"mc": eta.value, "mc_se": eta.se, "mc_estimator": eta.estimator}
