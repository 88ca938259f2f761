"""Prop 3.1 on its tight example, and the 1/2 -> 49/100 mutation control.

Brownian motion from a fixed point x with a constant drift error xi over [0, T]: the learned
path law is BM with drift xi, the ideal one BM without. Given the endpoint both are the same
Brownian bridge, so the endpoint KL equals the path KL: KL(N(x + xi T, T) || N(x, T)) = xi^2 T / 2,
and epshat2 = int_0^T xi^2 ds = xi^2 T.
"""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

import bounds


def gaussian_kl(m1, v1, m2, v2):
    """KL(N(m1, v1) || N(m2, v2)), THEORY.md §4 in one dimension."""
    return 0.5 * (v1 / v2 + (m2 - m1) ** 2 / v2 - 1 + np.log(v2 / v1))


def endpoint_kl_quadrature(xi, T, x=0.0):
    p, q = stats.norm(x + xi * T, np.sqrt(T)), stats.norm(x, np.sqrt(T))
    f = lambda y: p.pdf(y) * (p.logpdf(y) - q.logpdf(y))  # noqa: E731
    lo, hi = x + xi * T - 12 * np.sqrt(T), x + xi * T + 12 * np.sqrt(T)
    return integrate.quad(f, lo, hi, epsabs=1e-14, epsrel=1e-12)[0]


def path_energy(xi, T):
    return integrate.quad(lambda s: xi**2, 0, T)[0]


xis = st.floats(0.05, 3.0) | st.floats(-3.0, -0.05)


@given(xi=xis, T=st.floats(0.1, 4.0), x=st.floats(-5, 5))
def test_prop31_is_tight_on_brownian_example(xi, T, x):
    kl = gaussian_kl(x + xi * T, T, x, T)
    epshat2 = path_energy(xi, T)
    r = bounds.catalog()["prop3.1"]
    assert r.holds(kl, epshat2=epshat2)
    assert kl == pytest.approx(float(r.upper_fn(epshat2=epshat2)), rel=1e-9)  # tight


@given(xi=xis, T=st.floats(0.1, 4.0))
def test_mutated_half_fails_on_brownian_example(xi, T):
    kl = gaussian_kl(xi * T, T, 0.0, T)
    mutated = bounds.mutated("prop3.1", sp.Rational(1, 2), sp.Rational(49, 100))
    assert not mutated.holds(kl, epshat2=path_energy(xi, T))


def test_endpoint_kl_by_quadrature_agrees():
    for xi, T in [(0.7, 1.0), (-1.3, 2.5)]:
        kl = endpoint_kl_quadrature(xi, T, x=0.4)
        assert kl == pytest.approx(gaussian_kl(0.4 + xi * T, T, 0.4, T), rel=1e-8)
        assert bounds.catalog()["prop3.1"].holds(kl, epshat2=xi**2 * T, rtol=1e-7)
        assert not bounds.mutated("prop3.1", "1/2", "49/100").holds(kl, epshat2=xi**2 * T, rtol=1e-7)


def gaussian_chi2_equal_cov(m1, m2, v):
    """chi2(N(m1, v) || N(m2, v)) = exp((m1 - m2)^2 / v) - 1 (THEORY.md §4, equal covariances)."""
    return np.expm1((m1 - m2) ** 2 / v)


@given(xi=st.floats(0.05, 1.0) | st.floats(-1.0, -0.05), T=st.floats(0.01, 1.0))
def test_thm34_on_brownian_example_and_a_false_upper_constant(xi, T):
    """Same example: chi2 at the endpoint is exp(xi^2 T) - 1 = exp(eps2) - 1, and eta = 1
    (M_T = -xi W_T is a function of the endpoint x + W_T). For eps2 <= 1, c = 1 and C = 0 are
    valid constants: eps2/4 <= exp(eps2) - 1 <= 4 eps2 + eps2^2."""
    eps2 = path_energy(xi, T)  # <= 1 here
    chi2 = gaussian_chi2_equal_cov(xi * T, 0.0, T)
    params = dict(eps2=eps2, eta=1.0, C=0.0, c=1.0)
    thm = bounds.catalog()["thm3.4"]
    assert thm.in_regime(**params) and thm.holds(chi2, **params)
    assert bounds.catalog()["prop3.3"].holds(chi2, **params)
    assert not thm.with_coefficient(4, sp.Rational(1, 2)).holds(chi2, **params)
