"""GridLaw and the exact grid chain (THEORY.md section 7) against independent answers.

* Gaussian targets with affine errors: the closed-form Gaussian engine (linear_sde, a different
  algorithm: moment recursions) gives the chain's law, energies and eta; d = 1 to 1e-7 relative at
  500 steps on the default grid, d = 2 to 1e-4.
* A mixture target with a non-affine error: a particle simulation written out here (exact mixture
  score in closed form), within CLT bands.
* The skew-symmetric "invisible" error of THEORY.md section 7: KL and eta vanish in continuous time;
  on the chain KL is O(h^2) (checked by halving h) and eta is 0, while epshat2 > 0.
"""
import math

import numpy as np
import pytest

from gaussian_exact.grid_divergences import grid_chi2
from gaussian_exact import (AffineError, Gaussian, GridLaw, chi2, kl, observability, path_energy, reverse,
                            run_grid_chain)

T, T0 = 4.0, 0.02


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def gaussian_pdf_on(law, g):
    return np.exp(g.logpdf(law.points)).reshape(law.shape)


def assert_matches_closed_form(law, g, err, steps, tol):
    r = run_grid_chain(law, err, T, T0, steps, track_eta=True)
    learned, ideal = reverse(g, err, T, T0, steps), reverse(g, None, T, T0, steps)
    pairs = {
        "learned density": (r.learned.density, gaussian_pdf_on(law, learned)),
        "ideal density": (r.ideal.density, gaussian_pdf_on(law, ideal)),
        "learned mean": (r.learned.mean(), learned.mean), "learned cov": (r.learned.cov(), learned.cov),
        "ideal cov": (r.ideal.cov(), ideal.cov),
        "eps2": (r.eps2, path_energy(g, err, T, T0, "ideal", steps)),
        "epshat2": (r.epshat2, path_energy(g, err, T, T0, "learned", steps)),
        "eta": (r.eta, observability(g, err, T, T0, steps)),
        "KL": (kl(r.learned, r.ideal), kl(learned, ideal)),
        "chi2": (chi2(r.learned, r.ideal), chi2(learned, ideal)),
        "KL to target": (kl(r.learned, law), kl(learned, g)),
    }
    errors = {k: rel(a, b) for k, (a, b) in pairs.items()}
    bad = {k: v for k, v in errors.items() if not v < tol}
    assert not bad, bad
    return r


def test_one_dimension_matches_the_gaussian_closed_form_to_1e7_at_500_steps():
    g = Gaussian([0.3], [[0.36]])
    law = GridLaw.mixture([1.0], [[0.3]], [0.36])                      # the default grid
    err = AffineError(W=lambda t: -0.1 - 0.02 * t, xi=lambda t: np.array([0.05 * math.cos(t)]))
    assert_matches_closed_form(law, g, err, 500, 1e-7)


def test_score_keyword_gives_the_same_chain_as_the_error():
    g = Gaussian([0.0], [[0.5]])
    law = GridLaw.mixture([1.0], [[0.0]], [0.5])
    err = AffineError(W=-0.2, xi=[0.1])
    learned_score = lambda x, t: g_forward_score(g, x, t) + err(x, t)
    a = reverse(law, err, steps=200)
    b = reverse(law, score=learned_score, steps=200)
    assert rel(b.density, a.density) < 1e-10


def g_forward_score(g, x, t):
    a, s2 = math.exp(-t / 2), -math.expm1(-t)
    var = a * a * g.cov[0, 0] + s2
    return -(x - a * g.mean) / var


def test_two_dimensions_match_the_gaussian_closed_form_to_1e4():
    S = np.array([[0.36, 0.1], [0.1, 0.5]])
    m = np.array([0.3, -0.2])
    g = Gaussian(m, S)
    law = GridLaw.mixture([1.0], [m], [S], points=76, bounds=(-6.5, 6.5))   # dx <= SPACING_RATIO sqrt(h)
    err = AffineError(W=np.array([[-0.1, 0.05], [0.02, 0.08]]), xi=[0.05, -0.03])
    assert_matches_closed_form(law, g, err, 100, 1e-4)


