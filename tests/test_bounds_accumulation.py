"""The accumulation engine against the brute recursion D_{n+1} = (1-alpha)^2 D_n + eps2_n."""
import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import bounds
from bounds import symbols as S
from bounds.recursion import closed_form, limits, stable_constant_error_form, solve_recursion


def brute(alpha, eps2_seq, D0=0.0):
    """Plain Python loop over the recursion: D_0..D_G."""
    out = [float(D0)]
    for e in eps2_seq:
        out.append((1 - alpha) ** 2 * out[-1] + e)
    return out


unit = st.one_of(st.sampled_from([0.0, 1.0, 1e-9, 0.5]), st.floats(0, 1))


@given(alpha=unit, eps2=st.floats(0, 10), N=st.integers(0, 300), D0=st.floats(0, 5))
def test_constant_closed_form_matches_recursion(alpha, eps2, N, D0):
    expected = brute(alpha, [eps2] * N, D0)[-1]
    got = bounds.accumulated(alpha, eps2, N, D0)
    assert float(got) == pytest.approx(expected, rel=1e-10, abs=1e-300)


def test_alpha_zero_and_one_are_exact():
    assert bounds.accumulated(0.0, 1e-3, 10**6, 2.0) == 2.0 + 10**6 * 1e-3
    assert bounds.accumulated(1.0, 1e-3, 7, 2.0) == 1e-3
    assert bounds.accumulated(1.0, 1e-3, 0, 2.0) == 2.0


@pytest.mark.parametrize("alpha", [1e-15, 1e-12, 1e-8, 1e-4])
def test_tiny_alpha_stable_against_high_precision(alpha):
    N, eps2 = 10**6, 0.3
    mpmath.mp.dps = 50
    a = mpmath.mpf(alpha)
    exact = eps2 * (1 - (1 - a) ** (2 * N)) / (a * (2 - a))
    got = bounds.accumulated(alpha, eps2, N)
    assert abs(got - float(exact)) <= 1e-12 * float(exact)
    naive = eps2 * (1 - (1 - alpha) ** (2 * N)) / (alpha * (2 - alpha))  # the textbook formula in float64
    assert alpha > 1e-8 or abs(naive - float(exact)) > 1e-9 * float(exact)  # control: it really loses digits


def test_no_overflow_for_a_million_generations():
    alpha = np.array([0.0, 1e-300, 1e-12, 0.3, 1.0])
    got = bounds.accumulated(alpha, 2.0, 10**6, 1.0)
    assert np.all(np.isfinite(got))
    assert got[0] == 1.0 + 2e6 and got[-1] == 2.0
    assert got[3] == pytest.approx(2.0 / (0.3 * 1.7), rel=1e-12)


def test_arrays_broadcast():
    N = np.arange(6)
    got = bounds.accumulated(np.array([[0.1], [0.5]]), 1e-3, N)
    assert got.shape == (2, 6)
    assert np.allclose(got[1], brute(0.5, [1e-3] * 5), rtol=1e-12)


def test_symbolic_constant_solution_satisfies_recursion():
    D_N = closed_form(S.eps2)
    step = D_N.subs(S.N, S.N + 1) - (1 - S.alpha) ** 2 * D_N - S.eps2
    assert sp.simplify(step) == 0
    assert sp.simplify(D_N.subs(S.N, 0) - S.D0) == 0


def test_geometric_schedule_solution_satisfies_recursion_and_brute():
    sched = S.eps2 * S.r**S.n
    D_N = closed_form(sched)
    step = D_N.subs(S.N, S.N + 1) - (1 - S.alpha) ** 2 * D_N - sched.subs(S.n, S.N)
    assert sp.simplify(step) == 0
    got = bounds.accumulated(0.3, sp.Rational(1, 5) * sp.Rational(9, 10) ** S.n, 12, 0.5)
    assert float(got) == pytest.approx(brute(0.3, [0.2 * 0.9**k for k in range(12)], 0.5)[-1], rel=1e-12)


@pytest.mark.parametrize("power", [sp.Rational(1, 2), 2])
def test_power_law_schedule_against_brute(power):
    got = bounds.accumulated(0.2, (S.n + 1) ** (-power), 40, 0.1)
    assert float(got) == pytest.approx(brute(0.2, [(k + 1) ** -float(power) for k in range(40)], 0.1)[-1], rel=1e-10)
    symbolic = bounds.accumulated(sp.Rational(1, 5), (S.n + 1) ** (-power), 6)
    assert float(symbolic) == pytest.approx(brute(0.2, [(k + 1) ** -float(power) for k in range(6)])[-1], rel=1e-12)


def test_symbolic_alpha_zero_is_solved_directly():
    assert sp.simplify(solve_recursion(S.eps2, 0) - (S.D0 + S.N * S.eps2)) == 0
    assert sp.simplify(bounds.accumulated(0, S.eps2 * S.r**S.n, S.N) - S.eps2 * (S.r**S.N - 1) / (S.r - 1)) == 0


def test_symbolic_alpha_one_keeps_the_initial_value():
    got = bounds.accumulated(1, S.eps2, S.N, 2)
    assert got.subs(S.N, 0) == 2 and got.subs(S.N, 7) == S.eps2
    assert bounds.accumulated(1, S.eps2 * S.r**S.n, 3) == S.eps2 * S.r**2


