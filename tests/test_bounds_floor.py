"""Prop 4.1 (ii): the floor derived from the innovation inequality, its tightness and a control."""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import bounds
from bounds import symbols as S
from bounds.floor import derive_floor

THEORY_FLOOR = S.alpha * S.eta_floor * S.eps_floor / (16 * (1 + (1 - S.alpha) ** 2))


def test_derivation_reproduces_theory():
    cat = bounds.catalog()
    inn = cat["innovation"]
    floor = derive_floor(inn.quantity, inn.lower, cat["prop3.3b"].lower)
    assert sp.simplify(floor - THEORY_FLOOR) == 0


def test_derivation_follows_a_mutated_innovation():
    inn = bounds.catalog()["innovation"]
    floor = derive_floor(inn.quantity, S.alpha * S.I, sp.Rational(1, 8) * S.eta * S.eps2)
    assert sp.simplify(floor - 2 * THEORY_FLOOR) == 0
    with pytest.raises(ValueError, match="increase in I"):
        derive_floor(inn.quantity, -S.alpha * S.I, S.eta * S.eps2)


def test_collapse_floor_numbers_arrays_symbols():
    assert bounds.collapse_floor(0.5, 0.3, 0.01) == pytest.approx(0.5 * 0.3 * 0.01 / (16 * 1.25), rel=1e-14)
    got = bounds.collapse_floor(np.array([0.0, 1.0]), 0.3, 0.01)
    assert np.allclose(got, [0.0, 0.3 * 0.01 / 16])
    assert sp.simplify(bounds.collapse_floor(S.alpha, S.eta_floor, S.eps_floor) - THEORY_FLOOR) == 0
    with pytest.raises(ValueError, match="^eta_floor must be in"):
        bounds.collapse_floor(0.5, 1.3, 0.01)
    with pytest.raises(ValueError, match="^alpha must be in"):
        bounds.collapse_floor(-0.5, 0.3, 0.01)


MUTATED = bounds.mutated("prop4.1", sp.Rational(1, 16), sp.Rational(1, 15))  # a floor 16/15 times higher


def extreme_sequence(alpha, m, D0, steps=3000):
    """The smallest drift the innovation inequality allows: D_{i+1} = max(0, m - (1-alpha)^2 D_i)."""
    D = [D0]
    for _ in range(steps):
        D.append(max(0.0, m - (1 - alpha) ** 2 * D[-1]))
    return np.array(D)


@given(alpha=st.floats(0.05, 1), eta=st.floats(0.01, 1), eps=st.floats(1e-4, 1), D0=st.floats(0, 1))
def test_floor_is_tight_and_a_larger_floor_fails(alpha, eta, eps, D0):
    m = alpha / 2 * (eta * eps / 8)  # innovation lower bound with I >= eta eps / 8
    D = extreme_sequence(alpha, m, D0)
    limsup = D[-200:].max()
    floor = float(bounds.collapse_floor(alpha, eta, eps))
    assert limsup >= floor * (1 - 1e-9)
    assert not MUTATED.holds(limsup, alpha=alpha, eta_floor=eta, eps_floor=eps)
