"""TV(p, q) and the Hellinger distance H(p, q) by Monte Carlo when both log-densities are known
exactly (e.g. Gaussian mixtures, `neural.gaussian_mixture`), from draws X_1..X_N ~ p, with
r = q/p:

    TV  = 1/2 int |p - q| = E_p[(1 - r)_+]     ~ mean_i (1 - r(X_i))_+,
    H^2 = 1/2 int (sqrt p - sqrt q)^2 = 1 - E_p[sqrt r] ~ 1 - mean_i sqrt(r(X_i)),

(THEORY.md section 8, the companion laws). Both averages are unbiased with finite variance whatever
the tails: (1 - r)_+ lies in [0, 1] and E_p[r] <= 1, so the standard errors std/sqrt(N) are honest
(unlike chi2's, `density_ratio_divergences`). H = sqrt(H^2) (0 where the estimate of H^2 is
below 0: noise, p = q) is reported with the delta-method error se(H^2) / (2 H) where H^2 > se(H^2), and
otherwise, where that linearisation fails, with sqrt(se(H^2)), the H of a one-standard-error H^2.
"""
from __future__ import annotations

import math

import torch


def density_ratio_distances(x_p: torch.Tensor, log_p, log_q) -> dict:
    """`{"tv", "tv_se", "hel", "hel_se", "hel2", "hel2_se"}` from draws x_p ~ p and exact log densities.

    Parameters
    ----------
    x_p : torch.Tensor, shape (n, ...), n >= 2
        Draws of p.
    log_p, log_q : callable
        Log densities of p and q, ``f(x) -> (n,)``.

    Returns
    -------
    dict
        "tv", "tv_se" (TV(p, q)), "hel", "hel_se" (H(p, q)), "hel2", "hel2_se" (H^2(p, q)).

    Raises
    ------
    ValueError
        If x_p holds fewer than 2 draws, or a log density is NaN or +inf at a draw of p.
    """
    if x_p.shape[0] < 2:
        raise ValueError(f"x_p must hold at least 2 draws, got {x_p.shape[0]}")
    lp, lq = log_p(x_p).to(torch.float64), log_q(x_p).to(torch.float64)
    if not torch.isfinite(lp).all() or not (lq < math.inf).all():   # NaN fails both tests
        raise ValueError("log_p and log_q must be finite at the draws of p (log_q may be -inf), "
                         "got NaN or an infinite value")
    log_r = lq - lp
    n = math.sqrt(log_r.numel())
    gap = (-torch.expm1(log_r)).clamp(min=0.0)           # (1 - r)_+, exact for r near 1
    root = torch.exp(log_r / 2)
    hel2, hel2_se = float(1.0 - root.mean()), float(root.std() / n)
    hel = math.sqrt(hel2) if hel2 > 0 else 0.0
    hel_se = hel2_se / (2 * hel) if hel > math.sqrt(hel2_se) else math.sqrt(hel2_se)
    return {"tv": float(gap.mean()), "tv_se": float(gap.std() / n), "hel": hel, "hel_se": hel_se,
            "hel2": hel2, "hel2_se": hel2_se}
