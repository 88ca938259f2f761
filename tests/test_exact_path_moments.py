"""Tilted path moments, path Renyi divergences, the assumption report and the proof skeleton
(THEORY.md section 8): the grid recursion against the Gaussian Riccati recursion, both against Monte
Carlo of the chain, known limits (time-only errors, a -> 1), data processing, and the skeleton's rows
with their controls."""
import math

import numpy as np
import pytest

from gaussian_exact import (AffineError, Gaussian, GridLaw, assumption_report, combine_tilted, grid_path_moments,
                            observability, path_energy, path_renyi, path_renyi_mc, proof_skeleton, reverse,
                            skeleton_from_moments, tilted_moment)

STEPS = 100
TARGET = Gaussian([0.3], [0.36])
ORDERS = (0.5, 1.5, 2.0, 3.0)


def affine():
    return AffineError(W=-0.2, xi=lambda t: np.array([0.2 * np.sin(t) + 0.1]))


@pytest.fixture(scope="module")
def grid_run():
    law = GridLaw.mixture([1.0], [[0.3]], [0.36])
    return grid_path_moments(law, affine(), ORDERS, steps=STEPS, conditional=True, laws=True)


def test_grid_and_riccati_agree_to_1e8(grid_run):
    for tm in grid_run.tilted:
        exact = tilted_moment(TARGET, affine(), tm.a, steps=STEPS)
        assert tm.exact and exact.finite
        assert abs(math.expm1(tm.log_moment - exact.log_moment)) < 1e-8, tm.a


@pytest.mark.parametrize("a", ORDERS)
def test_monte_carlo_within_4_se(a):
    est = path_renyi_mc(TARGET, affine(), a, steps=STEPS, n_paths=20000, rng=7)
    exact = tilted_moment(TARGET, affine(), a, steps=STEPS).moment
    assert est.se_honest
    assert abs(est.moment - exact) < 4 * est.moment_se


def test_monte_carlo_standard_error_is_honest():
    """z-scores of the moment estimate over seeds: mean about 0, spread about 1."""
    a = 2.0
    exact = tilted_moment(TARGET, affine(), a, steps=40).moment
    z = []
    for seed in range(40):
        est = path_renyi_mc(TARGET, affine(), a, steps=40, n_paths=2000, rng=seed)
        z.append((est.moment - exact) / est.moment_se)
    z = np.array(z)
    assert abs(z.mean()) < 4 / math.sqrt(len(z))
    assert 0.6 < z.std(ddof=1) < 1.5


def test_monte_carlo_flags_heavy_tails():
    """W = 0.6: E*[Lambda^a] = inf from a < 1.5 on (Riccati), so the weights of a = 2 have no variance."""
    e = AffineError(W=0.6, xi=[0.1])
    assert not tilted_moment(TARGET, e, 2.0, steps=STEPS).finite
    est = path_renyi_mc(TARGET, e, 2.0, steps=STEPS, n_paths=20000, rng=1)
    assert not est.se_honest and est.tail_xi >= 0.5
    light = path_renyi_mc(TARGET, affine(), 0.5, steps=STEPS, n_paths=20000, rng=1)
    assert light.se_honest and light.tail_xi < 0.5


def test_time_only_error_gives_a_eps2_over_2():
    e = AffineError(xi=lambda t: np.array([0.3 * np.cos(t) + 0.1]))
    eps2 = path_energy(TARGET, e, steps=STEPS)            # closed form, independent of the recursions
    law = GridLaw.mixture([1.0], [[0.3]], [0.36])
    grid = grid_path_moments(law, e, (0.5, 2.0, 3.0), steps=STEPS)
    for tm in grid.tilted:
        assert tm.renyi == pytest.approx(tm.a * eps2 / 2, rel=1e-8)
        assert path_renyi(TARGET, e, tm.a, steps=STEPS) == pytest.approx(tm.a * eps2 / 2, rel=1e-9)


