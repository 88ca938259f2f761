"""Closed-form Gaussian integrals behind chi2 and the one-step identity (THEORY.md section 4, derived).

For Gaussians p1 = N(m1, S1), p2 = N(m2, S2), g = N(m3, S3), with precisions P_i = S_i^-1:

    log int p1 p2 / g dx = -1/2 (log det S1 + log det S2 - log det S3) - 1/2 log det A
                           + 1/2 b^T A^-1 b - 1/2 (m1^T P1 m1 + m2^T P2 m2 - m3^T P3 m3),
    A = P1 + P2 - P3,  b = P1 m1 + P2 m2 - P3 m3,

and +inf unless A is positive definite. Coordinates are shifted by m3 first (the integral is
translation invariant), which keeps the quadratic terms small. With p1 = p2 = p, g = q this is
log(1 + chi2(p || q)) (the Renyi-2 divergence). When p1 or p2 is g itself the integral is int p = 1 exactly.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import linalg

from .gaussian import Gaussian, common_eigenbasis


def _all_diagonal(*gs: Gaussian) -> bool:
    return all(g.is_diagonal for g in gs)


def log_product_integral(p1: Gaussian, p2: Gaussian, g: Gaussian) -> float:
    """log int p1(x) p2(x) / g(x) dx, closed form (module docstring); +inf when it diverges."""
    d = p1.dim
    if p2.dim != d or g.dim != d:
        raise ValueError(f"dimensions must match, got {p1.dim}, {p2.dim}, {g.dim}")
    U = common_eigenbasis(p1, p2, g)
    if U is not None:   # all diagonal in one eigenbasis: the integral is invariant under the rotation
        p1, p2, g = (x.in_basis(U) for x in (p1, p2, g))
    if p1 is g or p2 is g:   # int p g / g = int p = 1
        return 0.0
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
    with a common shift for stability. A divergent term makes the result +-inf; when divergent
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
    return float(math.exp(shift) * np.sum(signs_arr * np.exp(logs_arr - shift)))
