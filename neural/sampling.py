"""Samplers as plain functions with one signature (k-diffusion style).

``sampler(model, x, times=None, *, generator=None, noise=None, callback=None, progress=False,
chunk_size=None)``:
* ``model(x, t) -> tensor like x`` (a score for the SDE and ODE samplers, an eps-prediction for
  DDPM), t a float (what the samplers pass) or a tensor of shape (m,);
* ``x``: the initial state at ``times[0]``, shape (m, ...) with a batch dimension;
* ``times``: the decreasing grid ``t_0 > t_1 > ... > t_K`` (float64), passed in or built by the one
  helper ``time_grid`` (default: the paper's grid, T = 4 to t0 = 0.02 in 500 steps,
  ``t_k = T - k h``, ``h = (T - t0) / K``; THEORY.md section 1, the same chain as
  ``gaussian_exact.reverse``);
* ``noise(k, shape) -> tensor``: an injectable noise source (default: ``torch.randn`` with
  ``generator``);
* ``callback(info)``: one dict per step, ``{"k", "t", "h", "y", "z", "model"}``: the state before
  step k, its time, the step length, the noise that moves it (None for the ODE) and the model's
  value at ``(y, t)``.
Any Gaussian-transition sampler of ``gaussian_exact`` (THEORY.md §8: EM on any grid, DDPM ancestral with
both variances and x0 clipping) runs through ``sample_chain(model, x, sampler)``, sharing the sampler
description's coefficients so that ``gaussian_exact.run_grid_chain(..., sampler=sampler)`` gives its exact
law; ``ddpm_ancestral_sample(model, x, betas, ...)`` builds the DDPM description.
The reverse drift is ``VPSDE.reverse_drift`` (``+y/2 + score``; the sign trap of THEORY.md section 1).
Nothing in the loops reads device values back to the host.
"""
import math

import torch
from tqdm.auto import tqdm

from gaussian_exact import GaussianSampler, ddpm_ancestral, score_from_prediction
from gaussian_exact.noise_schedules import PREDICTIONS

from .sde import VPSDE


def time_grid(steps=500, sde=None, betas=None):
    """The decreasing time grid of a sampler (float64 tensor).

    ``betas=None``: the Euler-Maruyama grid of ``sde`` (default ``VPSDE()``), ``t_k = T - k h``,
    k = 0..steps (``VPSDE.time_grid``). With ``betas`` (a DDPM schedule): the VP-SDE times of the
    DDPM steps from the last to the first, ``t_i = -sum_{j<=i} log(1 - beta_j)`` (``abar_i = exp(-t_i)``).

    THEORY.md section 1.

    Parameters
    ----------
    steps : int >= 1
        Number of Euler-Maruyama steps K (default 500; ignored with betas).
    sde : VPSDE or None
        The process whose [t0, T] the grid spans (default ``VPSDE()``).
    betas : sequence of floats in (0, 1), or None
        A DDPM schedule.

    Returns
    -------
    torch.Tensor, float64
        The strictly decreasing grid.

    Raises
    ------
    ValueError
        If steps is not an int >= 1 (without betas), or betas is not a non-empty 1-D sequence
        with values in (0, 1).
    """
    if betas is None:
        return (sde or VPSDE()).time_grid(steps)
    return torch.flip(ddpm_times(_check_betas(betas)), (0,))


def _grid(times):
    if times is None:
        times = time_grid()
    times = torch.as_tensor(times, dtype=torch.float64).cpu()
    if times.ndim != 1 or times.numel() < 2:
        raise ValueError(f"times must be a 1-D grid of at least 2 times, got shape {tuple(times.shape)}")
    if not bool(torch.isfinite(times).all()) or not bool((times[1:] < times[:-1]).all()) or float(times[-1]) < 0:
        raise ValueError("times must be finite, >= 0 and strictly decreasing (t_0 > t_1 > ... > t_K)")
    return times.tolist()


def _progress(iterable, enabled, desc):
    return tqdm(iterable, desc=desc, leave=False) if enabled else iterable


def _gaussian_noise(noise, generator, k, like):
    if noise is not None:
        z = noise(k, like.shape)
        if tuple(z.shape) != tuple(like.shape):
            raise ValueError(f"noise(k, shape) must return shape {tuple(like.shape)}, got {tuple(z.shape)}")
        return z.to(device=like.device, dtype=like.dtype)
    return torch.randn(like.shape, generator=generator, device=like.device, dtype=like.dtype)


