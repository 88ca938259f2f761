"""Frechet distance between feature distributions (the construction behind FID, on offline
features; never call it FID, which is defined with Inception-v3 features).

    F(x, y) = |m_x - m_y|^2 + tr(S_x + S_y - 2 (S_x^{1/2} S_y S_x^{1/2})^{1/2})

with (m, S) the sample mean and covariance of each feature set: the squared W2 between the
moment-matched Gaussians (THEORY.md §4, implemented in `gaussian_exact`). Its population value is
W2^2(p, q) when the features are Gaussian.

Bias (issue 10 case 8). The plug-in F is biased upward by the sampling noise of the means and
covariances, to first order by b(p, q) (1/n_x + 1/n_y): measured in 10-D at n = 2000 per set,
0.036 to 0.057 (0.039 at p = q, where the mean terms alone give tr(S_p)/n_p + tr(S_q)/n_q = 0.01).
`debias=True` (default) removes the 1/n term by Richardson extrapolation over a split in halves,

    F_debiased = 2 F(x, y) - [F(x_1, y_1) + F(x_2, y_2)] / 2,

(x_1, x_2 the two halves of x in a seeded random order): measured bias within +-0.015 of W2^2 at
n = 2000 (0.000 at p = q), spread sd 0.01 to 0.04 (bench/RESULTS.md). It can be slightly negative
when p = q. Feature maps that run offline: `neural.estimators.features`.
"""
from __future__ import annotations

import numpy as np

from gaussian_exact import w2

from ._arrays import as_numpy_2d, check_number
from .gaussian_proxy import fitted_gaussian_pair


def _plug_in(feat_p, feat_q, ridge: float) -> float:

    return float(w2(*fitted_gaussian_pair(feat_p, feat_q, ridge, ("feat_p", "feat_q")))) ** 2


def frechet_distance(feat_p, feat_q, ridge: float = 0.0, debias: bool = True, seed: int = 0) -> float:
    """Squared W2 between the Gaussians fitted to feature sets feat_p (n, k) and feat_q (m, k).

    Parameters
    ----------
    feat_p, feat_q : (n, k) and (m, k) feature arrays (finite; each more than k rows, or more
        than 2k + 1 rows when `debias`, unless ridge > 0).
    ridge : added to both sample covariances (ridge * I), >= 0.
    debias : remove the first-order finite-sample bias (module docstring); False gives the plug-in.
    seed : the random split of the debiasing.

    Returns
    -------
    float: the (debiased) Frechet distance, an estimate of W2^2 between the moment-matched Gaussians.

    Raises
    ------
    ValueError
        for mis-shaped or non-finite features, ridge < 0, or too few rows.
    """
    x, y = as_numpy_2d(feat_p, "feat_p"), as_numpy_2d(feat_q, "feat_q")
    seed = check_number("seed", seed, 0, 2 ** 63 - 1, integer=True)
    full = _plug_in(x, y, ridge)
    if not debias:
        return full
    for name, z in (("feat_p", x), ("feat_q", y)):
        if z.shape[0] < 4 or (ridge == 0 and z.shape[0] // 2 <= z.shape[1]):
            raise ValueError(f"{name} needs more than 2 (k + 1) = {2 * (z.shape[1] + 1)} rows for debias=True "
                             f"(or ridge > 0, or debias=False), got {z.shape[0]}")
    rng = np.random.default_rng(seed)
    x, y = x[rng.permutation(len(x))], y[rng.permutation(len(y))]
    hx, hy = len(x) // 2, len(y) // 2
    halves = 0.5 * (_plug_in(x[:hx], y[:hy], ridge) + _plug_in(x[hx:], y[hy:], ridge))
    return 2.0 * full - halves
