"""Derivation of the constants 1/4 and 4 of Prop 3.3 / Thm 3.4 from the proof skeleton.

Source: THEORY.md §3, "Where the constants 1/4 and 4 come from" (reconstructed proof skeleton).
With Z = -M_T - 1/2 <M>_T the log Girsanov density on the ideal path, R = E[e^Z | Y_t0],
chi2 = E[(R - 1)^2] and R - 1 = Zbar + Psi (Zbar = E[Z | Y], Psi = E[e^Z - 1 - Z | Y]).
Two elementary inequalities, (a+b)^2 >= a^2/2 - b^2 and (a+b)^2 <= 2a^2 + 2b^2, plus
  E[Mbar^2] = Var E[M | Y] = eta eps2 (definition of eta; E M = 0),
  E[M^2] = eps2 (Ito isometry), E[<M>bar^2] <= E[<M>^2] <= K eps2^2 (moment assumption),
  E[Psi^2] <= C' eps2^2 (remainder assumption), E[Zbar^2] <= E[Z^2] (conditional Jensen),
give chi2 >= 1/4 eta eps2 - (K/8 + C') eps2^2 and chi2 <= 4 eps2 + (K + 2 C') eps2^2.
Every step below is SymPy algebra; nothing about the constants is typed in.
"""
from __future__ import annotations

import dataclasses
import functools

import sympy as sp

from .symbols import C, c, eps2, eta

K = sp.Symbol("K", nonnegative=True)  # E<M>_T^2 <= K eps2^2
C_psi = sp.Symbol("C'", nonnegative=True)  # E[Psi^2] <= C' eps2^2

# pointwise random variables and their second moments
Zbar, Psi, Mbar, Qbar, Z, M, Q = sp.symbols("Zbar Psi Mbar Qbar Z M Q", real=True)
E_Zbar2, E_Psi2, E_Mbar2, E_Qbar2, E_Z2, E_M2, E_Q2 = sp.symbols(
    "E_Zbar2 E_Psi2 E_Mbar2 E_Qbar2 E_Z2 E_M2 E_Q2", nonnegative=True)

_a, _b = sp.symbols("a b", real=True)


def square_lower(a, b):
    """Lower bound of (a + b)^2: a^2/2 - b^2."""
    return a**2 / 2 - b**2


def square_upper(a, b):
    """Upper bound of (a + b)^2: 2 a^2 + 2 b^2."""
    return 2 * a**2 + 2 * b**2


def _psd_quadratic_gap(gap) -> bool:
    """Is `gap`, a quadratic form in (a, b), nonnegative for all real a, b?"""
    gap = sp.expand(gap)
    poly = sp.Poly(gap, _a, _b)
    if not poly.is_homogeneous or poly.total_degree() != 2:
        return False
    return sp.hessian(gap, (_a, _b)).is_positive_semidefinite


def elementary_inequalities_hold(lower=square_lower, upper=square_upper) -> bool:
    """SymPy check that lower(a,b) <= (a+b)^2 <= upper(a,b) for all real a, b."""
    square = (_a + _b) ** 2
    return _psd_quadratic_gap(square - lower(_a, _b)) and _psd_quadratic_gap(upper(_a, _b) - square)


def _expect(expr, moments: dict):
    """E of a polynomial in pointwise variables whose monomials are all squares listed in `moments`."""
    expr = sp.expand(expr)
    out = expr.subs(moments)
    leftover = out.free_symbols & {Zbar, Psi, Mbar, Qbar, Z, M, Q}
    if leftover:
        raise ValueError(f"no moment known for a term in {expr}")
    return out


def _bound_by(expr, sym, lower=None, upper=None, side: str = "lower"):
    """Replace `sym` in an expression linear in it by the bound that keeps `side` valid.

    For a lower bound of expr, a nonnegative coefficient takes sym's lower bound, a nonpositive
    one its upper bound (and conversely for side="upper"); an equality passes both.
    """
    coeff = sp.diff(expr, sym)
    if sp.diff(coeff, sym) != 0:
        raise ValueError(f"{expr} is not linear in {sym}")
    increasing = coeff.is_nonnegative
    if increasing is None and not coeff.is_nonpositive:
        raise ValueError(f"sign of the coefficient {coeff} of {sym} is unknown")
    wants_lower = increasing == (side == "lower")
    bound = lower if wants_lower else upper
    if bound is None:
        raise ValueError(f"need a {'lower' if wants_lower else 'upper'} bound for {sym}")
    return sp.expand(expr.subs(sym, bound))