def test_order_one_is_the_kl_limit():
    epshat2 = path_energy(TARGET, affine(), steps=STEPS, path="learned")
    assert path_renyi(TARGET, affine(), 1.0, steps=STEPS) == pytest.approx(epshat2 / 2, rel=1e-12)
    for delta in (1e-4, -1e-4):
        assert path_renyi(TARGET, affine(), 1 + delta, steps=STEPS) == pytest.approx(epshat2 / 2, rel=1e-3)
    assert tilted_moment(TARGET, affine(), 1.0, steps=STEPS).log_moment == pytest.approx(0.0, abs=1e-10)
    law = GridLaw.mixture([1.0], [[0.3]], [0.36])
    for tm in grid_path_moments(law, affine(), (1 - 1e-4, 1 + 1e-4), steps=STEPS).tilted:
        assert tm.renyi == pytest.approx(epshat2 / 2, rel=1e-3)
    est = path_renyi_mc(TARGET, affine(), 1.0, steps=STEPS, n_paths=20000, rng=3)
    assert abs(est.renyi - epshat2 / 2) < 4 * est.renyi_se


def gaussian_renyi_1d(p, q, a):
    """D_a(N(m1, s1) || N(m2, s2)) in 1-D (written here from the standard closed form)."""
    m1, s1, m2, s2 = float(p.mean[0]), float(p.var[0]), float(q.mean[0]), float(q.var[0])
    sa = a * s2 + (1 - a) * s1
    if sa <= 0:
        return math.inf
    return a * (m1 - m2) ** 2 / (2 * sa) - math.log(sa / (s1 ** (1 - a) * s2 ** a)) / (2 * (a - 1))


def grid_renyi(p, q, a):
    return math.log(p.integrate(p.density ** a * q.density ** (1 - a))) / (a - 1)


@pytest.mark.parametrize("a", (0.5, 2.0, 3.0))
def test_data_processing_and_its_control(a, grid_run):
    # a nearly fully observable error (eta ~ 0.98): the output keeps almost all of the path divergence
    e = AffineError(xi=lambda t: np.array([0.3 * np.exp(-t)]))
    assert observability(TARGET, e, steps=STEPS) > 0.95
    out = gaussian_renyi_1d(reverse(TARGET, e, steps=STEPS), reverse(TARGET, None, steps=STEPS), a)
    path = path_renyi(TARGET, e, a, steps=STEPS)
    assert out <= path
    assert out > 0.95 * path                               # control: a mutated factor is violated
    # affine error, grid laws
    grid_out = grid_renyi(grid_run.learned, grid_run.ideal, a)
    grid_path = next(tm for tm in grid_run.tilted if tm.a == a).renyi if a in ORDERS else None
    if grid_path is not None:
        assert grid_out <= grid_path
        assert grid_out == pytest.approx(gaussian_renyi_1d(reverse(TARGET, affine(), steps=STEPS),
                                                           reverse(TARGET, None, steps=STEPS), a), rel=1e-6)


def test_riccati_products():
    """A diagonal 2-D Gaussian with a diagonal error factors: log moments add over coordinates."""
    target = Gaussian([0.3, -0.5], [0.5, 0.8])
    e2 = AffineError(W=[-0.2, 0.1], xi=[0.1, -0.2])
    parts = [tilted_moment(Gaussian([m], [v]), AffineError(W=w, xi=[x]), 2.0, steps=30)
             for m, v, w, x in ((0.3, 0.5, -0.2, 0.1), (-0.5, 0.8, 0.1, -0.2))]
    joint = tilted_moment(target, e2, 2.0, steps=30)
    assert combine_tilted(parts).log_moment == pytest.approx(joint.log_moment, rel=1e-10)
    assert combine_tilted([(parts[0], 2)]).log_moment == pytest.approx(2 * parts[0].log_moment)


@pytest.mark.slow
def test_2d_grid_matches_riccati():
    target = Gaussian([0.3, -0.5], [0.5, 0.8])
    e2 = AffineError(W=[-0.2, 0.1], xi=[0.1, -0.2])
    law = GridLaw.mixture([1.0], [[0.3, -0.5]], [[0.5, 0.8]], points=64, bounds=(-9, 9))
    grid = grid_path_moments(law, e2, (0.5, 2.0), steps=30)
    for tm in grid.tilted:
        exact = tilted_moment(target, e2, tm.a, steps=30)
        assert tm.exact and abs(math.expm1(tm.log_moment - exact.log_moment)) < 1e-7


