"""Samplers as plain functions: Euler-Maruyama reverse SDE, probability-flow ODE, DDPM ancestral.

Score callables are ``score(x, t) -> tensor like x`` with t a float (what these samplers pass) or a
tensor of shape (m,).  The time grid is ``t_k = T - k h``, ``h = (T - t0) / K`` (THEORY.md section 1),
the same grid and chain as ``gaussian_exact.reverse``.  Nothing in the loops reads device values
back to the host.
"""
import math

import torch

from .sde import VPSDE


def _progress(iterable, enabled, desc):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm
    return tqdm(iterable, desc=desc, leave=False)


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


def _check_start(x_T):
    if not torch.is_tensor(x_T) or x_T.ndim < 2:
        raise ValueError("x_T must be a tensor of shape (m, ...) with a batch dimension")


def euler_maruyama(score, x_T, sde=None, steps=500, generator=None, noise=None, chunk_size=None,
                   progress=False, callback=None, return_path=False):
    """The paper's Euler-Maruyama reverse chain (THEORY.md sections 1, 4, 6).

    ``Y_0 = x_T``; ``Y_{k+1} = Y_k + h (Y_k / 2 + score(Y_k, t_k)) + sqrt(h) Z_k``, k = 0..K-1,
    ``t_k = T - k h``; returns ``Y_K`` (a sample at t0).  ``Z_k`` comes from ``noise(k, shape)`` when
    given, else ``torch.randn(..., generator=generator)``.  ``callback(k, t_k, y_k, z_k)`` sees each
    state before its update and the noise that moves it (for path energies and the martingale
    ``M = -sum_k sqrt(h) e_k . Z_k``).  ``chunk_size`` bounds the rows per score call (the result
    does not depend on it).  ``return_path=True`` returns ``(Y_K, {"t": (K+1,), "y": (K+1, m, ...),
    "z": (K, m, ...)})``.
    """
    _check_start(x_T)
    sde = sde or VPSDE()
    h = sde.step_size(steps)
    grid = sde.time_grid(steps).tolist()
    sqrt_h = math.sqrt(h)
    y = x_T
    ys, zs = ([y], []) if return_path else (None, None)
    for k in _progress(range(steps), progress, "euler-maruyama"):
        z = _gaussian_noise(noise, generator, k, y)
        drift = 0.5 * y + chunked_call(score, y, grid[k], chunk_size)
        if callback is not None:
            callback(k, grid[k], y, z)
        y = y + h * drift + sqrt_h * z
        if return_path:
            ys.append(y)
            zs.append(z)
    if return_path:
        return y, {"t": torch.tensor(grid, dtype=torch.float64), "y": torch.stack(ys), "z": torch.stack(zs)}
    return y


def probability_flow(score, x_T, sde=None, steps=500, method="heun", chunk_size=None, progress=False,
                     callback=None):
    """Probability-flow ODE ``dY/dtau = Y/2 + score(Y, T - tau)/2`` from T to t0 on the grid ``t_k``.

    ``method="euler"``: ``Y_{k+1} = Y_k + h f(Y_k, t_k)``; ``"heun"``: the trapezoid corrector
    ``Y_{k+1} = Y_k + h/2 [f(Y_k, t_k) + f(Y_k + h f(Y_k, t_k), t_{k+1})]``.  ``callback(k, t_k, y_k)``.
    """
    if method not in ("euler", "heun"):
        raise ValueError(f"method must be 'euler' or 'heun', got {method!r}")
    _check_start(x_T)
    sde = sde or VPSDE()
    h = sde.step_size(steps)
    grid = sde.time_grid(steps).tolist()

    def flow(y, t):
        return 0.5 * y + 0.5 * chunked_call(score, y, t, chunk_size)

    y = x_T
    for k in _progress(range(steps), progress, "probability flow"):
        if callback is not None:
            callback(k, grid[k], y)
        d1 = flow(y, grid[k])
        if method == "euler":
            y = y + h * d1
        else:
            y = y + 0.5 * h * (d1 + flow(y + h * d1, grid[k + 1]))
    return y


def linear_betas(steps=1000, beta_start=1e-4, beta_end=0.02, dtype=torch.float64):
    """The DDPM linear schedule (Ho et al. 2020): ``beta_i`` evenly spaced from beta_start to beta_end."""
    if not (0 < beta_start <= beta_end < 1):
        raise ValueError(f"need 0 < beta_start <= beta_end < 1, got {beta_start}, {beta_end}")
    return torch.linspace(beta_start, beta_end, int(steps), dtype=dtype)


def ddpm_times(betas):
    """VP-SDE time of each DDPM step: ``t_i = -sum_{j<=i} log(1 - beta_j)``, so ``abar_i = exp(-t_i)``."""
    return -torch.cumsum(torch.log1p(-betas.to(torch.float64)), 0)


def ddpm_sample(eps_model, shape, betas, generator=None, device=None, dtype=torch.float32, x_T=None,
                variance="beta", progress=False, callback=None):
    """DDPM ancestral sampling (Ho et al. 2020, Algorithm 2) with an eps-prediction model.

    ``x_{i-1} = (x_i - beta_i / sqrt(1 - abar_i) eps(x_i, t_i)) / sqrt(alpha_i) + sigma_i z`` for
    i = N..1 (no noise at the last step), ``sigma_i^2 = beta_i`` (``variance="beta"``) or the posterior
    ``beta_i (1 - abar_{i-1}) / (1 - abar_i)`` (``"posterior"``).  ``eps_model(x, t)`` receives the
    continuous VP-SDE time ``t_i = -log abar_i`` (see ``ddpm_times``), so a network trained on the OU
    process of THEORY.md section 1 plugs in directly.  ``shape`` includes the batch dimension.
    """
    if variance not in ("beta", "posterior"):
        raise ValueError(f"variance must be 'beta' or 'posterior', got {variance!r}")
    betas = torch.as_tensor(betas, dtype=torch.float64)
    if betas.ndim != 1 or len(betas) < 1 or not bool(((betas > 0) & (betas < 1)).all()):
        raise ValueError("betas must be a non-empty 1-D sequence with values in (0, 1)")
    alphas = 1 - betas
    abar = torch.cumprod(alphas, 0)
    abar_prev = torch.cat([torch.ones(1, dtype=torch.float64), abar[:-1]])
    sigma2 = betas if variance == "beta" else betas * (1 - abar_prev) / (1 - abar)
    times = ddpm_times(betas).tolist()
    c_eps = (betas / torch.sqrt(1 - abar)).tolist()
    c_x = (1 / torch.sqrt(alphas)).tolist()
    sigma = torch.sqrt(sigma2).tolist()
    if x_T is None:
        x = torch.randn(tuple(shape), generator=generator, device=device, dtype=dtype)
    else:
        x = x_T
    for i in _progress(range(len(betas) - 1, -1, -1), progress, "ddpm"):
        eps = eps_model(x, times[i])
        x = c_x[i] * (x - c_eps[i] * eps)
        if i > 0:
            x = x + sigma[i] * torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        if callback is not None:
            callback(i, times[i], x)
    return x
