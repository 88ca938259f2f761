"""A diffusers model with its `DDPMScheduler` as a toolkit learner and sampler (THEORY.md §1, §8).

diffusers (``pip install '.[diffusers]'``) is never imported here: the adapter reads what it needs
from the objects the user passes. `ddpm_schedule(scheduler)` reads the scheduler's config:

* ``alphas_cumprod`` (abar_k of timestep k, from its betas) -> OU times ``t_k = -log abar_k``;
* ``variance_type``: "fixed_small" is the posterior variance ``beta (1 - abar_prev) / (1 - abar)``,
  "fixed_large" is ``beta`` (the ``variance`` choices "posterior" and "beta" of
  `neural.sampling.ddpm_sample`); the learned variances are refused;
* ``clip_sample`` and ``clip_sample_range``: the predicted x0 clipped to [-r, r];
* ``prediction_type``: "epsilon", "sample" (x0) or "v_prediction", turned into eps:
  ``eps = (x - sqrt(abar) x0) / sqrt(1 - abar)``, ``eps = sqrt(1 - abar) x + sqrt(abar) v``;
* the sampling timesteps (``scheduler.timesteps``, after ``set_timesteps`` if the user called it),
  decreasing and ending at 0. ``thresholding`` (a per-batch quantile) is refused: it is not a
  Gaussian transition per sample.

`DiffusersEps` is the model as ``eps(x, t)`` at OU time t: the timestep it is called with is the
fractional k with ``t_k = t`` (linear between the table's entries, exact on the schedule's times);
outside ``[t_0, t_{N-1}]`` it refuses. The score is ``-eps / sqrt(1 - e^{-t})``.
`sample_like_scheduler` draws with the toolkit's ancestral sampler (`neural.sampling.ddpm_sample`,
written from the formulas, not from ``scheduler.step``) the chain the scheduler's loop draws.
`scheduler_sampler` is that chain as a `gaussian_exact.GaussianSampler` (betas
``1 - abar_k / abar_prev(k)`` over the sampling timesteps, what ``scheduler.step`` uses), and
`scheduler_output_law` the exact law of the loop's output x_0 on a grid: the chain's law of x_1 for the
model's score, then the last step at timestep 0 (posterior coefficients 1 and 0: x_0 is the predicted
x0, clipped with clip_sample; `gaussian_exact.FinalStepLaw`, atoms at +-clip_sample_range).
`diffusers_learner` trains a fresh model per fit with the toolkit's denoising trainer on the
schedule's time range (a `neural.Learner` named "diffusers").
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from gaussian_exact import FinalStepLaw, GaussianSampler, GridLaw, ddpm_ancestral, run_grid_chain

from .grid_exact import NumpyScore
from .learners import NetworkLearner
from .sampling import ddpm_sample
from .sde import VPSDE

#: diffusers' variance_type -> the `ddpm_sample` variance
VARIANCE_TYPES = {"fixed_small": "posterior", "fixed_large": "beta"}
PREDICTION_TYPES = ("epsilon", "sample", "v_prediction")


@dataclass(frozen=True)
class DDPMSchedule:
    """What a `DDPMScheduler` samples with, in the toolkit's terms (module docstring).

    Attributes
    ----------
    alphas_cumprod : tuple of float
        abar_k for the training timesteps k = 0, ..., N-1.
    timesteps : tuple of int
        The sampling timesteps, decreasing, the last 0.
    variance : str
        "posterior" (fixed_small) or "beta" (fixed_large).
    clip_x0 : float or None
        The clip range of the predicted x0 (None: no clipping).
    prediction_type : str
        One of ``PREDICTION_TYPES``.
    """

    alphas_cumprod: tuple
    timesteps: tuple
    variance: str
    clip_x0: float | None
    prediction_type: str

    @property
    def ou_table(self) -> torch.Tensor:
        """t_k = -log abar_k, k = 0..N-1 (float64, increasing)."""
        return -torch.log(torch.tensor(self.alphas_cumprod, dtype=torch.float64))

    @property
    def times(self) -> torch.Tensor:
        """The OU times of the sampling timesteps, decreasing (the ``times`` of `ddpm_sample`)."""
        return self.ou_table[list(self.timesteps)]

    def sampler(self, init="prior") -> GaussianSampler:
        """The scheduler's loop as `gaussian_exact.ddpm_ancestral`: abar over the sampling timesteps
        (increasing), betas ``1 - abar_i / abar_{i-1}`` (``abar_0 = 1``), its variance and clipping."""
        abar = np.array([self.alphas_cumprod[k] for k in reversed(self.timesteps)], dtype=float)
        betas = 1.0 - abar / np.concatenate([[1.0], abar[:-1]])
        return ddpm_ancestral(betas, self.variance, clip_sample=self.clip_x0 is not None,
                              clip_range=1.0 if self.clip_x0 is None else self.clip_x0, init=init)


def ddpm_schedule(scheduler) -> DDPMSchedule:
    """The `DDPMSchedule` of a diffusers `DDPMScheduler` (module docstring).

    Parameters
    ----------
    scheduler : diffusers.DDPMScheduler
        The scheduler (its ``config``, ``alphas_cumprod`` and ``timesteps`` are read).

    Returns
    -------
    DDPMSchedule

    Raises
    ------
    ValueError
        If its variance_type is not in ``VARIANCE_TYPES``, its prediction_type not in
        ``PREDICTION_TYPES``, thresholding is on, or its timesteps are not decreasing to 0.
    """
    cfg = scheduler.config
    variance_type = cfg.get("variance_type", "fixed_small")
    if variance_type not in VARIANCE_TYPES:
        raise ValueError(f"variance_type must be one of {tuple(VARIANCE_TYPES)} (a fixed Gaussian transition), "
                         f"got {variance_type!r}")
    prediction = cfg.get("prediction_type", "epsilon")
    if prediction not in PREDICTION_TYPES:
        raise ValueError(f"prediction_type must be one of {PREDICTION_TYPES}, got {prediction!r}")
    if cfg.get("thresholding", False):
        raise ValueError("thresholding must be off: its per-batch quantile is not a Gaussian transition per sample")
    steps = [int(k) for k in torch.as_tensor(scheduler.timesteps).tolist()]
    if not steps or steps[-1] != 0 or any(a <= b for a, b in zip(steps, steps[1:])):
        raise ValueError(f"the scheduler's timesteps must decrease to 0, got {steps[:3]} ... {steps[-3:]}")
    clip = float(cfg.get("clip_sample_range", 1.0)) if cfg.get("clip_sample", False) else None
    abar = tuple(float(a) for a in torch.as_tensor(scheduler.alphas_cumprod, dtype=torch.float64).tolist())
    return DDPMSchedule(abar, tuple(steps), VARIANCE_TYPES[variance_type], clip, prediction)


class DiffusersEps(nn.Module):
    """``eps(x, t)`` at OU time t of a diffusers model trained on a discrete schedule (module docstring).

    Parameters
    ----------
    model : torch.nn.Module
        ``model(x, timestep)`` returning a tensor like x, or an output with ``.sample``, or a tuple
        whose first item is it; what it predicts is ``schedule.prediction_type``.
    schedule : DDPMSchedule
        The scheduler's schedule (`ddpm_schedule`).
    """

    def __init__(self, model, schedule: DDPMSchedule):
        super().__init__()
        self.model, self.schedule = model, schedule
        self.register_buffer("ou_table", schedule.ou_table, persistent=False)

    def timestep(self, t, rows: int, device) -> torch.Tensor:
        """The fractional timesteps (rows,) with ``t_k = t`` (ValueError outside the table)."""
        table = self.ou_table.to(device)
        t = torch.as_tensor(t, dtype=torch.float64, device=device).reshape(-1).expand(rows)
        low, high = float(table[0]), float(table[-1])
        if bool(((t < low * (1 - 1e-9)) | (t > high * (1 + 1e-9))).any()):
            raise ValueError(f"t must be within the schedule's OU times [{low:.6g}, {high:.6g}], got "
                             f"[{float(t.min()):.6g}, {float(t.max()):.6g}]")
        idx = torch.searchsorted(table, t.clamp(low, high)).clamp(1, table.numel() - 1)
        left, right = table[idx - 1], table[idx]
        return (idx - 1).double() + (t.clamp(low, high) - left) / (right - left)

    def forward(self, x, t):
        k = self.timestep(t, x.shape[0], x.device)
        out = self.model(x, k.to(x.dtype))
        out = getattr(out, "sample", out)
        out = out[0] if isinstance(out, tuple) else out
        if self.schedule.prediction_type == "epsilon":
            return out
        tt = torch.as_tensor(t, dtype=x.dtype, device=x.device).reshape(-1, *([1] * (x.ndim - 1)))
        abar = torch.exp(-tt)
        if self.schedule.prediction_type == "sample":
            return (x - abar.sqrt() * out) / (1 - abar).sqrt()
        return (1 - abar).sqrt() * x + abar.sqrt() * out


def diffusers_score(model, scheduler):
    """``score(x, t) = -eps(x, t) / sqrt(1 - e^{-t})`` of a diffusers model on its scheduler's schedule.

    Parameters
    ----------
    model : torch.nn.Module
        The diffusers model (`DiffusersEps`).
    scheduler : diffusers.DDPMScheduler
        Its scheduler.

    Returns
    -------
    callable
        The score at OU time t (THEORY.md §1).
    """
    eps = DiffusersEps(model, ddpm_schedule(scheduler))

    def score(x, t):
        tt = torch.as_tensor(t, dtype=x.dtype, device=x.device).reshape(-1, *([1] * (x.ndim - 1)))
        return -eps(x, t) / torch.sqrt(-torch.expm1(-tt))

    return score


def sample_like_scheduler(model, scheduler, x, generator=None, chunk_size=None, progress=False):
    """The chain the scheduler's own loop draws (``x = scheduler.step(model(x, k), k, x).prev_sample``
    for k in ``scheduler.timesteps``), drawn by the toolkit's `ddpm_sample` from the schedule read
    off the scheduler (`ddpm_schedule`: variance, clipping, prediction type, timesteps).

    Parameters
    ----------
    model : torch.nn.Module
        The diffusers model.
    scheduler : diffusers.DDPMScheduler
        Its scheduler.
    x : torch.Tensor, shape (m, ...)
        The start x_N (standard normal for the scheduler's loop).
    generator : torch.Generator or None
        The noise.
    chunk_size : int or None
        Most rows per model call.
    progress : bool
        Show a progress bar.

    Returns
    -------
    torch.Tensor
        The samples x_0.
    """
    schedule = ddpm_schedule(scheduler)
    eps = DiffusersEps(model, schedule)
    with torch.no_grad():
        return ddpm_sample(eps, x, schedule.times, generator=generator, chunk_size=chunk_size, progress=progress,
                           variance=schedule.variance, clip_x0=schedule.clip_x0)


def scheduler_sampler(scheduler) -> GaussianSampler:
    """The chain of the scheduler's own loop as a `gaussian_exact.GaussianSampler` (`DDPMSchedule.sampler`).

    Parameters
    ----------
    scheduler : diffusers.DDPMScheduler

    Returns
    -------
    GaussianSampler

    Raises
    ------
    ValueError
        As `ddpm_schedule`.
    """
    return ddpm_schedule(scheduler).sampler()


def scheduler_output_law(model, scheduler, grid: GridLaw, device="cpu", dtype=torch.float32) -> FinalStepLaw:
    """The exact law of the output x_0 of the scheduler's loop (``x = scheduler.step(model(x, k), k, x)``
    over ``scheduler.timesteps`` from x ~ N(0, I)) on the grid of `grid` (1-D or 2-D data): the chain's
    law of x_1 for the model's score (`gaussian_exact.run_grid_chain`), then its last noiseless step
    (`gaussian_exact.FinalStepLaw`; atoms at +-clip_sample_range with clip_sample).

    Parameters
    ----------
    model : torch.nn.Module
        The diffusers model.
    scheduler : diffusers.DDPMScheduler
        Its scheduler.
    grid : GridLaw
        Carries the grid (its density is not used: the chain starts from N(0, I) on that grid); its
        spacing must be below 0.9 sqrt of the smallest step variance.
    device, dtype
        Where and in which dtype the model is evaluated.

    Returns
    -------
    FinalStepLaw
        Its `.output` is the GridLaw of x_1.

    Raises
    ------
    ValueError
        As `ddpm_schedule` and `gaussian_exact.run_grid_chain` (a grid too coarse or too narrow).
    """
    score = NumpyScore(diffusers_score(model, scheduler), device, dtype)
    return run_grid_chain(grid, score=score, sampler=scheduler_sampler(scheduler), ideal=False).learned_x0


def diffusers_learner(make_model, scheduler, shape, device="cpu", **train_kw):
    """A `neural.Learner` that trains a fresh diffusers model (``make_model()``) on each fit with the
    toolkit's denoising trainer (`neural.training.train_denoiser`) on OU times within the schedule's
    range; its score is `diffusers_score`. The loop's sampler must stay within that range
    (T <= t_{N-1}, t0 >= t_0 of the schedule).

    Parameters
    ----------
    make_model : callable
        ``make_model() -> torch.nn.Module``, the diffusers model (``model(x, timestep)``).
    scheduler : diffusers.DDPMScheduler
        Its scheduler (`ddpm_schedule`).
    shape : sequence of int
        Shape of one sample.
    device : str or torch.device
        Where it trains.
    **train_kw
        Options of `train_denoiser` (steps, batch_size, lr, ...); t_min and t_max default to the
        schedule's OU range.

    Returns
    -------
    NetworkLearner
        Named "diffusers", its state dict the EMA model's.
    """
    schedule = ddpm_schedule(scheduler)
    table = schedule.ou_table
    low, high = float(table[0]), float(table[-1])
    train_kw.setdefault("t_min", low)
    train_kw.setdefault("t_max", high)
    sde = VPSDE(high, low) if high > low > 0 and math.isfinite(high) else VPSDE()
    return NetworkLearner(shape, device, lambda: DiffusersEps(make_model(), schedule), sde=sde,
                          predictor=lambda net, data: net, name="diffusers", **train_kw)
