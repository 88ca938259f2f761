"""Regime classification: symbolic summability, numeric array rule, bad input."""
import numpy as np
import pytest
import sympy as sp

import bounds
from bounds import symbols as S

n = S.n


@pytest.mark.parametrize("alpha, eps2, name", [
    (0.0, 1e-3, "unbounded"),
    (0.3, 1e-3, "persistent_drift"),
    (0.3, 0.0, "no_drift"),
    (0.3, S.eps2 * sp.Rational(1, 2) ** n, "geometric_forgetting"),
    (0.3, S.eps2 / (n + 1) ** 2, "geometric_forgetting"),
    (0.3, S.eps2 / (n + 1), "slow_forgetting"),
    (0.3, S.eps2 / sp.sqrt(n + 1), "slow_forgetting"),
    (0.3, S.eps2 * (1 + 1 / (n + 1)), "persistent_drift"),
    (0.3, S.eps2, "persistent_drift"),
    (sp.Symbol("a", positive=True), S.eps2 / (n + 1) ** 3, "geometric_forgetting"),
])
def test_symbolic_and_scalar(alpha, eps2, name):
    r = bounds.regime(alpha, eps2)
    assert r.name == name and r.reason
    got_name, reason = r  # unpacks as a tuple
    assert got_name == name


def test_reasons_name_the_deciding_result():
    assert "Prop 4.1 (i)" in bounds.regime(0.3, S.eps2 / (n + 1)).reason
    assert "Prop 4.1 (ii)" in bounds.regime(0.3, 1e-3).reason
    assert "Thm 4.2" in bounds.regime(0.3, S.eps2 * sp.Rational(1, 3) ** n).reason


def test_array_rule():
    g = np.arange(40.0)
    assert bounds.regime(0.3, 0.5**g).name == "geometric_forgetting"
    assert bounds.regime(0.3, (g + 1) ** -2).name == "geometric_forgetting"
    assert bounds.regime(0.3, 1 / (g + 1)).name == "slow_forgetting"
    assert bounds.regime(0.3, np.full(40, 1e-3) * (1 + 0.05 * np.sin(g))).name == "persistent_drift"
    assert bounds.regime(0.3, np.where(g < 5, 1e-3, 0.0)).name == "geometric_forgetting"
    assert bounds.regime(0.0, 0.5**g).name == "frozen_drift"   # D_N -> sum eps2 < inf (issue 10 case 7)


def test_bad_input():
    with pytest.raises(ValueError, match="^alpha must be in"):
        bounds.regime(1.2, 1e-3)
    with pytest.raises(ValueError, match="^eps2 must be >= 0"):
        bounds.regime(0.3, np.array([1.0, -1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="at least 4 generations"):
        bounds.regime(0.3, np.ones(2))