@dataclasses.dataclass(frozen=True)
class Perturbative:
    """Derived bounds chi2 >= lower, chi2 <= upper, in eta, eps2, K, C'."""

    lower: sp.Expr
    upper: sp.Expr
    lower_linear: sp.Expr  # coefficient of eta eps2 in `lower` (the paper's 1/4)
    lower_quadratic: sp.Expr  # minus the coefficient of eps2^2 in `lower` (K/8 + C')
    upper_linear: sp.Expr  # coefficient of eps2 in `upper` (the paper's 4)
    upper_quadratic: sp.Expr  # coefficient of eps2^2 in `upper` (K + 2C')


@functools.lru_cache(maxsize=4)
def derive(lower_ineq=square_lower, upper_ineq=square_upper) -> Perturbative:
    """Run the proof skeleton (THEORY.md §3, reconstructed) and return the derived bounds."""
    if not elementary_inequalities_hold(lower_ineq, upper_ineq):
        raise ValueError("the elementary inequalities given are false")
    # R - 1 = Zbar + Psi is exact: e^Z - 1 = Z + (e^Z - 1 - Z), then condition on Y_t0.
    zz = sp.Symbol("z", real=True)
    assert sp.expand(sp.exp(zz) - 1 - (zz + (sp.exp(zz) - 1 - zz))) == 0
    # lower: chi2 = E(Zbar + Psi)^2 >= E[lower(Zbar, Psi)]
    low = _expect(lower_ineq(Zbar, Psi), {Zbar**2: E_Zbar2, Psi**2: E_Psi2})
    # Z = -M - 1/2 <M>, so conditionally Zbar = (-Mbar) + (-Qbar / 2)
    low_zbar = _expect(lower_ineq(-Mbar, -Qbar / 2), {Mbar**2: E_Mbar2, Qbar**2: E_Qbar2})
    low = _bound_by(low, E_Zbar2, lower=low_zbar, side="lower")
    low = _bound_by(low, E_Mbar2, lower=eta * eps2, upper=eta * eps2, side="lower")
    low = _bound_by(low, E_Qbar2, upper=K * eps2**2, side="lower")
    low = _bound_by(low, E_Psi2, upper=C_psi * eps2**2, side="lower")

    # upper: chi2 <= E[upper(Zbar, Psi)], E Zbar^2 <= E Z^2 <= E[upper(-M, -<M>/2)]
    up = _expect(upper_ineq(Zbar, Psi), {Zbar**2: E_Zbar2, Psi**2: E_Psi2})
    up = _bound_by(up, E_Zbar2, upper=E_Z2, side="upper")
    up_z = _expect(upper_ineq(-M, -Q / 2), {M**2: E_M2, Q**2: E_Q2})
    up = _bound_by(up, E_Z2, upper=up_z, side="upper")
    up = _bound_by(up, E_M2, lower=eps2, upper=eps2, side="upper")
    up = _bound_by(up, E_Q2, upper=K * eps2**2, side="upper")
    up = _bound_by(up, E_Psi2, upper=C_psi * eps2**2, side="upper")

    lp = sp.Poly(low, eta, eps2)
    upoly = sp.Poly(up, eps2)
    return Perturbative(
        lower=low, upper=up,
        lower_linear=lp.coeff_monomial(eta * eps2),
        lower_quadratic=-lp.coeff_monomial(eps2**2),
        upper_linear=upoly.coeff_monomial(eps2),
        upper_quadratic=upoly.coeff_monomial(eps2**2),
    )


def second_form_coefficient(lower_first_form) -> sp.Expr:
    """Prop 3.3, second form: with C eps2 <= eta/8 the first form's lower bound is >= k eta eps2.

    The first form decreases in C, so its minimum over the allowed C is at C = eta / (8 eps2).
    """
    if not sp.diff(lower_first_form, C).is_nonpositive:
        raise ValueError("the first form must decrease in C")
    worst = sp.simplify(lower_first_form.subs(C, eta / (8 * eps2)))
    return sp.simplify(worst / (eta * eps2))


def matches_skeleton(result) -> bool:
    """Do the result's lower/upper bounds equal the derived ones (C = K/8 + C', c = K + 2C')?

    Applies to Prop 3.3 (first form) and Thm 3.4; a mutated coefficient makes it False.
    """
    d = derive()
    ident = {C: d.lower_quadratic, c: d.upper_quadratic}
    ok = result.lower is not None or result.upper is not None
    if result.lower is not None:
        ok &= sp.simplify(result.lower.subs(ident) - d.lower) == 0
    if result.upper is not None:
        ok &= sp.simplify(result.upper.subs(ident) - d.upper) == 0
    return bool(ok)
