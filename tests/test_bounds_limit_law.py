"""The limit law of THEORY.md §5 (reconstructed) in the catalog: derived forms against THEORY.md as
typed there, against brute-force iteration of the recursions, and against Gauss-Hermite quadrature."""
import math

import numpy as np
import pytest
import sympy as sp
import torch
from numpy.polynomial import hermite_e as He

import bounds
from bounds import limit_law as L
from bounds import symbols as S
from bounds.limit_catalog import multiplier_control

IDS = ["limit.hermite_step", "limit.multiplier", "limit.mode_rate", "limit.rate", "limit.rate.hermite",
       "limit.variance", "limit.variance.fixed", "limit.annealed", "limit.annealed.geometric",
       "limit.annealed.alpha0", "limit.annealed.return", "limit.w2", "limit.w2.radius"]


def test_entries_are_in_the_catalog_and_marked_reconstructed():
    cat = bounds.catalog()
    for rid in IDS:
        r = cat[rid]
        assert r.status == "reconstructed" and "reconstructed" in r.source and "2606.13796" in r.source
        assert set(r.params) <= set(S.BY_NAME) and r.latex()
    assert cat["limit.annealed.return"].kind == "implication"


def test_the_issue_numbers_come_out_of_the_derivation():
    got = bounds.limit_multipliers(0.1, 0.02, [1, 2, 4, 8])
    assert np.round(got, 4).tolist() == [0.9087, 0.8319, 0.7102, 0.5456]
    got = bounds.limit_multipliers(0.5, 0.02, [1, 2, 4, 8])
    assert np.round(got, 4).tolist() == [0.9803, 0.9612, 0.9245, 0.8572]
    assert round(float(bounds.variance_fixed_point(0.1, 0.02, 0.36)), 4) == 0.4676


def test_forms_equal_theory_as_typed():
    """THEORY.md §5 transcribed independently of the derivation."""
    cat = bounds.catalog()
    a, t0, n, s2, v = S.alpha, S.t0, S.mode, S.s2, S.v
    u = sp.exp(-n * t0 / 2)
    expected = {
        ("limit.hermite_step", "expression"): u,
        ("limit.multiplier", "expression"): a * u / (1 - (1 - a) * u),
        ("limit.mode_rate", "expression"): (1 - a) * u,
        ("limit.rate", "upper"): 1 - a,
        ("limit.variance", "expression"): sp.exp(-t0) * (a * s2 + (1 - a) * v) + 1 - sp.exp(-t0),
        ("limit.variance.fixed", "expression"): (a * s2 * sp.exp(-t0) + 1 - sp.exp(-t0)) / (1 - (1 - a) * sp.exp(-t0)),
        ("limit.annealed", "expression"): u * (1 - a) * S.dev + u - 1,   # THEORY: c^{i+1}-c = u(1-a)(c^i-c) + (u-1)c
    }
    for (rid, part), expr in expected.items():
        got = getattr(cat[rid], part)
        if isinstance(got, sp.Piecewise):
            got = got.args[-1][0]
        got = got.rewrite(sp.exp)
        assert sp.simplify(got - expr) == 0, (rid, part, got)


def test_multiplier_is_the_limit_of_the_brute_recursion():
    rng = np.random.default_rng(0)
    for _ in range(20):
        alpha, t0, n = rng.uniform(0.05, 1), rng.uniform(0, 0.5), int(rng.integers(0, 12))
        u, c_d, c = math.exp(-n * t0 / 2), 1.7, -0.4
        for _ in range(3000):
            c = u * (alpha * c_d + (1 - alpha) * c)
        assert float(bounds.limit_multipliers(alpha, t0, n)) == pytest.approx(c / c_d, rel=1e-12)
        ratio = bounds.catalog()["limit.mode_rate"].expression_fn(alpha=alpha, t0=t0, mode=n)
        assert float(ratio) == pytest.approx((1 - alpha) * u, rel=1e-14)


def test_multiplier_edges_are_numbers_not_nan():
    assert bounds.limit_multipliers(0.0, 0.02, 3) == 0.0      # alpha = 0: the limit is N(0, 1)
    assert bounds.limit_multipliers(0.0, 0.0, 3) == 1.0       # nothing moves
    assert bounds.limit_multipliers(0.3, 0.02, 0) == 1.0      # the mass
    assert bounds.limit_multipliers(1.0, 0.02, 2) == pytest.approx(math.exp(-0.02))
    tiny = bounds.limit_multipliers(1e-6, 1e-9, 1)            # no cancellation at small t0
    assert tiny == pytest.approx(1e-6 / (1e-6 + 0.5e-9 * (1 - 1e-6)), rel=1e-9)


def test_hermite_step_against_gauss_hermite_quadrature():
    """E He_n(a x + sqrt(1 - a^2) Z) = a^n He_n(x): the OU kernel's action, by numpy quadrature."""
    z, w = He.hermegauss(60)
    w = w / w.sum()
    t = 0.37
    a = math.exp(-t / 2)
    for n in range(9):
        coef = np.zeros(n + 1)
        coef[n] = 1
        for x in (-1.3, 0.2, 2.5):
            lhs = float(np.sum(w * He.hermeval(a * x + math.sqrt(1 - a * a) * z, coef)))
            rhs = float(bounds.hermite_multiplier(t, n)) * float(He.hermeval(x, coef))
            assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-12)


