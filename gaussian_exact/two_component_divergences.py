"""chi2 and KL from a Gaussian p to a two-component mixture q = a g1 + (1 - a) g2, exact in any
dimension (to quadrature accuracy, about 1e-13 relative, with an error estimate).

The integrands depend on x only through the log-ratio l(x) = log g2(x) - log g1(x), a quadratic
form whose law under a Gaussian is known through its characteristic function (`quadratic_form`).
With s0 = log((1 - a) / a), X = l + s0 = log((1 - a) g2 / (a g1)):

* chi2 (derived here). For tau in (0, 1) let h_tau = g1^(1 - tau) g2^tau / N_tau (a Gaussian with
  precision P_tau = (1 - tau) P1 + tau P2, N_tau = int g1^(1 - tau) g2^tau) and
  r_tau = p^2 / (Z_tau h_tau), Z_tau = int p^2 / h_tau (finite iff 2 S_p^-1 - P_tau is PD). Since
  (a g1)^(1 - tau) ((1 - a) g2)^tau / q = e^(tau X) / (1 + e^X),
      1 + chi2(p || q) = U(tau) E_r_tau[e^(tau X) / (1 + e^X)],
      U(tau) = Z_tau / (a^(1 - tau) (1 - a)^tau N_tau)
  (U is the weighted AM-GM bound on int p^2 / q; the expectation lies in (0, 1]). By Yuan's lemma
  chi2 is finite iff some convex combination of the 2 S_p^-1 - S_j^-1 is PD, i.e. iff some tau in
  [0, 1] is feasible, and then an interior one is; no feasible tau: chi2 = +inf. Every feasible tau
  gives the same value; the one with the least U on a coarse grid (refined by a scalar search when
  the error estimate is poor) keeps the expectation large, hence its relative error small.
  The expectation is E g(X) with the transform int e^(tau x) / (1 + e^x) e^(-i w x) dx
  = pi / sin(pi (tau - i w)), so E g(X) = int_0^inf Re[phi_X(w) / sin(pi (tau - i w))] dw.
* KL (derived here): log q = log a + log g1 + log(1 + e^X), and with K_j = KL(p || g_j),
  E_p X = K1 - K2 + s0 and log(1 + e^x) = x / 2 + log 2 + log cosh(x / 2):
  KL(p || q) = (K1 + K2) / 2 - 1/2 log(a (1 - a)) - log 2 - E_p log cosh(X / 2).
  (For g1 = g2: E log cosh(s0 / 2) = -log 2 - 1/2 log(a (1 - a)), so KL(p || q) = K1.)
Error estimates: the quadrature's (scaled by U for chi2) plus 8 unit roundoffs of the terms added.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize

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
    """log U(tau) (module docstring; +inf where tau is not feasible), and with `with_law` also r_tau."""
    h, log_n = _interpolated(g1, g2, tau)
    log_z, r = square_over(p, h) if with_law else (log_product_integral(p, p, h), None)
    log_u = log_z - log_n - (1 - tau) * math.log(a) - tau * math.log1p(-a)
    return (log_u, r) if with_law else log_u


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
    return float(min(max(res.x, 1e-6), 1 - 1e-6))


TAU_GRID = (0.5, 0.25, 0.75, 0.05, 0.95)
GOOD_RELATIVE_ERROR = 1e-10


def _chi2_at(p, a, g1, g2, tau) -> tuple[float, float]:
    """(1 + chi2, error) through h_tau."""
    log_u, r = _log_bound(p, a, g1, g2, tau, with_law=True)
    s0 = math.log1p(-a) - math.log(a)
    e, e_err = expect_logistic_power(log_ratio_form(r, g1, g2).shifted(s0), tau)
    if log_u + math.log(max(e, 1e-300)) > LOG_FLOAT_MAX:
        return math.inf, 0.0
    u = math.exp(log_u)
    return u * e, u * e_err + ROUNDOFF * u * e


def chi2_to_two_components(p: Gaussian, a: float, g1: Gaussian, g2: Gaussian) -> tuple[float, float]:
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
    value, error : float
        chi2 (+inf, error 0, when it diverges or exceeds the float range) and its error estimate.
    """
    bounds = [(_log_bound(p, a, g1, g2, t), t) for t in TAU_GRID]
    log_u, tau = min(bounds)
    if math.isinf(log_u):
        tau = _feasible_tau(p, g1, g2)
        if tau is None:
            return math.inf, 0.0
    one_plus, error = _chi2_at(p, a, g1, g2, tau)
    if math.isfinite(one_plus) and error > GOOD_RELATIVE_ERROR * one_plus:   # refine tau
        feasible = [t for lu, t in bounds if math.isfinite(lu)] or [tau]
        lo, hi = max(min(feasible) - 0.25, 1e-6), min(max(feasible) + 0.25, 1 - 1e-6)
        res = optimize.minimize_scalar(lambda t: _log_bound(p, a, g1, g2, t), bounds=(lo, hi),
                                       method="bounded", options={"xatol": 1e-4})
        if math.isfinite(res.fun):
            better = _chi2_at(p, a, g1, g2, float(res.x))
            if better[1] < error:
                one_plus, error = better
    if math.isinf(one_plus):
        return math.inf, 0.0
    return max(one_plus - 1.0, 0.0), error + ROUNDOFF


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
    error = c_err + ROUNDOFF * (abs(k1) + abs(k2) + abs(log_weights) + math.log(2.0) + c)
    return max(value, 0.0), error
