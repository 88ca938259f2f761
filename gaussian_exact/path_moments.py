"""Tilted path moments E*[Lambda^a] and the path Renyi divergence of the Euler-Maruyama chain
(THEORY.md section 8, "Tilted moments"; the chain of sections 1, 4 and 7).

Lambda = dP_hat / dP* is the likelihood ratio of the learned chain's path to the ideal chain's path
(same start). Each step is Gaussian, y_{k+1} ~ N(mu_k(y_k), v_k I) with v_k = h, and the means differ
by d_k = h e_k. Under P* the per-step log-ratio is l_k = d_k . (y_{k+1} - mu*_k) / h - |d_k|^2 / (2h),
and N(y'; mu*, h) exp(a l) = N(y'; mu* + a d, h) exp(a (a - 1) |d|^2 / (2h)), so with u_0 = p_0

    u_{k+1} = K_k^{(a)} [u_k exp(a (a - 1) h |e_k|^2 / 2)],   E*[Lambda^a] = int u_K,

K^{(a)} the transition with mean mu*_k + a d_k. Path Renyi: R_a(P_hat || P*) = log E*[Lambda^a] / (a - 1)
(a = 1: the limit KL = epshat2 / 2; a = 2: log(1 + chi2_path)). A time-only error gives R_a = a eps2 / 2.

Gaussian target N(m, S), affine error e = W(t) y + xi(t) (any dimension): mu*_k(y) = F_k y + h c_k with
F_k = I + h (I/2 - Sig_k^-1), c_k = a_k Sig_k^-1 m (linear_sde.py), and u_k stays
exp(-y^T P_k y / 2 + q_k . y + r_k). One step, with g = a (a - 1) h:

    tilt:        P <- P - g W^T W,   q <- q + g W^T xi,   r <- r + g |xi|^2 / 2,
    transition:  A = F + a h W,  b = h c + a h xi,  J = P + A^T A / h  (must be positive definite,
                 else int u_k(y) N(y'; A y + b, h) dy = +inf for every y'),
                 P <- I/h - A J^-1 A^T / h^2,  q <- b/h + A J^-1 (q - A^T b / h) / h,
                 r <- r - |b|^2/(2h) - d/2 log h - 1/2 log det J + 1/2 (q - A^T b/h)^T J^-1 (q - A^T b/h),

and log int u_K = r_K + d/2 log 2 pi - 1/2 log det P_K + 1/2 q_K^T P_K^-1 q_K (P_K positive definite,
else +inf). A GridLaw target (d = 1, 2, any error callable) goes to grid_path_moments.py.
"""
from __future__ import annotations

import math

import numpy as np

from .affine_error import as_matrix
from .gaussian import Gaussian
from .grid_chain import grid_path_energy
from .grid_law import GridLaw
from .grid_path_moments import grid_path_moments
from .linear_sde import check_error, check_schedule, propagate
from .time_grid import keyword_form
from .ou import REVERSE_DRIFT_SLOPE, forward, noise_variance, signal_scale
from .tilted_result import TiltedMoment, check_order


def _start(target: Gaussian, init, T: float) -> tuple[np.ndarray, np.ndarray]:
    d = target.dim
    if isinstance(init, Gaussian):
        if init.dim != d:
            raise ValueError(f"init must have dimension {d}, got {init.dim}")
        return init.mean.copy(), init.cov.copy()
    if isinstance(init, str) and init == "prior":
        return np.zeros(d), np.eye(d)
    if isinstance(init, str) and init == "exact":
        law = forward(target, T)
        return law.mean.copy(), law.cov.copy()
    raise ValueError(f"init must be 'prior', 'exact' or a Gaussian, got {init!r}")


def _cholesky(X: np.ndarray):
    try:
        return np.linalg.cholesky(0.5 * (X + X.T))
    except np.linalg.LinAlgError:
        return None


def _logdet(L: np.ndarray) -> float:
    return 2.0 * float(np.sum(np.log(np.diag(L))))


