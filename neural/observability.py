"""Observability eta by regression over simulated ideal paths (THEORY.md §2; the paper's estimator,
§6, on 50,000 trajectories).

    eta = Var(E[M | Y_t0]) / eps2,   M = -sum_k sqrt(h) e(Y_k, t_k) . Z_k   along P* (ideal paths),

(`neural.path_energy.simulate_path_error`; E M = 0 and Var M = eps2 exactly for the chain).
Estimator (issue 10 case 8: cross-fitting). The adjusted coefficient of determination of one
least-squares fit of M on features phi(Y_t0), used before, is biased upward at small eta and few
paths (0.033 +- 0.032 for a true 0.0083 in 10-D at 300 paths, 66 features): its degrees-of-freedom
correction assumes constant noise, and M's is not. Now the paths are split at random into halves
A and B, M is regressed (with an intercept) on phi in each half separately, and

    Var(E[M | Y]) ~ beta_A^T Cov_hat(phi) beta_B,     eta_hat = that / Var_hat(M),

averaged over `n_splits` random splits. Given all endpoints, beta_A and beta_B are independent
and unbiased for the coefficients of E[M | Y] when it lies in the span of the features, so the
numerator is unbiased whatever the noise (Var M = eps2 exactly for the chain; the ratio adds
O(1/N)). Measured over 20 seeds: -0.004 +- 0.012 (spread sd 0.055) for the true 0.0083 above,
unbiased but noisier than the old fit; the jackknife error (0.099) is conservative (bench/RESULTS.md). The unbiased
estimate can fall below 0: `observability` returns it as "eta_unclipped" and "eta" clipped to
[0, 1] (what the bounds accept). When E[M | Y_t0] is not in the span the estimate is that of
Var(proj_phi M) / Var M, a lower bound on eta. Features:
`"poly2"`, all monomials of degree <= 2 (exact for Gaussian targets with affine errors, where
E[M | Y_t0] is a quadratic polynomial since (M, Y_t0) are built from products of jointly
Gaussian variables); `"rff"`, the linear terms plus 256 random Fourier features
`sqrt(2/D) cos(Y omega + b)` of a Gaussian kernel with the median bandwidth (for non-Gaussian laws
and high dimension). Standard error: delete-one-block jackknife over 50 blocks of paths.
"""
from __future__ import annotations

import math

import torch

from .estimate import Estimate
from .path_energy import mean_and_se, simulate_path_error
from .sde import VPSDE

FEATURES = ("poly2", "rff")


def poly2_features(y: torch.Tensor) -> torch.Tensor:
    """[y_i, y_i y_j (i <= j)] of each row (the intercept is added by the regression)."""
    i, j = torch.triu_indices(y.shape[1], y.shape[1], device=y.device)
    return torch.cat([y, y[:, i] * y[:, j]], dim=1)


def rff_features(y: torch.Tensor, n_features: int = 256, seed: int = 0) -> torch.Tensor:
    """[y, sqrt(2/D) cos(y omega + b)]: linear terms plus D random Fourier features of a Gaussian
    kernel, omega ~ N(0, I / l^2), b ~ U[0, 2 pi], l = median distance of the rows to their mean."""
    gen = torch.Generator().manual_seed(seed)
    scale = (y - y.mean(0)).norm(dim=1).median().clamp_min(1e-12)
    omega = torch.randn(y.shape[1], n_features, generator=gen, dtype=torch.float64).to(y) / scale
    b = (2 * math.pi * torch.rand(n_features, generator=gen, dtype=torch.float64)).to(y)
    return torch.cat([y, math.sqrt(2 / n_features) * torch.cos(y @ omega + b)], dim=1)


def _adjusted_r2(phi: torch.Tensor, m: torch.Tensor) -> float:
    """The old estimator (biased up at small eta): 1 - [SS_res / (N - p)] / [SS_tot / (N - 1)], used
    when there are too few paths to cross-fit."""
    X = torch.cat([torch.ones_like(m)[:, None], phi], dim=1)
    X = X / X.norm(dim=0).clamp_min(1e-300)  # column scaling for the solver; fitted values unchanged
    coef = torch.linalg.lstsq(X, m[:, None], driver="gelsd").solution
    resid = m - (X @ coef).squeeze(1)
    n, p = X.shape
    ss_res = float(resid.square().sum())
    ss_tot = float((m - m.mean()).square().sum())
    if ss_tot == 0:
        return math.nan  # no error along the paths: eta is undefined
    return 1.0 - (ss_res / (n - p)) / (ss_tot / (n - 1))


