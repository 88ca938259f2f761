"""The exact law of any affine Gaussian-transition sampler on a Gaussian target (THEORY.md §8).

Target N(m, S); its OU marginal at time t has covariance ``Sig_t = a_t^2 S + s_t^2 I`` and score
``-Sig_t^-1 (y - a_t m)``; the learned score adds the affine error ``e(y, t) = W(t) y + xi(t)``. A sampler
without clipping (gaussian_sampler.py) has ``mu_k(y) = y + gain_k (pull_k y + s(y, t_k))``, so with an
affine score every step is affine, ``mu_k(y) = A_k y + b_k`` with

    A_k = (1 + gain_k pull_k) I + gain_k (W_k - Sig_{t_k}^-1),   b_k = gain_k (a_{t_k} Sig_{t_k}^-1 m + xi_k)

(W, xi only on the learned path), and the law stays Gaussian:
``m_{k+1} = A_k m_k + b_k``, ``C_{k+1} = A_k C_k A_k^T + v_k I``. Alongside, the path energy
``sum_k E |d_k|^2 / v_k = sum_k gain_k^2 / v_k (tr(W C W^T) + |W m + xi|^2)`` (d_k = gain_k e_k).
For the Euler-Maruyama chain on a uniform grid this is the recursion of linear_sde.py (which `reverse`
keeps using there); this module serves non-uniform grids and DDPM ancestral sampling. Clipping is not
affine: grid targets only (grid_chain.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .gaussian import Gaussian
from .gaussian_sampler import GaussianSampler, euler_maruyama
from .time_grid import TimeGrid
from .linear_sde import check_error
from .ou import noise_variance, signal_scale


@dataclass
class GaussianChainLaw:
    """Output law and path energy of one affine chain (THEORY.md §8).

    Parameters
    ----------
    out : Gaussian
        Law of the output y_K.
    energy : float
        ``sum_k E |d_k|^2 / v_k`` along this path (eps2 on the ideal path, epshat2 on the learned).
    """

    out: Gaussian
    energy: float


def _start(target: Gaussian, init, T: float):
    d = target.dim
    if isinstance(init, Gaussian):
        if init.dim != d:
            raise ValueError(f"init must have dimension {d}, got {init.dim}")
        return init.mean.copy(), init.cov.copy()
    if init == "prior":
        return np.zeros(d), np.eye(d)
    if init == "exact":
        a, s2 = signal_scale(T), noise_variance(T)
        return a * target.mean, a * a * target.cov + s2 * np.eye(d)
    raise ValueError(f"init must be 'prior', 'exact' or a Gaussian, got {init!r}")


def _matrix(W, d: int) -> np.ndarray:
    if W is None:
        return np.zeros((d, d))
    W = np.asarray(W, dtype=float)
    return W * np.eye(d) if W.ndim == 0 else (np.diag(W) if W.ndim == 1 else W)


def affine_chain(schedule=None, sampler=None, ode: bool = False) -> GaussianSampler | None:
    """The sampler a Gaussian-target function runs with `gaussian_chain`: `sampler`, or the EM chain of a
    non-uniform `schedule`; None when the uniform EM recursion of linear_sde.py applies (no sampler, a
    uniform or no schedule). ValueError naming sampler / schedule (both given; ode with a sampler)."""
    if sampler is not None and schedule is not None:
        raise ValueError("give sampler or schedule, not both (a sampler carries its schedule)")
    if sampler is None and (schedule is None or (isinstance(schedule, TimeGrid) and schedule.uniform)):
        return None
    if ode:
        raise ValueError("ode must be False with a sampler or an explicit time grid (Gaussian transitions only)")
    return sampler if sampler is not None else euler_maruyama(schedule)


def gaussian_chain(target: Gaussian, sampler: GaussianSampler, error=None, path: str = "learned") -> GaussianChainLaw:
    """Exact law of an affine sampler's output on a Gaussian target (module docstring).

    Parameters
    ----------
    target : Gaussian
        The training law (its exact OU score drives the ideal path).
    sampler : GaussianSampler
        Without clipping; its schedule's init is the start law ("prior", "exact" or a Gaussian).
    error : AffineError or None
        The learned score's error (used on path="learned"; the energy uses it on both paths).
    path : {"learned", "ideal"}

    Returns
    -------
    GaussianChainLaw

    Raises
    ------
    ValueError
        Naming target, sampler (not a GaussianSampler, or clipping), error, path or init.
    """
    if not isinstance(target, Gaussian):
        raise ValueError(f"target must be a Gaussian, got {type(target).__name__}")
    if not isinstance(sampler, GaussianSampler):
        raise ValueError(f"sampler must be a GaussianSampler, got {type(sampler).__name__}")
    if not sampler.affine:
        raise ValueError("sampler must be affine (no clip_sample) for the Gaussian closed form; clipping needs a "
                         "GridLaw target")
    if path not in ("ideal", "learned"):
        raise ValueError(f"path must be 'ideal' or 'learned', got {path!r}")
    error = check_error(error, target.dim)
    learned = path == "learned"
    d, S, mean = target.dim, target.cov, target.mean
    eye = np.eye(d)
    m, C = _start(target, sampler.schedule.init, sampler.schedule.T)
    energy = 0.0
    for k, t in enumerate(sampler.times):
        t = float(t)
        gain, pull, v = float(sampler.gain[k]), float(sampler.pull[k]), float(sampler.variance[k])
        a, s2 = signal_scale(t), noise_variance(t)
        Sinv = np.linalg.inv(a * a * S + s2 * eye)
        W = _matrix(error.W(t), d)
        xi = error.xi(t)
        xi = np.zeros(d) if xi is None else np.asarray(xi, dtype=float)
        em = W @ m + xi
        energy += gain * gain / v * float(np.sum((W @ C) * W) + em @ em)
        A = (1.0 + gain * pull) * eye - gain * Sinv + (gain * W if learned else 0.0)
        b = gain * (a * Sinv @ mean + (xi if learned else 0.0))
        m = A @ m + b
        C = A @ C @ A.T + v * eye
        C = 0.5 * (C + C.T)
    return GaussianChainLaw(Gaussian(m, C), energy)