def chunked_call(fn, x, t, chunk_size=None):
    """``fn(x, t)`` evaluated on row blocks of at most ``chunk_size`` (t a float or shape (m,))."""
    if chunk_size is None or x.shape[0] <= chunk_size:
        return fn(x, t)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1 or None, got {chunk_size}")
    per_row = torch.is_tensor(t) and t.ndim == 1
    return torch.cat([fn(x[i:i + chunk_size], t[i:i + chunk_size] if per_row else t)
                      for i in range(0, x.shape[0], chunk_size)])


def _check_start(x):
    if not torch.is_tensor(x) or x.ndim < 2:
        raise ValueError("x must be a tensor of shape (m, ...) with a batch dimension")


def euler_maruyama(score, x, times=None, *, generator=None, noise=None, callback=None, progress=False,
                   chunk_size=None, return_path=False):
    """The paper's Euler-Maruyama reverse chain (THEORY.md sections 1, 4, 6).

    ``Y_0 = x``; ``Y_{k+1} = Y_k + h_k (Y_k / 2 + score(Y_k, t_k)) + sqrt(h_k) Z_k``, k = 0..K-1,
    ``h_k = t_k - t_{k+1}``; returns ``Y_K`` (a sample at ``t_K``). ``chunk_size`` bounds the rows
    per score call (the result does not depend on it). ``return_path=True`` returns
    ``(Y_K, {"t": (K+1,), "y": (K+1, m, ...), "z": (K, m, ...)})``. See the module docstring for
    the arguments.

    Parameters
    ----------
    score : callable
        ``score(y, t) -> tensor like y``.
    x : torch.Tensor, shape (m, ...)
        Initial state Y_0 at ``times[0]``.
    times : sequence or tensor, or None
        Strictly decreasing grid of finite times >= 0 (default ``time_grid()``).
    generator : torch.Generator or None
        Source of the default Gaussian noise.
    noise : callable or None
        ``noise(k, shape) -> tensor`` replacing the default noise.
    callback : callable or None
        Called with one dict per step (module docstring).
    progress : bool
        Show a progress bar.
    chunk_size : int >= 1 or None
        Most rows per score call.
    return_path : bool
        Also return the whole path.

    Returns
    -------
    torch.Tensor or (torch.Tensor, dict)
        Y_K, and with ``return_path`` the dict of times, states and noises.

    Raises
    ------
    ValueError
        If x is not a tensor with a batch dimension, times is not a strictly decreasing 1-D grid
        of at least 2 finite times >= 0, noise returns the wrong shape, or chunk_size < 1.
    """
    _check_start(x)
    grid = _grid(times)
    y = x
    ys, zs = ([y], []) if return_path else (None, None)
    for k in _progress(range(len(grid) - 1), progress, "euler-maruyama"):
        t, h = grid[k], grid[k] - grid[k + 1]
        z = _gaussian_noise(noise, generator, k, y)
        s = chunked_call(score, y, t, chunk_size)
        if callback is not None:
            callback({"k": k, "t": t, "h": h, "y": y, "z": z, "model": s})
        y = y + h * VPSDE.reverse_drift(y, s) + math.sqrt(h) * z
        if return_path:
            ys.append(y)
            zs.append(z)
    if return_path:
        return y, {"t": torch.tensor(grid, dtype=torch.float64), "y": torch.stack(ys), "z": torch.stack(zs)}
    return y