@pytest.mark.slow
def test_two_dimensions_match_at_500_steps_on_the_default_grid():
    S = np.array([[0.36, 0.1], [0.1, 0.5]])
    m = np.array([0.3, -0.2])
    law = GridLaw.mixture([1.0], [m], [S])
    err = AffineError(W=np.array([[-0.1, 0.05], [0.02, 0.08]]), xi=[0.05, -0.03])
    assert_matches_closed_form(law, Gaussian(m, S), err, 500, 1e-4)


def test_skew_symmetric_error_is_invisible_up_to_order_h_squared():
    beta = 0.5
    skew = AffineError(W=np.array([[0.0, beta], [-beta, 0.0]]))
    law = GridLaw.mixture([1.0], [[0.0, 0.0]], [0.36], points=80, bounds=(-6.5, 6.5))
    runs = {K: run_grid_chain(law, skew, T, T0, K, track_eta=True) for K in (50, 100)}
    kls = {K: kl(r.learned, r.ideal) for K, r in runs.items()}
    for K, r in runs.items():
        assert r.epshat2 > 1.0                         # a large path error ...
        assert abs(r.eta) < 1e-12                      # ... that the endpoint cannot see
        assert kls[K] < 1e-4 * r.epshat2
        assert chi2(r.learned, r.ideal) < 2e-4 * r.epshat2
    assert 3.5 < kls[50] / kls[100] < 4.5             # O(h^2): vanishes in continuous time
    aligned = run_grid_chain(law, AffineError(W=-0.25), T, T0, 50, track_eta=True)
    assert aligned.eta > 0.1                          # control: an aligned error is visible


def mixture_forward_score(w, means, var, x, t):
    """Exact OU score of sum_j w_j N(m_j, var) at time t (1-D), written out for the simulation."""
    a, s2 = math.exp(-t / 2), -math.expm1(-t)
    v = a * a * var + s2
    logs = np.log(w)[None, :] - 0.5 * (x - a * means[None, :]) ** 2 / v
    logs -= logs.max(axis=1, keepdims=True)
    post = np.exp(logs)
    post /= post.sum(axis=1, keepdims=True)
    return np.sum(post * (-(x - a * means[None, :]) / v), axis=1, keepdims=True)


def test_mixture_with_a_tanh_error_matches_a_particle_simulation():
    w, means, var = np.array([0.2, 0.4, 0.4]), np.array([0.0, -4.0, 4.0]), 0.36
    law = GridLaw.mixture(w, means, [var] * 3)
    err = lambda x, t: 0.3 * np.tanh(x)
    steps, n = 200, 40000
    r = run_grid_chain(law, err, T, T0, steps)
    rng = np.random.default_rng(1)
    h = (T - T0) / steps
    y = rng.standard_normal((n, 1))
    energy = np.zeros(n)
    for k in range(steps):
        t = T - k * h
        e = err(y, t)
        energy += h * np.sum(e * e, axis=1)
        y = y + h * (0.5 * y + mixture_forward_score(w, means, var, y, t) + e) + math.sqrt(h) * rng.standard_normal((n, 1))
    m, v = r.learned.mean()[0], r.learned.cov()[0, 0]
    assert abs(y.mean() - m) < 4.5 * math.sqrt(v / n)
    assert abs(y.var() - v) < 4.5 * v * math.sqrt(2 / n) * 2
    assert abs(energy.mean() - r.epshat2) < 4.5 * energy.std() / math.sqrt(n)
    # the share of samples in the middle component's basin against the grid law's mass there
    middle = np.abs(law.axes[0]) < 2
    p_mid = law.integrate(np.where(middle, r.learned.density, 0.0))
    frac = np.mean(np.abs(y[:, 0]) < 2)
    assert abs(frac - p_mid) < 4.5 * math.sqrt(p_mid * (1 - p_mid) / n) + 0.01


