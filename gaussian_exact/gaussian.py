"""`Gaussian(mean, cov)`: a validated multivariate normal law N(mean, cov) on R^d.

The covariance is stored either as a full (d, d) matrix or, when given as a 1-D array, as the
diagonal of a diagonal matrix (the O(d) fast path; `.cov` then builds the matrix on demand).
Formulas: log N(x; m, S) = -1/2 [d log(2 pi) + log det S + (x-m)^T S^-1 (x-m)],
score grad log N(x; m, S) = -S^-1 (x - m) (THEORY.md section 4).
"""
from __future__ import annotations

import numpy as np
from scipy import linalg

from .validation import float_array


def _min_eigenvalue(cov: np.ndarray) -> float:
    return float(np.linalg.eigvalsh(cov).min()) if cov.ndim == 2 else float(cov.min())


class Gaussian:
    """N(mean, cov). `cov` is (d, d) symmetric positive definite, or (d,) positive (a diagonal).

    Raises ValueError naming `mean` or `cov` for bad shapes, non-finite entries, asymmetry, or a
    covariance that is not positive definite (the message gives its smallest eigenvalue).

    Parameters
    ----------
    mean : array_like, shape (d,)
        Finite mean vector (a scalar is a 1-D law).
    cov : array_like, shape (d, d), (d,) or scalar
        Symmetric positive definite covariance, or the positive diagonal (a scalar: the same
        variance on every axis).

    Raises
    ------
    ValueError
        If mean is not a non-empty finite 1-D vector, cov has the wrong shape or non-finite
        entries, a full cov is asymmetric or not positive definite, a diagonal has an entry <= 0,
        or either is not numeric.
    """

    __slots__ = ("mean", "_cov", "_chol", "_inv", "_chol_inv", "_eig")

    def __init__(self, mean, cov):
        mean = np.atleast_1d(float_array("mean", mean))
        cov = float_array("cov", cov)
        if mean.ndim != 1:
            raise ValueError(f"mean must be a 1-D vector, got shape {mean.shape}")
        d = mean.shape[0]
        if d < 1 or not np.all(np.isfinite(mean)):
            raise ValueError("mean must be a non-empty vector of finite numbers")
        if cov.ndim == 0:
            cov = np.full(d, float(cov))
        if cov.shape not in ((d,), (d, d)):
            raise ValueError(f"cov must have shape ({d},) or ({d}, {d}) to match mean, got {cov.shape}")
        if not np.all(np.isfinite(cov)):
            raise ValueError("cov must contain finite numbers only")
        chol = None
        if cov.ndim == 2:
            scale = max(float(np.abs(cov).max()), 1e-300)
            if np.abs(cov - cov.T).max() > 1e-10 * scale:
                raise ValueError("cov must be symmetric, got an asymmetric matrix")
            cov = 0.5 * (cov + cov.T)
            try:
                chol = linalg.cholesky(cov, lower=True)
            except linalg.LinAlgError:
                chol = None
            if chol is None or np.any(np.diag(chol) <= 0):
                raise ValueError(
                    f"cov must be symmetric positive definite; smallest eigenvalue is {_min_eigenvalue(cov):.6g}")
        elif np.any(cov <= 0):
            raise ValueError(
                f"cov must be symmetric positive definite; smallest eigenvalue is {_min_eigenvalue(cov):.6g}")
        self.mean = mean
        self._cov = cov
        self._chol = chol
        self._inv = None
        self._chol_inv = None
        self._eig = None

    @classmethod
    def from_eigh(cls, mean, lam: np.ndarray, U: np.ndarray) -> "Gaussian":
        """N(mean, U diag(lam) U^T) for orthonormal U, keeping (lam, U) as the law's eigendecomposition
        (so that `eigh` costs nothing).

        Parameters
        ----------
        mean : array_like, shape (d,)
            Mean vector.
        lam : numpy.ndarray, shape (d,)
            Eigenvalues (> 0).
        U : numpy.ndarray, shape (d, d)
            Orthonormal eigenvectors (columns).

        Returns
        -------
        Gaussian
            The law, carrying (lam, U) as its eigendecomposition.

        Raises
        ------
        ValueError
            As the constructor, if U diag(lam) U^T is not a valid covariance.
        """
        V = U * np.sqrt(lam)
        g = cls(mean, V @ V.T)   # a symmetric product (BLAS syrk)
        g._eig = (np.array(lam, dtype=float), U)
        return g

    # --- structure -----------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.mean.shape[0]

    @property
    def is_diagonal(self) -> bool:
        """True when the covariance is stored as its diagonal (the O(d) representation)."""
        return self._cov.ndim == 1

    @property
    def cov(self) -> np.ndarray:
        """The full (d, d) covariance matrix."""
        return np.diag(self._cov) if self.is_diagonal else self._cov

    @property
    def var(self) -> np.ndarray:
        """The diagonal of the covariance (marginal variances)."""
        return self._cov if self.is_diagonal else np.diag(self._cov).copy()

    @property
    def chol(self) -> np.ndarray:
        """Lower Cholesky factor L with L L^T = cov (a vector of standard deviations if diagonal)."""
        if self.is_diagonal:
            return np.sqrt(self._cov)
        return self._chol

    @property
    def precision(self) -> np.ndarray:
        """cov^-1 (a vector if diagonal).

        Raises
        ------
        scipy.linalg.LinAlgError
            If LAPACK's dpotri fails to invert the Cholesky factor.
        """
        if self._inv is None:
            if self.is_diagonal:
                self._inv = 1.0 / self._cov
            else:
                inv, info = linalg.lapack.dpotri(self._chol, lower=1)   # lower triangle of cov^-1
                if info != 0:
                    raise linalg.LinAlgError(f"dpotri failed with info={info}")
                self._inv = np.tril(inv) + np.tril(inv, -1).T
        return self._inv

    def eigh(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(lam, U) with cov = U diag(lam) U^T, U orthonormal; computed once (numpy eigh, ascending) and
        cached, or the pair given to `from_eigh` (any order). Diagonal laws: (var, None)."""
        if self.is_diagonal:
            return self._cov, None
        if self._eig is None:
            self._eig = np.linalg.eigh(self._cov)
        return self._eig

    @property
    def logdet(self) -> float:
        """log det cov."""
        if self.is_diagonal:
            return float(np.log(self._cov).sum())
        return float(2.0 * np.log(np.diag(self._chol)).sum())

    def solve(self, x: np.ndarray) -> np.ndarray:
        """cov^-1 x for x of shape (d,) or (d, k).

        Parameters
        ----------
        x : numpy.ndarray, shape (d,) or (d, k)
            Right-hand side(s).

        Returns
        -------
        numpy.ndarray
            cov^-1 x, shape of x.
        """
        if self.is_diagonal:
            return x / (self._cov if x.ndim == 1 else self._cov[:, None])
        return linalg.cho_solve((self._chol, True), x)

    def as_full(self) -> "Gaussian":
        """The same law with a full covariance matrix."""
        return self if not self.is_diagonal else Gaussian(self.mean, self.cov)

    # --- law ------------------------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """n independent draws, shape (n, d): mean + L z with z standard normal.

        Parameters
        ----------
        n : int >= 0
            Number of draws.
        rng : numpy.random.Generator, int or None
            Generator or seed (``numpy.random.default_rng``).

        Returns
        -------
        numpy.ndarray, shape (n, d)
            The draws.

        Raises
        ------
        ValueError
            If n is negative or not an integer.
        """
        if int(n) != n or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n}")
        rng = np.random.default_rng(rng)
        z = rng.standard_normal((int(n), self.dim))
        if self.is_diagonal:
            return self.mean + z * np.sqrt(self._cov)
        return self.mean + z @ self._chol.T

    def _as_points(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if x.shape[-1:] != (self.dim,):
            raise ValueError(f"x must have last dimension {self.dim}, got shape {x.shape}")
        return x

    def _whiten(self, x: np.ndarray) -> np.ndarray:
        r = x - self.mean
        if self.is_diagonal:
            return r / np.sqrt(self._cov)
        if self._chol_inv is None:
            self._chol_inv = linalg.solve_triangular(self._chol, np.eye(self.dim), lower=True)
        return r @ self._chol_inv.T

    def logpdf(self, x) -> np.ndarray:
        """log N(x; mean, cov) for x of shape (..., d).

        Parameters
        ----------
        x : array_like, shape (..., d)
            Points.

        Returns
        -------
        numpy.ndarray, shape (...)
            Log densities.

        Raises
        ------
        ValueError
            If the last dimension of x is not d.
        """
        x = self._as_points(x)
        z = self._whiten(x)
        return -0.5 * (self.dim * np.log(2 * np.pi) + self.logdet + np.sum(z * z, axis=-1))

    def score(self, x) -> np.ndarray:
        """grad_x log N(x; mean, cov) = -cov^-1 (x - mean), for x of shape (..., d).

        Parameters
        ----------
        x : array_like, shape (..., d)
            Points.

        Returns
        -------
        numpy.ndarray, shape (..., d)
            Scores.

        Raises
        ------
        ValueError
            If the last dimension of x is not d.
        """
        x = self._as_points(x)
        r = x - self.mean
        if self.is_diagonal:
            return -r / self._cov
        flat = r.reshape(-1, self.dim)
        return -linalg.cho_solve((self._chol, True), flat.T).T.reshape(r.shape)

    def in_basis(self, U: np.ndarray) -> "Gaussian":
        """The law of U^T X as a diagonal Gaussian, for U this law's own eigenvector matrix.

        Parameters
        ----------
        U : numpy.ndarray, shape (d, d)
            The eigenvector matrix returned by `eigh` (the same object).

        Returns
        -------
        Gaussian
            Diagonal law N(U^T mean, diag(lam)).

        Raises
        ------
        ValueError
            If U is not the eigenvector matrix this law carries (identity, not equality), including
            for a diagonal law.
        """
        lam, own = self.eigh()
        if own is not U:
            raise ValueError("U must be the eigenvector matrix this law carries")
        return Gaussian(U.T @ self.mean, lam)

    def __repr__(self) -> str:
        kind = "diagonal" if self.is_diagonal else "full"
        return f"Gaussian(dim={self.dim}, {kind} cov)"


def common_eigenbasis(*laws: Gaussian) -> np.ndarray | None:
    """The eigenvector matrix U shared, as one object, by all the (full) laws' cached eigendecompositions
    (laws built by `from_eigh` on one basis, e.g. by the commuting reverse chain), else None. In that
    basis all of them are diagonal, so divergences between them cost O(d^2) instead of O(d^3)."""
    if any(g.is_diagonal or g._eig is None for g in laws):
        return None
    U = laws[0]._eig[1]
    if not all(g._eig[1] is U and g._eig[0].min() > 0 for g in laws):
        return None
    return U
