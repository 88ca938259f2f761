"""Symbolic proof checks of Lemma F.1, the one-step identity and the innovation inequality.

Source: THEORY.md §3 (derived rows). Every tracked quantity is the integral of a pointwise
expression in the density values d = data(x), p = p^i(x), p1 = p^{i+1}(x) and
q = alpha d + (1 - alpha) p:
  D = (p-d)^2/d, D_next = (p1-d)^2/d, I = (p1-q)^2/q, J = (p1-q)^2/d, cross = (p-d)(p1-q)/d,
  chi2(q || data) = (q-d)^2/d.
A statement that is linear in these quantities (coefficients in alpha only) holds for arbitrary
densities as soon as it holds pointwise: an equality when the pointwise difference simplifies to
0, an inequality when the pointwise gap equals a sum of manifestly nonnegative terms (a
certificate, verified here) plus a nonnegative multiple of a nonnegative term. Densities are
positive symbols, so nothing is assumed about their shape (not Gaussian, not even smooth).
"""
from __future__ import annotations

import functools

import sympy as sp

from . import symbols as S

d, p, p1 = sp.symbols("d p p1", positive=True)  # data, p^i, p^{i+1} at one point x
q = S.alpha * d + (1 - S.alpha) * p  # q_i at x (Lemma F.1: q - d = (1 - alpha)(p - d))

POINTWISE = {
    S.D: (p - d) ** 2 / d,
    S.D_next: (p1 - d) ** 2 / d,
    S.I: (p1 - q) ** 2 / q,
    S.J: (p1 - q) ** 2 / d,
    S.cross: (p - d) * (p1 - q) / d,
    S.chi2_mix: (q - d) ** 2 / d,
}

_s = sp.Symbol("s", real=True)
_ALPHA_IN_UNIT = _s**2 / (1 + _s**2)  # alpha in [0, 1) as a manifestly nonnegative expression


def pointwise(expr) -> sp.Expr:
    """The integrand of a statement side linear in the tracked quantities."""
    tracked = set(POINTWISE) & expr.free_symbols
    for sym in tracked:
        coeff = sp.diff(expr, sym)
        if coeff.free_symbols & set(POINTWISE):
            raise ValueError(f"{expr} is not linear in the tracked quantities")
    extra = expr.free_symbols - set(POINTWISE) - {S.alpha}
    if extra:
        raise ValueError(f"{expr} depends on {extra}, not only on tracked quantities and alpha")
    return expr.subs(POINTWISE)


def equality_holds(result) -> bool:
    """Pointwise proof of an equality `quantity = expression` for arbitrary densities."""
    return sp.simplify(pointwise(result.quantity) - pointwise(result.expression)) == 0


def manifestly_nonnegative(term) -> bool:
    """Each summand is nonnegative for positive densities and alpha in [0, 1] (alpha -> s^2/(1+s^2))."""
    return bool(sp.factor(sp.together(term.subs(S.alpha, _ALPHA_IN_UNIT))).is_nonnegative)


def _u_v():
    return p1 - q, (1 - S.alpha) * (p - d)


def certificate(result_id: str) -> sp.Expr:
    """Nonnegative terms whose sum is the pointwise gap of the catalog statement (hand-found, machine-checked)."""
    u, v = _u_v()
    mixing_gap = (1 - S.alpha) * p * u**2 / (d * q)  # 1/d - alpha/q = (1-alpha) p / (d q) >= 0, times u^2
    if result_id == "innovation.J":  # J - alpha I
        return mixing_gap
    if result_id == "innovation":  # D_next + (1-alpha)^2 D - alpha/2 I; (u+v)^2 + v^2 - u^2/2 = (u+2v)^2/2
        return (u + 2 * v) ** 2 / (2 * d) + mixing_gap / 2
    raise ValueError(f"no certificate for {result_id!r}")


def lower_bound_holds(result, base_id: str | None = None) -> bool:
    """Pointwise proof of `quantity >= lower` for arbitrary densities.

    gap = certificate + remainder; passes when every certificate term is manifestly nonnegative and
    the remainder is k * alpha * (p1 - q)^2 / q with a number k >= 0 (a weaker but true statement).
    A strengthened (mutated) coefficient leaves k < 0 and fails.
    """
    base_id = base_id or result.id.split("[")[0]
    cert = certificate(base_id)
    if not all(manifestly_nonnegative(t) for t in sp.Add.make_args(cert)):
        return False
    gap = pointwise(result.quantity) - pointwise(result.lower)
    remainder = sp.simplify(gap - cert)
    if remainder == 0:
        return True
    k = sp.simplify(remainder / (S.alpha * (p1 - q) ** 2 / q))
    return bool(k.is_number and k >= 0)


@functools.lru_cache(maxsize=1)
def example_densities() -> dict:
    """Three non-Gaussian densities on [0, 1] (data = 2(1+x)/3, polynomials p^i and p^{i+1}).

    Used to integrate both sides of the equalities exactly, a check independent of the
    pointwise linearity argument.
    """
    x = sp.Symbol("x", real=True)
    return {"x": x, "d": 2 * (1 + x) / 3, "p": 1 + (2 * x - 1) / 2, "p1": 3 * x**2}


@functools.lru_cache(maxsize=1)
def integrated_quantities() -> dict:
    """Exact integrals over [0, 1] of the pointwise quantities (except I) for `example_densities()`."""
    ex = example_densities()
    at = {d: ex["d"], p: ex["p"], p1: ex["p1"]}
    return {sym: sp.integrate(sp.expand(sp.cancel(e.subs(at))), (ex["x"], 0, 1))
            for sym, e in POINTWISE.items() if sym is not S.I}


def integrated_equality_holds(result) -> bool:
    """Integrate both sides of an equality over [0, 1] for `example_densities()`, alpha symbolic."""
    values = integrated_quantities()
    lhs = result.quantity.subs(values)
    rhs = result.expression.subs(values)
    return sp.simplify(sp.expand(lhs - rhs)) == 0