def test_limits_match_theory():
    lim = limits()
    assert sp.simplify(lim["N->oo"] - S.eps2 / (S.alpha * (2 - S.alpha))) == 0
    assert sp.simplify(lim["alpha->0"] - (S.D0 + S.N * S.eps2)) == 0
    assert sp.simplify(lim["alpha->1"] - S.eps2) == 0


def test_stable_form_equals_rsolve_form():
    general = stable_constant_error_form().args[-1][0].doit()
    rewritten = general.replace(lambda e: e.func.__name__ == "expm1", lambda e: sp.exp(e.args[0]) - 1)
    rewritten = rewritten.replace(lambda e: e.func.__name__ == "log1p", lambda e: sp.log(1 + e.args[0]))
    # (alpha - 1)^(2N) = exp(2N log(1 - alpha)) for integer N
    rsolve_form = closed_form(S.eps2).subs((S.alpha - 1) ** (2 * S.N), sp.exp(2 * S.N * sp.log(1 - S.alpha)))
    diff = sp.simplify(rewritten - rsolve_form)
    assert diff == 0


@given(alpha=unit, seed=st.integers(0, 10**6), G=st.integers(1, 700))
def test_drift_path_matches_loop(alpha, seed, G):
    e = np.random.default_rng(seed).exponential(size=G)
    got = bounds.drift_path(e, alpha, 0.7)
    assert np.allclose(got, brute(alpha, e, 0.7), rtol=1e-12, atol=0)


def test_drift_path_batches_and_schedules():
    rng = np.random.default_rng(1)
    e = rng.exponential(size=(3, 50))
    alphas = np.array([[0.0], [0.3], [1.0]])
    got = bounds.drift_path(e, alphas, D0=np.array([1.0, 2.0, 3.0]))
    for b in range(3):
        assert np.allclose(got[b], brute(alphas[b, 0], e[b], [1.0, 2.0, 3.0][b]), rtol=1e-12)
    schedule = rng.uniform(size=50)
    got = bounds.drift_path(e[0], schedule)
    expected = [0.0]
    for a, x in zip(schedule, e[0]):
        expected.append((1 - a) ** 2 * expected[-1] + x)
    assert np.allclose(got, expected, rtol=1e-12)


def test_contributions_are_single_error_runs():
    rng = np.random.default_rng(2)
    e, alpha = rng.exponential(size=8), 0.35
    M = bounds.contributions(alpha, e)
    for i in range(8):  # by linearity: run the recursion with only eps2_i switched on
        only = np.where(np.arange(8) == i, e, 0.0)
        assert np.allclose(M[:, i], brute(alpha, only)[1:], rtol=1e-12)
    assert np.allclose(M.sum(axis=1) + (1 - alpha) ** (2 * np.arange(1, 9)) * 0.5,
                       bounds.drift_path(e, alpha, 0.5)[1:], rtol=1e-12)


@pytest.mark.parametrize("alpha", [1e-6, 0.01, 0.3, 0.9])
def test_memory_horizon_is_e_folding(alpha):
    m = bounds.memory_horizon(alpha)
    assert (1 - alpha) ** (2 * m) == pytest.approx(math.exp(-1), rel=1e-9)
    assert bounds.memory_horizon(0.0) == np.inf and bounds.memory_horizon(1.0) == 0.0


def test_memory_horizon_small_alpha_limit():
    h = bounds.memory_horizon(S.alpha)
    assert sp.limit(2 * S.alpha * h, S.alpha, 0, "+") == 1


def test_steady_state_is_the_recursion_limit():
    assert bounds.steady_state(0.2, 1e-3) == pytest.approx(brute(0.2, [1e-3] * 2000)[-1], rel=1e-12)
    assert bounds.steady_state(0.0, 1e-3) == np.inf and bounds.steady_state(0.0, 0.0) == 0.0


def test_drift_envelope_brackets_and_control():
    e = np.random.default_rng(3).exponential(size=30) * 1e-3
    D = np.array(brute(0.4, e))
    lo, hi = bounds.drift_envelope(e, 0.4, c1=0.5, c2=2.0, C_bias=1e-6)
    assert np.all(lo <= D) and np.all(D <= hi)
    _, hi_false = bounds.drift_envelope(e, 0.4, c2=0.9)
    assert np.any(D[1:] > hi_false[1:])  # control: a constant below 1 cannot bound the recursion


@pytest.mark.parametrize("call, name", [
    (lambda: bounds.accumulated(1.5, 1e-3, 3), "alpha"),
    (lambda: bounds.accumulated(-0.1, 1e-3, 3), "alpha"),
    (lambda: bounds.accumulated(0.5, -1e-3, 3), "eps2"),
    (lambda: bounds.accumulated(0.5, 1e-3, -1), "N"),
    (lambda: bounds.accumulated(0.5, 1e-3, 2.5), "N"),
    (lambda: bounds.accumulated(0.5, 1e-3, 3, D0=-1), "D0"),
    (lambda: bounds.drift_path([1.0, -1.0], 0.5), "eps2"),
    (lambda: bounds.drift_path([1.0], 2.0), "alpha"),
    (lambda: bounds.memory_horizon(1.1), "alpha"),
    (lambda: bounds.contributions(0.5, [[1.0]]), "eps2"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        call()
