"""chi2(p || q) and KL(p || q) by Monte Carlo when both log-densities are known exactly
(e.g. Gaussian mixtures, `neural.gaussian_mixture`), from draws X_1..X_N ~ p:

    chi2 = E_p[p/q] - 1 ~ mean_i exp(log p(X_i) - log q(X_i)) - 1,
    KL   = E_p[log p/q] ~ mean_i (log p(X_i) - log q(X_i)),

unbiased, with standard errors std/sqrt(N). The chi2 average is heavy-tailed when p has heavier
tails than q (its variance is infinite unless chi2 of order 3 is finite): read its standard error.
"""
from __future__ import annotations

import math

import torch


def density_ratio_divergences(x_p: torch.Tensor, log_p, log_q) -> dict:
    """`{"chi2", "chi2_se", "kl", "kl_se"}` from draws x_p ~ p and callables log_p(x), log_q(x).

    chi2 = E_p[r] - 1 and KL = E_p[log r], r = p/q, by Monte Carlo over the draws.

    Parameters
    ----------
    x_p : torch.Tensor, shape (n, ...), n >= 2
        Draws of p.
    log_p, log_q : callable
        Log densities of p and q, ``f(x) -> (n,)``.

    Returns
    -------
    dict
        "chi2", "chi2_se", "kl", "kl_se".

    Raises
    ------
    ValueError
        If x_p holds fewer than 2 draws.
    """
    if x_p.shape[0] < 2:
        raise ValueError(f"x_p must hold at least 2 draws, got {x_p.shape[0]}")
    log_r = (log_p(x_p) - log_q(x_p)).to(torch.float64)
    r = log_r.exp()
    n = math.sqrt(log_r.numel())
    return {"chi2": float(r.mean() - 1), "chi2_se": float(r.std() / n),
            "kl": float(log_r.mean()), "kl_se": float(log_r.std() / n)}
