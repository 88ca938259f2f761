"""Controlled score errors: wrap any score `s(x, t)` as `s(x, t) + e(x, t)` with an affine error
`e(x, t) = W(t) x + xi(t)` (THEORY.md §4: an affine error keeps Gaussian reverse chains exact, so
`gaussian_exact` gives the ground truth), as in the paper's figure on eta by error type (§6).
The paper's figure names the types "aligned w_i x", "random w x" and "time-only xi(t)"; their
exact definitions were not available to us, so the forms below are our reading (reconstructed):

* `aligned_error(score, w, d)`: `e = w x` (W = w I, or diag(w) for a vector w), along the state, the
  direction of the OU part `x/2` of the reverse drift (w may change with the generation: w_i);
* `random_direction_error(score, w, d, seed)`: `e = w G x` with G a fixed random matrix with iid
  Gaussian entries rescaled to `|G|_F^2 = d` (the Frobenius norm of I), so on isotropic states it
  has the same mean size as the aligned error but a random direction;
* `DriftAlignedScore(score, w)`: `e = w (x/2 + score(x, t))`, w times the reverse drift itself
  (for a Gaussian target this is affine too: W(t) = w (I/2 - Sig_t^-1), xi(t) = w a_t Sig_t^-1 m);
* `time_only_error(score, xi)`: `e = xi(t)`, independent of the state (a constant vector, or a
  callable of t). The paper's remark that time-only errors give eta = 0 holds only when their
  weighted integral along the path vanishes (e.g. `oscillating_xi`); a constant bias shifts the
  output mean, so eta > 0 (THEORY.md §4).
"""
from __future__ import annotations

import math

import torch

from .sde import VPSDE


def _as_time_function(value):
    if value is None or callable(value):
        return value
    const = torch.as_tensor(value, dtype=torch.float64)
    return lambda t: const


class ErrorInjectedScore:
    """`score(x, t) + W(t) x + xi(t)`; W a (d, d) matrix and xi a (d,) vector, each constant or a
    callable of the float time t. `error(x, t)` gives e alone. Inputs x of shape (m, d).

    THEORY.md §4 (affine errors).

    Parameters
    ----------
    score : callable
        The base score ``score(x, t)``.
    W : array_like of shape (d, d), callable of t, or None
        Linear part of the error (None: none).
    xi : array_like of shape (d,), callable of t, or None
        Offset of the error (None: none).
    """

    def __init__(self, score, W=None, xi=None):
        self.score = score
        self._constant = not (callable(W) or callable(xi))
        self.W = _as_time_function(W)
        self.xi = _as_time_function(xi)

    def error(self, x: torch.Tensor, t) -> torch.Tensor:
        """The injected error alone, ``e(x, t) = W(t) x + xi(t)``.

        Parameters
        ----------
        x : torch.Tensor, shape (m, d)
            States.
        t : float or torch.Tensor of shape () or (m,)
            Time(s); per-row times are grouped by value.

        Returns
        -------
        torch.Tensor, shape (m, d)
            The error.
        """
        if torch.is_tensor(t) and t.ndim == 1 and self._constant:
            t = 0.0  # the error does not depend on t
        if torch.is_tensor(t) and t.ndim == 1:  # per-row times: group rows by time value
            out = torch.empty_like(x)
            for value in torch.unique(t):
                rows = t == value
                out[rows] = self.error(x[rows], float(value))
            return out
        t = float(t)
        e = torch.zeros_like(x)
        if self.W is not None:
            e = e + x @ torch.as_tensor(self.W(t)).to(x).T
        if self.xi is not None:
            e = e + torch.as_tensor(self.xi(t)).to(x)
        return e

    def __call__(self, x: torch.Tensor, t) -> torch.Tensor:
        return self.score(x, t) + self.error(x, t)

    def affine_parts(self, t: float):
        """(W(t), xi(t)) as float64 numpy arrays (None where absent), for `gaussian_exact`.

        Parameters
        ----------
        t : float
            Time.

        Returns
        -------
        W, xi : numpy.ndarray or None
            The two parts at t.
        """
        W = None if self.W is None else torch.as_tensor(self.W(float(t)), dtype=torch.float64).numpy()
        xi = None if self.xi is None else torch.as_tensor(self.xi(float(t)), dtype=torch.float64).numpy()
        return W, xi


