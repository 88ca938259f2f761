"""The catalog: ids, printing, numeric forms, input checks, mutation API."""
import numpy as np
import pytest
import sympy as sp
import torch

import bounds
from bounds import symbols as S

IDS = ["prop3.1", "prop3.3", "thm3.4", "lemmaF.1", "identity", "innovation", "prop4.1", "thm4.2"]
NAMES = set(S.BY_NAME)


def test_catalog_has_every_result():
    cat = bounds.catalog()
    assert set(IDS) <= set(cat)
    for rid, r in cat.items():
        assert r.id == rid and "\n" not in r.statement and r.source
        assert set(r.params) <= NAMES
        assert isinstance(r.latex(), str) and r.latex()
        assert all(isinstance(c, sp.core.relational.Relational) for c in r.conditions)


def test_statements_as_typed_in_theory():
    """Each expression equals THEORY.md §3 as written there (independent transcription)."""
    cat = bounds.catalog()
    a, e, eta = S.alpha, S.eps2, S.eta
    expected = {
        ("prop3.1", "upper"): S.epshat2 / 2,
        ("prop3.3", "lower"): sp.Rational(1, 4) * eta * e - S.C * e**2,
        ("prop3.3b", "lower"): sp.Rational(1, 8) * eta * e,
        ("thm3.4", "lower"): sp.Rational(1, 4) * eta * e - S.C * e**2,
        ("thm3.4", "upper"): 4 * e + S.c * e**2,
        ("lemmaF.1", "expression"): (1 - a) ** 2 * S.D,
        ("identity", "expression"): (1 - a) ** 2 * S.D + 2 * (1 - a) * S.cross + S.J,
        ("innovation", "lower"): a / 2 * S.I,
        ("innovation.J", "lower"): a * S.I,
        ("prop4.1", "lower"): a * S.eta_floor * S.eps_floor / (16 * (1 + (1 - a) ** 2)),
    }
    for (rid, part), expr in expected.items():
        assert sp.simplify(getattr(cat[rid], part) - expr) == 0, (rid, part)


def test_numeric_forms_and_holds_are_vectorised():
    r = bounds.catalog()["thm3.4"]
    eps2 = np.linspace(0, 1, 7)
    lo = r.lower_fn(eps2=eps2, eta=0.3, C=2.0)
    assert lo.shape == (7,) and np.allclose(lo, 0.25 * 0.3 * eps2 - 2.0 * eps2**2)
    hi = r.upper_fn(eps2=eps2, c=1.0)
    assert np.allclose(hi, 4 * eps2 + eps2**2)
    ok = r.holds(np.array([[0.0], [5.0]]), eps2=eps2, eta=0.3, C=2.0, c=1.0)
    assert ok.shape == (2, 7)
    assert ok[0].all() and not ok[1, 0] and ok[1, -1]


def test_torch_backend_matches_numpy():
    for rid, part in [("thm3.4", "upper"), ("prop4.1", "lower"), ("thm4.2", "upper")]:
        r = bounds.catalog()[rid]
        params = dict(eps2=np.array([1e-3, 0.5]), c=1.0, alpha=np.array([0.0, 0.3]), eta_floor=0.5,
                      eps_floor=0.1, c1=1.0, c2=2.0, C_bias=0.1, D=0.2, N=np.array([0.0, 5.0]))
        if rid == "thm4.2":  # an eps2 array is a sequence over generations there (summed, numpy only)
            params["eps2"] = 1e-3
        ref = r.function(part)(**params)
        tparams = {k: torch.as_tensor(v, dtype=torch.float64) for k, v in params.items()}
        got = r.function(part, backend="torch")(**tparams)
        assert torch.is_tensor(got) and np.allclose(got.numpy(), ref, rtol=1e-12)
    f = bounds.closed_form_function("torch")
    a = torch.tensor([0.0, 1e-12, 0.5, 1.0], dtype=torch.float64)
    assert np.allclose(f(a, 1e-3, 10.0, 0.0).numpy(), bounds.accumulated(a.numpy(), 1e-3, 10), rtol=1e-12)


