"""Finite Gaussian mixtures q = sum_j w_j g_j: the training law q_i = alpha data + (1-alpha) p^i.

* Moment matching (THEORY.md section 4): mean sum_j w_j m_j, covariance
  sum_j w_j (S_j + m_j m_j^T) - mean mean^T (for two components: alpha S + (1-alpha) Si
  + alpha (1-alpha)(m - mi)(m - mi)^T).
* chi2(p || q) and KL(p || q) for a Gaussian p are not closed form; `chi2_to_mixture` and
  `kl_to_mixture` compute them numerically and return (value, standard error):
  - d = 1: composite Gauss-Legendre quadrature (error estimate returned, typically < 1e-12);
  - d >= 2: importance sampling with a fixed seed and a defensive proposal
    rho = (rho_1 + p + q)/3, rho_1 proportional to p^2 sum_{j in F} w_j / g_j (a Gaussian mixture;
    F = components with int p^2/g_j finite). The summand (p - q)^2 / (q rho) is non-negative, so
    there is no cancellation, and it is bounded by 3 U / w_j^2 + 3 (U = sum_F w_j int p^2/g_j).
    KL uses samples of p and the non-negative summand r - 1 - log r, r = q/p.
  chi2 is +inf when no convex combination of the matrices A_j = 2 S_p^-1 - S_j^-1 is positive
  definite (exact for <= 2 components by Yuan's lemma; a sufficient test beyond).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from .gaussian import Gaussian
from .gaussian_integrals import log_product_integral


def logsumexp(a: np.ndarray, axis: int = 0) -> np.ndarray:
    """log sum exp along an axis (plain numpy; scipy's is slow on large stacks)."""
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(a - top), axis=axis))


class GaussianMixture:
    """sum_j w_j N(m_j, S_j) with weights w_j > 0 summing to 1 (zero weights are dropped)."""

    def __init__(self, weights, components):
        weights = np.asarray(weights, dtype=float)
        if weights.ndim != 1 or len(weights) != len(components) or len(components) == 0:
            raise ValueError("weights must be a vector with one entry per component")
        if np.any(weights < 0) or not math.isclose(weights.sum(), 1.0, rel_tol=0, abs_tol=1e-12):
            raise ValueError(f"weights must be >= 0 and sum to 1, got {weights}")
        keep = weights > 0
        self.weights = weights[keep] / weights[keep].sum()
        self.components = [g for g, k in zip(components, keep) if k]
        if len({g.dim for g in self.components}) != 1:
            raise ValueError("components must share one dimension")

    @property
    def dim(self) -> int:
        return self.components[0].dim

    def terms(self, sign: float = 1.0) -> list:
        """The mixture as a signed combination [(sign * w_j, g_j)] (for gaussian_integrals)."""
        return [(sign * w, g) for w, g in zip(self.weights, self.components)]

    def logpdf(self, x) -> np.ndarray:
        logs = np.stack([np.log(w) + g.logpdf(x) for w, g in zip(self.weights, self.components)])
        return logsumexp(logs, axis=0)

    def sample(self, n: int, rng=None) -> np.ndarray:
        rng = np.random.default_rng(rng)
        counts = rng.multinomial(int(n), self.weights)
        x = np.vstack([g.sample(c, rng) for g, c in zip(self.components, counts)])
        return x[rng.permutation(len(x))]

    def moment_matched(self) -> Gaussian:
        """The Gaussian with the mixture's mean and covariance (the optimal affine-score learner)."""
        w = self.weights
        mean = sum(wj * g.mean for wj, g in zip(w, self.components))
        if all(g.is_diagonal for g in self.components) and all(
                np.allclose(g.mean, mean, rtol=0, atol=0) for g in self.components):
            return Gaussian(mean, sum(wj * g.var for wj, g in zip(w, self.components)))
        cov = sum(wj * (g.cov + np.outer(g.mean - mean, g.mean - mean)) for wj, g in zip(w, self.components))
        return Gaussian(mean, 0.5 * (cov + cov.T))


def _finite_chi2(p: Gaussian, q: GaussianMixture) -> bool:
    """Is int p^2/q finite?  Iff for every direction some A_j = 2 P_p - P_j is positive
    (sufficient: a convex combination of the A_j is PD; necessary too for <= 2 components)."""
    P = p.as_full().precision
    As = [2 * P - g.as_full().precision for g in q.components]
    lam = [np.linalg.eigvalsh(A)[0] for A in As]
    if max(lam) > 0:
        return True
    if len(As) == 1:
        return False

    def neg_min_eig(z):
        tau = np.exp(z - z.max())
        tau /= tau.sum()
        return -np.linalg.eigvalsh(sum(t * A for t, A in zip(tau, As)))[0]

    res = optimize.minimize(neg_min_eig, np.zeros(len(As)), method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 2000})
    return -res.fun > 0


