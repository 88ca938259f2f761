"""The companion laws of THEORY.md §8 (TV, Hellinger, path Renyi) against exact examples.

Independent answers only: TV, Hellinger and KL of Gaussian mixtures by 1-D quadrature on a fine grid,
Hellinger of Gaussians in closed form, two-point and nested-uniform laws in closed form (the cases
where Pinsker and H^2 <= KL/2 are tight, built for the 0.49 controls). Nothing here imports
gaussian_exact.
"""
import math

import numpy as np
import pytest
import sympy as sp

import bounds
from bounds import symbols as S

X = np.linspace(-16.0, 24.0, 40001)
DX = X[1] - X[0]
IDS = ["tv.mix", "tv.step", "tv.accumulation", "hellinger.mix", "hellinger.step", "hellinger.accumulation",
       "renyi.dpi", "renyi.time_only"]


def mixture(components):
    """Density on X of a Gaussian mixture [(weight, mean, sd), ...]."""
    return sum(w * np.exp(-0.5 * ((X - m) / s) ** 2) / (s * math.sqrt(2 * math.pi)) for w, m, s in components)


def integral(f):
    return float(np.sum(f) * DX)


def tv(f, g):
    return 0.5 * integral(np.abs(f - g))


def hellinger(f, g):
    return math.sqrt(max(0.0, 0.5 * integral((np.sqrt(f) - np.sqrt(g)) ** 2)))


def kl(f, g):
    keep = f > 1e-300
    return integral(np.where(keep, f * (np.log(np.where(keep, f, 1.0)) - np.log(np.where(keep, g, 1.0))), 0.0))


def gaussian_hellinger(m1, s1, m2, s2):
    """H with H^2 = 1 - BC, BC = sqrt(2 s1 s2 / (s1^2 + s2^2)) exp(-(m1 - m2)^2 / (4 (s1^2 + s2^2)))."""
    bc = math.sqrt(2 * s1 * s2 / (s1**2 + s2**2)) * math.exp(-((m1 - m2) ** 2) / (4 * (s1**2 + s2**2)))
    return math.sqrt(1 - bc)


def test_catalog_has_the_companion_laws_derived_with_latex():
    cat = bounds.catalog()
    for rid in IDS:
        r = cat[rid]
        assert r.status == "derived" and "§8" in r.source
        assert r._repr_latex_().startswith("$")
    assert cat["tv.accumulation"].params == ("alpha", "epshat2", "N", "tv0", "tv_bias")
    assert cat["hellinger.accumulation"].params == ("alpha", "epshat2", "N", "hel0", "hel_bias")


def test_every_companion_proof_and_control_comes_out_as_expected():
    rows = bounds.companion_proofs()
    assert len(rows) == 16 and {r[4] for r in rows} == {"holds", "violated"}
    for name, rid, proved, note, expect in rows:
        assert rid in bounds.catalog(), name
        assert proved == (expect == "holds"), name


def test_discounts_side_by_side():
    d = bounds.discount_table(0.36)
    assert d["chi2"] == pytest.approx(0.64**2) and d["tv"] == pytest.approx(0.64) and d["hellinger"] == pytest.approx(0.8)
    sym = bounds.discount_table(S.alpha)
    assert sp.simplify(sym["hellinger"] ** 2 - sym["tv"]) == 0 and sp.simplify(sym["chi2"] - sym["tv"] ** 2) == 0
    with pytest.raises(ValueError, match="^alpha must be in"):
        bounds.discount_table(1.5)


@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.9])
def test_one_step_mixing_laws_on_gaussians(alpha):
    cat = bounds.catalog()
    data, p = mixture([(1, 0, 1)]), mixture([(1, 1.0, 0.6)])
    q = alpha * data + (1 - alpha) * p
    rho = tv(p, data)
    assert cat["tv.mix"].holds(tv(q, data), alpha=alpha, tv=rho, rtol=1e-8)
    assert not cat["tv.mix"].holds(tv(q, data), alpha=alpha, tv=rho * 1.001, rtol=1e-8)
    H = gaussian_hellinger(1.0, 0.6, 0.0, 1.0)
    assert hellinger(p, data) == pytest.approx(H, rel=1e-8)   # quadrature against the closed form
    Hq = hellinger(q, data)
    bound = float(cat["hellinger.mix"].upper_fn(alpha=alpha, hel=H))
    assert cat["hellinger.mix"].holds(Hq, alpha=alpha, hel=H) and bound < H   # holds, and discounts


