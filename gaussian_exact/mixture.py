"""Finite Gaussian mixtures q = sum_j w_j g_j: the training law q_i = alpha data + (1-alpha) p^i.

* Moment matching (THEORY.md section 4): mean sum_j w_j m_j, covariance
  sum_j w_j (S_j + m_j m_j^T) - mean mean^T (for two components: alpha S + (1-alpha) Si
  + alpha (1-alpha)(m - mi)(m - mi)^T).
* chi2(p || q) and KL(p || q) for a Gaussian p are not closed form; `chi2_to_mixture` and
  `kl_to_mixture` compute them numerically and return (value, error estimate):
  - d >= 2, q with at most two distinct components (the replace-mode training law): exact through
    the characteristic function of the log-ratio of the two components
    (`two_component_divergences`; error about 1e-13 relative to 1 + chi2, or absolute for KL);
  - d = 1: composite Gauss-Legendre quadrature on panels that follow every law involved and the
    integrand's own Gaussian envelopes; the error estimate is the 16- vs 8-node difference plus a
    bound on the mass beyond the panels (typically < 1e-10; it grows when truncation matters);
  - d >= 2 otherwise (or with method="importance"): importance sampling (error = standard error)
    with a fixed seed and a defensive proposal
    rho = (rho_1 + p + q)/3, rho_1 proportional to p^2 sum_{j in F} w_j / g_j (a Gaussian mixture;
    F = components with int p^2/g_j finite). The summand (p - q)^2 / (q rho) is non-negative, so
    there is no cancellation, and it is bounded by 3 U / w_j^2 + 3 (U = sum_F w_j int p^2/g_j).
    KL samples the defensive mixture (p + q)/2 with the non-negative summand p (r - 1 - log r) / rho,
    r = q/p, bounded by ``2 + 2 |log r|`` (sampling p alone has an infinite-variance ratio once a
    component of q is twice as wide as p, and then understates its standard error).
  Summands are evaluated in log space, so far tails never overflow. A finite chi2 beyond the float
  range (about e^709.78) raises Chi2BeyondFloatRange, which carries log(1 + chi2) (never inf).
  chi2 is +inf when no convex combination of the matrices A_j = 2 S_p^-1 - S_j^-1 is positive
  definite (exact for <= 2 components by Yuan's lemma; a sufficient test beyond).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

from .gaussian import Gaussian
from .gaussian_integrals import LOG_FLOAT_MAX
from .two_component_divergences import (Chi2BeyondFloatRange, chi2_to_two_components, kl_to_two_components,
                                        square_over)
from .validation import float_array


def logsumexp(a: np.ndarray, axis: int = 0) -> np.ndarray:
    """log sum exp along an axis (plain numpy; scipy's is slow on large stacks)."""
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(a - top), axis=axis))


class GaussianMixture:
    """sum_j w_j N(m_j, S_j) with weights w_j > 0 summing to 1 (zero weights are dropped).

    THEORY.md section 4 (the training law q_i = alpha data + (1-alpha) p^i).

    Parameters
    ----------
    weights : array_like, shape (k,)
        Weights >= 0 summing to 1 (within 1e-12); zero weights and their components are dropped.
    components : list or tuple of Gaussian
        The k component laws, all of one dimension.

    Raises
    ------
    ValueError
        If components is not a non-empty list/tuple of Gaussian, weights is not a vector with one
        entry per component, a weight is negative, the weights do not sum to 1, the kept components
        differ in dimension, or weights is not numeric.
    """

    def __init__(self, weights, components):
        weights = float_array("weights", weights)
        if not isinstance(components, (list, tuple)) or not all(isinstance(g, Gaussian) for g in components):
            raise ValueError("components must be a list of Gaussian laws")
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
        """The mixture as a signed combination [(sign * w_j, g_j)] (for gaussian_integrals).

        Parameters
        ----------
        sign : float
            Factor on every weight (default 1).

        Returns
        -------
        list of (float, Gaussian)
            The signed terms.
        """
        return [(sign * w, g) for w, g in zip(self.weights, self.components)]

    def logpdf(self, x) -> np.ndarray:
        """log q(x) = log sum_j w_j N(x; m_j, S_j) (log-sum-exp).

        Parameters
        ----------
        x : array_like, shape (..., d)
            Points.

        Returns
        -------
        numpy.ndarray, shape (...)
            Log densities.

        Raises
        ------
        ValueError
            If the last dimension of x is not d.
        """
        logs = np.stack([np.log(w) + g.logpdf(x) for w, g in zip(self.weights, self.components)])
        return logsumexp(logs, axis=0)

    def sample(self, n: int, rng=None) -> np.ndarray:
        """n draws: multinomial component counts, then each component's draws, shuffled.

        Parameters
        ----------
        n : int >= 0
            Number of draws.
        rng : numpy.random.Generator, int or None
            Generator or seed.

        Returns
        -------
        numpy.ndarray, shape (n, d)
            The draws, in random order.
        """
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


