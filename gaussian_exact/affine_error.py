"""`AffineError(W, xi)`: a score error affine in the state, e(x, t) = W(t) x + xi(t) (THEORY.md section 4).

The learner's score is the exact score of its target plus e. `W` may be None (a time-only error),
a scalar (W = w I), a 1-D vector (a diagonal matrix), a (d, d) matrix, or a function of the
physical time t returning one of those (the same kind for every t). `xi` may be None, a vector,
or a function of t returning a vector.
"""
from __future__ import annotations

import numpy as np


def _kind_of(w) -> str:
    w = np.asarray(w, dtype=float)
    return {0: "isotropic", 1: "diagonal", 2: "full"}.get(w.ndim, "bad")


class AffineError:
    """e(x, t) = W(t) x + xi(t). `kind` is "none", "isotropic", "diagonal" or "full" (the W part).

    THEORY.md section 4.

    Parameters
    ----------
    W : None, float, array_like of shape (d,) or (d, d), or callable
        The linear part: None (time-only error), w (W = w I), a diagonal, a matrix, or a function
        of the physical time t returning one of those (one kind for every t; probed at t = 1).
    xi : None, array_like of shape (d,), or callable
        The offset, or a function of t returning it.

    Raises
    ------
    ValueError
        If W (or W(1.0)) has more than two dimensions, or a constant xi is not 1-D.
    """

    def __init__(self, W=None, xi=None):
        self._W = W if (W is None or callable(W)) else np.asarray(W, dtype=float)
        self._xi = xi if (xi is None or callable(xi)) else np.atleast_1d(np.asarray(xi, dtype=float))
        if self._W is None:
            self.kind = "none"
        else:
            probe = self._W(1.0) if callable(self._W) else self._W
            self.kind = _kind_of(probe)
            if self.kind == "bad":
                raise ValueError(f"W must be a scalar, a vector or a matrix, got shape {np.shape(probe)}")
        if self._xi is not None and not callable(self._xi) and self._xi.ndim != 1:
            raise ValueError(f"xi must be a vector, got shape {self._xi.shape}")

    @property
    def time_only(self) -> bool:
        """True when W is None: e depends on t only."""
        return self._W is None

    @property
    def has_xi(self) -> bool:
        return self._xi is not None

    def W(self, t: float):
        """W(t) as given (None, scalar, vector or matrix).

        Parameters
        ----------
        t : float
            Physical time.

        Returns
        -------
        numpy.ndarray or None
            W(t), or None for a time-only error.

        Raises
        ------
        ValueError
            If a callable W returns a different kind (number of dimensions) at t than at t = 1.
        """
        if self._W is None:
            return None
        w = np.asarray(self._W(t) if callable(self._W) else self._W, dtype=float)
        if _kind_of(w) != self.kind:
            raise ValueError(f"W(t) must keep one kind ({self.kind}) for all t, got shape {w.shape} at t={t}")
        return w

    def xi(self, t: float):
        """xi(t) as a vector, or None.

        Parameters
        ----------
        t : float
            Physical time.

        Returns
        -------
        numpy.ndarray of shape (d,), or None
            xi(t).
        """
        if self._xi is None:
            return None
        return np.atleast_1d(np.asarray(self._xi(t) if callable(self._xi) else self._xi, dtype=float))

    def W_on(self, ts: np.ndarray) -> np.ndarray | None:
        """W(t_k) stacked along a new first axis for the times ts; a constant W is evaluated once
        and returned with a first axis of length 1 (it broadcasts against the grid).

        Parameters
        ----------
        ts : numpy.ndarray, shape (K,)
            Physical times.

        Returns
        -------
        numpy.ndarray of shape (K, ...) or (1, ...), or None
            The stacked W, or None for a time-only error.

        Raises
        ------
        ValueError
            As `W`, if a callable W changes kind on the grid.
        """
        if self._W is None:
            return None
        if not callable(self._W):
            return self._W[None, ...]
        return np.stack([self.W(t) for t in ts])

    def xi_on(self, ts: np.ndarray) -> np.ndarray | None:
        """xi(t_k) as rows of a (len(ts), d) array (one row, broadcasting, when xi is constant).

        Parameters
        ----------
        ts : numpy.ndarray, shape (K,)
            Physical times.

        Returns
        -------
        numpy.ndarray of shape (K, d) or (1, d), or None
            The stacked xi, or None when there is no offset.
        """
        if self._xi is None:
            return None
        if not callable(self._xi):
            return self._xi[None, :]
        return np.stack([self.xi(t) for t in ts])

    def check_dim(self, d: int, t: float = 1.0) -> None:
        """ValueError naming W or xi when their shapes do not fit dimension d.

        Parameters
        ----------
        d : int
            The state dimension.
        t : float
            Time at which callables are evaluated (default 1).

        Raises
        ------
        ValueError
            If W(t) is a vector or matrix not of shape (d,) or (d, d), xi(t) is not of shape (d,),
            or a callable W changes kind.
        """
        w = self.W(t)
        if w is not None and w.ndim >= 1 and w.shape != (d,) * w.ndim:
            raise ValueError(f"W must have shape ({d},) or ({d}, {d}) for dimension {d}, got {w.shape}")
        x = self.xi(t)
        if x is not None and x.shape != (d,):
            raise ValueError(f"xi must have shape ({d},) for dimension {d}, got {x.shape}")

    def __call__(self, x, t: float) -> np.ndarray:
        """e(x, t) = W(t) x + xi(t) for x of shape (..., d)."""
        x = np.asarray(x, dtype=float)
        out = np.zeros_like(x)
        w = self.W(t)
        if w is not None:
            out = out + (w * x if w.ndim < 2 else x @ w.T)
        xi = self.xi(t)
        if xi is not None:
            out = out + xi
        return out

    def __repr__(self) -> str:
        return f"AffineError(W kind={self.kind}, xi={'set' if self._xi is not None else 'None'})"



def as_matrix(w, d: int) -> np.ndarray:
    """W as a (d, d) matrix (None -> 0, scalar -> w I, vector -> diag)."""
    if w is None:
        return np.zeros((d, d))
    w = np.asarray(w, dtype=float)
    return w * np.eye(d) if w.ndim == 0 else (np.diag(w) if w.ndim == 1 else w)


def add_errors(first: AffineError, second: AffineError, d: int) -> AffineError:
    """The error e1 + e2 (W as a full matrix function when either has a W part)."""
    if first.time_only and second.time_only:
        W = None
    else:
        def W(t):
            return as_matrix(first.W(t), d) + as_matrix(second.W(t), d)
    if not first.has_xi and not second.has_xi:
        xi = None
    else:
        def xi(t):
            return sum(x for x in (first.xi(t), second.xi(t)) if x is not None)
    return AffineError(W=W, xi=xi)