def _square_over(p: Gaussian, g: Gaussian) -> tuple[float, Gaussian | None]:
    """log int p^2/g and the normalised Gaussian proportional to p^2/g (None when divergent)."""
    log_z = log_product_integral(p, p, g)
    if math.isinf(log_z):
        return log_z, None
    P, Pg = p.as_full().precision, g.as_full().precision
    A = 2 * P - Pg
    cov = np.linalg.inv(A)
    mean = cov @ (2 * P @ p.mean - Pg @ g.mean)
    return log_z, Gaussian(mean, 0.5 * (cov + cov.T))


def _quad_1d(log_f, p: Gaussian, q: GaussianMixture) -> tuple[float, float]:
    """int exp(log_f(x)) dx in 1-D by composite Gauss-Legendre (16 nodes per panel) on panels cut at
    mean + k sd / 4, |k| <= 160, of every law involved; the error estimate is the difference to the
    8-node rule on the same panels (conservative: the 8-node rule is far less accurate)."""
    cuts = np.unique(np.concatenate([g.mean[0] + math.sqrt(g.var[0]) * np.arange(-160, 161) / 4.0
                                     for g in [p] + q.components]))
    a, b = cuts[:-1], cuts[1:]
    results = []
    for n in (16, 8):
        z, w = np.polynomial.legendre.leggauss(n)
        x = 0.5 * (a[:, None] + b[:, None]) + 0.5 * (b - a)[:, None] * z
        vals = np.exp(log_f(x.reshape(-1, 1))).reshape(x.shape)
        results.append(float(np.sum(0.5 * (b - a)[:, None] * w * vals)))
    return results[0], abs(results[0] - results[1])


def _log_abs_expm1(u: np.ndarray) -> np.ndarray:
    """log |e^u - 1|, without overflow for large u."""
    with np.errstate(divide="ignore"):
        return np.where(u > 0, u + np.log1p(-np.exp(-np.abs(u))), np.log(-np.expm1(-np.abs(u))))


def chi2_to_mixture(p: Gaussian, q: GaussianMixture, n: int = 2 ** 16, rng=0) -> tuple[float, float]:
    """chi2(p || q) = int (p - q)^2 / q and its standard error (module docstring)."""
    if p.dim != q.dim:
        raise ValueError(f"p and q must have the same dimension, got {p.dim} and {q.dim}")
    if not _finite_chi2(p, q):
        return math.inf, 0.0

    def log_summand(x):  # log[(p - q)^2 / q] = log q + 2 log|p/q - 1|
        lq = q.logpdf(x)
        return lq + 2 * _log_abs_expm1(p.logpdf(x) - lq)

    if p.dim == 1:
        return _quad_1d(log_summand, p, q)
    rng = np.random.default_rng(rng)
    parts = [_square_over(p, g) for g in q.components]
    finite = [(np.log(w) + lz, r) for w, (lz, r) in zip(q.weights, parts) if r is not None]
    samplers = [p, q]
    if finite:
        lw = np.array([lw for lw, _ in finite])
        samplers.append(GaussianMixture(np.exp(lw - logsumexp(lw)), [r for _, r in finite]))
    k = len(samplers)
    counts = rng.multinomial(int(n), [1.0 / k] * k)
    x = np.vstack([s.sample(c, rng) for s, c in zip(samplers, counts)])
    log_rho = logsumexp(np.stack([s.logpdf(x) for s in samplers]), axis=0) - math.log(k)
    lp, lq = p.logpdf(x), q.logpdf(x)
    vals = np.exp(lq - log_rho + 2 * _log_abs_expm1(lp - lq))
    return float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(len(vals)))


def kl_to_mixture(p: Gaussian, q: GaussianMixture, n: int = 2 ** 16, rng=0) -> tuple[float, float]:
    """KL(p || q) = E_p[r - 1 - log r], r = q/p, and its standard error (module docstring)."""
    if p.dim != q.dim:
        raise ValueError(f"p and q must have the same dimension, got {p.dim} and {q.dim}")

    def summand(x):
        u = q.logpdf(x) - p.logpdf(x)
        return np.expm1(u) - u

    if p.dim == 1:
        with np.errstate(divide="ignore"):
            return _quad_1d(lambda x: p.logpdf(x) + np.log(summand(x)), p, q)
    vals = summand(p.sample(int(n), np.random.default_rng(rng)))
    return float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(len(vals)))