def test_hellinger_mix_with_the_tv_discount_fails_on_a_far_component():
    cat = bounds.catalog()
    data, p = mixture([(1, 0, 1)]), mixture([(1, 9.0, 1)])
    q = 0.5 * data + 0.5 * p
    H, Hq = gaussian_hellinger(9.0, 1, 0, 1), hellinger(q, data)
    assert cat["hellinger.mix"].holds(Hq, alpha=0.5, hel=H)
    # disjoint laws: H(q, data)^2 = 1 - sqrt(alpha), against the bound's (1 - alpha): 0.77 of the bound
    assert Hq == pytest.approx(math.sqrt(1 - math.sqrt(0.5)), rel=1e-4)   # the overlap at 9 sd
    assert Hq > 0.75 * float(cat["hellinger.mix"].upper_fn(alpha=0.5, hel=H))
    wrong = cat["hellinger.mix"].substitute(sp.sqrt(1 - S.alpha), 1 - S.alpha)
    assert not wrong.holds(Hq, alpha=0.5, hel=H)


@pytest.mark.parametrize("delta, sd", [(0.05, 1.0), (0.3, 0.7), (2.0, 1.0)])
def test_one_step_divergence_laws_on_gaussians(delta, sd):
    """Learned output N(delta, sd^2) against the ideal N(0, sd^2): epshat2 = 2 KL = delta^2 / sd^2
    (Brownian motion with a constant drift error: the path and endpoint KL coincide)."""
    cat = bounds.catalog()
    hat, star = mixture([(1, delta, sd)]), mixture([(1, 0.0, sd)])
    epshat2 = 2 * kl(hat, star)
    assert epshat2 == pytest.approx(delta**2 / sd**2, rel=1e-7)
    t, h = tv(hat, star), gaussian_hellinger(delta, sd, 0.0, sd)
    for rid, value in (("tv.step", t), ("hellinger.step", h)):
        bound = float(cat[rid].upper_fn(epshat2=epshat2))
        assert cat[rid].holds(value, epshat2=epshat2) and value > 0.6 * bound, rid   # holds, not vacuous
    if delta > 1:  # Bretagnolle-Huber is the smaller of the two there
        assert float(cat["tv.step"].upper_fn(epshat2=epshat2)) < math.sqrt(epshat2) / 2


def test_step_constant_controls_fail_where_the_inequalities_are_tight():
    cat, bad = bounds.catalog(), bounds.companion_controls()
    d = 0.01  # two-point laws (1/2 + d, 1/2 - d) against (1/2, 1/2): Pinsker is tight as d -> 0
    kl2 = (0.5 + d) * math.log(1 + 2 * d) + (0.5 - d) * math.log(1 - 2 * d)
    assert cat["tv.step"].holds(d, epshat2=2 * kl2) and not bad["tv.step[49/100]"].holds(d, epshat2=2 * kl2)
    t = 0.01  # U[0, 1] against U[0, 1 + t]: KL = log(1 + t), H^2 = 1 - (1 + t)^{-1/2}, H^2 <= KL/2 is tight
    H = math.sqrt(1 - (1 + t) ** -0.5)
    e = 2 * math.log1p(t)
    assert cat["hellinger.step"].holds(H, epshat2=e) and not bad["hellinger.step[49/100]"].holds(H, epshat2=e)


def _chain(alpha, p0, bias, errors):
    """Exact (quadrature) chain: q_i = alpha data + (1-alpha) p^i, ideal p*^{i+1} = q_i shifted by `bias`,
    learned p^{i+1} = p*^{i+1} shifted by errors[i]. Returns rho, H (i = 0..G), epshat2, b, c (i < G)."""
    data = [(1.0, 0.0, 1.0)]
    p = list(p0)
    rho, H, eps, b, c = [], [], [], [], []
    for err in errors:
        dens_p = mixture(p)
        rho.append(tv(dens_p, mixture(data)))
        H.append(hellinger(dens_p, mixture(data)))
        q = [(alpha * w, m, s) for w, m, s in data] + [((1 - alpha) * w, m, s) for w, m, s in p]
        star = [(w, m + bias, s) for w, m, s in q]
        hat = [(w, m + err, s) for w, m, s in star]
        eps.append(2 * kl(mixture(hat), mixture(star)))
        b.append(tv(mixture(star), mixture(q)))
        c.append(hellinger(mixture(star), mixture(q)))
        p = hat
    rho.append(tv(mixture(p), mixture(data)))
    H.append(hellinger(mixture(p), mixture(data)))
    return np.array(rho), np.array(H), np.array(eps), np.array(b), np.array(c)


def test_accumulation_laws_hold_on_an_exact_chain_and_are_not_vacuous():
    cat = bounds.catalog()
    alpha = 0.3
    rho, H, eps, b, c = _chain(alpha, [(1.0, 1.5, 0.8)], 0.05, [0.2, -0.1, 0.15, 0.3, 0.0, 0.1])
    for N in range(1, len(eps) + 1):
        tv_bound = float(cat["tv.accumulation"].upper_fn(alpha=alpha, epshat2=eps[:N], tv_bias=b[:N], tv0=rho[0], N=N))
        assert cat["tv.accumulation"].holds(rho[N], alpha=alpha, epshat2=eps[:N], tv_bias=b[:N], tv0=rho[0], N=N)
        h_bound = float(cat["hellinger.accumulation"].upper_fn(alpha=alpha, epshat2=eps, hel_bias=c, hel0=H[0], N=N))
        assert H[N] <= h_bound and tv_bound < 1 and rho[N] > 0.3 * tv_bound and H[N] > 0.2 * h_bound, N