def test_narrow_box_gives_a_flagged_lower_bound():
    """W = 0.3, a = 1.75 (finite, close to a* ~ 1.797): the tilted field is wider than a +-8 box."""
    e = AffineError(W=0.3, xi=[0.1])
    law = GridLaw.mixture([1.0], [[0.3]], [0.36], bounds=(-8, 8))
    tm = grid_path_moments(law, e, (1.75,), steps=STEPS).tilted[0]
    exact = tilted_moment(TARGET, e, 1.75, steps=STEPS)
    assert exact.finite and not tm.exact and not tm.finite and tm.log_moment < exact.log_moment
    with pytest.raises(ValueError, match="lower bound"):
        tm.renyi


def test_riccati_full_matrix_time_only_limit():
    target = Gaussian([0.3, -1.0], [[1.0, 0.3], [0.3, 0.5]])
    e = AffineError(xi=lambda t: np.array([0.2, -0.1]) * np.cos(t))
    eps2 = path_energy(target, e, steps=50)
    assert path_renyi(target, e, 2.5, steps=50) == pytest.approx(2.5 * eps2 / 2, rel=1e-9)


def test_divergence_has_a_reason():
    e = AffineError(W=0.6, xi=[0.1])
    tm = tilted_moment(TARGET, e, 3.0, steps=STEPS)
    assert tm.log_moment == math.inf and "positive definite" in tm.reason
    assert path_renyi(TARGET, e, 3.0, steps=STEPS) == math.inf


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="a must"):
        tilted_moment(TARGET, affine(), 0.0, steps=10)
    with pytest.raises(ValueError, match="steps"):
        path_renyi(TARGET, affine(), 2.0)
    with pytest.raises(ValueError, match="n_paths"):
        path_renyi_mc(TARGET, affine(), 2.0, steps=10, n_paths=5)


def test_assumption_report_gaussian_and_grid():
    e = AffineError(W=-0.2, xi=[0.3])
    r = assumption_report(TARGET, e, steps=STEPS)
    assert r.a1 and r.a2 and r.a3 and r.largest_finite_a > 2
    assert not tilted_moment(TARGET, e, r.smallest_infinite_a, steps=STEPS).finite
    assert tilted_moment(TARGET, e, r.largest_finite_a, steps=STEPS).finite
    law = GridLaw.mixture([1.0], [[0.3]], [0.36], bounds=(-12, 12))
    g = assumption_report(law, e, steps=STEPS)
    assert g.a1 and g.a2 and g.a3 and g.qv_moment_ratios[2] > 1
    assert g.log_novikov == pytest.approx(r.log_novikov, rel=1e-8)     # grid vs Riccati (weight 1, no shift)
    assert g.eps2 == pytest.approx(r.eps2, rel=1e-9) and g.epshat2 == pytest.approx(r.epshat2, rel=1e-9)
    # time-only: <M> = eps2 is deterministic, so E*<M>^j / eps2^j = 1 and E* exp(<M>/2) = exp(eps2/2)
    t = AffineError(xi=[0.3])
    g = assumption_report(law, t, steps=STEPS)
    assert g.qv_moment_ratios[2] == pytest.approx(1.0, rel=1e-9)
    assert g.qv_moment_ratios[4] == pytest.approx(1.0, rel=1e-9)
    assert g.log_novikov == pytest.approx(g.eps2 / 2, rel=1e-9)
    bad = assumption_report(TARGET, AffineError(W=0.6, xi=[0.1]), steps=STEPS)
    assert bad.a3 is False and bad.a3_reason


def test_skeleton_time_only_closed_forms():
    """Time-only error: Z = -M - eps2/2 with M Gaussian, so E*[Z^2] = eps2 + eps2^2/4, K = 1,
    E*[Zbar^2] = eta eps2 + eps2^2/4 (eta from the closed-form Gaussian observability)."""
    e = AffineError(xi=lambda t: np.array([0.4 * np.exp(-t) + 0.1]))
    law = GridLaw.mixture([1.0], [[0.3]], [0.36])
    s = proof_skeleton(law, e, steps=STEPS)
    eps2 = path_energy(TARGET, e, steps=STEPS)
    eta = observability(TARGET, e, steps=STEPS)
    assert s.eps2 == pytest.approx(eps2, rel=1e-9)
    assert s.E_Z2 == pytest.approx(eps2 + eps2 ** 2 / 4, rel=1e-8)
    assert s.K == pytest.approx(1.0, rel=1e-9)
    assert s.E_Zbar2 == pytest.approx(eta * eps2 + eps2 ** 2 / 4, rel=1e-7)
    assert all(r.verdict == "holds" for r in s.rows)


