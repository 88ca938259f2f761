"""Issue 10, cases 6-7: symbolic schedules with float coefficients, schedules SymPy cannot sum, and
regime labels that say what D_N and sum D_N do (checked against the recursion run numerically)."""
import math

import numpy as np
import pytest
import sympy as sp

import bounds
from bounds import symbols as S

n = S.n


def _numeric_drift(alpha, schedule, N, D0=0.0):
    """D_0..D_N of D_{k+1} = (1-alpha)^2 D_k + eps2_k by a plain loop (independent of bounds)."""
    f = sp.lambdify(n, schedule, "math")
    D = [D0]
    for k in range(N):
        D.append((1 - alpha) ** 2 * D[-1] + float(f(k)))
    return np.array(D)


# --- case 6 -------------------------------------------------------------------------------------------
def test_case6_float_coefficients_in_a_symbolic_schedule():
    got = bounds.accumulated(0.15, 0.05 * (n + 1) ** -2, 30)
    ref = _numeric_drift(0.15, 0.05 * (n + 1) ** -2, 30)[-1]
    assert float(got) == pytest.approx(ref, rel=1e-12)


def test_case6_float_alpha_zero_power_law():
    got = bounds.accumulated(0, 0.05 * (n + 1) ** -2, 30)
    assert float(got) == pytest.approx(sum(0.05 / (k + 1) ** 2 for k in range(30)), rel=1e-12)


def test_case6_float_geometric_schedule_gives_exact_rationals():
    got = bounds.accumulated(0.15, 0.1 * S.eps2 * 0.5 ** n, S.N)
    assert not got.atoms(sp.Float)                       # floats became rationals
    at30 = got.subs({S.N: 30, S.eps2: 1})
    assert float(at30) == pytest.approx(_numeric_drift(0.15, 0.1 * 0.5 ** n, 30)[-1], rel=1e-12)


@pytest.mark.parametrize("schedule", [
    (1 + (-1) ** n) / 2,
    sp.sin(n) ** 2,
    sp.exp(-n) * (1 + (-1) ** n),
])
def test_case6_schedules_sympy_finds_hard_agree_with_the_recursion(schedule):
    got = bounds.accumulated(0.15, schedule, 25)
    assert float(got) == pytest.approx(_numeric_drift(0.15, schedule, 25)[-1], rel=1e-10)


def test_case6_unsummable_symbolic_problem_says_so_in_one_clear_error():
    """Symbolic N with a schedule SymPy cannot sum: a ValueError naming eps2, not a SymPy crash."""
    weird = 1 / (n ** 2 + sp.exp(sp.sqrt(n)) + 1)
    try:
        out = bounds.accumulated(S.alpha, weird, S.N)
    except ValueError as exc:
        assert "eps2" in str(exc)
    else:   # or a SymPy expression (possibly an unevaluated Sum) that evaluates correctly
        val = out.subs({S.alpha: sp.Rational(3, 20), S.N: 12})
        val = val.doit() if val.has(sp.Sum) else val
        assert float(val) == pytest.approx(_numeric_drift(0.15, weird, 12)[-1], rel=1e-10)


# --- case 7 -------------------------------------------------------------------------------------------
CASES = [
    # alpha, eps2, name, D_N tends to 0?, sum D finite?
    (0.3, S.eps2 / (n + 1), "slow_forgetting", True, False),
    (0.3, 1 / sp.sqrt(n + 1), "slow_forgetting", True, False),
    (0.3, 1 / (n + 1) ** 2, "geometric_forgetting", True, True),
    (0.3, sp.Rational(1, 2) ** n, "geometric_forgetting", True, True),
    (0.3, sp.Rational(1, 1000), "persistent_drift", False, False),
    (0.3, (1 + (-1) ** n) / 2, "persistent_drift", False, False),
    (0.3, sp.sin(n) ** 2, "persistent_drift", False, False),
    (0.3, 2 ** n, "unbounded", False, False),
    (0.0, sp.Rational(1, 1000), "unbounded", False, False),
    (0.0, 1 / (n + 1), "unbounded", False, False),
    (0.0, 1 / (n + 1) ** 2, "frozen_drift", False, False),
    (0.0, 0, "no_drift", True, True),
    (0.3, 0, "no_drift", True, True),
]


