"""Observability eta = Var(E[M | Y_t0]) / eps2 of a score error (THEORY.md section 2), exactly and by
Monte-Carlo regression.

M = -int e(Y_t, t) . dW_t along the ideal path P* (exact score), Var M = eps2 (Ito isometry).
Exact computation on the Euler-Maruyama chain (steps=K): under the ideal chain,
G = (Y_0, Z_0, ..., Z_{K-1}) is jointly Gaussian, Y_K is linear in G and
M = -sum_k sqrt(h) (W_k Y_k + xi_k) . Z_k is a quadratic form in G. Gaussian conditioning gives,
with r = C_K^-1 (Y_K - m_K) and Phi_{K,j} = F_{K-1} ... F_j,

    E[M | Y_K] = const - r^T Q r - l^T r,
    Q = sym sum_k Phi_{K,k+1} (h F_k C_k W_k^T) Phi_{K,k+1}^T,   l = sum_k h Phi_{K,k+1} (W_k m_k + xi_k),
    Var E[M | Y_K] = 2 tr(Q P Q P) + l^T P l,   P = C_K^-1,

accumulated forward in O(d^3) per step (O(d) in the commuting case; linear_sde.py). For a
time-only error (W = 0) this reduces to l = -(mean shift of the learned output), so
eta = dm^T C^-1 dm / eps2: a constant bias is visible (eta > 0); an error whose Phi-weighted
integral vanishes is not (eta = 0). steps=None: the continuous-time limit (ODEs for S and l:
dS = B S + S B^T + C W^T, dl = B l + W m + xi). This is our derivation (the paper defines eta but
gives no formula); it is tested against `observability_mc`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .gaussian import Gaussian
from .grid_chain import grid_observability
from .grid_law import GridLaw
from .time_grid import keyword_form
from .linear_sde import Propagation, check_error, check_schedule, endpoint_variance_of_conditional_mean, propagate
from .ou import forward, reverse_drift


def eta_of(p: Propagation) -> float:
    """eta from an ideal-path propagation with accumulators: Var E[M | Y] / eps2. Rounding beyond
    [0, 1] by at most 1e-9 is snapped back; anything larger is returned as is (it would be a bug)."""
    if p.energy <= 0:
        return math.nan
    ratio = endpoint_variance_of_conditional_mean(p) / p.energy
    return float(min(max(ratio, 0.0), 1.0)) if -1e-9 < ratio < 1 + 1e-9 else float(ratio)


def observability(target, error=None, T: float = 4.0, t0: float = 0.02, steps=None,
                  init="prior", score=None, *, schedule=None, sampler=None) -> float:
    """Exact eta in [0, 1] on the ideal path (module docstring); NaN when eps2 = 0 (0/0).
    A GridLaw target takes any callable error (or score=) and needs steps: the forward g recursion
    of THEORY.md section 7 (grid_chain.py).

    ``eta = Var(E[M_T | Y_t0]) / eps2`` (THEORY.md section 2).

    Parameters
    ----------
    target : Gaussian or GridLaw
        The law whose ideal reverse path is followed.
    error : AffineError, callable or None
        The score error (any callable e(y, t) for a GridLaw target).
    T : float in (0, MAX_TIME]
        Horizon (default 4).
    t0 : float in [0, T)
        Early-stopping time (default 0.02).
    steps : int or None
        None: continuous time (Gaussian targets only); K >= 1: the exact K-step chain.
    init : "prior", "exact" or a law
        Initial law of the reverse path (default "prior").
    score : callable or None
        For a GridLaw target only: the learner's score, instead of `error`.
    schedule, sampler : TimeGrid, GaussianSampler, optional
        As in `reverse` (a sampler or a non-uniform grid: GridLaw targets only).

    Returns
    -------
    float
        eta in [0, 1], or NaN when eps2 = 0.

    Raises
    ------
    ValueError
        If score is given with a Gaussian target, or T, t0, steps, error or init is out of range
        or of the wrong kind for the target.
    """
    if isinstance(target, GridLaw):
        return grid_observability(target, error, T, t0, steps, init, score, schedule=schedule, sampler=sampler)
    if score is not None:
        raise ValueError("score= is for GridLaw targets; for a Gaussian target give an AffineError")
    if sampler is not None or (schedule is not None and not schedule.uniform):
        raise ValueError("sampler (or a non-uniform schedule) with a Gaussian target: eta of such chains is computed "
                         "on a GridLaw target (grid_chain.py); the Gaussian closed form covers the uniform EM chain")
    T, t0, steps, init = keyword_form(schedule, T, t0, steps, init)
    return eta_of(propagate(target, error, T, t0, steps, init=init, path="ideal", track=True))


@dataclass
class EtaEstimate:
    """Monte-Carlo regression estimate of eta (see `observability_mc`).

    Parameters
    ----------
    eta : float
        The estimate (NaN when the mean energy is 0).
    eps2 : float
        Monte-Carlo mean of sum_k h abs(e_k)^2 (unbiased for the chain's eps2).
    var_cond_mean : float
        Adjusted variance of the regression fit of M on features of Y_K.
    n_paths : int
        Number of simulated chains.
    n_features : int
        Number of regression features.
    """

    eta: float
    eps2: float            # MC mean of sum_k h |e_k|^2 (unbiased for the chain's eps2)
    var_cond_mean: float   # adjusted variance of the regression fit of M on features of Y_K
    n_paths: int
    n_features: int


def _features(y: np.ndarray, quadratic: bool) -> np.ndarray:
    cols = [np.ones((y.shape[0], 1)), y]
    if quadratic:
        i, j = np.triu_indices(y.shape[1])
        cols.append(y[:, i] * y[:, j])
    return np.hstack(cols)


def observability_mc(target: Gaussian, error, T: float = 4.0, t0: float = 0.02, steps: int = 500,
                     n_paths: int = 20000, rng=0, init="prior", features: str = "auto", *, schedule=None) -> EtaEstimate:
    """Estimate eta by simulating n_paths ideal chains and regressing M on features of Y_K.

    ``eta = Var(E[M_T | Y_t0]) / eps2`` (THEORY.md section 2). Simulates the chain of `reverse`
    (ideal drift, same grid), accumulates ``M = -sum_k sqrt(h) e(Y_k, t_k) . Z_k`` and the energy
    ``sum_k h |e(Y_k, t_k)|^2``, then fits M by
    least squares on [1, y, y_i y_j] ("quadratic") or [1, y] ("linear"; "auto": linear for
    time-only errors, where E[M | Y_K] is linear). E[M | Y_K] is exactly quadratic, so the fit is
    consistent; the fitted variance is corrected for overfitting by subtracting
    (p - 1)/(n - p) times the residual variance (adjusted R^2). eta = that / mean energy.
    Standard error is about sqrt(2/n_paths) relative, plus the O(p/n) correction.

    Parameters
    ----------
    target : Gaussian
        The target law of the ideal chain.
    error : AffineError
        The score error e(y, t).
    T, t0 : float
        The time window, 0 <= t0 < T.
    steps : int
        K >= 1 Euler-Maruyama steps.
    n_paths : int
        Number of simulated chains, >= 10.
    rng : int or numpy.random.Generator
        Seed or generator.
    init : {"prior", "exact"}
        Y_0 ~ N(0, I) or Y_0 ~ forward(target, T).
    features : {"auto", "linear", "quadratic"}
        The regression features (see above).
    schedule : TimeGrid, optional
        T, t0, steps and init as one object (a uniform grid; time_grid.py), instead of the keywords.

    Returns
    -------
    EtaEstimate
        eta, the Monte-Carlo eps2, the adjusted fitted variance, n_paths and the number of features.
        eta is NaN when the mean energy is 0 (no error).

    Raises
    ------
    ValueError
        Naming T, t0, steps, n_paths, error, features or init when out of range.
    """
    T, t0, steps, init = keyword_form(schedule, T, t0, steps, init)
    T, t0, steps = check_schedule(T, t0, steps)
    if steps is None:
        raise ValueError("steps must be an integer >= 1 for the Monte-Carlo estimator, got None")
    if int(n_paths) != n_paths or n_paths < 10:
        raise ValueError(f"n_paths must be an integer >= 10, got {n_paths}")
    error = check_error(error, target.dim)
    if features not in ("auto", "linear", "quadratic"):
        raise ValueError(f"features must be 'auto', 'linear' or 'quadratic', got {features!r}")
    quadratic = features == "quadratic" or (features == "auto" and not error.time_only)
    rng = np.random.default_rng(rng)
    h = (T - t0) / steps
    start = Gaussian(np.zeros(target.dim), np.ones(target.dim)) if init == "prior" else (
        forward(target, T) if init == "exact" else None)
    if start is None:
        raise ValueError(f"init must be 'prior' or 'exact', got {init!r}")
    y = start.sample(n_paths, rng)
    M = np.zeros(n_paths)
    energy = np.zeros(n_paths)
    for k in range(steps):
        t = T - k * h
        e = error(y, t)
        z = rng.standard_normal(y.shape)
        M -= math.sqrt(h) * np.sum(e * z, axis=1)
        energy += h * np.sum(e * e, axis=1)
        y = y + h * reverse_drift(y, forward(target, t).score(y)) + math.sqrt(h) * z
    X = _features(y, quadratic)
    coef, *_ = np.linalg.lstsq(X, M, rcond=None)
    fit = X @ coef
    p = X.shape[1]
    var_fit = float(np.var(fit)) - (p - 1) / (n_paths - p) * float(np.var(M - fit))
    eps2 = float(energy.mean())
    eta = max(var_fit, 0.0) / eps2 if eps2 > 0 else math.nan
    return EtaEstimate(eta, eps2, var_fit, int(n_paths), p)
