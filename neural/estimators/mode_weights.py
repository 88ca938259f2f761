"""Share of samples per mixture component: the generation-0 quality of a learner on a mixture target.

Each sample is assigned to its most responsible component of the target mixture
``p = sum_k w_k N(mu_k, S_k)`` (isotropic or diagonal S_k; THEORY.md §6's 10-D mixture),
``k*(x) = argmax_k [log w_k + log N(x; mu_k, S_k)]``; the estimate of mode k's weight is the share of
samples with ``k* = k``. For draws of p itself this is the weight of k's Bayes region, which equals
w_k up to the overlap of the components (about 1e-12 for the paper's modes, 8 standard deviations
apart). Its standard error for draws of p is ``sqrt(w_k (1 - w_k) / n)`` (binomial, at the target's
weights, so that a missing mode does not get a zero standard error).
"""
from __future__ import annotations

import math

import torch

from ._arrays import as_tensor_2d


def mode_weights(samples, mixture) -> tuple[torch.Tensor, torch.Tensor]:
    """(share of samples assigned to each component (k,), binomial standard errors at the target's
    weights (k,)) for samples
    (n, d) against an isotropic or diagonal `neural.gaussian_mixture.TorchGaussianMixture`.

    Parameters
    ----------
    samples : array_like or torch.Tensor, shape (n, d)
        Samples, n >= 2.
    mixture : neural.gaussian_mixture.TorchGaussianMixture
        Isotropic or diagonal mixture.

    Returns
    -------
    shares, standard_errors : torch.Tensor, shape (k,)
        Share of samples per component and binomial standard errors at the target weights.

    Raises
    ------
    ValueError
        For a full-covariance mixture, samples of another dimension, or samples that are not a
        real finite (n, d) array with n >= 2.
    """
    if mixture.kind not in ("isotropic", "diagonal"):
        raise ValueError(f"mixture must have isotropic or diagonal covariances, got {mixture.kind}")
    x = as_tensor_2d(samples, "samples")
    if x.shape[1] != mixture.dim or x.shape[0] < 1:
        raise ValueError(f"samples must have shape (n >= 1, {mixture.dim}), got {tuple(x.shape)}")
    var = mixture.covs[:, None].expand(-1, mixture.dim) if mixture.kind == "isotropic" else mixture.covs
    diff = x[:, None, :] - mixture.means[None]  # (n, k, d)
    logits = mixture.weights.log()[None] - 0.5 * (diff * diff / var[None]).sum(2) \
        - 0.5 * torch.log(2 * math.pi * var).sum(1)[None]
    counts = torch.bincount(logits.argmax(1), minlength=mixture.n_components).to(torch.float64)
    share = counts / x.shape[0]
    w = mixture.weights
    return share, torch.sqrt(w * (1 - w) / x.shape[0])