@pytest.mark.parametrize("alpha, eps2, name, to_zero, summable", CASES)
def test_case7_labels_say_what_D_and_its_sum_do(alpha, eps2, name, to_zero, summable):
    r = bounds.regime(alpha, eps2)
    assert r.name == name, r
    assert r.drift and r.total
    assert ("-> 0" in r.drift or "= 0" in r.drift) == to_zero, r.drift
    assert ("< inf" in r.total or "= 0" in r.total) == summable, r.total


@pytest.mark.parametrize("alpha, eps2", [c[:2] for c in CASES])
def test_case7_labels_agree_with_the_recursion(alpha, eps2):
    """What the label claims about D_N and sum D_N, checked on 4000 generations of the recursion."""
    r = bounds.regime(alpha, eps2)
    to_zero = "-> 0" in r.drift or "= 0" in r.drift
    summable = "< inf" in r.total or "= 0" in r.total
    schedule = eps2.subs(S.eps2, 1) if isinstance(eps2, sp.Basic) else sp.sympify(eps2)
    N = 60 if schedule == 2 ** n else 4000
    D = _numeric_drift(float(alpha), schedule, N)
    if to_zero:
        assert D[-1] < 0.05 * D.max() or D.max() == 0
    else:
        assert D[-1] > 0.05 * D.max()
    if "-> inf" in r.drift:
        assert D[-1] - D[N // 2] > 0.8 * (D[N // 2] - D[N // 4]) > 0   # no levelling off (log growth: 1)
    half, full = D[: N // 2].sum(), D.sum()
    if summable:
        assert full - half <= 0.01 * full or full == 0
    else:
        assert full - half > 0.05 * half


def test_case7_agrees_with_prop41_i_and_ii():
    """Non-summable errors (premise of Prop 4.1 (i)) never get a label with a finite sum of D."""
    for eps2 in (1 / (n + 1), 1 / sp.sqrt(n + 1), sp.Rational(1, 100), (1 + (-1) ** n) / 2):
        for alpha in (0.0, 0.3, 1.0):
            assert "= inf" in bounds.regime(alpha, eps2).total
    # Prop 4.1 (ii): a persistent floor with alpha > 0 means limsup D > 0
    assert "limsup" in bounds.regime(0.3, sp.Rational(1, 100)).drift


def test_case7_initial_drift_with_no_errors():
    assert bounds.regime(0.3, 0, D0=0.5).name == "geometric_forgetting"
    r = bounds.regime(0.0, 0, D0=0.5)
    assert r.name == "frozen_drift" and "= inf" in r.total


def test_case7_array_rule_uses_the_same_labels():
    g = np.arange(40.0)
    assert bounds.regime(0.3, 1 / (g + 1)).name == "slow_forgetting"
    assert bounds.regime(0.0, np.zeros(40)).name == "no_drift"
    assert bounds.regime(0.0, (g + 1) ** -3.0).name == "frozen_drift"
    assert bounds.regime(0.3, np.exp(0.5 * g)).name == "unbounded"


def test_case7_prop41_carries_its_small_error_conditions():
    """The floor is derived through Prop 3.3b, so it inherits eps2_i <= min(1, eta_i / (8C))."""
    r = bounds.catalog()["prop4.1"]
    conds = set(r.conditions)
    assert sp.Le(S.eps2, 1) in conds
    assert sp.Le(S.eps2, S.eta / (8 * S.C)) in conds
    base = dict(alpha=0.3, eta_floor=0.4, eps_floor=0.01, eta=0.5, C=1.0)
    assert r.in_regime(eps2=0.02, **base)
    assert not r.in_regime(eps2=0.5, **base)          # 0.5 > eta / (8 C) = 0.0625
    assert not r.in_regime(eps2=0.005, **base)        # below the floor the statement says nothing
    assert "small-error" in r.statement
    # the floor itself is unchanged
    assert sp.simplify(r.lower - S.alpha * S.eta_floor * S.eps_floor / (16 * (1 + (1 - S.alpha) ** 2))) == 0
    assert math.isclose(float(bounds.collapse_floor(0.3, 0.4, 0.01)), 0.3 * 0.4 * 0.01 / (16 * 1.49))