def test_thm42_brackets_the_recursion_and_a_false_constant_fails():
    r = bounds.catalog()["thm4.2"]
    D = [0.3]
    for _ in range(12):
        D.append(0.49 * D[-1] + 1e-3)  # alpha = 0.3, eps2 = 1e-3: D_1..D_12 are D_{N+1}, N = 0..11
    N = np.arange(12)
    assert r.holds(np.array(D[1:]), alpha=0.3, eps2=1e-3, D=0.3, N=N, c1=1.0, c2=1.0, C_bias=0.0).all()
    assert not r.holds(np.array(D[1:]), alpha=0.3, eps2=1e-3, D=0.3, N=N, c1=1.0, c2=0.99, C_bias=0.0).any()


def test_equalities_use_rtol():
    r = bounds.catalog()["lemmaF.1"]
    assert r.holds(0.25 * 2.0, alpha=0.5, D=2.0)
    assert not r.holds(0.25 * 2.0 * (1 + 1e-6), alpha=0.5, D=2.0)
    assert r.holds(0.25 * 2.0 * (1 + 1e-6), alpha=0.5, D=2.0, rtol=1e-5)


def test_quantity_from_params_and_regime():
    r = bounds.catalog()["innovation"]
    assert r.holds(alpha=0.5, D=1.0, D_next=0.0, I=0.5)  # 0.25 >= 0.125
    assert not r.holds(alpha=0.5, D=1.0, D_next=0.0, I=2.0)  # 0.25 < 0.5
    assert not r.holds(alpha=0.5, D=0.0, D_next=0.1, I=2.0)
    p33 = bounds.catalog()["prop3.3b"]
    assert np.array_equal(p33.in_regime(eps2=np.array([0.01, 0.5]), eta=0.8, C=1.0), [True, False])


def test_implication_has_no_numeric_check():
    with pytest.raises(TypeError):
        bounds.catalog()["prop4.1.i"].holds(1.0)


@pytest.mark.parametrize("params, name", [
    (dict(alpha=1.5, D=1.0), "alpha"),
    (dict(alpha=0.5, D=-1.0), "D"),
])
def test_holds_rejects_bad_input(params, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        bounds.catalog()["lemmaF.1"].holds(0.1, **params)


def test_bad_eta_and_N_rejected():
    with pytest.raises(ValueError, match="^eta must be in"):
        bounds.catalog()["prop3.3"].lower_fn(eps2=0.1, eta=1.2, C=1.0)
    with pytest.raises(ValueError, match="^N must be a non-negative integer"):
        bounds.catalog()["thm4.2"].upper_fn(alpha=0.1, eps2=0.1, N=1.5, D=0.0, c2=1.0, C_bias=0.0)
    with pytest.raises(ValueError, match="needs parameter"):
        bounds.catalog()["prop3.3"].lower_fn(eps2=0.1)


def test_mutation_api():
    m = bounds.mutated("prop3.1", sp.Rational(1, 2), sp.Rational(49, 100))
    assert m.upper == sp.Rational(49, 100) * S.epshat2 and "49/100" in m.id and m.mutation
    m2 = bounds.catalog()["lemmaF.1"].with_coefficient((1 - S.alpha) ** 2, 1 - S.alpha)
    assert sp.simplify(m2.expression - (1 - S.alpha) * S.D) == 0
    m3 = bounds.catalog()["thm3.4"].with_coefficient("1/4", "26/100")
    assert sp.Rational(26, 100) * S.eta * S.eps2 in m3.lower.args
    with pytest.raises(ValueError, match="does not occur"):
        bounds.catalog()["prop3.1"].with_coefficient("1/3", "1/4")
    assert bounds.catalog()["prop3.1"].upper == S.epshat2 / 2  # the catalog itself is untouched