QUAD_SDS = 40.0   # 1-D quadrature panels span mean +- QUAD_SDS sd of every law involved


def _mean_and_se(vals: np.ndarray) -> tuple[float, float]:
    """Monte-Carlo mean and standard error; (inf, 0) when a summand overflows the float range."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean = float(vals.mean())
        if not math.isfinite(mean):
            return math.inf, 0.0
        return mean, float(vals.std(ddof=1) / math.sqrt(len(vals)))


def _nodes_1d(laws: list, n: int) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """Nodes and weights of the n-node composite Gauss-Legendre rule on the panels of `_quad_1d`,
    and the panels' span (lo, hi)."""
    k = np.arange(-int(4 * QUAD_SDS), int(4 * QUAD_SDS) + 1) / 4.0
    cuts = np.unique(np.concatenate([g.mean[0] + math.sqrt(g.var[0]) * k for g in laws]))
    a, b = cuts[:-1], cuts[1:]
    z, w = np.polynomial.legendre.leggauss(n)
    x = 0.5 * (a[:, None] + b[:, None]) + 0.5 * (b - a)[:, None] * z
    return x.reshape(-1, 1), (0.5 * (b - a)[:, None] * w).ravel(), (float(cuts[0]), float(cuts[-1]))


def _quad_1d(log_f, laws: list, tail_bound) -> tuple[float, float]:
    """int exp(log_f(x)) dx in 1-D by composite Gauss-Legendre (16 nodes per panel) on panels cut at
    mean + k sd / 4, |k| <= QUAD_SDS, of every law in `laws` (the integrand's own Gaussian envelopes
    included, so that a tail wider than every law of the problem is still covered). The error
    estimate is the difference to the 8-node rule on the same panels (conservative: the 8-node rule
    is far less accurate) plus `tail_bound(lo, hi)`, an upper bound on the integral outside the
    panels [lo, hi] (truncation, THEORY.md section 4 / issue 10 case 3). A value beyond the float
    range is inf here (`_log_quad_1d` then gives its log)."""
    results = []
    with np.errstate(divide="ignore", over="ignore"):
        for n in (16, 8):
            x, w, (lo, hi) = _nodes_1d(laws, n)
            results.append(float(np.sum(w * np.exp(log_f(x)))))
    if math.isinf(results[0]):
        return math.inf, 0.0
    return results[0], abs(results[0] - results[1]) + float(tail_bound(lo, hi))


def _log_quad_1d(log_f, laws: list) -> tuple[float, float]:
    """log of `_quad_1d`'s integral (for one beyond the float range) and its relative error: the 16-
    vs 8-node difference and 8 unit roundoffs of the log (the tail bound of `_quad_1d` is left out:
    the panels reach 40 sd beyond every envelope of the integrand)."""
    with np.errstate(divide="ignore"):
        logs = [float(logsumexp(log_f(x) + np.log(w))) for x, w, _ in (_nodes_1d(laws, n) for n in (16, 8))]
    return logs[0], abs(math.expm1(logs[1] - logs[0])) + 8 * np.finfo(float).eps * (1.0 + abs(logs[0]))


def _log_mean_and_relative_se(log_vals: np.ndarray) -> tuple[float, float]:
    """log of a Monte-Carlo mean of exp(log_vals) and its standard error relative to the mean."""
    top = float(np.max(log_vals))
    scaled = np.exp(log_vals - top)
    mean = float(scaled.mean())
    return top + math.log(mean), float(scaled.std(ddof=1) / math.sqrt(len(scaled))) / mean


def _log_abs_expm1(u: np.ndarray) -> np.ndarray:
    """log |e^u - 1|, without overflow for large u."""
    with np.errstate(divide="ignore"):
        return np.where(u > 0, u + np.log1p(-np.exp(-np.abs(u))), np.log(-np.expm1(-np.abs(u))))


def _log_expm1_minus(u: np.ndarray) -> np.ndarray:
    """log(e^u - 1 - u) (>= 0 inside the log, -inf at u = 0), without overflow for large u and
    without cancellation for small |u| (series u^2/2 (1 + u/3 + u^2/12 + u^3/60))."""
    u = np.asarray(u, dtype=float)
    out = np.empty_like(u)
    small, big = np.abs(u) < 1e-3, u > 30.0
    mid = ~small & ~big
    us, ub, um = u[small], u[big], u[mid]
    with np.errstate(divide="ignore"):
        out[small] = 2 * np.log(np.abs(us)) - math.log(2.0) + np.log1p(us / 3 + us * us / 12 + us ** 3 / 60)
        out[big] = ub + np.log1p(-(1 + ub) * np.exp(-ub))
        out[mid] = np.log(np.expm1(um) - um)
    return out


