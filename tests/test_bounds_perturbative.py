"""The constants 1/4 and 4 of Prop 3.3 / Thm 3.4, derived from THEORY.md's proof skeleton."""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import bounds
from bounds import symbols as S
from bounds.perturbative import (C_psi, K, derive, elementary_inequalities_hold, matches_skeleton,
                                 second_form_coefficient)


def test_derived_constants_are_the_papers():
    d = derive()
    assert d.lower_linear == sp.Rational(1, 4)
    assert d.upper_linear == 4
    assert sp.simplify(d.lower_quadratic - (K / 8 + C_psi)) == 0
    assert sp.simplify(d.upper_quadratic - (K + 2 * C_psi)) == 0


def test_catalog_matches_derivation():
    cat = bounds.catalog()
    assert matches_skeleton(cat["prop3.3"]) and matches_skeleton(cat["thm3.4"])


@pytest.mark.parametrize("rid, old, new", [
    ("prop3.3", "1/4", "26/100"), ("thm3.4", "1/4", "26/100"), ("thm3.4", 4, sp.Rational(41, 10)),
])
def test_mutated_constant_fails_derivation(rid, old, new):
    assert not matches_skeleton(bounds.mutated(rid, sp.sympify(old), new))


def test_elementary_inequalities_and_a_false_one():
    assert elementary_inequalities_hold()
    assert not elementary_inequalities_hold(lower=lambda a, b: a**2 / 2 - b**2 / 2)
    assert not elementary_inequalities_hold(upper=lambda a, b: 2 * a**2 + b**2)
    with pytest.raises(ValueError):
        derive(lambda a, b: a**2 - b**2)


@given(a=st.floats(-10, 10), b=st.floats(-10, 10))
def test_elementary_inequalities_numerically(a, b):
    assert (a + b) ** 2 >= a**2 / 2 - b**2 - 1e-9
    assert (a + b) ** 2 <= 2 * a**2 + 2 * b**2 + 1e-9


def test_second_form_coefficient_is_one_eighth():
    d = derive()
    first = d.lower_linear * S.eta * S.eps2 - S.C * S.eps2**2
    assert second_form_coefficient(first) == sp.Rational(1, 8)


@given(eta=st.floats(0.01, 1), C=st.floats(0.01, 50), frac=st.floats(0, 1))
def test_first_form_implies_second_in_its_regime(eta, C, frac):
    eps2 = frac * min(1.0, eta / (8 * C))
    cat = bounds.catalog()
    first = cat["prop3.3"].lower_fn(eps2=eps2, eta=eta, C=C)
    second = cat["prop3.3b"].lower_fn(eps2=eps2, eta=eta, C=C)
    assert first >= second - 1e-15
    assert cat["prop3.3b"].in_regime(eps2=eps2, eta=eta, C=C)


def test_second_form_fails_outside_its_regime():
    cat = bounds.catalog()
    eta, C = 0.5, 10.0
    eps2 = 2 * eta / (8 * C)
    assert not cat["prop3.3b"].in_regime(eps2=eps2, eta=eta, C=C)
    assert cat["prop3.3"].lower_fn(eps2=eps2, eta=eta, C=C) < cat["prop3.3b"].lower_fn(eps2=eps2, eta=eta, C=C)
    assert np.isfinite(cat["prop3.3"].lower_fn(eps2=eps2, eta=eta, C=C))