def _crossfit_eta(X: torch.Tensor, m: torch.Tensor, splits: list) -> float:
    """Cross-fitted Var(E[M | Y]) / Var(M) (module docstring) for standardized features X (N, p)
    (no intercept column; centred here) and the list of random permutations `splits`."""
    Xc = X - X.mean(0)
    mc = m - m.mean()
    var_m = float(mc.square().sum()) / (len(m) - 1)
    if var_m == 0:
        return math.nan  # no error along the paths: eta is undefined
    cov = Xc.T @ Xc / (len(m) - 1)
    total = 0.0
    for perm in splits:
        half = len(perm) // 2
        betas = []
        for rows in (perm[:half], perm[half:2 * half]):
            A = torch.cat([torch.ones(len(rows), 1, dtype=X.dtype), Xc[rows]], dim=1)
            betas.append(torch.linalg.lstsq(A, mc[rows][:, None], driver="gelsd").solution[1:, 0])
        total += float(betas[0] @ cov @ betas[1])
    return total / len(splits) / var_m


def crossfit_possible(n_features: int, n_paths: int, n_blocks: int = 50) -> bool:
    """Enough paths to fit each half (with a jackknife block left out): otherwise `eta_from_paths`
    falls back to the adjusted R^2."""
    return 2 * (n_features + 2) < (1 - 1 / n_blocks) * n_paths


def eta_from_paths(martingale: torch.Tensor, endpoint: torch.Tensor, features: str = "poly2",
                   n_blocks: int = 50, seed: int = 0, n_splits: int = 4, clip: bool = True) -> tuple[float, float]:
    """(eta_hat, jackknife standard error) from per-path martingales (N,) and endpoints (N, ...):
    the cross-fitted estimate of the module docstring over `n_splits` random half splits,
    clipped to [0, 1] unless clip=False. The standard error is the delete-one-block jackknife
    over `n_blocks` blocks of paths (each block's estimate reuses the splits restricted to it).

    With fewer than about 2 (p + 2) paths for p features (`crossfit_possible`) it falls back to the
    adjusted R^2 of one fit (biased up at small eta; `observability` names it in "estimator").
    Raises ValueError for unknown features, mismatched shapes, n_blocks < 2, n_splits < 1, or
    fewer than about p + 1 paths."""
    if features not in FEATURES:
        raise ValueError(f"features must be one of {FEATURES}, got {features!r}")
    if isinstance(n_blocks, bool) or int(n_blocks) != n_blocks or n_blocks < 2:
        raise ValueError(f"n_blocks must be an integer >= 2, got {n_blocks}")
    if isinstance(n_splits, bool) or int(n_splits) != n_splits or n_splits < 1:
        raise ValueError(f"n_splits must be an integer >= 1, got {n_splits}")
    y = endpoint.flatten(1).to(torch.float64).cpu()
    m = martingale.to(torch.float64).cpu().reshape(-1)
    if m.shape[0] != y.shape[0]:
        raise ValueError(f"martingale and endpoint must have one row per path, got {m.shape[0]} and {y.shape[0]}")
    if not (torch.isfinite(m).all() and torch.isfinite(y).all()):
        raise ValueError("martingale and endpoint must be finite")
    phi = poly2_features(y) if features == "poly2" else rff_features(y, seed=seed)
    n_blocks = int(n_blocks)
    n = y.shape[0]
    if phi.shape[1] + 1 >= (1 - 1 / n_blocks) * n:
        raise ValueError(f"need more paths than about {phi.shape[1] + 1} features, got {n}")
    X = phi / phi.std(0).clamp_min(1e-300)   # column scaling for the solver; the estimate is unchanged
    if crossfit_possible(phi.shape[1], n, n_blocks):
        gen = torch.Generator().manual_seed(seed)
        perms = [torch.randperm(n, generator=gen) for _ in range(int(n_splits))]

        def estimate(rows):
            if rows is None:
                return _crossfit_eta(X, m, perms)
            index = torch.full((n,), -1, dtype=torch.long)
            index[rows] = torch.arange(int(rows.sum()))
            return _crossfit_eta(X[rows], m[rows], [index[p][rows[p]] for p in perms])
    else:   # too few paths to fit each half: the adjusted R^2 (biased up at small eta)
        def estimate(rows):
            return _adjusted_r2(phi, m) if rows is None else _adjusted_r2(phi[rows], m[rows])
    full = estimate(None)
    if math.isnan(full):
        return math.nan, math.nan
    blocks = torch.arange(n) % n_blocks
    leave_out = []
    for b in range(n_blocks):
        leave_out.append(estimate(blocks != b))
    leave_out = torch.tensor(leave_out)
    se = math.sqrt((n_blocks - 1) / n_blocks * float((leave_out - leave_out.mean()).square().sum()))
    return (min(max(full, 0.0), 1.0) if clip else full), se


