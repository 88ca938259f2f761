"""Denoising score matching in eps-parametrisation (THEORY.md section 1: ``score(x_t, t) ~ -eps / s_t``).

Loss ``E_{x0, t ~ U[t_min, t_max], eps} |eps_theta(a_t x0 + s_t eps, t) - eps|^2``; its minimiser is
``eps_theta(x, t) = -s_t score_t(x)``.  AdamW, linear warm-up then cosine decay, gradient clipping,
EMA of the weights; bf16 autocast and ``torch.compile`` optional.  Losses stay on the device (no host
round trip per step) and are returned as one tensor.
"""
import math
from dataclasses import dataclass

import torch
from torch import nn
from tqdm.auto import tqdm

from .ema import EMA, unwrap
from .sde import VPSDE, expand_time, per_row_times


T_SAMPLINGS = ("uniform", "log_uniform")


class EpsilonPredictor(nn.Module):
    """Thin EDM-like preconditioning: ``eps(x, t) = net(c_in(t) x, t)``, ``c_in = 1/sqrt(a_t^2 sigma_data^2 + s_t^2)``
    (Karras et al. 2022), so the network sees unit-variance inputs at every t.

    Parameters
    ----------
    net : torch.nn.Module
        ``net(x, t_rows) -> eps``, t_rows of shape (m,).
    sigma_data : float
        Standard deviation of the data (default 1).
    """

    def __init__(self, net, sigma_data=1.0):
        super().__init__()
        self.net = net
        self.register_buffer("sigma_data", torch.tensor(float(sigma_data)))

    def forward(self, x, t):
        """The noise prediction ``net(c_in(t) x, t)``.

        Parameters
        ----------
        x : torch.Tensor, shape (m, ...)
            Noisy states x_t.
        t : float or torch.Tensor of shape () or (m,)
            Time(s).

        Returns
        -------
        torch.Tensor
            eps, x's shape.
        """
        t_rows = per_row_times(t, x.shape[0], x)
        tt = expand_time(t_rows, x)
        c_in = torch.rsqrt(torch.exp(-tt) * self.sigma_data ** 2 - torch.expm1(-tt))
        return self.net(c_in * x, t_rows)


class EpsilonScore:
    """``score(x, t) = -eps_model(x, t) / s_t`` evaluated without gradients (t a float or (m,)).

    THEORY.md section 1.

    Parameters
    ----------
    eps_model : callable
        ``eps_model(x, t_rows) -> eps`` (called in float32).
    sde : VPSDE or None
        The process giving s_t (default ``VPSDE()``).
    """

    def __init__(self, eps_model, sde=None):
        self.eps_model, self.sde = eps_model, sde or VPSDE()

    @torch.no_grad()
    def __call__(self, x, t):
        t_rows = per_row_times(t, x.shape[0], x.float())
        eps = self.eps_model(x.float(), t_rows).to(x.dtype)
        return -eps / self.sde.std(expand_time(t_rows.to(x.dtype), x))


def cosine_with_warmup(steps, warmup):
    """lr factor: ``(k+1)/warmup`` for k < warmup, then ``(1 + cos(pi (k - warmup)/(steps - warmup)))/2``."""
    def factor(k):
        if k < warmup:
            return (k + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (k - warmup) / max(1, steps - warmup))))
    return factor


def use_autocast(amp, device):
    """``amp="auto"``: bf16 autocast on CUDA only; True/False force it on/off."""
    if amp == "auto":
        return device.type == "cuda"
    if not isinstance(amp, bool):
        raise ValueError(f"amp must be 'auto', True or False, got {amp!r}")
    return amp


@dataclass
class TrainResult:
    model: nn.Module          # the trained network (possibly compiled)
    ema_model: nn.Module      # the EMA copy (uncompiled, eval mode)
    losses: torch.Tensor      # (steps,) per-step minibatch loss, float32 on the data's device