class DriftAlignedScore:
    """`score(x, t) + w (x/2 + score(x, t))`: the error is w times the reverse drift (THEORY.md §1).

    Parameters
    ----------
    score : callable
        The base score ``score(x, t)``.
    w : float
        Factor on the reverse drift.
    """

    def __init__(self, score, w: float):
        self.score, self.w = score, float(w)

    def error(self, x: torch.Tensor, t) -> torch.Tensor:
        """The injected error alone, ``w (x/2 + score(x, t))``.

        Parameters
        ----------
        x : torch.Tensor
            States.
        t : float or torch.Tensor
            Time(s), passed to the base score.

        Returns
        -------
        torch.Tensor
            The error, x's shape.
        """
        return self.w * VPSDE.reverse_drift(x, self.score(x, t))

    def __call__(self, x: torch.Tensor, t) -> torch.Tensor:
        s = self.score(x, t)
        return s + self.w * VPSDE.reverse_drift(x, s)


def aligned_error(score, w, d: int) -> ErrorInjectedScore:
    """`e(x, t) = w x`: W = w I for a scalar w, diag(w) for a vector of length d.

    Reconstructed (module docstring; THEORY.md §6).

    Parameters
    ----------
    score : callable
        The base score.
    w : float or array_like of shape (d,)
        Error size (isotropic or per coordinate).
    d : int
        State dimension.

    Returns
    -------
    ErrorInjectedScore
        The score with the error.

    Raises
    ------
    ValueError
        If w is neither a scalar nor a vector of length d.
    """
    w = torch.as_tensor(w, dtype=torch.float64)
    if w.ndim == 0:
        W = w * torch.eye(d, dtype=torch.float64)
    elif w.shape == (d,):
        W = torch.diag(w)
    else:
        raise ValueError(f"w must be a scalar or a vector of length d = {d}, got shape {tuple(w.shape)}")
    return ErrorInjectedScore(score, W=W)


def random_direction_matrix(d: int, seed: int = 0) -> torch.Tensor:
    """A (d, d) matrix with iid N(0, 1) entries rescaled to Frobenius norm sqrt(d)."""
    if d < 1:
        raise ValueError(f"d must be >= 1, got {d}")
    G = torch.randn(d, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return G * math.sqrt(d) / G.norm()


def random_direction_error(score, w: float, d: int, seed: int = 0) -> ErrorInjectedScore:
    """`e(x, t) = w G x` with G = `random_direction_matrix(d, seed)`.

    Reconstructed (module docstring; THEORY.md §6).

    Parameters
    ----------
    score : callable
        The base score.
    w : float
        Error size.
    d : int >= 1
        State dimension.
    seed : int
        Seed of G (default 0).

    Returns
    -------
    ErrorInjectedScore
        The score with the error.

    Raises
    ------
    ValueError
        If d < 1.
    """
    return ErrorInjectedScore(score, W=float(w) * random_direction_matrix(d, seed))


def time_only_error(score, xi) -> ErrorInjectedScore:
    """`e(x, t) = xi(t)`: xi a (d,) vector (constant bias) or a callable of the float time t.

    Reconstructed (module docstring; THEORY.md §4, §6).

    Parameters
    ----------
    score : callable
        The base score.
    xi : array_like of shape (d,) or callable of t
        The error.

    Returns
    -------
    ErrorInjectedScore
        The score with the error.
    """
    return ErrorInjectedScore(score, xi=xi)


def oscillating_xi(amplitude, direction, T: float = 4.0, t0: float = 0.02, cycles: int = 1):
    """`xi(t) = amplitude * direction * sin(2 pi cycles (t - t0) / (T - t0))`: integrates to zero
    over [t0, T], the kind of time-only error whose effect on the endpoint nearly averages out.

    Parameters
    ----------
    amplitude : float
        Size of the error.
    direction : array_like of shape (d,)
        Its direction.
    T, t0 : float
        The time window, T > t0 (defaults 4 and 0.02).
    cycles : int >= 1
        Full periods over [t0, T] (default 1).

    Returns
    -------
    callable
        ``xi(t) -> torch.Tensor`` (float64, shape (d,)).

    Raises
    ------
    ValueError
        If cycles is not an int >= 1 or T <= t0.
    """
    if not (isinstance(cycles, int) and cycles >= 1):
        raise ValueError(f"cycles must be an int >= 1, got {cycles}")
    if not T > t0:
        raise ValueError(f"need T > t0, got T = {T}, t0 = {t0}")
    u = torch.as_tensor(direction, dtype=torch.float64)
    return lambda t: amplitude * u * math.sin(2 * math.pi * cycles * (float(t) - t0) / (T - t0))
