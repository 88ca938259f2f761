"""The variance-preserving OU forward process and its reverse drifts (THEORY.md section 1).

Forward: ``dX_t = -1/2 X_t dt + dB_t``, so ``X_t | X_0 ~ N(a_t X_0, s_t^2 I)`` with
``a_t = exp(-t/2)``, ``s_t^2 = 1 - exp(-t)``.  Reverse time ``tau = T - t``:
``dY = [+1/2 Y + score(Y, T - tau)] dtau + dW`` (the sign trap of section 1: NOT ``-1/2 Y - score``).
"""
import math

import torch

from gaussian_exact.time_grid import TimeGrid


def expand_time(t, x):
    """``t`` (float or tensor of shape (m,)) as a tensor broadcastable against ``x`` of shape (m, ...)."""
    if not torch.is_tensor(t):  # a fill kernel, not a host-to-device copy
        return torch.full((), float(t), device=x.device, dtype=x.dtype)
    t = t.to(device=x.device, dtype=x.dtype)
    if t.ndim == 0:
        return t
    if t.ndim != 1 or t.shape[0] != x.shape[0]:
        raise ValueError(f"t must be a float or a tensor of shape ({x.shape[0]},), got shape {tuple(t.shape)}")
    return t.reshape((-1,) + (1,) * (x.ndim - 1))


def per_row_times(t, m, like):
    """t (float, 0-d or (m,) tensor) as an (m,) tensor on like's device and dtype (floats by a fill
    kernel: no host-to-device copy inside sampling loops).

    Parameters
    ----------
    t : float or torch.Tensor of shape () or (m,)
        Time(s).
    m : int
        Number of rows.
    like : torch.Tensor
        Tensor whose device and dtype the result takes.

    Returns
    -------
    torch.Tensor, shape (m,)
        The per-row times (a 0-d tensor is expanded, a (m,) tensor is converted, not copied).
    """
    if not torch.is_tensor(t):
        return torch.full((m,), float(t), device=like.device, dtype=like.dtype)
    t = t.to(device=like.device, dtype=like.dtype)
    return t.expand(m) if t.ndim == 0 else t


class VPSDE:
    """VP-SDE on [0, T] with early stopping at t0 (the paper: T = 4, t0 = 0.02; THEORY.md sections 1 and 6).

    Parameters
    ----------
    T : float
        Finite horizon > 0 (default 4).
    t0 : float
        Early-stopping time in [0, T) (default 0.02): the project's one t0 rule,
        `gaussian_exact.TimeGrid` (training, which divides by s_t, asks t_min > 0 itself).

    Raises
    ------
    ValueError
        If T is not finite and in (0, 1e4], or t0 is not in [0, T) (from `gaussian_exact.TimeGrid`).
    """

    def __init__(self, T=4.0, t0=0.02):
        self.schedule = TimeGrid(T=T, t0=t0)   # validated once, in one place
        self.T, self.t0 = self.schedule.T, self.schedule.t0

    def __repr__(self):
        return f"VPSDE(T={self.T}, t0={self.t0})"

    @staticmethod
    def mean_coef(t):
        """``a_t = exp(-t/2)``.

        Parameters
        ----------
        t : float or torch.Tensor
            Time(s).

        Returns
        -------
        float or torch.Tensor
            a_t, like t.
        """
        return torch.exp(-t / 2) if torch.is_tensor(t) else math.exp(-float(t) / 2)

    @staticmethod
    def var(t):
        """``s_t^2 = 1 - exp(-t)`` (computed as ``-expm1(-t)`` for small t).

        Parameters
        ----------
        t : float or torch.Tensor
            Time(s).

        Returns
        -------
        float or torch.Tensor
            s_t^2, like t.
        """
        return -torch.expm1(-t) if torch.is_tensor(t) else -math.expm1(-float(t))

    @classmethod
    def std(cls, t):
        """``s_t = sqrt(1 - exp(-t))``.

        Parameters
        ----------
        t : float or torch.Tensor
            Time(s).

        Returns
        -------
        float or torch.Tensor
            s_t, like t.
        """
        v = cls.var(t)
        return torch.sqrt(v) if torch.is_tensor(v) else math.sqrt(v)

    def perturb(self, x0, t, noise):
        """``x_t = a_t x0 + s_t noise`` (t a float or shape (m,)).

        Parameters
        ----------
        x0 : torch.Tensor, shape (m, ...)
            Clean samples.
        t : float or torch.Tensor of shape () or (m,)
            Time(s).
        noise : torch.Tensor
            Standard normal noise of x0's shape.

        Returns
        -------
        torch.Tensor
            x_t, x0's shape.

        Raises
        ------
        ValueError
            If t is a tensor of neither shape () nor (m,).
        """
        tt = expand_time(t, x0)
        return self.mean_coef(tt) * x0 + self.std(tt) * noise

    @staticmethod
    def reverse_drift(x, score):
        """Reverse-time SDE drift ``+1/2 x + score`` given the score's value at (x, t) (THEORY.md
        section 1; the sign trap: NOT ``-1/2 x - score``).

        Parameters
        ----------
        x : torch.Tensor
            State.
        score : torch.Tensor
            Score at (x, t), x's shape.

        Returns
        -------
        torch.Tensor
            The drift.
        """
        return 0.5 * x + score

    @staticmethod
    def probability_flow_drift(x, score):
        """Reverse-time probability-flow ODE drift ``1/2 x + 1/2 score`` (score's value at (x, t)).

        THEORY.md section 1.

        Parameters
        ----------
        x : torch.Tensor
            State.
        score : torch.Tensor
            Score at (x, t), x's shape.

        Returns
        -------
        torch.Tensor
            The drift.
        """
        return 0.5 * (x + score)

    def step_size(self, steps):
        """``h = (T - t0) / K``.

        Parameters
        ----------
        steps : int >= 1
            Number of steps K.

        Returns
        -------
        float
            The step size h.

        Raises
        ------
        ValueError
            If steps is not an int >= 1 (bools refused).
        """
        return (self.T - self.t0) / _check_steps(steps)

    def time_grid(self, steps):
        """``t_k = T - k h`` for k = 0..K (float64 tensor of length K + 1; t_K = t0).

        Parameters
        ----------
        steps : int >= 1
            Number of steps K.

        Returns
        -------
        torch.Tensor, float64, shape (K + 1,)
            The decreasing grid from T to t0.

        Raises
        ------
        ValueError
            If steps is not an int >= 1 (bools refused).
        """
        return torch.from_numpy(self.schedule.replace(steps=_check_steps(steps)).grid())


def _check_steps(steps):
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an int >= 1, got {steps!r}")
    return steps