MAX_SAMPLES = 2 ** 31


METHODS = ("auto", "importance")


def _check_inputs(p, q, n, method) -> int:
    if method not in METHODS:
        raise ValueError(f"method must be 'auto' or 'importance', got {method!r}")
    if not isinstance(p, Gaussian) or not isinstance(q, GaussianMixture):
        raise ValueError("p must be a Gaussian and q a GaussianMixture")
    if p.dim != q.dim:
        raise ValueError(f"p and q must have the same dimension, got {p.dim} and {q.dim}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer, float)) or n != n or int(n) != n \
            or not 2 <= n <= MAX_SAMPLES:
        raise ValueError(f"n must be an integer in [2, 2**31], got {n!r}")
    return int(n)


def _two_distinct(q: GaussianMixture):
    """(a, g1, g2) when q has exactly two distinct components (equal ones merged), else None."""
    merged = []
    for w, g in zip(q.weights, q.components):
        for entry in merged:
            h = entry[1]
            if h is g or (np.array_equal(h.mean, g.mean) and h.is_diagonal == g.is_diagonal
                          and np.array_equal(h._cov, g._cov)):
                entry[0] += w
                break
        else:
            merged.append([w, g])
    if len(merged) == 1:   # q is one Gaussian: the same formulas with g1 = g2 (l = 0)
        return 0.5, merged[0][1], merged[0][1]
    if len(merged) == 2:
        return merged[0][0], merged[0][1], merged[1][1]
    return None


def _log_tail_probability(g: Gaussian, lo: float, hi: float) -> float:
    """log[P_g(X < lo) + P_g(X > hi)] for a 1-D Gaussian g (no underflow far out)."""
    m, s = float(g.mean[0]), math.sqrt(float(g.var[0]))
    return float(np.logaddexp(special.log_ndtr((lo - m) / s), special.log_ndtr((m - hi) / s)))


def chi2_to_mixture(p: Gaussian, q: GaussianMixture, n: int = 2 ** 16, rng=0,
                    method: str = "auto") -> tuple[float, float]:
    """chi2(p || q) = int (p - q)^2 / q and its standard error (module docstring).

    d = 1: the quadrature panels also follow the envelopes r_j ~ p^2 / g_j, which are wider than
    every law of the problem near the finiteness boundary (A_j = 2/v_p - 1/v_j -> 0); the error
    estimate adds the bound int_tail (p - q)^2/q <= min_j (1/w_j) int_tail p^2/g_j + int_tail q.

    Parameters
    ----------
    p : Gaussian
        The first law.
    q : GaussianMixture
        The mixture, of p's dimension.
    n : int in [2, 2**31]
        Importance samples where importance sampling is used (default 2**16).
    rng : numpy.random.Generator, int or None
        Seed of the importance sampler (default 0, reproducible).
    method : {"auto", "importance"}
        "auto" (default): d = 1 quadrature; d >= 2 the exact two-component method when q has at most
        two distinct components, else importance sampling. "importance": importance sampling
        whenever d >= 2.

    Returns
    -------
    value, standard_error : float
        chi2(p || q) (inf when it diverges, with standard error 0) and its error estimate.

    Raises
    ------
    ValueError
        If p is not a Gaussian, q not a GaussianMixture, their dimensions differ, n is not an
        integer in [2, 2**31], or method is not one of the two.
    Chi2BeyondFloatRange
        If chi2 is finite but above the float range (it carries log(1 + chi2) and its relative error).
    """
    n = _check_inputs(p, q, n, method)
    two = _two_distinct(q) if method == "auto" and p.dim >= 2 else None
    exact = chi2_to_two_components(p, *two) if two is not None else None
    if exact is not None:
        return exact
    if not _finite_chi2(p, q):
        return math.inf, 0.0

    def log_summand(x):  # log[(p - q)^2 / q] = log q + 2 log|p/q - 1|
        lq = q.logpdf(x)
        return lq + 2 * _log_abs_expm1(p.logpdf(x) - lq)

    parts = [square_over(p, g) for g in q.components]
    finite = [(np.log(w) + lz, r) for w, (lz, r) in zip(q.weights, parts) if r is not None]
    if p.dim == 1:
        def tail_bound(lo, hi):
            squares = min((lz - math.log(w) + _log_tail_probability(r, lo, hi)
                           for w, (lz, r) in zip(q.weights, parts) if r is not None), default=math.inf)
            rest = sum(w * math.exp(_log_tail_probability(g, lo, hi)) for w, g in zip(q.weights, q.components))
            return float(np.exp(squares)) + rest

        laws = [p] + q.components + [r for _, r in finite]
        value, error = _quad_1d(log_summand, laws, tail_bound)
        if math.isinf(value):   # finite (checked above) but beyond the float range
            raise Chi2BeyondFloatRange(*_log_quad_1d(log_summand, laws))
        return value, error
    rng = np.random.default_rng(rng)
    samplers = [p, q]
    if finite:
        lw = np.array([lw for lw, _ in finite])
        samplers.append(GaussianMixture(np.exp(lw - logsumexp(lw)), [r for _, r in finite]))
    k = len(samplers)
    counts = rng.multinomial(int(n), [1.0 / k] * k)
    x = np.vstack([s.sample(c, rng) for s, c in zip(samplers, counts)])
    log_rho = logsumexp(np.stack([s.logpdf(x) for s in samplers]), axis=0) - math.log(k)
    lp, lq = p.logpdf(x), q.logpdf(x)
    log_vals = lq - log_rho + 2 * _log_abs_expm1(lp - lq)
    log_mean, relative_se = _log_mean_and_relative_se(log_vals)
    if log_mean > LOG_FLOAT_MAX:   # finite (checked above) but beyond the float range
        raise Chi2BeyondFloatRange(log_mean, relative_se)
    mean = math.exp(log_mean)
    return mean, relative_se * mean


def kl_to_mixture(p: Gaussian, q: GaussianMixture, n: int = 2 ** 16, rng=0,
                  method: str = "auto") -> tuple[float, float]:
    """KL(p || q) = int p (r - 1 - log r), r = q/p, and its standard error (module docstring).

    The summand is evaluated in log space, log p + log(e^u - 1 - u) with u = log q - log p, so a
    component of q wider than p (u -> +inf in the tails) no longer overflows (issue 10 case 1).
    d = 1: quadrature; the error estimate adds the tail bound int_tail q + int_tail p
    + (E_p[u^2] P_p(tail))^{1/2} (Cauchy-Schwarz). d >= 2: importance sampling from the defensive
    mixture rho = (p + q)/2 with the summand p (r - 1 - log r) / rho = (q - p - p log r) / rho, which
    is at most ``2 + 2 |log r|`` (all moments finite for any p, q). Sampling from p itself, as before,
    has an infinite-variance ratio when a component of q is more than twice as wide as p
    (int q^2/p = inf), and its standard error was too small (issue 10 case 4).

    Parameters
    ----------
    p : Gaussian
        The first law.
    q : GaussianMixture
        The mixture, of p's dimension.
    n : int in [2, 2**31]
        Importance samples where importance sampling is used (default 2**16).
    rng : numpy.random.Generator, int or None
        Seed of the importance sampler (default 0, reproducible).
    method : {"auto", "importance"}
        "auto" (default): d = 1 quadrature; d >= 2 the exact two-component method when q has at most
        two distinct components, else importance sampling. "importance": importance sampling
        whenever d >= 2.

    Returns
    -------
    value, standard_error : float
        KL(p || q) and its error estimate.

    Raises
    ------
    ValueError
        If p is not a Gaussian, q not a GaussianMixture, their dimensions differ, n is not an
        integer in [2, 2**31], or method is not one of the two.
    """
    n = _check_inputs(p, q, n, method)

    if p.dim == 1:
        def log_summand(x):
            lp = p.logpdf(x)
            return lp + _log_expm1_minus(q.logpdf(x) - lp)

        def log_u2(x):
            lp = p.logpdf(x)
            with np.errstate(divide="ignore"):
                return lp + 2 * np.log(np.abs(q.logpdf(x) - lp))

        laws = [p] + q.components
        second, _ = _quad_1d(log_u2, laws, lambda lo, hi: 0.0)

        def tail_bound(lo, hi):
            tp = math.exp(_log_tail_probability(p, lo, hi))
            tq = sum(w * math.exp(_log_tail_probability(g, lo, hi)) for w, g in zip(q.weights, q.components))
            return tq + tp + math.sqrt(max(second, 0.0) * tp)

        return _quad_1d(log_summand, laws, tail_bound)
    two = _two_distinct(q) if method == "auto" else None
    if two is not None:
        return kl_to_two_components(p, *two)
    rng = np.random.default_rng(rng)
    counts = rng.multinomial(int(n), [0.5, 0.5])
    x = np.vstack([p.sample(counts[0], rng), q.sample(counts[1], rng)])
    lp, lq = p.logpdf(x), q.logpdf(x)
    log_rho = np.logaddexp(lp, lq) - math.log(2.0)
    vals = np.exp(lp - log_rho + _log_expm1_minus(lq - lp))
    return _mean_and_se(vals)
