"""Gaussian-transition samplers: a time grid plus a mean map and a variance per step (THEORY.md §8).

Every sampler in use is a chain ``y_{k+1} ~ N(mu_k(y_k), v_k I)``, k = 0..K-1, the score evaluated at
the OU time t_k of the step's start (THEORY.md section 1's time):

* Euler-Maruyama on any decreasing grid t_0 = T > ... > t_K = t0 (`euler_maruyama`), h_k = t_k - t_{k+1}:
  ``mu_k(y) = y + h_k (y/2 + s(y, t_k))``, ``v_k = h_k`` (THEORY.md §7).
* DDPM ancestral sampling (`ddpm_ancestral`; Ho et al. 2020, Algorithm 2): betas beta_1..beta_N,
  ``abar_i = prod_{j<=i} (1 - beta_j)``, OU time ``t_i = -log abar_i``, score ``s = -eps_hat / sqrt(1 - abar_i)``;
  step i = N..2 (chain index k = N - i): ``mu(x) = (x + beta_i s(x, t_i)) / sqrt(1 - beta_i)``,
  ``v = beta_i`` ("beta") or ``beta_i (1 - abar_{i-1}) / (1 - abar_i)`` ("posterior"). With clipping
  (diffusers' ``clip_sample``) the predicted ``x0_hat = (x + (1 - abar_i) s) / sqrt(abar_i)`` is clipped to
  [-clip_range, clip_range] and ``mu = c0_i x0_hat + c1_i x`` (the posterior mean,
  ``c0 = sqrt(abar_{i-1}) beta_i / (1 - abar_i)``, ``c1 = sqrt(1 - beta_i) (1 - abar_{i-1}) / (1 - abar_i)``;
  without clipping this is the map above). The chain ends at x_1 (OU time t_1): the last step of
  Algorithm 2, ``x_0 = mu_1(x_1)`` without noise, is a deterministic map, not a Gaussian transition
  (`final_mean`; the torch sampler applies it with final_denoise). Its exact law, the pushforward of
  x_1's grid law with atoms where clipping is active, is `final_step_law.FinalStepLaw`
  (``run_grid_chain(...).learned_x0``; ``reverse(GridLaw, sampler=ddpm)``).

Without clipping every mean map is linear in (y, s): ``mu_k(y) - y = gain_k (pull_k y + s)``
(EM: gain h_k, pull 1/2; DDPM: gain beta/sqrt(1 - beta), pull 1/(1 + sqrt(1 - beta))), so an affine
score gives an affine chain (the Gaussian closed form, gaussian_chain.py). The learned chain uses the
model's score, the ideal chain the exact score of the training law at the same t_k; their mean maps
differ by ``d_k = mu_hat_k - mu*_k`` (``gain_k e_k`` without clipping) and the path energy is
``sum_k E |d_k|^2 / v_k`` (EM: ``sum_k h_k E |e_k|^2``).
The arithmetic works on numpy arrays and torch tensors alike (neural.sampling shares it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .time_grid import TimeGrid
from .validation import float_array, real_scalar

VARIANCES = ("beta", "posterior")


@dataclass(frozen=True, eq=False)
class GaussianSampler:
    """One Gaussian-transition sampler (module docstring); build it with `euler_maruyama` or
    `ddpm_ancestral`.

    Parameters
    ----------
    name : str
        "euler_maruyama" or "ddpm_ancestral".
    schedule : TimeGrid
        Its OU times: ``schedule.grid()`` = t_0 > ... > t_K (the score is evaluated at t_0..t_{K-1},
        the output lives at t_K), and the start law ``schedule.init``.
    gain, pull, variance : (K,) arrays
        ``mu_k(y) - y = gain_k (pull_k y + s)`` without clipping; ``v_k > 0``.
    clip_range : float or None
        DDPM's x0 clipping bound (None: no clipping).
    abar, abar_prev : (K,) arrays or None
        DDPM's abar_i and abar_{i-1} of each step (used by clipping and `final_mean`).
    """

    name: str
    schedule: TimeGrid
    gain: np.ndarray
    pull: np.ndarray
    variance: np.ndarray
    clip_range: float | None = None
    abar: np.ndarray | None = None
    abar_prev: np.ndarray | None = None

    @property
    def steps(self) -> int:
        """K."""
        return int(self.gain.shape[0])

    @property
    def times(self) -> np.ndarray:
        """The K score times t_0 > ... > t_{K-1}."""
        return self.schedule.grid()[:-1]

    @property
    def affine(self) -> bool:
        """True when mu_k is linear in (y, score) (no clipping)."""
        return self.clip_range is None

    def displacement(self, k: int, y, score, error=None):
        """mu_k(y) - y for the score ``score`` (+ ``error`` when given), numpy or torch.

        Without clipping ``gain_k ((pull_k y + score) + error)``; the EM chain's
        ``h (y/2 + s)`` bit for bit.
        """
        if self.clip_range is None:
            base = float(self.pull[k]) * y + score
            if error is not None:
                base = base + error
            return float(self.gain[k]) * base
        s = score if error is None else score + error
        return self._clipped_mean(k, y, s) - y

    def mean(self, k: int, y, score):
        """mu_k(y) for the score ``score`` (numpy or torch)."""
        return y + self.displacement(k, y, score)

    def _clipped_mean(self, k: int, y, s):
        ab, ab_prev = float(self.abar[k]), float(self.abar_prev[k])
        beta = 1.0 - ab / ab_prev
        x0 = _clip(predicted_x0(ab, y, s), self.clip_range)
        c0 = math.sqrt(ab_prev) * beta / (1.0 - ab)
        c1 = math.sqrt(1.0 - beta) * (1.0 - ab_prev) / (1.0 - ab)
        return c0 * x0 + c1 * y

    def final_mean(self, y, score):
        """DDPM's last, noiseless step ``x_0 = mu_1(x_1)`` (the predicted x0 at OU time t_1, clipped when
        the sampler clips); ValueError for samplers without one."""
        if self.abar is None:
            raise ValueError("final_mean is DDPM's last step; this sampler has none")
        x0 = predicted_x0(float(math.exp(-self.schedule.t0)), y, score)
        return x0 if self.clip_range is None else _clip(x0, self.clip_range)


def predicted_x0(abar: float, y, score):
    """DDPM's predicted x0 from y at the step with cumulative product abar (Tweedie's formula in
    the score form): ``(y + (1 - abar) s) / sqrt(abar)``, unclipped (numpy or torch)."""
    return (y + (1.0 - abar) * score) / math.sqrt(abar)


def _clip(x, c: float):
    """x clamped to [-c, c] (numpy or torch)."""
    return x.clamp(-c, c) if hasattr(x, "clamp") else np.clip(x, -c, c)

    def with_init(self, init) -> "GaussianSampler":
        """The same sampler started from `init` ("prior", "exact" or a law)."""
        return GaussianSampler(self.name, self.schedule.replace(init=init), self.gain, self.pull, self.variance,
                               self.clip_range, self.abar, self.abar_prev)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.flags.writeable = False
    return a


def euler_maruyama(schedule: TimeGrid | None = None) -> GaussianSampler:
    """The Euler-Maruyama chain of THEORY.md §7 on `schedule`'s grid (uniform by default):
    ``mu_k(y) = y + h_k (y/2 + s(y, t_k))``, ``v_k = h_k = t_k - t_{k+1}``.

    Parameters
    ----------
    schedule : TimeGrid or None
        Needs steps or explicit times (default: TimeGrid(T=4, t0=0.02, steps=500), the paper's grid).

    Returns
    -------
    GaussianSampler

    Raises
    ------
    ValueError
        Naming schedule (not a TimeGrid) or steps (continuous time).
    """
    schedule = TimeGrid(steps=500) if schedule is None else schedule
    if not isinstance(schedule, TimeGrid):
        raise ValueError(f"schedule must be a TimeGrid, got {type(schedule).__name__}")
    if schedule.steps is None:
        raise ValueError("steps must be an integer >= 1 (or times given): the chain needs a grid")
    if schedule.uniform:
        h = np.full(schedule.steps, (schedule.T - schedule.t0) / schedule.steps)   # the same h as before, bit for bit
    else:
        h = -np.diff(schedule.times)
    return GaussianSampler("euler_maruyama", schedule, _frozen(h), _frozen(np.full(h.shape, 0.5)), _frozen(h))


def check_betas(betas) -> np.ndarray:
    """betas as a float array: 1-D, at least 2 values, each in (0, 1); ValueError naming betas."""
    b = float_array("betas", betas)
    if b.ndim != 1 or b.size < 2 or not np.all((b > 0) & (b < 1)):
        raise ValueError("betas must be a 1-D sequence of at least 2 values, each in (0, 1)")
    return b


def ddpm_ancestral(betas, variance: str = "beta", clip_sample: bool = False, clip_range: float = 1.0,
                   init="prior") -> GaussianSampler:
    """DDPM ancestral sampling on the discrete schedule `betas` (module docstring), steps i = N..2,
    output x_1 at OU time t_1 = -log(1 - beta_1).

    Parameters
    ----------
    betas : array_like, shape (N,)
        beta_1..beta_N in (0, 1), N >= 2 (e.g. `noise_schedules.linear_betas()`).
    variance : {"beta", "posterior"}
        v = beta_i (diffusers' "fixed_large") or the posterior variance ("fixed_small").
    clip_sample : bool
        Clip the predicted x0 to [-clip_range, clip_range] (diffusers' default is True).
    clip_range : float > 0
    init : {"prior", "exact"} or a law
        Law of x_N.

    Returns
    -------
    GaussianSampler

    Raises
    ------
    ValueError
        Naming betas, variance, clip_sample or clip_range.
    """
    b = check_betas(betas)
    if variance not in VARIANCES:
        raise ValueError(f"variance must be one of {VARIANCES}, got {variance!r}")
    if not isinstance(clip_sample, (bool, np.bool_)):
        raise ValueError(f"clip_sample must be True or False, got {clip_sample!r}")
    clip_range = real_scalar("clip_range", clip_range)
    if not (math.isfinite(clip_range) and clip_range > 0):
        raise ValueError(f"clip_range must be a finite number > 0, got {clip_range}")
    log_abar = np.cumsum(np.log1p(-b))
    t = -log_abar                                    # OU times t_1 < ... < t_N
    abar = np.exp(log_abar)
    abar_prev = np.concatenate([[1.0], abar[:-1]])
    step = slice(None, 0, -1)                        # i = N..2 (0-based N-1..1)
    beta, ab, ab_prev = b[step], abar[step], abar_prev[step]
    root = np.sqrt(1.0 - beta)
    v = beta if variance == "beta" else beta * (1.0 - ab_prev) / (1.0 - ab)
    schedule = TimeGrid(times=t[::-1], init=init)
    return GaussianSampler("ddpm_ancestral", schedule, _frozen(beta / root), _frozen(1.0 / (1.0 + root)), _frozen(v),
                           clip_range if clip_sample else None, _frozen(ab), _frozen(ab_prev))