def train_denoiser(model, data, sde=None, steps=1000, batch_size=256, lr=1e-3, weight_decay=1e-4, grad_clip=1.0,
                   ema_decay=0.999, warmup=0.05, t_min=None, t_max=None, generator=None, amp="auto", compile=False,
                   progress=False, t_sampling="uniform"):
    """Train ``model(x_t, t) -> eps`` by denoising score matching on `data`, in place.

    Each step draws a minibatch x0 of `data`, t ~ U[t_min, t_max] (or log t ~ U[log t_min, log t_max],
    `t_sampling="log_uniform"`: the same loss per t, more of the minibatch at small t, where image
    detail is learned; the minimiser is the same score) and eps ~ N(0, I), forms
    ``x_t = a_t x0 + s_t eps`` (`sde.perturb`) and minimises ``|model(x_t, t) - eps|^2``, so that
    ``-model(x_t, t) / s_t`` approximates the score (THEORY.md section 1). AdamW with a cosine
    learning rate after a linear warm-up, gradient clipping, and an EMA copy of the weights.

    Parameters
    ----------
    model : torch.nn.Module
        The noise predictor, called as ``model(x_t, t)``; trained in place.
    data : torch.Tensor
        Training data, shape ``(n, *shape)``.
    sde : VPSDE, optional
        The forward process (default `VPSDE()`); its [t0, T] is the default time window.
    steps, batch_size : int
        Optimiser steps and minibatch size, each >= 1.
    lr, weight_decay, grad_clip : float
        AdamW learning rate (> 0) and weight decay (>= 0); gradient-norm clip (> 0).
    ema_decay : float
        Decay of the EMA copy.
    warmup : float
        Fraction of `steps` spent warming up, in [0, 1).
    t_min, t_max : float, optional
        The training times, 0 < t_min < t_max (default `sde.t0`, `sde.T`).
    generator : torch.Generator, optional
        Source of minibatches, times and noise.
    amp : {"auto", True, False}
        bfloat16 autocast: ``"auto"`` on CUDA only; True / False force it on / off.
    compile : bool
        Train through ``torch.compile(model)``.
    progress : bool
        Show a progress bar.
    t_sampling : {"uniform", "log_uniform"}
        Law of the training times on [t_min, t_max] (default "uniform").

    Returns
    -------
    TrainResult
        ``model`` (the trained network, possibly compiled), ``ema_model`` (the EMA copy, eval mode)
        and ``losses`` (per-step minibatch losses, shape (steps,)).

    Raises
    ------
    ValueError
        Naming `steps` or `batch_size` (int >= 1), `lr`, `weight_decay`, `grad_clip`, `warmup`, or
        `t_min` / `t_max` (0 < t_min < t_max) when out of range, `amp` when not "auto", True or False, or
        `t_sampling` when not "uniform" or "log_uniform".
    """
    sde = sde or VPSDE()
    for name, value in (("steps", steps), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if not (lr > 0 and weight_decay >= 0 and grad_clip > 0 and 0 <= warmup < 1):
        raise ValueError(f"need lr > 0, weight_decay >= 0, grad_clip > 0, warmup in [0, 1); "
                         f"got {lr}, {weight_decay}, {grad_clip}, {warmup}")
    t_min = sde.t0 if t_min is None else float(t_min)
    t_max = sde.T if t_max is None else float(t_max)
    if not 0 < t_min < t_max:
        raise ValueError(f"need 0 < t_min < t_max, got {t_min}, {t_max}")
    if t_sampling not in T_SAMPLINGS:
        raise ValueError(f"t_sampling must be one of {T_SAMPLINGS}, got {t_sampling!r}")
    device = data.device
    autocast = use_autocast(amp, device)
    net = torch.compile(model) if compile else model
    params = [p for p in unwrap(model).parameters() if p.requires_grad]
    # foreach: one multi-tensor kernel per update instead of a Python loop over the tensors (the same
    # arithmetic: bit-identical weights on the CPU, bench/bench_training_overhead.py)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, foreach=True)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_with_warmup(steps, int(warmup * steps)))
    ema = EMA(model, ema_decay)
    losses = torch.zeros(steps, device=device)
    n = data.shape[0]
    bar = None
    if progress:
        bar = tqdm(total=steps, desc="training", leave=False)
    unwrap(model).train()
    for k in range(steps):
        index = torch.randint(n, (batch_size,), generator=generator, device=device)
        x0 = data[index]
        u = torch.rand(batch_size, generator=generator, device=device)
        t = t_min + (t_max - t_min) * u if t_sampling == "uniform" else t_min * (t_max / t_min) ** u
        eps = torch.randn(x0.shape, generator=generator, device=device, dtype=x0.dtype)
        x_t = sde.perturb(x0, t, eps)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            pred = net(x_t, t)
        loss = (pred.float() - eps).pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, grad_clip, foreach=True)
        optimizer.step()
        schedule.step()
        ema.update(model)
        losses[k] = loss.detach()
        if bar is not None:
            bar.update(1)
            if k % 100 == 0:
                bar.set_postfix(loss=losses[k].item())   # detached: no requires_grad warning
    if bar is not None:
        bar.close()
    unwrap(model).eval()
    return TrainResult(net, ema.shadow, losses)