def skeleton_cases():
    mix = GridLaw.mixture([0.5, 0.5], [[-1.5], [1.5]], [0.36, 0.36])
    yield mix, (lambda x, t: 0.3 * np.tanh(x))
    yield mix, (lambda x, t: -0.2 * x + 0.1)
    yield GridLaw.mixture([1.0], [[0.3]], [0.36]), (lambda x, t: 1.5 * np.sin(2 * x))
    yield (GridLaw.mixture([0.5, 0.5], [[-1.0, 0.0], [1.0, 0.5]], [0.3, 0.3], points=40, bounds=(-6.5, 6.5)),
           (lambda x, t: 0.3 * np.tanh(x[:, ::-1])))


@pytest.mark.parametrize("case", range(4))
def test_skeleton_rows_hold(case):
    law, error = list(skeleton_cases())[case]
    s = proof_skeleton(law, error, steps=20)
    for row in s.rows:
        assert row.verdict == "holds", (row.name, row.lhs, row.rhs)
    assert s.rows[0].control_verdict == "violated"           # (a)'s control fails on every case with eps2 > 0
    assert s.C == pytest.approx(s.K / 8 + s.C_prime)
    assert s.c == pytest.approx(s.K + 2 * s.C_prime)
    # E*[Zbar] = -eps2/2 also says int g_K = 0 and int w_K = eps2
    assert s.E_Zbar == pytest.approx(-s.eps2 / 2, rel=1e-8)


def moments_of(M, QV, R):
    """The skeleton's scalars on a two-atom probability space (Y = 0, 1 with probability 1/2 each;
    M, QV and R given per atom, so everything is Y-measurable): Z = -M - QV/2, Zbar = E[Z | Y] = Z,
    Psi = R - 1 - Zbar, eps2 = E QV, eta eps2 = E[E[M | Y]^2]."""
    M, QV, R = (np.asarray(v, dtype=float) for v in (M, QV, R))
    Z = -M - QV / 2
    Psi = R - 1 - Z
    return skeleton_from_moments(eps2=QV.mean(), chi2=((R - 1) ** 2).mean(), E_Zbar=Z.mean(),
                                 E_Zbar2=(Z * Z).mean(), E_Psi2=(Psi * Psi).mean(), E_Z2=(Z * Z).mean(),
                                 var_cond_mean=(M * M).mean(), E_qv2=(QV * QV).mean())


def tight_case(name):
    """Random variables built so that step `name` holds with equality (its proof's inequality is tight):
    (b) Zbar = -2 Psi; (c) E[M|Y] = -E[<M>|Y] with <M> known given Y; (d) both; (e1) Z known given Y;
    (e2) M = <M>/2 with E<M> = E<M>^2/4 (<M> = 4); (e3) Zbar = Psi; (e4) (e1)-(e3) together. R need not
    integrate to 1 here: no step uses it."""
    qv = np.array([1.0, 3.0])
    cases = {
        "(b)": ([-0.2, 0.2], [0.0, 0.0], [1.1, 0.9]),
        "(c)": (-qv, qv, [1.0, 1.0]),
        "(d)": (-qv, qv, 1 + qv / 4),
        "(e1)": ([-0.2, 0.2], [0.0, 0.0], [1.0, 1.0]),
        "(e2)": ([2.0, 2.0], [4.0, 4.0], [1.0, 1.0]),
        "(e3)": ([-0.2, 0.2], [0.0, 0.0], [1.4, 0.6]),
        "(e4)": ([2.0, 2.0], [4.0, 4.0], [-7.0, -7.0]),
    }
    return moments_of(*cases[name])


@pytest.mark.parametrize("name", ["(b)", "(c)", "(d)", "(e1)", "(e2)", "(e3)", "(e4)"])
def test_each_control_fails_on_a_case_built_for_it(name):
    row = next(r for r in tight_case(name).rows if r.name == name)
    assert row.verdict == "holds"
    assert row.lhs == pytest.approx(row.rhs, rel=1e-12, abs=1e-15)      # the case is tight
    assert row.control_verdict == "violated", row.mutation


