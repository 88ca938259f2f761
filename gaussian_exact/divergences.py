"""Closed-form divergences between Gaussians (THEORY.md section 4, derived and checked numerically).

* KL(N(m1,S1) || N(m2,S2)) = 1/2 [tr(S2^-1 S1) + (m2-m1)^T S2^-1 (m2-m1) - d + ln det S2 - ln det S1].
* 1 + chi2(p || q) = int p^2 / q = det(S2)^{1/2} / (det(S1) det(A)^{1/2}) exp(1/2 b^T A^-1 b + c),
  A = 2 S1^-1 - S2^-1; chi2 = +inf unless A is positive definite (never NaN).
* Renyi-2: log(1 + chi2), finite even where chi2 overflows.
* W2 = sqrt(|m1 - m2|^2 + tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2})) (the distance, not its square).
All use Cholesky factors / eigendecompositions, never explicit determinants; diagonal laws are O(d), and
laws diagonal in one shared eigenbasis (gaussian.common_eigenbasis) are rotated into it first.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import linalg

from .gaussian import Gaussian, common_eigenbasis
from .gaussian_integrals import LOG_FLOAT_MAX, memo_log_product_integral
from .divergence_reason import DivergenceReason, DivergenceResult
from .grid_divergences import chi2_result, grid_chi2, grid_kl, grid_renyi2
from .grid_law import GridLaw


def _same_dim(p: Gaussian, q: Gaussian) -> None:
    if not isinstance(p, Gaussian) or not isinstance(q, Gaussian):
        raise ValueError("p and q must be Gaussian instances")
    if p.dim != q.dim:
        raise ValueError(f"p and q must have the same dimension, got {p.dim} and {q.dim}")


def kl(p: Gaussian, q: Gaussian) -> float:
    """KL(p || q) in nats, closed form (module docstring; THEORY.md section 4, derived).

    ``1/2 [tr(S2^-1 S1) + (m2-m1)^T S2^-1 (m2-m1) - d + ln det S2 - ln det S1]``; GridLaws on one
    grid: trapezoid rule (grid_divergences.py).

    Parameters
    ----------
    p, q : Gaussian or GridLaw
        Laws of one dimension (two GridLaws: on one grid).

    Returns
    -------
    float
        KL(p || q) >= 0 (inf for GridLaws where q = 0 < p).

    Raises
    ------
    ValueError
        If p and q are not Gaussians of one dimension (or GridLaws on one grid).
    """
    if isinstance(p, GridLaw) or isinstance(q, GridLaw):
        return grid_kl(p, q)
    _same_dim(p, q)
    U = common_eigenbasis(p, q)
    if U is not None:   # both diagonal in one eigenbasis (KL is invariant under the rotation)
        p, q = p.in_basis(U), q.in_basis(U)
    dm = q.mean - p.mean
    if p.is_diagonal and q.is_diagonal:
        trace = float(np.sum(p.var / q.var))
        maha = float(np.sum(dm * dm / q.var))
    else:
        Lq = q.as_full().chol
        X = linalg.solve_triangular(Lq, p.as_full().chol, lower=True)
        trace = float(np.sum(X * X))
        y = linalg.solve_triangular(Lq, dm, lower=True)
        maha = float(y @ y)
    return max(0.0, 0.5 * (trace + maha - p.dim + q.logdet - p.logdet))


def renyi2(p: Gaussian, q: Gaussian, memo: dict | None = None) -> float:
    """Renyi divergence of order 2: ``log int p^2 / q = log(1 + chi2(p || q))``; +inf if it diverges.

    Closed form of the module docstring (THEORY.md section 4, derived); finite even where chi2
    overflows. GridLaws on one grid: trapezoid rule.

    Parameters
    ----------
    p, q : Gaussian or GridLaw
        Laws of one dimension (two GridLaws: on one grid).
    memo : dict, optional
        A cache shared across calls (see gaussian_integrals.memo_log_product_integral).

    Returns
    -------
    float
        The divergence, >= 0, or inf.

    Raises
    ------
    ValueError
        If p and q are not Gaussians of one dimension (or GridLaws on one grid).
    """
    if isinstance(p, GridLaw) or isinstance(q, GridLaw):
        return grid_renyi2(p, q)
    _same_dim(p, q)
    return max(0.0, memo_log_product_integral(p, p, q, memo))


def chi2(p: Gaussian, q: Gaussian, memo: dict | None = None) -> float:
    """``chi2(p || q) = int (p - q)^2 / q = expm1(renyi2)``; +inf when ``2 S_p^-1 - S_q^-1`` is not PD.

    Closed form of the module docstring (THEORY.md sections 2 and 4, derived); +inf, never NaN,
    where it diverges or exceeds the float range (renyi2 then still holds the value). GridLaws on one grid: trapezoid rule (grid_divergences.py).

    Parameters
    ----------
    p, q : Gaussian or GridLaw
        Laws of one dimension (two GridLaws: on one grid).
    memo : dict, optional
        A cache shared across calls (see gaussian_integrals.memo_log_product_integral).

    Returns
    -------
    float
        chi2(p || q) >= 0, or inf.

    Raises
    ------
    ValueError
        If p and q are not Gaussians of one dimension (or GridLaws on one grid).
    """
    if isinstance(p, GridLaw) or isinstance(q, GridLaw):
        return grid_chi2(p, q)
    r = renyi2(p, q, memo)
    if r > LOG_FLOAT_MAX:   # finite up to e^709.78; renyi2 keeps the value beyond
        return math.inf
    try:
        return math.expm1(r)
    except OverflowError:
        return math.inf


def chi2_reason(p, q, names=("p", "q")) -> DivergenceResult:
    """chi2(p || q) with the reason when it is infinite (THEORY.md section 8, "Tails decide chi2").

    Parameters
    ----------
    p, q : Gaussian or GridLaw
        As for `chi2`.
    names : (str, str)
        How the reason names p and q (e.g. ("learned law", "data")).

    Returns
    -------
    DivergenceResult
        value = chi2(p, q); reason None when finite, else a DivergenceReason: for GridLaws the face and
        the fitted tails (grid_divergences.chi2_result); for Gaussians the direction v in which
        2 S_p^-1 - S_q^-1 is not positive definite and both laws' variances along v.

    Raises
    ------
    ValueError
        As `chi2`.
    """
    if isinstance(p, GridLaw) or isinstance(q, GridLaw):
        _grid_pair(p, q)
        return chi2_result(p, q, names=names)
    value = chi2(p, q)
    if math.isfinite(value):
        return DivergenceResult(value)
    Pp, Pq = np.linalg.inv(p.cov), np.linalg.inv(q.cov)
    vals, vecs = np.linalg.eigh(2 * Pp - Pq)
    if vals[0] > 0:
        return DivergenceResult(value, DivergenceReason(names[0], "", "", "", f"chi2({names[0]} || {names[1]}) exceeds the float range"))
    v = vecs[:, 0]
    vp, vq = 1.0 / float(v @ Pp @ v), 1.0 / float(v @ Pq @ v)
    face = "x -> +-inf" if p.dim == 1 else f"direction ({', '.join(f'{c:.3g}' for c in v)})"
    tp, tq = f"{names[0]} ~ exp(-x^2 / {2 * vp:.3g})", f"{names[1]} ~ exp(-x^2 / {2 * vq:.3g})"
    return DivergenceResult(value, DivergenceReason(
        names[0], face, tp, tq, f"chi2({names[0]} || {names[1]}) = inf: {tp}, {tq} along {face}: "
        f"{names[0]}'s tail is heavier than the square root of {names[1]}'s (2 / {vp:.3g} <= 1 / {vq:.3g})"))


def _grid_pair(p, q) -> None:
    if not (isinstance(p, GridLaw) and isinstance(q, GridLaw)):
        raise ValueError("p and q must both be GridLaws (on one grid) or both Gaussians")


def w2(p: Gaussian, q: Gaussian) -> float:
    """The 2-Wasserstein distance between Gaussians (module docstring; THEORY.md section 4).

    ``W2 = sqrt(|m1 - m2|^2 + tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2}))``, the distance, not its
    square.

    Parameters
    ----------
    p, q : Gaussian
        Laws of one dimension.

    Returns
    -------
    float
        W2(p, q) >= 0.

    Raises
    ------
    ValueError
        If p and q are not Gaussians of one dimension.
    """
    _same_dim(p, q)
    dm = p.mean - q.mean
    if p.is_diagonal and q.is_diagonal:
        bures = float(np.sum((np.sqrt(p.var) - np.sqrt(q.var)) ** 2))
    else:
        S1, S2 = p.cov, q.cov
        ev, U = p.eigh()
        root = np.sqrt(np.clip(ev, 0, None))
        R = np.diag(root) if U is None else (U * root) @ U.T
        mid = np.linalg.eigvalsh(R @ S2 @ R)
        bures = float(np.trace(S1) + np.trace(S2) - 2 * np.sum(np.sqrt(np.clip(mid, 0, None))))
    return math.sqrt(max(0.0, float(dm @ dm) + bures))


def hellinger(p: Gaussian, q: Gaussian) -> float:
    """The Hellinger distance between Gaussians, H^2 = 1/2 int (sqrt p - sqrt q)^2 = 1 - BC (THEORY.md
    section 8), with the Bhattacharyya coefficient
    ``BC = det(S1)^{1/4} det(S2)^{1/4} det(S)^{-1/2} exp(-(m1 - m2)^T S^{-1} (m1 - m2) / 8)``, S = (S1 + S2)/2.

    Parameters
    ----------
    p, q : Gaussian
        Laws of one dimension.

    Returns
    -------
    float
        H(p, q) in [0, 1].

    Raises
    ------
    ValueError
        If p and q are not Gaussians of one dimension.
    """
    return math.sqrt(max(0.0, -math.expm1(min(0.0, log_bhattacharyya(p, q)))))


def log_bhattacharyya(p: Gaussian, q: Gaussian) -> float:
    """log BC(p, q) = log int sqrt(p q) between Gaussians (`hellinger`'s formula; BC = 1 - H^2, kept in
    logs so that far-apart laws keep its relative accuracy).

    Parameters
    ----------
    p, q : Gaussian
        Laws of one dimension.

    Returns
    -------
    float
        log BC <= 0 (up to rounding).

    Raises
    ------
    ValueError
        If p and q are not Gaussians of one dimension.
    """
    _same_dim(p, q)
    S = 0.5 * (p.cov + q.cov)
    dm = p.mean - q.mean
    return (0.25 * (p.logdet + q.logdet) - 0.5 * np.linalg.slogdet(S)[1]
            - 0.125 * float(dm @ np.linalg.solve(S, dm)))