def _solve(L: np.ndarray, B: np.ndarray) -> np.ndarray:
    return np.linalg.solve(L.T, np.linalg.solve(L, B))


def gaussian_log_tilted(target: Gaussian, error, shift: float, weight: float, T: float, t0: float,
                        steps: int, init="prior") -> tuple[float, str | None]:
    """log E*[exp(weight <M> / 2) prod_k (tilt of step k's mean by shift d_k)] by the Riccati recursion
    of the module docstring (shift = a, weight = a (a - 1): E*[Lambda^a]; shift = 0, weight = 1:
    Novikov's E* exp(<M>/2)). Returns (log value, reason) with (+inf, reason) when it diverges."""
    d = target.dim
    m0, C0 = _start(target, init, T)
    L0 = np.linalg.cholesky(C0)
    P = _solve(L0, np.eye(d))
    q = P @ m0
    r = -0.5 * float(m0 @ q) - 0.5 * (d * math.log(2 * math.pi) + _logdet(L0))
    h = (T - t0) / steps
    eye = np.eye(d)
    S, mean = target.cov, target.mean
    g = weight * h
    for k in range(steps):
        t = T - k * h
        at, s2 = float(signal_scale(t)), float(noise_variance(t))
        Sinv = np.linalg.inv(at * at * S + s2 * eye)
        F = eye + h * (REVERSE_DRIFT_SLOPE * eye - Sinv)
        b = h * at * (Sinv @ mean)
        W = as_matrix(error.W(t), d)
        xi = error.xi(t)
        xi = np.zeros(d) if xi is None else xi
        if g != 0.0:
            P = P - g * (W.T @ W)
            q = q + g * (W.T @ xi)
            r += 0.5 * g * float(xi @ xi)
        A = F + shift * h * W
        b = b + shift * h * xi
        J = P + (A.T @ A) / h
        LJ = _cholesky(J)
        if LJ is None:
            lam = float(np.min(np.linalg.eigvalsh(0.5 * (J + J.T))))
            return math.inf, (f"step {k} (t = {t:.6g}): the tilted precision J = P + A^T A / h lost positive "
                              f"definiteness (smallest eigenvalue {lam:.4g}), so int u_k N(y'; A y + b, h) dy = inf")
        g0 = q - A.T @ b / h
        JA = _solve(LJ, A.T)
        Jg = _solve(LJ, g0)
        P = eye / h - (A @ JA) / (h * h)
        P = 0.5 * (P + P.T)
        q = b / h + (A @ Jg) / h
        r += -0.5 * float(b @ b) / h - 0.5 * d * math.log(h) - 0.5 * _logdet(LJ) + 0.5 * float(g0 @ Jg)
    LP = _cholesky(P)
    if LP is None:
        lam = float(np.min(np.linalg.eigvalsh(P)))
        return math.inf, (f"the final precision P_K is not positive definite (smallest eigenvalue {lam:.4g}): "
                          f"int u_K = inf")
    return r + 0.5 * d * math.log(2 * math.pi) - 0.5 * _logdet(LP) + 0.5 * float(q @ _solve(LP, q)), None