def test_monte_carlo_in_three_dimensions_with_a_callable_score():
    rng = np.random.default_rng(5)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    target = Gaussian([0.2, -0.3, 0.5], (q * [0.4, 0.8, 1.5]) @ q.T)
    e = AffineError(W=-0.15 * (q @ np.diag([1.0, 0.5, -0.3]) @ q.T), xi=[0.1, 0.0, -0.1])
    from gaussian_exact import forward

    def score(y, t):
        return forward(target, t).score(y)

    exact = tilted_moment(target, e, 2.0, steps=40)
    est = path_renyi_mc(score, e, 2.0, steps=40, n_paths=20000, rng=11, dim=3)
    assert est.se_honest and abs(est.moment - exact.moment) < 4 * est.moment_se


def test_grid_never_returns_a_wrong_exact_value_near_the_largest_finite_order():
    """W = 0.3: a* ~ 1.797 (Riccati). Across a* on a +-30 box the grid's tilted moment is exact and equal to
    the Riccati recursion's, or infinite where Riccati is (decided from the fitted log tails, with a reason),
    or flagged not exact; never a finite value marked exact where the moment is infinite (it used to return
    log E*[Lambda^1.8] = 11.4 as exact)."""
    e = AffineError(W=0.3, xi=[0.1])
    law = GridLaw.mixture([1.0], [[0.3]], [0.36], bounds=(-30, 30))
    orders = (1.6, 1.75, 1.78, 1.79, 1.795, 1.8, 1.81, 1.9, 2.0, 2.5)
    grid = grid_path_moments(law, e, orders, steps=STEPS).tilted
    seen = set()
    for tm in grid:
        exact = tilted_moment(TARGET, e, tm.a, steps=STEPS)
        if exact.infinite:
            assert tm.infinite and "does not decay" in tm.reason, tm
            seen.add("inf")
        elif tm.exact:
            assert abs(math.expm1(tm.log_moment - exact.log_moment)) < 1e-8, tm
            seen.add("exact")
        else:
            assert "fitted tails" in tm.reason
            seen.add("undecided")
    assert seen == {"inf", "exact", "undecided"}


@pytest.mark.parametrize("dim", [1, 2])
def test_step_fields_share_the_scores_of_two_passes_bit_for_bit(dim):
    """neural.grid_exact runs run_grid_chain and then grid_path_moments over the same chain with one
    StepFields: the learned score is evaluated once per step instead of twice, and every result is
    bit for bit that of the two separate passes."""
    from gaussian_exact import StepFields, run_grid_chain
    if dim == 1:
        law = GridLaw.mixture([0.5, 0.5], [[-1.5], [1.5]], [0.36, 0.36])
    else:
        law = GridLaw.mixture([0.5, 0.5], [[-1.0, 0.0], [1.0, 0.5]], [0.3, 0.3], points=40, bounds=(-6.5, 6.5))
    calls = []

    def score(x, t):
        calls.append(t)
        return law.score(x, t) + 0.2 * np.tanh(x)

    kw = dict(T=2.0, t0=0.05, steps=12)
    runs = []
    for fields in (None, StepFields(law)):
        calls.clear()
        r = run_grid_chain(law, score=score, track_eta=True, step_fields=fields, **kw)
        m = grid_path_moments(law, a_values=(1.5, 2.5), score=score, max_moment=3, conditional=True,
                              step_fields=fields, **kw)
        runs.append((r, m, len(calls)))
    (r0, m0, n0), (r1, m1, n1) = runs
    assert (n0, n1) == (24, 12)
    assert np.array_equal(r0.learned.density, r1.learned.density) and (r0.eps2, r0.eta) == (r1.eps2, r1.eta)
    assert [t.log_moment for t in m0.tilted] == [t.log_moment for t in m1.tilted]
    assert (m0.eps2, m0.epshat2, m0.qv_moments, m0.conditional.E_Psi2) == \
        (m1.eps2, m1.epshat2, m1.qv_moments, m1.conditional.E_Psi2)
    calls.clear()   # a pass over another law's chain evaluates its score again
    other = GridLaw.mixture([1.0], [[0.3]] if dim == 1 else [[0.3, 0.0]], [0.36] if dim == 1 else [[0.36, 0.36]],
                            **({} if dim == 1 else dict(points=40, bounds=(-6.5, 6.5))))
    run_grid_chain(other, score=score, step_fields=fields, **kw)
    assert len(calls) == 12
