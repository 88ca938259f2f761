"""Schedule and prediction adapters to the OU time of THEORY.md section 1.

THEORY.md §1: ``x_t = a_t x0 + s_t eps`` with ``a_t = exp(-t/2)``, ``s_t^2 = 1 - exp(-t)``, and the
score ``-eps / s_t``. Other parameterisations are time changes of this process:

* a discrete DDPM schedule beta_1..beta_N: ``abar_i = prod_{j<=i} (1 - beta_j) = a_t^2``, so
  ``t_i = -log abar_i`` (`ou_times_from_betas`; `linear_betas`, `cosine_betas` as in DDPM / diffusers);
* a VP SDE ``dx = -1/2 beta(u) x du + sqrt(beta(u)) dW`` (score_sde): ``t(u) = int_0^u beta`` (`vp_ou_time`);
* EDM / k-diffusion ``x = x0 + sigma eps``: ``x / sqrt(1 + sigma^2)`` is the VP state with
  ``abar = 1 / (1 + sigma^2)``, ``t = log(1 + sigma^2)`` (`ou_time_from_sigma`, `sigma_from_ou_time`,
  `karras_sigmas`).

Prediction adapters (`score_from_prediction`) turn an epsilon-, x0- or v-prediction function into the
score: ``eps: -eps/s_t``; ``x0: -(x - a_t x0)/s_t^2``; ``v = a_t eps - s_t x0`` (diffusers' v):
``eps = a_t v + s_t x``. They work on numpy arrays and torch tensors (t a float).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.integrate import quad

from .gaussian_sampler import check_betas
from .validation import count, float_array, real_scalar

PREDICTIONS = ("epsilon", "x0", "v")


def linear_betas(steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """DDPM's linear schedule (Ho et al. 2020; diffusers' "linear"): steps values evenly spaced from
    beta_start to beta_end, float64 (diffusers builds them in float32).

    Raises
    ------
    ValueError
        Naming steps (< 2), or beta_start / beta_end unless 0 < beta_start <= beta_end < 1.
    """
    steps = count("steps", steps, 2, 10 ** 6)
    lo, hi = real_scalar("beta_start", beta_start), real_scalar("beta_end", beta_end)
    if not 0 < lo <= hi < 1:
        raise ValueError(f"beta_start, beta_end must satisfy 0 < beta_start <= beta_end < 1, got {lo}, {hi}")
    return np.linspace(lo, hi, steps)


def cosine_betas(steps: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """The cosine schedule (Nichol & Dhariwal 2021; diffusers' "squaredcos_cap_v2"):
    ``abar(u) = cos((u + s) / (1 + s) pi/2)^2``, ``beta_i = min(1 - abar(i/N) / abar((i-1)/N), max_beta)``.

    Raises
    ------
    ValueError
        Naming steps, s (>= 0) or max_beta (in (0, 1)).
    """
    steps = count("steps", steps, 2, 10 ** 6)
    s, max_beta = real_scalar("s", s), real_scalar("max_beta", max_beta)
    if not (math.isfinite(s) and s >= 0):
        raise ValueError(f"s must be a finite number >= 0, got {s}")
    if not 0 < max_beta < 1:
        raise ValueError(f"max_beta must be in (0, 1), got {max_beta}")
    u = np.arange(steps + 1) / steps
    abar = np.cos((u + s) / (1 + s) * math.pi / 2) ** 2
    return np.minimum(1.0 - abar[1:] / abar[:-1], max_beta)


def ou_times_from_betas(betas) -> np.ndarray:
    """``t_i = -log abar_i = -sum_{j<=i} log(1 - beta_j)``, i = 1..N (increasing)."""
    return -np.cumsum(np.log1p(-check_betas(betas)))


def vp_ou_time(u, beta_min: float = 0.1, beta_max: float = 20.0, beta=None):
    """OU time ``t = int_0^u beta(r) dr`` of a VP SDE's time u (score_sde's linear
    ``beta(r) = beta_min + r (beta_max - beta_min)``, u in [0, 1], unless `beta` is a callable).

    Raises
    ------
    ValueError
        Naming u (negative or not finite), beta_min / beta_max (need 0 <= beta_min <= beta_max), or beta.
    """
    uu = float_array("u", u)
    if not np.all(np.isfinite(uu)) or np.any(uu < 0):
        raise ValueError("u must be finite times >= 0")
    if beta is not None:
        if not callable(beta):
            raise ValueError(f"beta must be a callable r -> beta(r) or None, got {type(beta).__name__}")
        out = np.array([quad(beta, 0.0, float(x), epsabs=0.0, epsrel=1e-12, limit=200)[0] for x in uu.ravel()])
        return out.reshape(uu.shape) if uu.ndim else float(out[0])
    lo, hi = real_scalar("beta_min", beta_min), real_scalar("beta_max", beta_max)
    if not (math.isfinite(hi) and 0 <= lo <= hi):
        raise ValueError(f"beta_min, beta_max must satisfy 0 <= beta_min <= beta_max < inf, got {lo}, {hi}")
    out = lo * uu + 0.5 * (hi - lo) * uu * uu
    return out if uu.ndim else float(out)


def ou_time_from_sigma(sigma):
    """EDM / k-diffusion sigma -> OU time ``t = log(1 + sigma^2)`` (abar = 1 / (1 + sigma^2))."""
    s = float_array("sigma", sigma)
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("sigma must be finite values >= 0")
    out = np.log1p(s * s)
    return out if s.ndim else float(out)


def sigma_from_ou_time(t):
    """OU time -> EDM sigma ``sqrt(exp(t) - 1)``."""
    tt = float_array("t", t)
    if not np.all(np.isfinite(tt)) or np.any(tt < 0):
        raise ValueError("t must be finite times >= 0")
    out = np.sqrt(np.expm1(tt))
    return out if tt.ndim else float(out)


def karras_sigmas(steps: int, sigma_min: float = 0.002, sigma_max: float = 80.0, rho: float = 7.0) -> np.ndarray:
    """Karras et al. (2022) sigmas, decreasing from sigma_max to sigma_min (steps values):
    ``(sigma_max^(1/rho) + i/(n-1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho``; map them with
    `ou_time_from_sigma` to a `TimeGrid(times=...)`."""
    steps = count("steps", steps, 2, 10 ** 6)
    lo, hi, rho = real_scalar("sigma_min", sigma_min), real_scalar("sigma_max", sigma_max), real_scalar("rho", rho)
    if not (0 < lo < hi < math.inf):
        raise ValueError(f"sigma_min, sigma_max must satisfy 0 < sigma_min < sigma_max < inf, got {lo}, {hi}")
    if not (math.isfinite(rho) and rho > 0):
        raise ValueError(f"rho must be a finite number > 0, got {rho}")
    r = np.linspace(0.0, 1.0, steps)
    return (hi ** (1 / rho) + r * (lo ** (1 / rho) - hi ** (1 / rho))) ** rho


def score_from_prediction(fn, prediction: str = "epsilon", condition=None):
    """The score ``s(x, t)`` (t the OU time, a float) of a network predicting eps, x0 or v (module docstring).

    Parameters
    ----------
    fn : callable
        ``fn(x, c)``, c = condition(t) (default t itself: e.g. a DDPM index, an EDM sigma or a VP time).
    prediction : {"epsilon", "x0", "v"}
    condition : callable or None
        OU time -> the network's conditioning input.

    Returns
    -------
    callable
        ``score(x, t)``.

    Raises
    ------
    ValueError
        Naming fn, prediction or condition.
    """
    if not callable(fn):
        raise ValueError(f"fn must be a callable fn(x, c), got {type(fn).__name__}")
    if prediction not in PREDICTIONS:
        raise ValueError(f"prediction must be one of {PREDICTIONS}, got {prediction!r}")
    if condition is not None and not callable(condition):
        raise ValueError(f"condition must be a callable t -> c or None, got {type(condition).__name__}")
    cond = condition or (lambda t: t)

    def score(x, t):
        t = float(t)
        a, s2 = math.exp(-0.5 * t), -math.expm1(-t)
        out = fn(x, cond(t))
        if prediction == "epsilon":
            return -out / math.sqrt(s2)
        if prediction == "x0":
            return -(x - a * out) / s2
        return -(a * out + math.sqrt(s2) * x) / math.sqrt(s2)

    return score