def tilted_moment(target, error, a, T: float = 4.0, t0: float = 0.02, steps=None, init="prior",
                  score=None, *, schedule=None, sampler=None) -> TiltedMoment:
    """E*[Lambda^a] of the K-step Euler-Maruyama chain's paths, exactly (module docstring).

    ``u_{k+1} = K^{(a)}_k [u_k exp(a (a - 1) h |e_k|^2 / 2)]``, ``E*[Lambda^a] = int u_K``
    (THEORY.md section 8, "Tilted moments"). A Gaussian target with an AffineError: the Riccati
    recursion on (precision, linear term, log-normaliser), any dimension, +inf with the reason when
    the precision loses positive definiteness. A GridLaw target (d = 1, 2): the grid recursion of
    grid_path_moments.py with any callable error (or score=).

    Parameters
    ----------
    target : Gaussian or GridLaw
        The training law (its exact score drives the ideal chain P*).
    error : AffineError (Gaussian), callable (GridLaw) or None
        The score error e(y, t).
    a : float > 0
        The order.
    T, t0 : float
        The time window, 0 <= t0 < T (defaults 4, 0.02).
    steps : int
        K >= 1 (required: this is the chain's path law).
    init : "prior", "exact" or a law
        The common start of both chains.
    score : callable, optional
        GridLaw targets only: the learned score instead of `error`.
    schedule : TimeGrid, optional
        T, t0, steps, init as one object (a uniform grid for a Gaussian target).
    sampler : GaussianSampler, optional
        GridLaw targets: any Gaussian-transition sampler (THEORY.md §8).

    Returns
    -------
    TiltedMoment
        log E*[Lambda^a], its reason when infinite, and the Renyi divergence as `.renyi`. On a grid,
        `exact` is False (a lower bound, with the reason) when the tilted field left the box.

    Raises
    ------
    ValueError
        Naming a, T, t0, steps, init, error or score when out of range.
    """
    a = check_order(a)
    if isinstance(target, GridLaw):
        return grid_path_moments(target, error, (a,), T, t0, steps, init, score, schedule=schedule,
                                 sampler=sampler).tilted[0]
    if score is not None:
        raise ValueError("score= is for GridLaw targets; for a Gaussian target give an AffineError")
    if not isinstance(target, Gaussian):
        raise ValueError(f"target must be a Gaussian or a GridLaw, got {type(target).__name__}")
    if sampler is not None:
        raise ValueError("sampler= is for GridLaw targets here (the Riccati recursion is of the uniform EM chain)")
    T, t0, steps, init = keyword_form(schedule, T, t0, steps, init)
    T, t0, steps = check_schedule(T, t0, steps)
    if steps is None:
        raise ValueError("steps must be an integer >= 1 (the tilted moment is of the K-step chain's paths)")
    error = check_error(error, target.dim)
    value, reason = gaussian_log_tilted(target, error, a, a * (a - 1.0), T, t0, steps, init)
    return TiltedMoment(a, value, reason)


def path_renyi(target, error, a, T: float = 4.0, t0: float = 0.02, steps=None, init="prior",
               score=None, *, schedule=None, sampler=None) -> float:
    """R_a(P_hat || P*) = log E*[Lambda^a] / (a - 1) of the chain's paths; a = 1: KL = epshat2 / 2.

    THEORY.md section 8. Exact (see `tilted_moment` for the recursions and the arguments); +inf where
    E*[Lambda^a] is infinite (a > 1; `tilted_moment(...).reason` says why). A time-only error gives
    a eps2 / 2; data processing: R_a(output_hat || output*) <= R_a(P_hat || P*). `schedule=` and `sampler=` as in
    `tilted_moment`.

    Returns
    -------
    float
        The path Renyi divergence of order a (>= 0, +inf when it diverges).

    Raises
    ------
    ValueError
        As `tilted_moment`, and for a GridLaw target whose tilted field left the box (only a lower
        bound is known: widen the bounds, or read `tilted_moment(...)`).
    """
    a = check_order(a)
    if a == 1.0:
        if isinstance(target, GridLaw):
            return 0.5 * grid_path_energy(target, error, T, t0, "learned", steps, init, score, schedule=schedule,
                                          sampler=sampler)
        if sampler is not None:
            raise ValueError("sampler= is for GridLaw targets here (the closed form is of the uniform EM chain)")
        T, t0, steps, init = keyword_form(schedule, T, t0, steps, init)
        if score is not None:
            raise ValueError("score= is for GridLaw targets; for a Gaussian target give an AffineError")
        T, t0, steps = check_schedule(T, t0, steps)
        if steps is None:
            raise ValueError("steps must be an integer >= 1 (the Renyi divergence is of the K-step chain's paths)")
        return 0.5 * propagate(target, error, T, t0, steps, init=init, path="learned").energy
    return tilted_moment(target, error, a, T, t0, steps, init, score, schedule=schedule, sampler=sampler).renyi