def probability_flow(score, x, times=None, *, generator=None, noise=None, callback=None, progress=False,
                     chunk_size=None, method="heun"):
    """Probability-flow ODE ``dY/dtau = Y/2 + score(Y, t)/2`` from ``times[0]`` to ``times[-1]``.

    ``method="euler"``: ``Y_{k+1} = Y_k + h_k f(Y_k, t_k)``; ``"heun"``: the trapezoid corrector
    ``Y_{k+1} = Y_k + h_k/2 [f(Y_k, t_k) + f(Y_k + h_k f(Y_k, t_k), t_{k+1})]``. Deterministic:
    ``generator`` and ``noise`` are accepted for the common signature and unused.

    THEORY.md section 1.

    Parameters
    ----------
    score : callable
        ``score(y, t) -> tensor like y``.
    x : torch.Tensor, shape (m, ...)
        Initial state at ``times[0]``.
    times : sequence or tensor, or None
        Strictly decreasing grid of finite times >= 0 (default ``time_grid()``).
    generator, noise : ignored
        Accepted for the common signature.
    callback : callable or None
        Called with one dict per step (``"z"`` is None).
    progress : bool
        Show a progress bar.
    chunk_size : int >= 1 or None
        Most rows per score call.
    method : {"euler", "heun"}
        Integrator (default "heun").

    Returns
    -------
    torch.Tensor
        The state at ``times[-1]``.

    Raises
    ------
    ValueError
        If method is not "euler" or "heun", x is not a tensor with a batch dimension, times is not
        a valid grid, or chunk_size < 1.
    """
    if method not in ("euler", "heun"):
        raise ValueError(f"method must be 'euler' or 'heun', got {method!r}")
    _check_start(x)
    grid = _grid(times)
    y = x
    for k in _progress(range(len(grid) - 1), progress, "probability flow"):
        t, h = grid[k], grid[k] - grid[k + 1]
        s = chunked_call(score, y, t, chunk_size)
        if callback is not None:
            callback({"k": k, "t": t, "h": h, "y": y, "z": None, "model": s})
        d1 = VPSDE.probability_flow_drift(y, s)
        if method == "euler":
            y = y + h * d1
        else:
            d2 = VPSDE.probability_flow_drift(y + h * d1, chunked_call(score, y + h * d1, grid[k + 1], chunk_size))
            y = y + 0.5 * h * (d1 + d2)
    return y


def linear_betas(steps=1000, beta_start=1e-4, beta_end=0.02, dtype=torch.float64):
    """The DDPM linear schedule (Ho et al. 2020): ``beta_i`` evenly spaced from beta_start to beta_end.

    Parameters
    ----------
    steps : int
        Number of steps (default 1000).
    beta_start, beta_end : float
        First and last beta, ``0 < beta_start <= beta_end < 1`` (defaults 1e-4, 0.02).
    dtype : torch.dtype
        Dtype of the result (default float64).

    Returns
    -------
    torch.Tensor, shape (steps,)
        The betas.

    Raises
    ------
    ValueError
        Unless 0 < beta_start <= beta_end < 1.
    """
    if not (0 < beta_start <= beta_end < 1):
        raise ValueError(f"need 0 < beta_start <= beta_end < 1, got {beta_start}, {beta_end}")
    return torch.linspace(beta_start, beta_end, int(steps), dtype=dtype)


def _check_betas(betas):
    betas = torch.as_tensor(betas, dtype=torch.float64)
    if betas.ndim != 1 or len(betas) < 1 or not bool(((betas > 0) & (betas < 1)).all()):
        raise ValueError("betas must be a non-empty 1-D sequence with values in (0, 1)")
    return betas


def ddpm_times(betas):
    """VP-SDE time of each DDPM step: ``t_i = -sum_{j<=i} log(1 - beta_j)``, so ``abar_i = exp(-t_i)``."""
    return -torch.cumsum(torch.log1p(-torch.as_tensor(betas, dtype=torch.float64)), 0)