def test_accumulation_controls_fail_on_cases_built_for_them():
    cat, bad = bounds.catalog(), bounds.companion_controls()
    alpha = 0.3
    # bias dominates: p^0 = data, early-stopping shift 0.4, tiny learning error
    rho, H, eps, b, c = _chain(alpha, [(1.0, 0.0, 1.0)], 0.4, [0.01] * 4)
    kw = dict(alpha=alpha, epshat2=eps, tv_bias=b, tv0=rho[0], N=4)
    assert cat["tv.accumulation"].holds(rho[4], **kw) and not bad["tv.accumulation[no b]"].holds(rho[4], **kw)
    hk = dict(alpha=alpha, epshat2=eps, hel_bias=c, hel0=H[0], N=4)
    assert cat["hellinger.accumulation"].holds(H[4], **hk) and not bad["hellinger.accumulation[no c]"].holds(H[4], **hk)
    # no error, no bias: rho_N = (1-alpha)^N rho_0 exactly, so the chi2 discount (1-alpha)^2 is too strong
    rho, *_ = _chain(alpha, [(1.0, 2.0, 0.7)], 0.0, [0.0] * 3)
    kw = dict(alpha=alpha, epshat2=np.zeros(3), tv_bias=np.zeros(3), tv0=rho[0], N=3)
    assert rho[3] == pytest.approx(0.7**3 * rho[0], rel=1e-8)
    assert cat["tv.accumulation"].holds(rho[3], rtol=1e-8, **kw)
    assert not bad["tv.accumulation[(1-alpha)^2]"].holds(rho[3], rtol=1e-8, **kw)


@pytest.mark.parametrize("rid, bias, start", [("tv.accumulation", "tv_bias", "tv0"),
                                              ("hellinger.accumulation", "hel_bias", "hel0")])
def test_accumulation_sequences_match_a_loop_and_the_closed_form(rid, bias, start):
    r = bounds.catalog()[rid]
    w = (lambda a: 1 - a) if rid.startswith("tv") else (lambda a: math.sqrt(1 - a))
    step = (lambda e: min(math.sqrt(e) / 2, math.sqrt(1 - math.exp(-e / 2)))) if rid.startswith("tv") else (
        lambda e: math.sqrt(e) / 2)
    eps, bb = np.array([0.01, 0.2, 0.0, 3.0]), np.array([0.0, 0.01, 0.02, 0.0])
    for alpha in (0.0, 0.2, 1.0):
        x = 0.3
        for N in range(1, 5):
            x = w(alpha) * x + step(eps[N - 1]) + bb[N - 1]
            got = r.upper_fn(alpha=alpha, epshat2=eps, N=N, **{bias: bb, start: 0.3})
            assert float(got) == pytest.approx(x, rel=1e-12)
        const = r.upper_fn(alpha=alpha, epshat2=0.05, N=np.arange(5), **{bias: 0.01, start: 0.3})
        seq = [float(r.upper_fn(alpha=alpha, epshat2=np.full(4, 0.05), N=N, **{bias: 0.01, start: 0.3})) for N in range(5)]
        assert np.allclose(const, seq, rtol=1e-12)


@pytest.mark.parametrize("order", [0.5, 1.5, 2.0, 3.0])
def test_renyi_time_only_and_data_processing(order):
    cat, bad = bounds.catalog(), bounds.companion_controls()
    eps2 = 0.7
    z = np.linspace(-40, 40, 200001)
    dens = np.exp(-((z + eps2 / 2) ** 2) / (2 * eps2)) / math.sqrt(2 * math.pi * eps2)
    renyi = math.log(float(np.sum(np.exp(order * z) * dens) * (z[1] - z[0]))) / (order - 1)
    assert cat["renyi.time_only"].holds(renyi, order=order, eps2=eps2, rtol=1e-7)
    assert not bad["renyi.time_only[49/100]"].holds(renyi, order=order, eps2=eps2, rtol=1e-7)
    # Brownian motion on [0, T] with drift error xi: endpoints N(xi T, T) against N(0, T) (tight);
    # xi on [0, T/2] and -xi after: identical endpoints (strict)
    T, xi = 2.0, math.sqrt(eps2 / 2.0)
    f, g = mixture([(1, xi * T, math.sqrt(T))]), mixture([(1, 0.0, math.sqrt(T))])
    out = math.log(integral(f**order * g ** (1 - order))) / (order - 1)
    path = float(cat["renyi.time_only"].expression_fn(order=order, eps2=eps2))
    dpi = cat["renyi.dpi"]
    assert dpi.holds(out, renyi_path=path, rtol=1e-7) and out == pytest.approx(path, rel=1e-7)
    assert dpi.holds(0.0, renyi_path=path)
    assert not dpi.substitute(S.renyi_path, sp.Rational(99, 100) * S.renyi_path).holds(out, renyi_path=path)