def test_prop_3_1_holds_exactly_on_the_grid_for_a_nonlinear_error():
    law = GridLaw.mixture([0.5, 0.5], [[-2.0], [2.0]], [0.36, 0.36])
    r = run_grid_chain(law, lambda x, t: 0.4 * np.sin(2 * x) + 0.1, T, T0, 300, track_eta=True)
    kl_out = kl(r.learned, r.ideal)
    assert 0 < kl_out <= 0.5 * r.epshat2
    assert 0 <= r.eta <= 1


# --- GridLaw itself ------------------------------------------------------------------------------

def test_mixture_moments_mass_and_forward_against_closed_forms():
    w = np.array([0.3, 0.7])
    means = np.array([[-1.0, 0.5], [2.0, -0.5]])
    covs = np.array([[[0.5, 0.1], [0.1, 0.3]], [[0.4, 0.0], [0.0, 0.6]]])
    law = GridLaw.mixture(w, means, covs, points=160)
    mean = w @ means
    cov = sum(wj * (S + np.outer(mj - mean, mj - mean)) for wj, mj, S in zip(w, means, covs))
    assert rel(law.mean(), mean) < 1e-10 and rel(law.cov(), cov) < 1e-10
    assert law.mass_outside < 1e-12 and abs(law.total_mass - 1) < 1e-10
    t = 0.7
    a, s2 = math.exp(-t / 2), -math.expm1(-t)
    fw = law.forward(t)
    exact = GridLaw.mixture(w, a * means, a * a * covs + s2 * np.eye(2), bounds=[law.axes[0][[0, -1]]] * 2, points=160)
    assert rel(fw.density, exact.density) < 1e-10
    x = np.array([[0.1, 0.2], [-3.0, 1.0], [2.5, -0.3]])
    comps = [Gaussian(a * m, a * a * S + s2 * np.eye(2)) for m, S in zip(means, covs)]
    logs = np.stack([np.log(wj) + c.logpdf(x) for wj, c in zip(w, comps)])
    post = np.exp(logs - logs.max(0))
    post /= post.sum(0)
    score = sum(post[j][:, None] * comps[j].score(x) for j in range(2))
    assert rel(law.score(x, t), score) < 1e-9
    # on the grid (corners included, where the box's missing mass shows at 1e-8)
    assert rel(law.score_on_grid(t).reshape(-1, 2)[::997], fw_score_points(comps, w, law.points[::997])) < 1e-6
    # every node: the continuation beyond the faces must not rise (a quadratic fitted to a mixture's
    # log tail turned up and gave scores wrong by 400 % at nodes 1e-6 below the peak density)
    S, R = law.score_on_grid(t).reshape(-1, 2), fw_score_points(comps, w, law.points)
    assert np.max(np.abs(S - R).max(axis=1) / np.abs(R).max(axis=1)) < 1e-9


def fw_score_points(comps, w, x):
    logs = np.stack([np.log(wj) + c.logpdf(x) for wj, c in zip(w, comps)])
    post = np.exp(logs - logs.max(0))
    post /= post.sum(0)
    return sum(post[j][:, None] * comps[j].score(x) for j in range(len(comps)))


def test_mass_outside_is_exact_for_a_narrow_box_and_refused_above_tolerance():
    law = GridLaw.mixture([1.0], [[0.0]], [1.0], bounds=(-3, 3), mass_tol=0.01)
    assert abs(law.mass_outside - math.erfc(3 / math.sqrt(2))) < 1e-15
    with pytest.raises(ValueError, match="cannot hold"):
        GridLaw.mixture([1.0], [[0.0]], [1.0], bounds=(-3, 3))


