"""Path energies of a score error by Monte Carlo over simulated reverse paths (THEORY.md §2).

With `e = learned - exact` (exact: the score of the training law q_i), on the Euler-Maruyama chain
`Y_{k+1} = Y_k + h (Y_k/2 + s(Y_k, t_k)) + sqrt(h) Z_k`, `t_k = T - k h` (`neural.sampling`):

    eps2    = E_{P*} sum_{k<K} h |e(Y_k, t_k)|^2   (s = exact: the ideal path),
    epshat2 = E_{P^} sum_{k<K} h |e(Y_k, t_k)|^2   (s = learned: the learned path),

the left-point Riemann sums of `int_{t0}^{T} |e(Y_s, s)|^2 ds`, which are the exact path KL of the
discrete chains: `KL(P^ || P*) = 1/2 epshat2` (Girsanov for Gaussian steps; Prop 3.1). Reported with
the standard error of the mean over paths. Along the same ideal paths `simulate_path_error` also
returns the martingale `M = -sum_k sqrt(h) e(Y_k, t_k) . Z_k` (`Var M = eps2`), used by
`neural.observability`.

When no exact score is known, `denoising_loss_gap` estimates `eps2(score) - eps2(reference)` from
data by the difference of the two denoising score-matching losses (see its docstring).
"""
from __future__ import annotations

import math

import torch

from .estimate import Estimate
from .sampling import chunked_call, euler_maruyama, time_grid
from .sde import VPSDE

PATHS = ("ideal", "learned")


def simulate_path_error(learned, exact, x_T: torch.Tensor, path: str = "ideal", sde: VPSDE | None = None,
                        steps: int = 500, generator=None, noise=None, chunk_size=None, progress=False,
                        batch_dims: int = 1):
    """Run the chain driven by `exact` (path="ideal") or `learned` (path="learned") from x_T.

    Per path, the energy ``sum_k h |e_k|^2`` and the martingale ``-sum_k sqrt(h) e_k . Z_k``, with
    ``e_k = learned(Y_k, t_k) - exact(Y_k, t_k)`` along the Euler-Maruyama chain
    (`neural.euler_maruyama`): the Riemann sums of ``eps2_i`` (or ``epshat2_i``) and of
    ``M_T = -int e . dW`` of THEORY.md section 2.

    Parameters
    ----------
    learned, exact : callable
        Score models ``f(x, t) -> score``.
    x_T : torch.Tensor
        The starting points, shape (m, ...) (draw them from N(0, I)).
    path : {"ideal", "learned"}
        Which score drives the chain.
    sde : VPSDE, optional
        The forward process; its time grid of `steps` steps (`neural.time_grid`).
    steps : int
        K, the number of steps.
    generator, noise, chunk_size, progress
        As for `neural.euler_maruyama`.
    batch_dims : {1, 2}
        2: x_T is (B, m, ...), B independent runs in one chain (scores such as
        `neural.kde_score.BatchedKDEScore` take (B, m, ...)); energy and martingale are then (B, m)
        and `chunk_size` must be None (the batched kernels bound their own memory).

    Returns
    -------
    tuple
        ``(energy, martingale, endpoint)``: energy and martingale of shape (m,) or (B, m) (float64), and the
        chain's output Y_K.

    Raises
    ------
    ValueError
        If `path` is not "ideal" or "learned" (and as `neural.euler_maruyama` for the rest).
    """
    if path not in PATHS:
        raise ValueError(f"path must be one of {PATHS}, got {path!r}")
    if batch_dims not in (1, 2) or (batch_dims == 2 and chunk_size is not None):
        raise ValueError(f"batch_dims must be 1, or 2 with chunk_size None; got {batch_dims}, {chunk_size}")
    driver = exact if path == "ideal" else learned
    other = learned if path == "ideal" else exact
    energy = x_T.new_zeros(x_T.shape[:batch_dims], dtype=torch.float64)
    martingale = x_T.new_zeros(x_T.shape[:batch_dims], dtype=torch.float64)

    def accumulate(step):  # the driver's score at Y_k comes with the step: computed once
        nonlocal energy, martingale
        s_other = chunked_call(other, step["y"], step["t"], chunk_size)
        e = (s_other - step["model"]) if path == "ideal" else (step["model"] - s_other)
        e = e.flatten(batch_dims).to(torch.float64)
        energy = energy + step["h"] * (e * e).sum(-1)
        martingale = martingale - math.sqrt(step["h"]) * (e * step["z"].flatten(batch_dims).to(torch.float64)).sum(-1)

    y = euler_maruyama(driver, x_T, time_grid(steps, sde), generator=generator, noise=noise, progress=progress,
                       callback=accumulate, chunk_size=chunk_size)
    return energy, martingale, y