def eta_fields(martingale: torch.Tensor, endpoint: torch.Tensor, features: str, steps: int) -> dict:
    """eta from one set of ideal paths: {"eta" (clipped to [0, 1]), "eta_unclipped", "eta_se",
    "estimator"} (the estimator named by the method `eta_from_paths` used: crossfit or adjusted_r2)."""
    raw, eta_se = eta_from_paths(martingale, endpoint, features, clip=False)
    d = endpoint[0].numel()
    n_feat = d + d * (d + 1) // 2 if features == "poly2" else d + 256
    method = "crossfit" if crossfit_possible(n_feat, endpoint.shape[0]) else "adjusted_r2"
    eta = raw if math.isnan(raw) else min(max(raw, 0.0), 1.0)
    return {"eta": eta, "eta_unclipped": raw, "eta_se": eta_se, "estimator": f"regression_{method}_{features}_K{steps}"}


def observability_mc(learned, exact, x_T: torch.Tensor, sde: VPSDE | None = None, steps: int = 500,
                     features: str = "poly2", generator=None, noise=None, chunk_size=None,
                     progress=False) -> dict:
    """eta (and eps2 from the same ideal paths) by regression over the paths started at the rows of
    x_T (draw them from N(0, I)): the sample-based estimator of `gaussian_exact.observability`.
    Returns `{"eta", "eta_unclipped", "eps2"}` as `neural.Estimate` values ("eta" is
    "eta_unclipped", the cross-fitted estimate, clipped to [0, 1]).

    ``eta = Var(E[M | Y_t0]) / eps2`` (THEORY.md §2; the estimator of the module docstring).

    Parameters
    ----------
    learned, exact : callable
        Score models ``f(x, t) -> score``; the chain is driven by `exact` (the ideal path).
    x_T : torch.Tensor, shape (m, ...)
        Starting points (draw them from N(0, I)).
    sde : VPSDE or None
        The forward process (default ``VPSDE()``).
    steps : int >= 1
        Number of chain steps K (default 500).
    features : {"poly2", "rff"}
        Regression features (default "poly2").
    generator, noise, chunk_size, progress
        As for `neural.euler_maruyama`.

    Returns
    -------
    dict of str to Estimate
        "eta", "eta_unclipped" (estimator "regression_<method>_<features>_K<steps>") and "eps2"
        (estimator "mc_ideal_paths_riemann_K<steps>"), each over the n = len(x_T) paths.

    Raises
    ------
    ValueError
        If features is unknown, the martingale or endpoints are not finite, there are too few
        paths for the features, or the chain's arguments are invalid (as `neural.euler_maruyama`).
    """
    energy, martingale, y = simulate_path_error(learned, exact, x_T, "ideal", sde, steps, generator,
                                                noise, chunk_size, progress)
    fields = eta_fields(martingale, y, features, steps)
    n = int(x_T.shape[0])
    return {"eta": Estimate(fields["eta"], fields["eta_se"], n, fields["estimator"]),
            "eta_unclipped": Estimate(fields["eta_unclipped"], fields["eta_se"], n, fields["estimator"]),
            "eps2": Estimate(*mean_and_se(energy), n, f"mc_ideal_paths_riemann_K{steps}")}