def test_variance_recursion_brute_and_as_mode_two():
    alpha, t0, s2, v = 0.1, 0.02, 0.36, 1.0
    r = bounds.catalog()["limit.variance"]
    for _ in range(5000):
        v = float(r.expression_fn(alpha=alpha, t0=t0, s2=s2, v=v))
    assert v == pytest.approx(float(bounds.variance_fixed_point(alpha, t0, s2)), rel=1e-12)
    # v - 1 is the mode-2 coefficient (up to sqrt(2)): v_inf - 1 = m_2 (s^2 - 1)
    assert v - 1 == pytest.approx(float(bounds.limit_multipliers(alpha, t0, 2)) * (s2 - 1), rel=1e-12)
    with pytest.raises(ValueError, match="alpha and t0"):
        bounds.variance_fixed_point(0.0, 0.0, 0.36)


def _annealed_brute(alpha, t0, rho, n, N):
    d = 0.0
    for i in range(N):
        u = math.exp(-n * t0 * rho**i / 2)
        d = u * ((1 - alpha) * d + 1) - 1
    return d


@pytest.mark.parametrize("alpha,rho", [(0.1, 0.8), (0.5, 0.5), (0.1, 0.9), (0.3, 1.0)])
def test_geometric_annealing_bound_holds_and_is_nearly_tight(alpha, rho):
    t0, n = 0.02, 4
    for N in (1, 5, 20, 60):
        exact = abs(_annealed_brute(alpha, t0, rho, n, N))
        bound = float(bounds.annealed_deviation_bound(alpha, t0, rho, n, N))
        assert exact <= bound * (1 + 1e-12)
        assert exact >= 0.75 * bound or bound < 1e-12   # 1 - e^{-x} ~ x at small t0: the halved coefficient must fail
    r = bounds.catalog()["limit.annealed.geometric"].substitute(sp.Rational(1, 2), sp.Rational(1, 4))
    assert abs(_annealed_brute(alpha, t0, rho, n, 20)) > float(
        r.upper_fn(alpha=alpha, t0=t0, rho=rho, mode=n, N=20, dev0=0.0))


def test_geometric_bound_limits_and_resonant_branch():
    lim = L.annealed()["bound_limits"]
    assert lim["rho<1"] == 0
    assert sp.simplify(lim["rho=1"] - S.mode * S.t0 / (2 * S.alpha)) == 0
    alpha = 0.2   # rho = 1 - alpha: the branch rsolve cannot give, against the brute comparison recursion
    b = 0.0
    for i in range(30):
        b = (1 - alpha) * b + 3 * 0.02 * (1 - alpha) ** i / 2
    assert float(bounds.annealed_deviation_bound(alpha, 0.02, 1 - alpha, 3, 30)) == pytest.approx(b, rel=1e-12)


def test_alpha_zero_never_returns():
    f = bounds.catalog()["limit.annealed.alpha0"].expression_fn
    for rho in (0.5, 1.0):
        for N in (1, 7, 40):
            assert float(f(t0=0.02, rho=rho, mode=3, N=N)) == pytest.approx(_annealed_brute(0.0, 0.02, rho, 3, N), rel=1e-12)


def test_w2_ball_against_the_brute_recursion():
    r = bounds.catalog()["limit.w2"]
    alpha, t0, delta, e = 0.3, 0.05, 0.01, 0.7
    kappa = math.sqrt(1 - alpha) * math.exp(-t0 / 2)
    for N in range(1, 40):
        e = kappa * e + delta
        assert float(r.upper_fn(alpha=alpha, t0=t0, delta_w2=delta, w2_0=0.7, N=N)) == pytest.approx(e, rel=1e-12)
    assert float(bounds.w2_ball_radius(alpha, t0, delta)) == pytest.approx(delta / (1 - kappa), rel=1e-12)
    assert bounds.w2_ball_radius(0.0, 0.0, 0.01) == math.inf and bounds.w2_ball_radius(0.0, 0.0, 0.0) == 0.0


def test_control_multiplier_is_a_different_statement():
    r = bounds.catalog()["limit.multiplier"]
    bad = multiplier_control(r)
    assert "e^{-n t0}" in bad.mutation
    assert np.round(bad.expression_fn(alpha=0.1, t0=0.02, mode=1), 4) == 0.8319   # mode 2's value


def test_torch_backend_matches_numpy():
    for rid in ("limit.multiplier", "limit.annealed.geometric", "limit.variance.fixed"):
        r = bounds.catalog()[rid]
        part = "upper" if r.upper is not None else "expression"
        params = dict(alpha=np.array([0.1, 0.5]), t0=0.02, mode=np.array([1.0, 8.0]), rho=0.8, N=np.array([3.0, 9.0]),
                      dev0=0.0, s2=0.36)
        want = r.function(part)(**params)
        got = r.function(part, backend="torch")(**{k: torch.as_tensor(v, dtype=torch.float64) for k, v in params.items()})
        assert np.allclose(got.numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("kw,match", [(dict(alpha=1.5), "alpha must be in"), (dict(t0=-1.0), "t0 must be >= 0"),
                                      (dict(mode=1.5), "mode must be a non-negative integer")])
def test_bad_input_names_the_argument(kw, match):
    args = dict(alpha=0.1, t0=0.02, mode=2) | kw
    with pytest.raises(ValueError, match=match):
        bounds.limit_multipliers(**args)
    with pytest.raises(ValueError, match="rho must be in"):
        bounds.annealed_deviation_bound(0.1, 0.02, 1.5, 2, 3)