def mean_and_se(values: torch.Tensor) -> tuple[float, float]:
    """Sample mean and its standard error `std / sqrt(n)`."""
    values = values.to(torch.float64)
    return float(values.mean()), float(values.std() / math.sqrt(values.numel()))


def path_energy_mc(learned, exact, x_T: torch.Tensor, path: str = "ideal", sde: VPSDE | None = None,
                   steps: int = 500, generator=None, noise=None, chunk_size=None, progress=False) -> Estimate:
    """eps2 (path="ideal") or epshat2 (path="learned") by Monte Carlo over the paths started at the
    rows of x_T (draw them from N(0, I)): the sample-based estimator of `gaussian_exact.path_energy`.

    The Riemann sum ``sum_k h abs(e_k)^2`` of THEORY.md section 2 (`simulate_path_error`).

    Parameters
    ----------
    learned, exact : callable
        Score models ``f(x, t) -> score``.
    x_T : torch.Tensor, shape (m, ...)
        Starting points.
    path : {"ideal", "learned"}
        Which score drives the chain (default "ideal").
    sde : VPSDE or None
        The forward process (default ``VPSDE()``).
    steps : int >= 1
        Number of chain steps K (default 500).
    generator, noise, chunk_size, progress
        As for `neural.euler_maruyama`.

    Returns
    -------
    Estimate
        The mean energy, its standard error, the number of paths, and the estimator
        "mc_<path>_paths_riemann_K<steps>".

    Raises
    ------
    ValueError
        If path is not "ideal" or "learned", or as `neural.euler_maruyama` for the rest.
    """
    energy, _, _ = simulate_path_error(learned, exact, x_T, path, sde, steps, generator, noise,
                                       chunk_size, progress)
    value, se = mean_and_se(energy)
    return Estimate(value, se, int(x_T.shape[0]), f"mc_{path}_paths_riemann_K{steps}")


def denoising_loss_gap_mc(score, reference, data: torch.Tensor, sde: VPSDE | None = None,
                          n_draws: int | None = None, generator=None) -> Estimate:
    """`eps2(score) - eps2(reference)` from data x0 ~ q by the gap of denoising losses.

    ::

        (T - t0) E_{t ~ U[t0, T], x0, eps} [ |score(x_t, t) - g|^2 - |reference(x_t, t) - g|^2 ],

    `x_t = a_t x0 + s_t eps`, `g = -eps / s_t`. Since `E[g | x_t] = grad log q_t(x_t)`, each loss is
    ``int E_{q_t} |s - grad log q_t|^2 dt`` plus the same constant, so the gap is the difference of the
    two continuous-time path energies under the forward marginals q_t (which are the ideal path's
    marginals up to the O(e^{-T}) start-up error; THEORY.md section 2, `eps2_i`). With `reference`
    the exact score of q it estimates eps2 itself. One draw of (t, eps) per row of `data`
    (t stratified over [t0, T]), repeated to `n_draws` rows.

    Parameters
    ----------
    score, reference : callable
        Score models ``f(x, t) -> score``, x of the data's shape, t of shape (m,).
    data : torch.Tensor
        Draws x0 ~ q, shape (n, ...).
    sde : VPSDE, optional
        The forward process and its window [t0, T] (default `VPSDE()`).
    n_draws : int, optional
        Number of (t, eps) draws, >= 2 (default: one per row of `data`).
    generator : torch.Generator, optional
        Source of the draws.

    Returns
    -------
    Estimate
        The estimated gap, its standard error, the number of draws and the estimator
        ``"denoising_loss_gap"``.

    Raises
    ------
    ValueError
        If `n_draws` is below 2.
    """
    sde = sde or VPSDE()
    n_draws = n_draws or data.shape[0]
    if n_draws < 2:
        raise ValueError(f"n_draws must be >= 2, got {n_draws}")
    x0 = data[torch.arange(n_draws, device=data.device) % data.shape[0]]
    u = (torch.arange(n_draws, device=data.device, dtype=data.dtype)
         + torch.rand(n_draws, generator=generator, device=data.device, dtype=data.dtype)) / n_draws
    t = sde.t0 + (sde.T - sde.t0) * u
    eps = torch.randn(x0.shape, generator=generator, device=data.device, dtype=data.dtype)
    s_t = sde.std(t).reshape((-1,) + (1,) * (x0.ndim - 1))
    x_t = sde.perturb(x0, t, eps)
    g = -eps / s_t
    with torch.no_grad():
        gap = ((score(x_t, t) - g).flatten(1).square().sum(1)
               - (reference(x_t, t) - g).flatten(1).square().sum(1))
    value, se = mean_and_se((sde.T - sde.t0) * gap)
    return Estimate(value, se, n_draws, "denoising_loss_gap")