def ddpm_sample(eps_model, x, times, *, generator=None, noise=None, callback=None, progress=False,
                chunk_size=None, variance="beta", clip_x0=None):
    """DDPM ancestral sampling (Ho et al. 2020, Algorithm 2) with an eps-prediction model.

    ``times = time_grid(betas=betas)``: the VP-SDE times ``t_N > ... > t_1`` of the steps, from
    which ``abar_i = exp(-t_i)`` and ``beta_i = 1 - abar_i / abar_{i-1}`` (``abar_0 = 1``).
    ``x_{i-1} = (x_i - beta_i / sqrt(1 - abar_i) eps(x_i, t_i)) / sqrt(alpha_i) + sigma_i z`` for
    i = N..1 (no noise at the last step), ``sigma_i^2 = beta_i`` (``variance="beta"``) or the posterior
    ``beta_i (1 - abar_{i-1}) / (1 - abar_i)`` (``"posterior"``). ``eps_model(x, t)`` receives the
    continuous VP-SDE time, so a network trained on the OU process of THEORY.md section 1 plugs in
    directly. With ``clip_x0 = r`` the predicted ``x0 = (x_i - sqrt(1 - abar_i) eps) / sqrt(abar_i)``
    is clipped to [-r, r] and ``x_{i-1} = sqrt(abar_{i-1}) beta_i / (1 - abar_i) x0 + sqrt(alpha_i)
    (1 - abar_{i-1}) / (1 - abar_i) x_i + sigma_i z`` (the same step when nothing is clipped;
    diffusers' ``clip_sample``; THEORY.md section 8: clipping changes only the mean map). ``callback`` sees ``{"k", "t", "h", "y", "z", "model"}`` with ``y`` the state before
    the step and ``h = t_i - t_{i-1}``.

    Parameters
    ----------
    eps_model : callable
        ``eps_model(x, t) -> tensor like x``, the noise prediction at VP-SDE time t.
    x : torch.Tensor, shape (m, ...)
        Initial state x_N.
    times : sequence or tensor
        Strictly decreasing positive VP-SDE times (``time_grid(betas=...)``).
    generator : torch.Generator or None
        Source of the default Gaussian noise.
    noise : callable or None
        ``noise(k, shape) -> tensor`` replacing the default noise.
    callback : callable or None
        Called with one dict per step.
    progress : bool
        Show a progress bar.
    chunk_size : int >= 1 or None
        Most rows per model call.
    variance : {"beta", "posterior"}
        Choice of sigma_i^2 (default "beta").
    clip_x0 : float > 0 or None
        Clip the predicted x0 to [-clip_x0, clip_x0] (default None: no clipping).

    Returns
    -------
    torch.Tensor
        x_0, x's shape.

    Raises
    ------
    ValueError
        If variance is not "beta" or "posterior", clip_x0 is not a finite positive number, x is not a tensor with a batch dimension, times
        is not a 1-D strictly decreasing grid of positive times, noise returns the wrong shape, or
        chunk_size < 1.
    """
    if variance not in ("beta", "posterior"):
        raise ValueError(f"variance must be 'beta' or 'posterior', got {variance!r}")
    if clip_x0 is not None and not (isinstance(clip_x0, (int, float)) and math.isfinite(clip_x0) and clip_x0 > 0):
        raise ValueError(f"clip_x0 must be a finite number > 0 or None, got {clip_x0!r}")
    _check_start(x)
    t_dec = torch.as_tensor(times, dtype=torch.float64).cpu()
    if t_dec.ndim != 1 or t_dec.numel() < 1 or not bool((t_dec > 0).all()) \
            or not bool((t_dec[1:] < t_dec[:-1]).all()):
        raise ValueError("times must be a 1-D strictly decreasing grid of positive VP-SDE times "
                         "(time_grid(betas=...))")
    t_inc = torch.flip(t_dec, (0,))
    steps = torch.diff(t_inc, prepend=torch.zeros(1, dtype=torch.float64))  # t_i - t_{i-1}
    betas = -torch.expm1(-steps)
    alphas = 1 - betas
    abar = torch.exp(-t_inc)
    abar_prev = torch.cat([torch.ones(1, dtype=torch.float64), abar[:-1]])
    sigma2 = betas if variance == "beta" else betas * (1 - abar_prev) / (1 - abar)
    times_l, steps_l = t_inc.tolist(), steps.tolist()
    c_eps = (betas / torch.sqrt(1 - abar)).tolist()
    c_x = (1 / torch.sqrt(alphas)).tolist()
    sigma = torch.sqrt(sigma2).tolist()
    root_abar, root_noise = torch.sqrt(abar).tolist(), torch.sqrt(1 - abar).tolist()
    c_x0 = (torch.sqrt(abar_prev) * betas / (1 - abar)).tolist()
    c_keep = (torch.sqrt(alphas) * (1 - abar_prev) / (1 - abar)).tolist()
    y = x
    for n, i in enumerate(_progress(range(len(times_l) - 1, -1, -1), progress, "ddpm")):
        eps = chunked_call(eps_model, y, times_l[i], chunk_size)
        z = _gaussian_noise(noise, generator, n, y) if i > 0 else None
        if callback is not None:
            callback({"k": n, "t": times_l[i], "h": steps_l[i], "y": y, "z": z, "model": eps})
        if clip_x0 is None:
            y = c_x[i] * (y - c_eps[i] * eps)
        else:
            x0 = ((y - root_noise[i] * eps) / root_abar[i]).clamp(-clip_x0, clip_x0)
            y = c_x0[i] * x0 + c_keep[i] * y
        if i > 0:
            y = y + sigma[i] * z
    return y