def test_samples_follow_the_law_and_mix_is_linear():
    a = GridLaw.mixture([1.0], [[0.0, 0.0]], [0.36], points=128)
    b = GridLaw.mixture([1.0], [[1.0, -1.0]], [0.5], points=128, bounds=[a.axes[0][[0, -1]]] * 2)
    q = a.mix(b, 0.25)
    assert rel(q.density, 0.25 * a.density + 0.75 * b.density) < 1e-15
    n = 40000
    x = q.sample(n, 0)
    m, C = q.mean(), q.cov()
    assert np.all(np.abs(x.mean(0) - m) < 4.5 * np.sqrt(np.diag(C) / n))
    assert np.all(np.abs(np.cov(x.T) - C) < 4.5 * np.sqrt((np.outer(np.diag(C), np.diag(C)) + C ** 2) / n) + 2 * 0.11 ** 2)
    with pytest.raises(ValueError, match="weight"):
        a.mix(b, 1.5)
    with pytest.raises(ValueError, match="same grid"):
        a.mix(GridLaw.mixture([1.0], [[0.0, 0.0]], [0.36], points=64), 0.5)


def test_from_log_density_save_load_and_pdf(tmp_path):
    law = GridLaw.from_log_density(lambda x: -0.5 * np.sum(x * x, axis=1) / 0.36, bounds=(-6, 6), points=401)
    ref = GridLaw.mixture([1.0], [[0.0]], [0.36], bounds=(-6, 6), points=401)
    assert rel(law.density, ref.density) < 1e-12 and law.mass_outside < 1e-12
    path = tmp_path / "law.npz"
    law.save(path)
    with np.load(path) as z:
        assert z["grid"].shape == (401,) and z["density"].shape == (401,)
    back = GridLaw.load(path)
    assert np.array_equal(back.density, law.density) and back.same_grid(law)
    x = np.array([[0.0], [0.013], [7.0]])
    assert rel(law.pdf(x)[:2], np.exp(-0.5 * x[:2, 0] ** 2 / 0.36) / math.sqrt(2 * math.pi * 0.36)) < 1e-3
    assert law.pdf(x)[2] == 0.0
    with pytest.raises(ValueError, match="cannot hold"):
        GridLaw.from_log_density(lambda x: -np.abs(x[:, 0]) * 0.1, bounds=(-6, 6))


# --- bad input -------------------------------------------------------------------------------------

def test_bad_score_callables_are_named():
    law = GridLaw.mixture([1.0], [[0.0]], [0.36])
    with pytest.raises(ValueError, match="score must return shape"):
        reverse(law, score=lambda x, t: x[:, 0], steps=20)
    with pytest.raises(ValueError, match="error returned .*NaN"):
        reverse(law, lambda x, t: np.where(x > 3, np.nan, 0.0), steps=20)
    with pytest.raises(ValueError, match="error must return shape"):
        path_energy(law, lambda x, t: np.zeros((x.shape[0], 2)), steps=20)
    with pytest.raises(ValueError, match="not both"):
        reverse(law, lambda x, t: x, score=lambda x, t: x, steps=20)


def test_grid_chain_arguments_are_checked():
    law = GridLaw.mixture([1.0], [[0.0]], [0.36], points=101)
    with pytest.raises(ValueError, match="steps must be an integer"):
        reverse(law)
    with pytest.raises(ValueError, match="spacing"):
        reverse(law, steps=2000)
    with pytest.raises(ValueError, match="ode"):
        reverse(law, steps=50, ode=True)
    with pytest.raises(ValueError, match="cannot hold the learned"):
        reverse(law, lambda x, t: np.full_like(x, 40.0), steps=50)
    with pytest.raises(ValueError, match="d in"):
        GridLaw([np.linspace(0, 1, 5)] * 3, np.ones((5, 5, 5)))
    with pytest.raises(ValueError, match="t must be"):
        law.forward(1e-6)
    with pytest.raises(ValueError, match="init"):
        reverse(law, steps=50, init="data")


