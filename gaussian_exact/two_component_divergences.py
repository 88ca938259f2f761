"""chi2 and KL from a Gaussian p to a two-component mixture q = a g1 + (1 - a) g2, exact in any
dimension (to quadrature accuracy, about 1e-13 relative, with an error estimate).

The integrands depend on x only through the log-ratio l(x) = log g2(x) - log g1(x), a quadratic
form whose law under a Gaussian is known through its characteristic function (`quadratic_form`).
With s0 = log((1 - a) / a), X = l + s0 = log((1 - a) g2 / (a g1)):

* chi2 (derived here). For tau in [0, 1] let h_tau = g1^(1 - tau) g2^tau / N_tau (a Gaussian with
  precision P_tau = (1 - tau) P1 + tau P2, N_tau = int g1^(1 - tau) g2^tau) and
  r_tau = p^2 / (Z_tau h_tau), Z_tau = int p^2 / h_tau (finite iff 2 S_p^-1 - P_tau is PD). Since
  (a g1)^(1 - tau) ((1 - a) g2)^tau / q = e^(tau X) / (1 + e^X),
      1 + chi2(p || q) = U(tau) E_r_tau[e^(tau X) / (1 + e^X)],
      U(tau) = Z_tau / (a^(1 - tau) (1 - a)^tau N_tau)
  (U is the weighted AM-GM bound on int p^2 / q; the expectation lies in (0, 1]). By Yuan's lemma
  chi2 is finite iff some convex combination of the 2 S_p^-1 - S_j^-1 is PD, i.e. iff some tau in
  [0, 1] is feasible, and then an interior one is; no feasible tau: chi2 = +inf. Every feasible tau
  gives the same value. tau = 1/2 is tried first; when it is infeasible or its error estimate
  exceeds 1e-10 relative, the tau with the least U is sought (a coarse grid, then a scalar search
  within [TAU_EDGE, 1 - TAU_EDGE]), and the ends tau = 0, 1 are tried where feasible: the least U
  keeps the expectation large, hence its relative error small, and the value with the least
  relative error is kept. The ends matter when p sits on one component and the other is far away
  (1 + chi2 -> (1 + chi2(p || g1)) / a with U(0) = int p^2 / (a g1) and an expectation near 1,
  where U(TAU_EDGE) was e^37 and the expectation below the quadrature's rounding: 0.52 +- 0.42 for
  the true 1) and next to the finiteness boundary, where only tau near an end is feasible.
  The expectation is E g(X) with the transform int e^(tau x) / (1 + e^x) e^(-i w x) dx
  = pi / sin(pi (tau - i w)), so E g(X) = int_0^inf Re[phi_X(w) / sin(pi (tau - i w))] dw; at the
  ends 1/2 -+ int_0^inf Im phi_X(w) / sinh(pi w) dw (`quadratic_form.expect_logistic_power`).
  U and the expectation are combined in logs (an e^800 bound times an e^-790 expectation is a
  finite e^10, not an OverflowError).
* KL (derived here): log q = log a + log g1 + log(1 + e^X), and with K_j = KL(p || g_j),
  E_p X = K1 - K2 + s0 and log(1 + e^x) = x / 2 + log 2 + log cosh(x / 2):
  KL(p || q) = (K1 + K2) / 2 - 1/2 log(a (1 - a)) - log 2 - E_p log cosh(X / 2).
  (For g1 = g2: E log cosh(s0 / 2) = -log 2 - 1/2 log(a (1 - a)), so KL(p || q) = K1.)
Error estimates: the quadrature's (scaled by U for chi2) plus 8 unit roundoffs of the terms added,
d-fold for the terms that are sums over the d dimensions (log-determinants, traces, quadratic forms);
for chi2 also d times 8 unit roundoffs of the condition number of r_tau's precision
2 S_p^-1 - P_tau, whose entries cancel near the finiteness boundary (at v_p = 3.1999, components of
variance 1 and 1.6 in d = 2, 1 + chi2 = 15998.7037587 carries a relative error of 4e-12 from the
rounding of the inputs' inverses alone).
Beyond the float range a finite chi2 raises Chi2BeyondFloatRange (carrying log(1 + chi2)): it is
neither inf nor a float.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import linalg, optimize

from .divergences import kl
from .gaussian import Gaussian
from .gaussian_integrals import LOG_FLOAT_MAX, log_product_integral
from .quadratic_form import expect_log_cosh_half, expect_logistic_power, log_ratio_form

ROUNDOFF = 8 * np.finfo(float).eps


def square_over(p: Gaussian, g: Gaussian) -> tuple[float, Gaussian | None]:
    """log int p^2 / g and the normalised Gaussian r proportional to p^2 / g (None when divergent).

    r has precision A = 2 S_p^-1 - S_g^-1 and mean A^-1 (2 S_p^-1 m_p - S_g^-1 m_g).

    Parameters
    ----------
    p, g : Gaussian
        Laws of one dimension.

    Returns
    -------
    log_z : float
        log int p^2 / g (+inf when A is not positive definite).
    r : Gaussian or None
        The normalised law, or None when log_z is infinite.
    """
    log_z = log_product_integral(p, p, g)
    if math.isinf(log_z):
        return log_z, None
    P, Pg = p.as_full().precision, g.as_full().precision
    A = 2 * P - Pg
    cov = np.linalg.inv(A)
    mean = cov @ (2 * P @ p.mean - Pg @ g.mean)
    return log_z, Gaussian(mean, 0.5 * (cov + cov.T))


def _interpolated(g1: Gaussian, g2: Gaussian, tau: float) -> tuple[Gaussian, float]:
    """h_tau = g1^(1 - tau) g2^tau / N_tau and log N_tau (evaluated at the mean of h_tau)."""
    P1, P2 = g1.as_full().precision, g2.as_full().precision
    P = (1 - tau) * P1 + tau * P2
    cov = np.linalg.inv(0.5 * (P + P.T))
    mean = cov @ ((1 - tau) * P1 @ g1.mean + tau * P2 @ g2.mean)
    h = Gaussian(mean, 0.5 * (cov + cov.T))
    log_n = float((1 - tau) * g1.logpdf(mean) + tau * g2.logpdf(mean) - h.logpdf(mean))
    return h, log_n


def _log_bound(p, a, g1, g2, tau, with_law: bool = False):
    """log U(tau) (module docstring; +inf where tau is not feasible), and with `with_law` also r_tau
    and the magnitude |log Z_tau| + |log N_tau| of what was added."""
    h, log_n = _interpolated(g1, g2, tau)
    log_z, r = square_over(p, h) if with_law else (log_product_integral(p, p, h), None)
    log_u = log_z - log_n - (1 - tau) * math.log(a) - tau * math.log1p(-a)
    return (log_u, r, abs(log_z) + abs(log_n)) if with_law else log_u


def _feasible_tau(p, g1, g2) -> float | None:
    """Some tau in (0, 1) with 2 S_p^-1 - P_tau PD (the least eigenvalue is concave in tau), or None."""
    P = p.as_full().precision
    P1, P2 = g1.as_full().precision, g2.as_full().precision

    def neg_min_eig(tau):
        return -np.linalg.eigvalsh(2 * P - (1 - tau) * P1 - tau * P2)[0]

    res = optimize.minimize_scalar(neg_min_eig, bounds=(0.0, 1.0), method="bounded",
                                   options={"xatol": 1e-10})
    if -res.fun <= 0:
        return None
    return float(min(max(res.x, 1e-6), 1 - 1e-6))   # the most feasible tau, even near an edge


def _feasible_interval(p, g1, g2, tau: float) -> tuple[float, float]:
    """The interval of feasible tau around a feasible `tau`, within [TAU_EDGE, 1 - TAU_EDGE] and shrunk
    by 1e-6 of its width at open ends: with M = 2 S_p^-1 - P_tau = L L^T and mu the eigenvalues of
    L^-1 (P2 - P1) L^-T, M - s (P2 - P1) is PD iff s mu < 1 for every mu."""
    P = p.as_full().precision
    P1, P2 = g1.as_full().precision, g2.as_full().precision
    M = 2 * P - (1 - tau) * P1 - tau * P2
    L = linalg.cholesky(0.5 * (M + M.T), lower=True)
    K = linalg.solve_triangular(L, linalg.solve_triangular(L, P2 - P1, lower=True).T, lower=True)
    mu = np.linalg.eigvalsh(0.5 * (K + K.T))
    lo = tau + 1.0 / mu[0] if mu[0] < 0 else -math.inf
    hi = tau + 1.0 / mu[-1] if mu[-1] > 0 else math.inf
    pad = 1e-6 * min(hi - lo, 1.0)
    return max(lo + pad, TAU_EDGE), min(hi - pad, 1 - TAU_EDGE)


# the transform pi / sin(pi (tau - i w)) of the expectation's kernel peaks at 1 / sin(pi tau) near
# w = 0: an interior tau is kept TAU_EDGE from 0 and 1; the ends themselves have their own smooth
# kernel (quadratic_form.expect_logistic_power) and are candidates where feasible
TAU_EDGE = 0.02
TAU_GRID = (0.5, 0.25, 0.75, 0.05, 0.95, 0.0, 1.0)
GOOD_RELATIVE_ERROR = 1e-10
# an end tau whose bound U exceeds the least one by more than this (in log) leaves an expectation
# below e^-50: not tried
END_SLACK = 50.0


class Chi2BeyondFloatRange(OverflowError):
    """chi2(p || q) is finite but above the float range (about e^709.78).

    Attributes
    ----------
    log_one_plus : float
        log(1 + chi2), the Renyi-2 divergence.
    relative_error : float
        The error estimate of 1 + chi2, relative to it.
    """

    def __init__(self, log_one_plus: float, relative_error: float):
        self.log_one_plus = log_one_plus
        self.relative_error = relative_error
        super().__init__(
            f"chi2(p || q) is finite but exceeds the float range: log(1 + chi2) = {log_one_plus:.6g} "
            f"(relative error {relative_error:.2g}) > {LOG_FLOAT_MAX:.2f}")


def _condition(p, g1, g2, tau) -> float:
    """(||2 S_p^-1|| + ||P_tau||) / lambda_min(2 S_p^-1 - P_tau) (spectral norms): the relative
    rounding of the precision of r_tau, in unit roundoffs of its terms (tau feasible)."""
    P = p.as_full().precision
    P_tau = (1 - tau) * g1.as_full().precision + tau * g2.as_full().precision
    A = 2 * P - P_tau
    largest = [np.linalg.eigvalsh(0.5 * (M + M.T))[-1] for M in (2 * P, P_tau)]   # PD: the norms
    return float(sum(largest) / np.linalg.eigvalsh(0.5 * (A + A.T))[0])


def _chi2_at(p, a, g1, g2, tau) -> tuple[float, float] | None:
    """(log(1 + chi2), its error relative to 1 + chi2) through h_tau (in logs, so that neither a
    huge U nor a tiny expectation overflows); None where tau is not feasible, a relative error of
    inf where the expectation is not resolved (zero, or its error above it)."""
    log_u, r, magnitude = _log_bound(p, a, g1, g2, tau, with_law=True)
    if r is None:
        return None
    s0 = math.log1p(-a) - math.log(a)
    e, e_err = expect_logistic_power(log_ratio_form(r, g1, g2).shifted(s0), tau)
    if not e > 0.0 or not e_err < e:
        return log_u, math.inf
    # rounding of log U (log-determinants and quadratic forms of d-dimensional factors): d unit
    # roundoffs of the magnitudes that are added, and of the condition number of the precision
    # 2 S_p^-1 - P_tau of r (its entries cancel near the finiteness boundary), relative to the value
    log_rounding = ROUNDOFF * p.dim * (1.0 + magnitude + _condition(p, g1, g2, tau))
    return log_u + math.log(e), e_err / e + ROUNDOFF + log_rounding


def _relative_error(result) -> float:
    """The relative error of a `_chi2_at` result (inf for None)."""
    return math.inf if result is None else result[1]


def _candidate_taus(p, a, g1, g2) -> list[float] | None:
    """The tau to try after 1/2 (module docstring): the least U on the feasible interior interval
    around the best point of TAU_GRID, and the feasible ends within END_SLACK of it; [] when no
    tau is feasible (chi2 = inf)."""
    bounds = [(_log_bound(p, a, g1, g2, t), t) for t in TAU_GRID]
    least = min(bounds)[0]
    if math.isinf(least):
        tau = _feasible_tau(p, g1, g2)
        return [] if tau is None else [tau]
    ends = [t for log_u, t in bounds if t in (0.0, 1.0) and log_u <= least + END_SLACK]
    interior = [(log_u, t) for log_u, t in bounds if t not in (0.0, 1.0)]
    log_u, tau = min(interior)
    if math.isinf(log_u):
        return ends
    lo, hi = _feasible_interval(p, g1, g2, tau)   # refine: the least U around the best grid point
    res = optimize.minimize_scalar(lambda t: _log_bound(p, a, g1, g2, t), bounds=(lo, hi),
                                   method="bounded", options={"xatol": 1e-4})
    return [float(res.x) if res.fun < log_u else tau] + ends


def chi2_to_two_components(p: Gaussian, a: float, g1: Gaussian, g2: Gaussian) -> tuple[float, float] | None:
    """chi2(p || a g1 + (1 - a) g2) and its error estimate (module docstring).

    Parameters
    ----------
    p : Gaussian
        The first law.
    a : float in (0, 1)
        Weight of g1.
    g1, g2 : Gaussian
        The components (p's dimension).

    Returns
    -------
    (value, error) or None
        chi2 (+inf, error 0, when it diverges) and its error estimate; None in the corner where no
        feasible tau resolves the expectation (finite chi2, reference laws singular to rounding).

    Raises
    ------
    Chi2BeyondFloatRange
        If chi2 is finite but above the float range (it carries log(1 + chi2)).
    """
    best = _chi2_at(p, a, g1, g2, 0.5)
    if _relative_error(best) > GOOD_RELATIVE_ERROR:   # infeasible at 1/2, or a poor reference law
        taus = _candidate_taus(p, a, g1, g2)
        if not taus:
            return math.inf, 0.0
        for tau in taus:
            better = _chi2_at(p, a, g1, g2, tau)
            if _relative_error(better) < _relative_error(best):
                best = better
    if best is None or math.isinf(best[1]):   # no resolved reference law: the caller samples
        return None
    log_one_plus, relative_error = best
    if log_one_plus > LOG_FLOAT_MAX:
        raise Chi2BeyondFloatRange(log_one_plus, relative_error)
    one_plus = math.exp(log_one_plus)
    return max(one_plus - 1.0, 0.0), relative_error * one_plus + ROUNDOFF


def kl_to_two_components(p: Gaussian, a: float, g1: Gaussian, g2: Gaussian) -> tuple[float, float]:
    """KL(p || a g1 + (1 - a) g2) and its error estimate (module docstring).

    Parameters
    ----------
    p : Gaussian
        The first law.
    a : float in (0, 1)
        Weight of g1.
    g1, g2 : Gaussian
        The components (p's dimension).

    Returns
    -------
    value, error : float
        KL (>= 0) and its error estimate.
    """
    k1, k2 = kl(p, g1), kl(p, g2)
    s0 = math.log1p(-a) - math.log(a)
    c, c_err = expect_log_cosh_half(log_ratio_form(p, g1, g2).shifted(s0))
    log_weights = 0.5 * (math.log(a) + math.log1p(-a))
    value = 0.5 * (k1 + k2) - log_weights - math.log(2.0) - c
    # K1, K2 are sums over d dimensions (traces, log-determinants): d unit roundoffs of each
    error = c_err + ROUNDOFF * (p.dim * (abs(k1) + abs(k2)) + abs(log_weights) + math.log(2.0) + c)
    return max(value, 0.0), error
