"""Issue 19 point 5: the notebook traps of `bounds` (each test failed before the fix).

Expected values come from independent computations (a plain loop over the recursion, numeric sums),
never from the code under test.
"""
import numpy as np
import pytest
import sympy as sp

import bounds
from bounds import symbols as S


def _loop_R(alpha, eps2, D0, N):
    """R_N = sum_{i<=N} (1-alpha)^{2(N-i)} eps2_i + (1-alpha)^{2(N+1)} D0, by a plain loop."""
    return sum((1 - alpha) ** (2 * (N - i)) * eps2[i] for i in range(N + 1)) + (1 - alpha) ** (2 * (N + 1)) * D0


def test_thm42_sums_over_a_given_eps2_sequence():
    r = bounds.catalog()["thm4.2"]
    eps2 = np.array([0.01, 0.02, 0.05, 0.001])
    for N in range(4):
        want = _loop_R(0.1, eps2, 0.3, N)
        got = r.upper_fn(alpha=0.1, eps2=eps2, N=N, D=0.3, c2=1.0, C_bias=0.0)
        assert np.ndim(got) == 0 and float(got) == pytest.approx(want, rel=1e-12)
        low = r.lower_fn(alpha=0.1, eps2=eps2, N=N, D=0.3, c1=0.5, C_bias=0.01)
        assert float(low) == pytest.approx(0.5 * want - 0.01, rel=1e-12)
    # per-run sequences (batch on the leading axis) and an array of N
    batch = np.stack([eps2, 2 * eps2])
    got = r.upper_fn(alpha=0.1, eps2=batch, N=np.array([[1], [3]]), D=0.0, c2=1.0, C_bias=0.0)
    assert got.shape == (2, 2)
    assert got[0, 0] == pytest.approx(_loop_R(0.1, eps2, 0.0, 1)) and got[1, 1] == pytest.approx(_loop_R(0.1, 2 * eps2, 0.0, 3))
    # holds: the measured D_{N+1} of the exact recursion is bracketed; a 0.99 constant fails
    D = 0.3
    for i in range(4):
        D = 0.81 * D + eps2[i]
    assert r.holds(D, alpha=0.1, eps2=eps2, N=3, D=0.3, c1=1.0, c2=1.0, C_bias=0.0)
    assert not r.holds(D, alpha=0.1, eps2=eps2, N=3, D=0.3, c1=1.0, c2=0.99, C_bias=0.0)


def test_thm42_sequence_too_short_is_refused_naming_eps2():
    r = bounds.catalog()["thm4.2"]
    with pytest.raises(ValueError, match="eps2"):
        r.upper_fn(alpha=0.1, eps2=np.array([0.01, 0.02]), N=2, D=0.0, c2=1.0, C_bias=0.0)


def test_constant_eps2_still_uses_the_closed_form():
    r = bounds.catalog()["thm4.2"]
    got = r.upper_fn(alpha=0.1, eps2=0.01, N=np.arange(4), D=0.3, c2=1.0, C_bias=0.0)
    want = [_loop_R(0.1, [0.01] * 4, 0.3, N) for N in range(4)]
    assert np.allclose(got, want, rtol=1e-12)


def test_w2_ball_sums_over_per_round_errors():
    r = bounds.catalog()["limit.w2"]
    alpha, t0, delta, w0 = 0.3, 0.05, np.array([0.01, 0.03, 0.0, 0.02]), 0.7
    kappa = np.sqrt(1 - alpha) * np.exp(-t0 / 2)
    e = w0
    for N in range(1, 5):
        e = kappa * e + delta[N - 1]
        assert float(r.upper_fn(alpha=alpha, t0=t0, delta_w2=delta, w2_0=w0, N=N)) == pytest.approx(e, rel=1e-12)


def test_regime_accepts_the_library_symbols():
    reg = bounds.regime(S.alpha, S.eps2)
    assert reg.name == "persistent_drift" and "alpha > 0" in reg.reason
    assert bounds.regime(S.alpha, S.eps2 / (S.n + 1) ** 2, D0=S.D0).name == "geometric_forgetting"
    assert bounds.regime(0.0, S.eps2 * 0).name == "no_drift"


def test_public_functions_accept_symbols_and_return_symbolic_results():
    a, e = S.alpha, S.eps2
    path = bounds.drift_path([e, e, 2 * e], a)
    assert len(path) == 4 and sp.simplify(path[2] - (e * (1 - a) ** 2 + e)) == 0
    M = bounds.contributions(a, [e, 2 * e])
    assert sp.simplify(M[1, 0] - (1 - a) ** 2 * e) == 0 and M[0, 1] == 0
    assert sp.simplify(bounds.steady_state(a, e) - e / (a * (2 - a))) == 0
    assert sp.simplify(bounds.accumulated(a, e, 3) - e * (1 + (1 - a) ** 2 + (1 - a) ** 4)) == 0
    floor = bounds.collapse_floor(a, S.eta_floor, S.eps_floor)
    assert floor.free_symbols == {a, S.eta_floor, S.eps_floor}
    lower, upper = bounds.drift_envelope([e, e], a, c2=S.c2)
    assert sp.simplify(upper[2] - S.c2 * (e * (1 - a) ** 2 + e)) == 0
    # numbers given as SymPy numbers are numbers
    assert float(bounds.steady_state(sp.Rational(1, 2), sp.Rational(3, 4))) == pytest.approx(1.0)


