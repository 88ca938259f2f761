"""Gaussian chi2 and KL proxies: fit mean and covariance to each sample set, then use the
closed forms of THEORY.md §4 (implemented in `gaussian_exact`).

What it estimates: `chi2(N(m_p, S_p) || N(m_q, S_q))` and `KL(N(m_p, S_p) || N(m_q, S_q))`, the
divergences between the Gaussians with the first two moments of p and q. It equals chi2(p || q)
(resp. KL) only when p and q are Gaussian; otherwise it is a moment summary (this is the paper's
CIFAR-10 drift metric, applied to classifier features, THEORY.md §6). The plug-in is consistent;
at finite sizes n_p, n_q with p = q its KL is biased up by about
`(d + d(d+1)/2) (1/n_p + 1/n_q) / 2` (likelihood-ratio chi-square asymptotics).
"""
from __future__ import annotations

import numpy as np
from gaussian_exact import Gaussian, chi2, kl

from ._arrays import as_numpy_2d, check_number, check_same_dim


def fit_gaussian(x, ridge: float = 0.0, name: str = "x"):
    """The Gaussian with the sample mean and unbiased sample covariance (+ ridge * I) of x.

    Parameters
    ----------
    x : array_like or torch.Tensor, shape (n, d)
        Samples.
    ridge : float in [0, 1e300]
        Added to the covariance's diagonal (default 0).
    name : str
        Argument name for the messages (default "x").

    Returns
    -------
    gaussian_exact.Gaussian
        The fitted law.

    Raises
    ------
    ValueError
        If the samples are not a real finite (n, d) array with n >= 2 (1-D: n scalar samples), ridge
        is out of range, the covariance overflows, or it is not positive definite.
    """

    ridge = check_number("ridge", ridge, 0.0, 1e300)
    x = as_numpy_2d(x, name)
    cov = np.atleast_2d(np.cov(x, rowvar=False)) + ridge * np.eye(x.shape[1])
    if not np.all(np.isfinite(cov)):
        raise ValueError(f"{name}: the sample covariance overflows (values too large)")
    try:
        return Gaussian(x.mean(axis=0), cov)
    except ValueError as exc:
        raise ValueError(f"{name}: the sample covariance is not positive definite ({exc}); "
                         "pass ridge > 0 or more distinct samples") from None


def fitted_gaussian_pair(x_p, x_q, ridge, names=("x_p", "x_q")):
    """The moment-matched Gaussians of two samples of the same dimension (`fit_gaussian` of each).

    Parameters
    ----------
    x_p, x_q : array_like, shape (n, d)
        The samples.
    ridge : float >= 0
        Added to each sample covariance's diagonal.
    names : tuple of str
        The names of the two samples in error messages.

    Returns
    -------
    (gaussian_exact.Gaussian, gaussian_exact.Gaussian)
        The fitted laws of x_p and x_q.

    Raises
    ------
    ValueError
        Naming the sample: dimensions that differ, a negative ridge, or n <= d with ridge 0.
    """
    x_p, x_q = as_numpy_2d(x_p, names[0]), as_numpy_2d(x_q, names[1])
    check_same_dim(x_p, x_q, names)
    ridge = check_number("ridge", ridge, 0.0, 1e300)
    for name, x in zip(names, (x_p, x_q)):
        if x.shape[0] <= x.shape[1] and ridge == 0:
            raise ValueError(f"{name} needs more than d = {x.shape[1]} samples (or ridge > 0)")
    return fit_gaussian(x_p, ridge, names[0]), fit_gaussian(x_q, ridge, names[1])


def gaussian_chi2_proxy(x_p, x_q, ridge: float = 0.0) -> float:
    """chi2 between the moment-matched Gaussians of samples x_p (from p) and x_q (from q);
    +inf when `2 S_p^-1 - S_q^-1` is not positive definite (THEORY.md §4).

    Parameters
    ----------
    x_p, x_q : array_like or torch.Tensor, shapes (n, d) and (m, d)
        Samples of p and q.
    ridge : float in [0, 1e300]
        Added to both covariances' diagonals (default 0).

    Returns
    -------
    float
        chi2 of the fitted Gaussians (inf when it diverges).

    Raises
    ------
    ValueError
        If the samples are not a real finite (n, d) array with n >= 2 (1-D: n scalar samples), their
        dimensions differ, ridge is out of range, a set has no more than d samples with ridge = 0,
        or a fitted covariance is not positive definite.
    """

    return float(chi2(*fitted_gaussian_pair(x_p, x_q, ridge)))


def gaussian_kl_proxy(x_p, x_q, ridge: float = 0.0) -> float:
    """KL between the moment-matched Gaussians of samples x_p (from p) and x_q (from q).

    Parameters
    ----------
    x_p, x_q : array_like or torch.Tensor, shapes (n, d) and (m, d)
        Samples of p and q.
    ridge : float in [0, 1e300]
        Added to both covariances' diagonals (default 0).

    Returns
    -------
    float
        KL of the fitted Gaussians.

    Raises
    ------
    ValueError
        If the samples are not a real finite (n, d) array with n >= 2 (1-D: n scalar samples), their
        dimensions differ, ridge is out of range, a set has no more than d samples with ridge = 0,
        or a fitted covariance is not positive definite.
    """

    return float(kl(*fitted_gaussian_pair(x_p, x_q, ridge)))