def test_chi2_is_infinite_when_the_tails_make_it_diverge():
    wide = GridLaw.mixture([1.0], [[0.0]], [1.0], bounds=(-9, 9), points=401)
    narrow = GridLaw.mixture([1.0], [[0.0]], [0.36], bounds=(-9, 9), points=401)
    assert chi2(wide, narrow) == math.inf                       # 2/1 < 1/0.36: diverges over R
    assert np.isfinite(grid_chi2(wide, narrow, box=True))       # the box integral stays finite
    exact = chi2(Gaussian([0.0], [[0.36]]), Gaussian([0.0], [[1.0]]))
    assert rel(chi2(narrow, wide), exact) < 1e-10                # the other direction is finite


def test_eta_on_a_mixture_matches_a_binned_particle_regression():
    """Independent of the g recursion: simulate the ideal chain, accumulate M = -sum sqrt(h) e_k . z_k,
    estimate E[M | Y_K] by bin means (Y_K is 1-D, so bins capture any shape) and compare Var of it."""
    w, means, var = np.array([0.2, 0.4, 0.4]), np.array([0.0, -4.0, 4.0]), 0.36
    law = GridLaw.mixture(w, means, [var] * 3)
    err = lambda x, t: 0.4 * np.tanh(2 * x) * math.exp(-t)
    steps, n = 100, 200000
    r = run_grid_chain(law, err, T, T0, steps, learned=False, track_eta=True)
    rng = np.random.default_rng(3)
    h = (T - T0) / steps
    y = rng.standard_normal((n, 1))
    M = np.zeros(n)
    for k in range(steps):
        t = T - k * h
        z = rng.standard_normal((n, 1))
        M -= math.sqrt(h) * np.sum(err(y, t) * z, axis=1)
        y = y + h * (0.5 * y + mixture_forward_score(w, means, var, y, t)) + math.sqrt(h) * z
    edges = np.quantile(y[:, 0], np.linspace(0, 1, 201))
    idx = np.clip(np.searchsorted(edges, y[:, 0], side="right") - 1, 0, 199)
    counts = np.bincount(idx, minlength=200)
    means_b = np.bincount(idx, weights=M, minlength=200) / counts
    within = np.bincount(idx, weights=M * M, minlength=200) / counts - means_b ** 2
    var_cond = float(np.sum(counts * means_b ** 2) / n - M.mean() ** 2 - np.sum(within) / n)  # minus bin noise
    eta_mc = var_cond / float(np.mean(M * M))
    assert r.eta > 0.3
    assert abs(eta_mc - r.eta) < 0.03 + 0.05 * r.eta
    assert abs(np.mean(M * M) - r.eps2) < 4.5 * np.std(M * M) / math.sqrt(n)


def test_divergences_stay_exact_where_the_densities_underflow():
    """A box far wider than the laws (N(-4, 0.16) on [-12, 14]): the ideal output's density underflows
    below 1e-308 at the far face while the learned one (a widening error) does not; the 1-D chain's
    log densities keep KL and chi2 finite and equal to the closed form."""
    g = Gaussian([-4.0], [[0.16]])
    law = GridLaw.mixture([1.0], [[-4.0]], [0.16], bounds=(-12, 14), points=700)
    err = AffineError(W=0.3)
    r = run_grid_chain(law, err, T, T0, 200)
    assert np.min(r.ideal.density) == 0.0                       # the linear density does underflow
    learned, ideal = reverse(g, err, T, T0, 200), reverse(g, None, T, T0, 200)
    assert rel(kl(r.learned, r.ideal), kl(learned, ideal)) < 1e-7
    assert rel(chi2(r.learned, r.ideal), chi2(learned, ideal)) < 1e-6
    far = r.ideal.density == 0
    # finite logs there (their values are only as good as the scores computed at e^-700 densities)
    assert np.all(np.isfinite(r.ideal.logp)) and np.max(r.ideal.logp[far]) < math.log(1e-300)
