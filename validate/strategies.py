"""Hypothesis strategies for the Gaussian world (in the spirit of torch-adf's tests/strategies.py).

Exported for users' own property tests:
  dims, vectors, spd_matrices, gaussians, alphas, small_affine_errors.

Covariances are built as Q diag(lam) Q^T with Q orthogonal (QR of a drawn matrix) and
eigenvalues lam in [min_eig, max_eig], so conditioning is controlled and every draw is SPD.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from gaussian_exact import AffineError, Gaussian

_finite = dict(allow_nan=False, allow_infinity=False)


def dims(min_dim: int = 1, max_dim: int = 4):
    return st.integers(min_value=min_dim, max_value=max_dim)


def vectors(dim: int, scale: float = 1.0):
    """A length-`dim` float vector with entries in [-scale, scale]."""
    return st.lists(st.floats(-scale, scale, **_finite), min_size=dim, max_size=dim).map(
        lambda v: np.asarray(v, dtype=float))


@st.composite
def spd_matrices(draw, dim: int, min_eig: float = 0.2, max_eig: float = 2.0):
    """A symmetric positive-definite `dim x dim` matrix with spectrum in [min_eig, max_eig]."""
    if not 0 < min_eig <= max_eig:
        raise ValueError(f"need 0 < min_eig <= max_eig, got {min_eig}, {max_eig}")
    raw = np.asarray(draw(st.lists(st.floats(-1, 1, **_finite), min_size=dim * dim, max_size=dim * dim)))
    raw = raw.reshape(dim, dim) + 3.0 * np.eye(dim)  # keeps QR well defined
    q, _ = np.linalg.qr(raw)
    lam = np.asarray(draw(st.lists(st.floats(min_eig, max_eig, **_finite), min_size=dim, max_size=dim)))
    cov = (q * lam) @ q.T
    return 0.5 * (cov + cov.T)


@st.composite
def gaussians(draw, dim: int, mean_scale: float = 1.0, min_eig: float = 0.2, max_eig: float = 2.0):
    """A `gaussian_exact.Gaussian` with a drawn mean and SPD covariance."""
    return Gaussian(draw(vectors(dim, mean_scale)), draw(spd_matrices(dim, min_eig, max_eig)))


def alphas(min_alpha: float = 0.0, max_alpha: float = 1.0):
    """A fresh-data fraction in [min_alpha, max_alpha]."""
    return st.floats(min_alpha, max_alpha, **_finite)


@st.composite
def small_affine_errors(draw, dim: int, scale: float = 0.1):
    """A constant affine score error e(x, t) = W x + xi with entries of size <= `scale`."""
    w = np.asarray(draw(st.lists(st.floats(-scale, scale, **_finite), min_size=dim * dim,
                                 max_size=dim * dim))).reshape(dim, dim)
    xi = draw(vectors(dim, scale))
    return AffineError(W=w, xi=xi)