def _score_of(model, prediction):
    if prediction == "score":
        return model
    return score_from_prediction(model, prediction)


def sample_chain(model, x, sampler, *, generator=None, noise=None, callback=None, progress=False, chunk_size=None,
                 prediction="score", final_denoise=False):
    """Any Gaussian-transition sampler of `gaussian_exact` (THEORY.md §8): ``y_{k+1} = mu_k(y_k) + sqrt(v_k) z_k``.

    The mean maps, variances and score times are the sampler description's own
    (`gaussian_exact.euler_maruyama(schedule)`, `gaussian_exact.ddpm_ancestral(betas, ...)`), so the samples
    drawn here follow the law `gaussian_exact.run_grid_chain(..., sampler=sampler)` computes. ``callback``
    sees ``{"k", "t", "h", "y", "z", "model"}`` with ``h = v_k`` (the step variance) and ``model`` the score.

    Parameters
    ----------
    model : callable
        ``model(y, t) -> tensor like y`` at OU time t (a float): the score, or an epsilon-, x0- or
        v-prediction (`prediction`).
    x : torch.Tensor, shape (m, ...)
        The start y_0 at the sampler's first time (drawn by the caller from the sampler's init law).
    sampler : gaussian_exact.GaussianSampler
        The chain.
    generator, noise, progress, chunk_size
        As in the module docstring.
    prediction : {"score", "epsilon", "x0", "v"}
        What `model` returns (`gaussian_exact.score_from_prediction`).
    final_denoise : bool
        DDPM only: also apply the last, noiseless step x_0 = mu_1(x_1) (a deterministic map; its exact law is
        ``gaussian_exact.run_grid_chain(..., sampler=sampler).learned_x0``, that of x_1 ``.learned``).

    Returns
    -------
    torch.Tensor
        y_K (or x_0 with final_denoise), x's shape.

    Raises
    ------
    ValueError
        Naming sampler, prediction, x, noise or chunk_size.
    """
    if not isinstance(sampler, GaussianSampler):
        raise ValueError(f"sampler must be a gaussian_exact.GaussianSampler, got {type(sampler).__name__}")
    if prediction not in ("score",) + PREDICTIONS:
        raise ValueError(f"prediction must be one of {('score',) + PREDICTIONS}, got {prediction!r}")
    _check_start(x)
    score = _score_of(model, prediction)
    times = sampler.times.tolist()
    variance = sampler.variance.tolist()
    y = x
    for k in _progress(range(sampler.steps), progress, sampler.name):
        z = _gaussian_noise(noise, generator, k, y)
        s = chunked_call(score, y, times[k], chunk_size)
        if callback is not None:
            callback({"k": k, "t": times[k], "h": variance[k], "y": y, "z": z, "model": s})
        y = sampler.mean(k, y, s) + math.sqrt(variance[k]) * z
    if final_denoise:
        y = sampler.final_mean(y, chunked_call(score, y, sampler.schedule.t0, chunk_size))
    return y


def ddpm_ancestral_sample(model, x, betas, *, variance="beta", clip_sample=False, clip_range=1.0,
                          prediction="epsilon", generator=None, noise=None, callback=None, progress=False,
                          chunk_size=None, final_denoise=False):
    """DDPM ancestral sampling (Ho et al. 2020, Algorithm 2; diffusers' `DDPMScheduler.step`) through the
    sampler description `gaussian_exact.ddpm_ancestral(betas, variance, clip_sample, clip_range)`, so
    that its exact law is computable (`sample_chain`). ``model(x, t)`` receives the OU time
    ``t_i = -log abar_i``. See `sample_chain` for the other arguments.

    Returns
    -------
    torch.Tensor
        x_1 (the chain's output), or x_0 with final_denoise.

    Raises
    ------
    ValueError
        Naming betas, variance, clip_sample, clip_range, prediction, x, noise or chunk_size.
    """
    sampler = ddpm_ancestral(betas, variance=variance, clip_sample=clip_sample, clip_range=clip_range)
    return sample_chain(model, x, sampler, generator=generator, noise=noise, callback=callback, progress=progress,
                        chunk_size=chunk_size, prediction=prediction, final_denoise=final_denoise)
