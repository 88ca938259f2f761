"""`SmoothedMixture`: a finite mixture of OU-smoothed copies of base laws, sum_k w_k P_{tau_k}(base_k).

The laws of the ideal recursion (THEORY.md §5, reconstructed) are of this form: P_tau maps a Gaussian
N(m, S) to N(a m, a^2 S + (1 - a^2) I), a = e^{-tau/2} (THEORY.md §4), so each term of a Gaussian-
mixture base is again a Gaussian mixture, exactly. `tail_mass` states how far the represented law may
be from the exact one in total variation (0: exact): the terms dropped by truncation, see
`gaussian_exact.limit_law`.
"""
from __future__ import annotations

import math

import numpy as np

from .gaussian import Gaussian
from .mixture import GaussianMixture
from .ou import forward


def as_mixture(law, name: str = "data") -> GaussianMixture:
    """A Gaussian or GaussianMixture as a GaussianMixture; ValueError naming `name` otherwise."""
    if isinstance(law, Gaussian):
        return GaussianMixture([1.0], [law])
    if isinstance(law, GaussianMixture):
        return law
    raise ValueError(f"{name} must be a Gaussian or a GaussianMixture, got {type(law).__name__}")


class SmoothedMixture(GaussianMixture):
    """sum_k w_k P_{tau_k}(base_k) as a Gaussian mixture, with `.mean()`, `.cov()` and `.tail_mass`.

    Parameters
    ----------
    terms : list of (weight, tau, base): weight > 0 (the weights sum to 1), tau >= 0 or math.inf
        (inf: the stationary law N(0, I)), base a Gaussian or GaussianMixture (one dimension for all)
    tail_mass : float in [0, 1], a bound on the total-variation distance to the exact law
    cache : optional dict shared by laws built from the same bases, (id(base), tau) -> smoothed
        components (the iterates of one recursion share most of their terms)

    Raises
    ------
    ValueError for weights that do not sum to 1, a negative tau, or mixed dimensions.
    """

    def __init__(self, terms, tail_mass: float = 0.0, cache: dict | None = None):
        if not terms:
            raise ValueError("terms must hold at least one (weight, tau, base)")
        weights, components, kept = [], [], []
        for w, tau, base in terms:
            if not (tau >= 0):
                raise ValueError(f"tau must be >= 0 (or inf), got {tau}")
            key = (id(base), float(tau))
            parts = None if cache is None else cache.get(key)
            if parts is None:
                mix = as_mixture(base, "base")
                if math.isinf(tau):
                    parts = [(1.0, Gaussian(np.zeros(mix.dim), np.ones(mix.dim)))]
                else:
                    parts = [(wj, forward(g, tau)) for wj, g in zip(mix.weights, mix.components)]
                if cache is not None:
                    cache[key] = parts
            for wj, g in parts:
                weights.append(w * wj)
                components.append(g)
            kept.append((float(w), float(tau), base))
        weights = np.asarray(weights)
        total = float(weights.sum())
        if not math.isclose(total, 1.0, rel_tol=0, abs_tol=1e-9):
            raise ValueError(f"term weights must sum to 1, got {total}")
        super().__init__(weights / total, components)
        if not (0.0 <= tail_mass <= 1.0):
            raise ValueError(f"tail_mass must be in [0, 1], got {tail_mass}")
        self.terms = kept
        self.tail_mass = float(tail_mass)

    def mean(self) -> np.ndarray:
        """The mixture's mean, sum_j w_j m_j."""
        return self.moment_matched().mean

    def cov(self) -> np.ndarray:
        """The mixture's covariance, sum_j w_j (S_j + m_j m_j^T) - mean mean^T, as a (d, d) matrix."""
        return self.moment_matched().cov

    def __repr__(self) -> str:
        return (f"SmoothedMixture(dim={self.dim}, terms={len(self.terms)}, components={len(self.components)}, "
                f"tail_mass={self.tail_mass:.3g})")
