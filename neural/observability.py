"""Observability eta by regression over simulated ideal paths (THEORY.md §2; the paper's estimator,
§6, on 50,000 trajectories).

    eta = Var(E[M | Y_t0]) / eps2,   M = -sum_k sqrt(h) e(Y_k, t_k) . Z_k   along P* (ideal paths),

(`neural.path_energy.simulate_path_error`; E M = 0 and Var M = eps2 exactly for the chain).
Estimator: least squares of M on features phi(Y_t0) of the endpoint (with an intercept), and the
adjusted coefficient of determination

    eta_hat = 1 - [SS_res / (N - p)] / [SS_tot / (N - 1)],   p = number of regressors + 1,

clipped to [0, 1]. It is consistent for `Var(proj_phi M) / Var M`, which equals eta when
E[M | Y_t0] lies in the span of the features, and is a lower bound on eta otherwise. Features:
`"poly2"`, all monomials of degree <= 2 (exact for Gaussian targets with affine errors, where
E[M | Y_t0] is a quadratic polynomial since (M, Y_t0) are built from products of jointly
Gaussian variables); `"rff"`, the linear terms plus 256 random Fourier features
`sqrt(2/D) cos(Y omega + b)` of a Gaussian kernel with the median bandwidth (for non-Gaussian laws
and high dimension). Standard error: delete-one-block jackknife over 50 blocks of paths.
"""
from __future__ import annotations

import math

import torch

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
    X = torch.cat([torch.ones_like(m)[:, None], phi], dim=1)
    X = X / X.norm(dim=0).clamp_min(1e-300)  # column scaling for the solver; fitted values unchanged
    coef = torch.linalg.lstsq(X.cpu(), m.cpu()[:, None], driver="gelsd").solution
    resid = m.cpu() - (X.cpu() @ coef).squeeze(1)
    n, p = X.shape
    ss_res = float(resid.square().sum())
    ss_tot = float((m - m.mean()).square().sum())
    if ss_tot == 0:
        return math.nan  # no error along the paths: eta is undefined
    return 1.0 - (ss_res / (n - p)) / (ss_tot / (n - 1))


def _leave_one_block_out_r2(phi: torch.Tensor, m: torch.Tensor, blocks: torch.Tensor, n_blocks: int) -> torch.Tensor:
    """The adjusted R^2 of the fit without block b, for every b, from per-block Gram matrices: the
    normal equations of the remaining rows are (G - G_b) beta = r - r_b (G = X^T X, r = X^T m, X the
    column-scaled design of `_adjusted_r2`), SS_res = m^T m - r^T beta, solved directly on the
    p x p system. One pass over the data instead of n_blocks refits (the same values up to rounding:
    SS_res loses about eps SS_tot / SS_res relative, 1e-13 at R^2 = 0.999)."""
    X = torch.cat([torch.ones_like(m)[:, None], phi], dim=1).cpu()
    X = X / X.norm(dim=0).clamp_min(1e-300)
    mc, bc = m.cpu(), blocks.cpu()
    grams, rhs, sums, squares, counts = [], [], [], [], []
    for b in range(n_blocks):
        Xb, mb = X[bc == b], mc[bc == b]
        grams.append(Xb.T @ Xb)
        rhs.append(Xb.T @ mb)
        sums.append(mb.sum())
        squares.append(mb @ mb)
        counts.append(mb.shape[0])
    G, r = torch.stack(grams), torch.stack(rhs)
    sums, squares = torch.stack(sums), torch.stack(squares)
    counts = torch.tensor(counts, dtype=torch.float64)
    G_out, r_out = G.sum(0) - G, r.sum(0) - r
    beta = torch.linalg.solve(G_out, r_out)
    n, s, q = counts.sum() - counts, sums.sum() - sums, squares.sum() - squares
    ss_res = (q - (r_out * beta).sum(1)).clamp_min(0)
    ss_tot = q - s * s / n
    p = X.shape[1]
    return torch.where(ss_tot > 0, 1.0 - (ss_res / (n - p)) / (ss_tot / (n - 1)), torch.full_like(ss_tot, math.nan))


def eta_from_paths(martingale: torch.Tensor, endpoint: torch.Tensor, features: str = "poly2",
                   n_blocks: int = 50, seed: int = 0) -> tuple[float, float]:
    """(eta_hat, jackknife standard error) from per-path martingales (N,) and endpoints (N, ...)."""
    if features not in FEATURES:
        raise ValueError(f"features must be one of {FEATURES}, got {features!r}")
    y = endpoint.flatten(1).to(torch.float64)
    m = martingale.to(torch.float64)
    phi = poly2_features(y) if features == "poly2" else rff_features(y, seed=seed)
    if phi.shape[1] + 1 >= (1 - 1 / n_blocks) * y.shape[0]:
        raise ValueError(f"need more paths than about {phi.shape[1] + 1} features, got {y.shape[0]}")
    full = _adjusted_r2(phi, m)
    blocks = torch.arange(y.shape[0], device=y.device) % n_blocks
    leave_out = _leave_one_block_out_r2(phi, m, blocks, n_blocks)
    se = math.sqrt((n_blocks - 1) / n_blocks * float((leave_out - leave_out.mean()).square().sum()))
    return min(max(full, 0.0), 1.0), se


def observability(learned, exact, x_T: torch.Tensor, sde: VPSDE | None = None, steps: int = 500,
                  features: str = "poly2", generator=None, noise=None, chunk_size=None,
                  progress=False) -> dict:
    """eta (and eps2 from the same ideal paths) started at the rows of x_T (draw them from N(0, I)).
    Returns `{"eta", "eta_se", "eps2", "eps2_se", "n_paths", "estimator"}`."""
    energy, martingale, y = simulate_path_error(learned, exact, x_T, "ideal", sde, steps, generator,
                                                noise, chunk_size, progress)
    eta, eta_se = eta_from_paths(martingale, y, features)
    eps2, eps2_se = mean_and_se(energy)
    return {"eta": eta, "eta_se": eta_se, "eps2": eps2, "eps2_se": eps2_se,
            "n_paths": int(x_T.shape[0]), "estimator": f"regression_adjusted_r2_{features}_K{steps}"}
