"""validate.checks.check against independent answers: the tight Brownian example of Prop 3.1 (endpoint
KL from the Gaussian KL formula), the innovation recursion, and constant fitting on synthetic data."""
import numpy as np
import pytest

import bounds
from gaussian_exact import Gaussian, kl
from validate.checks.check import check, fit_constant
from validate.checks.verdict import HOLDS, VIOLATED


def _brownian_endpoint_kl(xi, T):
    """Brownian motion from 0 with drift error xi on [0, T]: KL(N(xi T, T) || N(0, T))."""
    return kl(Gaussian([xi * T], [[T]]), Gaussian([0.0], [[T]]))


@pytest.mark.parametrize("xi,T", [(0.3, 1.0), (0.05, 4.0), (1.2, 0.5)])
def test_prop31_tight_example_holds_and_49_100_control_fails(xi, T):
    measured = _brownian_endpoint_kl(xi, T)
    epshat2 = xi ** 2 * T  # int_0^T |xi|^2 ds
    (ok,) = check(bounds.catalog()["prop3.1"], measured, {"epshat2": epshat2})
    assert ok.verdict == HOLDS and ok.passed
    (control,) = check(bounds.catalog()["prop3.1"].with_coefficient("1/2", "49/100"), measured,
                       {"epshat2": epshat2}, expect=VIOLATED)
    assert control.verdict == VIOLATED and control.passed


def test_lemma_f1_exponent_control_fails_on_a_real_mixture():
    # chi2(q || data) for q = alpha data + (1-alpha) p, computed by quadrature, independent of bounds.
    from scipy.integrate import quad
    from scipy.stats import norm

    data, p, alpha = norm(0, 1), norm(0.4, 0.8), 0.3
    D = quad(lambda x: (p.pdf(x) - data.pdf(x)) ** 2 / data.pdf(x), -12, 12)[0]
    q = lambda x: alpha * data.pdf(x) + (1 - alpha) * p.pdf(x)  # noqa: E731
    chi2_q = quad(lambda x: (q(x) - data.pdf(x)) ** 2 / data.pdf(x), -12, 12)[0]
    (ok,) = check(bounds.catalog()["lemmaF.1"], chi2_q, {"alpha": alpha, "D": D}, rtol=1e-7)
    assert ok.passed
    mutated = bounds.catalog()["lemmaF.1"].substitute((1 - bounds.symbols.alpha) ** 2, 1 - bounds.symbols.alpha)
    (bad,) = check(mutated, chi2_q, {"alpha": alpha, "D": D}, expect=VIOLATED, rtol=1e-7)
    assert bad.verdict == VIOLATED


def test_fitted_constant_checked_out_of_sample():
    r = bounds.catalog()["thm3.4"]
    eps2 = np.full(10, 0.1)
    eta = np.full(10, 0.5)
    steady = np.full(10, 0.45)  # I = 4 eps2 + 5 eps2^2: c = 5 fits and keeps holding
    (_, upper) = check(r, steady, {"eps2": eps2, "eta": eta}, fit=("C", "c"))
    assert upper.constants["c"]["fitted"] == pytest.approx(5.0)
    assert upper.verdict == HOLDS and upper.constants["c"]["bounded"]
    growing = 0.4 + 0.05 * np.arange(10) ** 2  # the needed c keeps growing: out of sample it fails
    (_, up2) = check(r, growing, {"eps2": eps2, "eta": eta}, fit=("C", "c"))
    assert up2.verdict == VIOLATED and not up2.constants["c"]["bounded"]


def test_fit_constant_lower_envelope_direction():
    r = bounds.catalog()["thm4.2"]
    R = np.linspace(1.0, 2.0, 6)  # with D0 = D, eps2 = 0 and N fixed, R = (1-alpha)^{2(N+1)} D
    fitted = fit_constant(r, "lower", "c1", 0.5 * np.ones(6),
                          {"alpha": 0.0, "eps2": 0.0, "N": 0, "D": R, "C_bias": 0.0}, upto=3)
    assert fitted["direction"] == "max allowed"
    assert fitted["fitted"] == pytest.approx(0.5 / R[:3].max())


def test_an_upper_bound_at_the_distance_ceiling_is_vacuous_not_a_pass():
    """H <= 1.3 is trivially true: vacuous with the reason; H <= 0.99 on the same number binds,
    and a control whose bound reaches the ceiling cannot count as failing either."""
    from validate.checks.verdict import trivial_reason
    law = bounds.catalog()["hellinger.step"]
    assert law.ceiling == 1.0
    f = law.function("upper", validate=False)
    big, small = 4.0 * 1.3 ** 2, 4.0 * 0.99 ** 2     # epshat2 with sqrt(epshat2) / 2 = 1.3, 0.99
    params = {"epshat2": np.array([big, small])}
    bound = np.asarray(f(**params), dtype=float)
    assert bound[0] >= 1 > bound[1]
    (c,) = check(law, np.array([0.5, 0.5]), params)
    assert [r["verdict"] for r in c.rows] == ["vacuous", "holds"]
    assert c.rows[0]["reason"] == trivial_reason(1.0) and c.rows[1]["reason"] == ""
    assert not c.passed and not c.failed
    (ctl,) = check(law, np.array([0.5, 0.5]), params, expect="violated")
    assert ctl.rows[0]["verdict"] == "vacuous" and not ctl.passed
