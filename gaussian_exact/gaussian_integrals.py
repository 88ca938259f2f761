"""Closed-form Gaussian integrals behind chi2 and the one-step identity (THEORY.md section 4, derived).

For Gaussians p1 = N(m1, S1), p2 = N(m2, S2), g = N(m3, S3), with precisions P_i = S_i^-1:

    log int p1 p2 / g dx = -1/2 (log det S1 + log det S2 - log det S3) - 1/2 log det A
                           + 1/2 b^T A^-1 b - 1/2 (m1^T P1 m1 + m2^T P2 m2 - m3^T P3 m3),
    A = P1 + P2 - P3,  b = P1 m1 + P2 m2 - P3 m3,

and +inf unless A is positive definite. Coordinates are shifted by m3 first (the integral is
translation invariant), which keeps the quadratic terms small. With p1 = p2 = p, g = q this is
log(1 + chi2(p || q)) (the Renyi-2 divergence). When p1 or p2 is g itself the integral is int p = 1 exactly.

For p1 = p2 = p the formula above cancels badly when S1 is ill-conditioned (A = 2 S1^-1 - S3^-1
is a difference of huge matrices). With D = 2 S3 - S1 (so A = S1^-1 D S3^-1) it becomes (derived,
issue 10 case 5)

    log int p^2 / g = log det S3 - 1/2 log det S1 - 1/2 log det D + (m1 - m3)^T D^-1 (m1 - m3),

+inf unless D is positive definite, with every log det from a Cholesky factor. No inverse of S1 appears. Sums of exponentials (`weighted_inner`) are carried in log space;
a total beyond the float range is +-inf, never an OverflowError (issue 10 case 2).
"""
from __future__ import annotations

import math
import sys

import numpy as np
from scipy import linalg

from .gaussian import Gaussian, common_eigenbasis


def _all_diagonal(*gs: Gaussian) -> bool:
    return all(g.is_diagonal for g in gs)


LOG_FLOAT_MAX = math.log(sys.float_info.max)   # about 709.78: exp of more is inf in floats


def _log_square_integral(p: Gaussian, g: Gaussian) -> float:
    """log int p^2 / g through D = 2 S_g - S_p (module docstring): no inverse of S_p."""
    dm = p.mean - g.mean
    if _all_diagonal(p, g):
        D = 2.0 * g.var - p.var
        if np.any(D <= 0):
            return math.inf
        return float(g.logdet - 0.5 * p.logdet - 0.5 * np.log(D).sum() + np.sum(dm * dm / D))
    D = 2.0 * g.cov - p.cov
    try:
        LD = linalg.cholesky(0.5 * (D + D.T), lower=True)
    except linalg.LinAlgError:
        return math.inf
    diag = np.diag(LD)
    if np.any(diag <= 0) or not np.all(np.isfinite(diag)):
        return math.inf
    y = linalg.solve_triangular(LD, dm, lower=True)
    return float(g.logdet - 0.5 * p.logdet - np.log(diag).sum() + y @ y)


def log_product_integral(p1: Gaussian, p2: Gaussian, g: Gaussian) -> float:
    """log int p1(x) p2(x) / g(x) dx, closed form (module docstring); +inf when it diverges."""
    d = p1.dim
    if p2.dim != d or g.dim != d:
        raise ValueError(f"dimensions must match, got {p1.dim}, {p2.dim}, {g.dim}")
    if p1 is g or p2 is g:   # int p g / g = int p = 1
        return 0.0
    same = p1 is p2
    U = common_eigenbasis(p1, p2, g)
    if U is not None:   # all diagonal in one eigenbasis: the integral is invariant under the rotation
        p1, p2, g = (x.in_basis(U) for x in (p1, p2, g))
    if same:
        return _log_square_integral(p1, g)
    m1, m2 = p1.mean - g.mean, p2.mean - g.mean
    if _all_diagonal(p1, p2, g):
        P1, P2, P3 = p1.precision, p2.precision, g.precision
        A = P1 + P2 - P3
        if np.any(A <= 0):
            return math.inf
        b = P1 * m1 + P2 * m2
        quad = np.sum(b * b / A) - (np.sum(m1 * P1 * m1) + np.sum(m2 * P2 * m2))
        logdet_A = float(np.log(A).sum())
    else:
        P1, P2, P3 = (_full_precision(x) for x in (p1, p2, g))
        A = P1 + P2 - P3
        A = 0.5 * (A + A.T)
        try:
            LA = linalg.cholesky(A, lower=True)
        except linalg.LinAlgError:
            return math.inf
        if np.any(np.diag(LA) <= 0):
            return math.inf
        b = P1 @ m1 + P2 @ m2
        y = linalg.solve_triangular(LA, b, lower=True)
        quad = y @ y - (m1 @ P1 @ m1 + m2 @ P2 @ m2)
        logdet_A = float(2.0 * np.log(np.diag(LA)).sum())
    return float(-0.5 * (p1.logdet + p2.logdet - g.logdet) - 0.5 * logdet_A + 0.5 * quad)


def memo_log_product_integral(p1: Gaussian, p2: Gaussian, g: Gaussian, memo: dict | None) -> float:
    """log_product_integral through `memo` (a dict, or None for no memo), keyed by the identities of the
    laws; the entry keeps the laws alive so that an identity is never reused. The integral is
    symmetric in p1, p2 (exactly, as computed), so both orders share one entry."""
    if memo is None:
        return log_product_integral(p1, p2, g)
    key = (min(id(p1), id(p2)), max(id(p1), id(p2)), id(g))
    if key not in memo:
        memo[key] = (log_product_integral(p1, p2, g), (p1, p2, g))
    return memo[key][0]


def _full_precision(g: Gaussian) -> np.ndarray:
    P = g.precision
    return np.diag(P) if P.ndim == 1 else P


def weighted_inner(f: list, h: list, base: Gaussian, nonnegative: bool = False, memo: dict | None = None) -> float:
    """<f, h>_base = int f h / base for signed combinations f = sum_a c_a g_a, h = sum_b c_b g_b.

    `f`, `h` are lists of (coefficient, Gaussian). Each term is exp(log_product_integral), summed
    with a common shift for stability (in log space: a finite total beyond the float range,
    about e^709.78, is +-inf, not an OverflowError). A divergent term makes the result +-inf; when divergent
    terms of both signs meet, the result is +inf if `nonnegative` (a square, <f, f>), else NaN.
    `memo`: a dict shared across calls that reuses integrals of the same laws (memo_log_product_integral).
    """
    logs, signs = [], []
    for ca, ga in f:
        for cb, gb in h:
            c = ca * cb
            if c == 0:
                continue
            logs.append(memo_log_product_integral(ga, gb, base, memo) + math.log(abs(c)))
            signs.append(1.0 if c > 0 else -1.0)
    if not logs:
        return 0.0
    logs_arr, signs_arr = np.array(logs), np.array(signs)
    inf = np.isinf(logs_arr)
    if inf.any():
        inf_signs = set(signs_arr[inf])
        if len(inf_signs) == 1:
            return math.inf * inf_signs.pop()
        return math.inf if nonnegative else math.nan
    shift = logs_arr.max()
    total = float(np.sum(signs_arr * np.exp(logs_arr - shift)))
    if total == 0.0:
        return 0.0
    log_abs = shift + math.log(abs(total))
    return math.copysign(math.inf if log_abs > LOG_FLOAT_MAX else math.exp(log_abs), total)
