"""Frechet distance between feature distributions (the construction behind FID, on offline
features; never call it FID, which is defined with Inception-v3 features).

    frechet_distance = |m_p - m_q|^2 + tr(S_p + S_q - 2 (S_p^{1/2} S_q S_p^{1/2})^{1/2})

with (m, S) the sample mean and covariance of each feature set: the squared W2 between the
moment-matched Gaussians (THEORY.md §4, implemented in `gaussian_exact`). It equals W2^2(p, q)
when the features are Gaussian; it is biased upward at finite sizes by the sampling noise of the
covariances (about tr(S_p)/n_p + tr(S_q)/n_q when p = q, from the mean terms alone).
Feature maps that run offline: `neural.estimators.features`.
"""
from __future__ import annotations

from gaussian_exact import w2

from .gaussian_proxy import _fitted_pair


def frechet_distance(feat_p, feat_q, ridge: float = 0.0) -> float:
    """Squared W2 between the Gaussians fitted to feature sets feat_p (n, k) and feat_q (m, k)."""

    return float(w2(*_fitted_pair(feat_p, feat_q, ridge))) ** 2