def test_unfinished_schedule_closed_form_falls_back_to_numeric():
    schedule = sp.Rational(1, 10) / (S.n + 1) ** 2
    out = bounds.accumulated(S.alpha, schedule, S.N)
    assert "numeric" in bounds.numeric_fallback_note(out)
    f = sp.lambdify((S.alpha, S.N), out)  # plain lambdify: no extra modules needed
    for alpha, N in [(0.1, 5), (0.5, 1), (0.0, 7), (1.0, 3)]:
        want = sum((1 - alpha) ** (2 * (N - 1 - k)) * 0.1 / (k + 1) ** 2 for k in range(N))
        assert float(f(alpha, N)) == pytest.approx(want, rel=1e-12)
    # vectorised over alpha and N
    got = f(np.array([0.1, 0.5]), np.array([5, 1]))
    assert np.allclose(got, [sum(0.81 ** (4 - k) * 0.1 / (k + 1) ** 2 for k in range(5)), 0.1])
    # the limit N -> oo: summable errors with alpha > 0 are forgotten (D_N -> 0), evaluated numerically
    lim = bounds.schedule_limit(out, S.N, alpha=0.3)
    assert lim.numeric and abs(lim.value) < 1e-3
    lim0 = bounds.schedule_limit(out, S.N, alpha=0.0)   # alpha = 0: D_N -> sum eps2 = pi^2/60
    assert lim0.numeric and lim0.value == pytest.approx(np.pi ** 2 / 60, rel=1e-3)


def test_results_render_as_latex_in_a_notebook():
    r = bounds.catalog()["thm4.2"]
    text = r._repr_latex_()
    assert text.startswith("$") and text.endswith("$") and r"\sum" in text
    assert bounds.catalog()["prop3.1"]._repr_latex_() == f"${bounds.catalog()['prop3.1'].latex()}$"


def test_which_results_sum_over_generations():
    """The audit of the catalog for the array trap: the results whose closed form holds a
    per-generation quantity constant are exactly these, and each sums over a given sequence."""
    summed = {rid: r.generation_sum.sequences for rid, r in bounds.catalog().items() if r.generation_sum is not None}
    assert summed == {"thm4.2": ("eps2",), "limit.w2": ("delta_w2",), "tv.accumulation": ("epshat2", "tv_bias"),
                      "hellinger.accumulation": ("epshat2", "hel_bias")}
    # the torch backend refuses a sequence instead of broadcasting it
    torch = pytest.importorskip("torch")
    r = bounds.catalog()["thm4.2"]
    with pytest.raises(ValueError, match="eps2 given per generation needs the numpy backend"):
        r.function("upper", backend="torch")(alpha=torch.tensor(0.1), eps2=torch.tensor([0.1, 0.2]), N=1, D=0.0,
                                             c2=1.0, C_bias=0.0)


def test_result_functions_and_finite_schedules_take_symbols():
    a = S.alpha
    up = bounds.catalog()["thm4.2"].upper_fn(alpha=a, eps2=S.eps2, N=1, D=0, c2=1, C_bias=0)
    for value in (0, sp.Rational(3, 10), sp.Rational(1, 2)):   # the stable form (expm1, log1p) at a few alphas
        assert float((up - S.eps2 * (1 + (1 - a) ** 2)).subs({a: value, S.eps2: 2}).doit().evalf()) == pytest.approx(0, abs=1e-12)
    got = bounds.accumulated(a, sp.Rational(1, 10) / (S.n + 1) ** 2, 3)   # three generations: the exact sum
    want = sp.Rational(1, 10) * ((1 - a) ** 4 + (1 - a) ** 2 / 4 + sp.Rational(1, 9))
    assert sp.simplify(got - want) == 0 and not bounds.numeric_fallback_note(got)
    m = bounds.limit_multipliers(a, S.t0, 1)   # SymPy out; at alpha = 0.3, t0 = 0.5 against the formula of §5
    want = 0.3 * np.exp(-0.25) / (1 - 0.7 * np.exp(-0.25))
    assert float(m.subs({a: sp.Rational(3, 10), S.t0: sp.Rational(1, 2)}).doit().evalf()) == pytest.approx(want, rel=1e-12)
