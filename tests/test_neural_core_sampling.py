"""Samplers against exact Gaussian answers (THEORY.md sections 1 and 4): the sign-trap guard."""
import math

import numpy as np
import pytest
import torch

from neural import VPSDE, euler_maruyama, probability_flow, ddpm_sample, linear_betas
from neural.devices import cpu_threads
from neural.sampling import ddpm_times, time_grid

MEAN = np.array([1.0, -0.5])
COV = np.array([[0.5, 0.2], [0.2, 0.3]])
T, T0 = 4.0, 0.02


@pytest.fixture(autouse=True)
def one_thread():  # small tensors on a shared 2-core machine: one thread avoids oversubscription
    with cpu_threads(1):
        yield


def exact_gaussian_score(mean, cov):
    """score_t(x) = -(a_t^2 S + s_t^2 I)^{-1} (x - a_t m), written here independently of neural."""
    mean_t, cov_t = torch.tensor(mean), torch.tensor(cov)

    def score(x, t):
        a2, s2 = math.exp(-t), 1 - math.exp(-t)
        precision = torch.linalg.inv(a2 * cov_t + s2 * torch.eye(len(mean)))
        return -(x - math.sqrt(a2) * mean_t) @ precision.T
    return score


def em_chain_moments(mean, cov, steps, drift_sign=+1.0, T=T, t0=T0):
    """Mean/cov of the Euler-Maruyama chain with the exact score, started from N(0, I):
    drift B_k y + b_k with B_k = 1/2 I - L_k^{-1}, b_k = L_k^{-1} a m, L_k = a^2 S + s^2 I;
    m <- (I + h B) m + h b, C <- (I + h B) C (I + h B)^T + h I.  drift_sign=-1 is the trap."""
    d = len(mean)
    h = (T - t0) / steps
    m, C = np.zeros(d), np.eye(d)
    for k in range(steps):
        t = T - k * h
        a2, s2 = math.exp(-t), 1 - math.exp(-t)
        inv = np.linalg.inv(a2 * cov + s2 * np.eye(d))
        B = drift_sign * (0.5 * np.eye(d) - inv)
        b = drift_sign * inv @ (math.sqrt(a2) * mean)
        M = np.eye(d) + h * B
        m = M @ m + h * b
        C = M @ C @ M.T + h * np.eye(d)
    return m, C


def assert_moments_in_band(samples, mean, cov, z=4.5):
    n = samples.shape[0]
    x = samples.double().numpy()
    emp_mean = x.mean(0)
    emp_cov = np.cov(x.T)
    mean_err = np.abs(emp_mean - mean) / np.sqrt(np.diag(cov) / n)
    cov_sd = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov ** 2) / n)
    cov_err = np.abs(emp_cov - cov) / cov_sd
    assert mean_err.max() < z, (emp_mean, mean)
    assert cov_err.max() < z, (emp_cov, cov)


def test_reference_chain_converges_to_the_forward_marginal_at_t0():
    # guards the guard: the test's own recursion must reach N(a m, a^2 S + s^2 I) at t0
    m, C = em_chain_moments(MEAN, COV, steps=4000)
    a2 = math.exp(-T0)
    np.testing.assert_allclose(m, math.sqrt(a2) * MEAN, atol=2e-2)
    np.testing.assert_allclose(C, a2 * COV + (1 - a2) * np.eye(2), atol=2e-2)


def test_euler_maruyama_matches_exact_chain_moments():
    steps, n = 40, 40000
    gen = torch.Generator().manual_seed(0)
    x_T = torch.randn(n, 2, generator=gen, dtype=torch.float64)
    out = euler_maruyama(exact_gaussian_score(MEAN, COV), x_T, VPSDE(T, T0).time_grid(steps), generator=gen)
    m, C = em_chain_moments(MEAN, COV, steps)
    assert_moments_in_band(out, m, C)
    # control: the trap's drift (-1/2 y - score) gives a chain the band check must reject
    m_bad, C_bad = em_chain_moments(MEAN, COV, steps, drift_sign=-1.0)
    with pytest.raises(AssertionError):
        assert_moments_in_band(out, m_bad, C_bad)


def test_euler_maruyama_against_gaussian_exact_reverse_when_available():
    gaussian_exact = pytest.importorskip("gaussian_exact")
    if not hasattr(gaussian_exact, "reverse") or not hasattr(gaussian_exact, "Gaussian"):
        pytest.skip("gaussian_exact.reverse not written yet")
    steps = 25
    try:
        law = gaussian_exact.reverse(gaussian_exact.Gaussian(MEAN, COV), T=T, t0=T0, steps=steps)
    except TypeError:
        pytest.skip("gaussian_exact.reverse has a different signature")
    m, C = em_chain_moments(MEAN, COV, steps)
    np.testing.assert_allclose(np.asarray(law.mean), m, atol=1e-10)
    np.testing.assert_allclose(np.asarray(law.cov), C, atol=1e-10)


def test_path_callback_noise_hook_and_chunking_are_consistent():
    score = exact_gaussian_score(MEAN, COV)
    sde = VPSDE(T, T0)
    steps, h = 7, sde.step_size(7)
    x_T = torch.randn(10, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    grid = time_grid(steps, sde)
    out, path = euler_maruyama(score, x_T, grid, generator=torch.Generator().manual_seed(2), return_path=True)
    assert path["y"].shape == (steps + 1, 10, 2) and path["z"].shape == (steps, 10, 2)
    torch.testing.assert_close(path["y"][-1], out)
    seen = []
    again = euler_maruyama(score, x_T, grid, noise=lambda k, shape: path["z"][k], callback=seen.append, chunk_size=3)
    torch.testing.assert_close(again, out)
    assert [info["k"] for info in seen] == list(range(steps))
    for info in seen:
        k, t, y, z = info["k"], info["t"], info["y"], info["z"]
        assert t == pytest.approx(T - k * h) and info["h"] == pytest.approx(h)
        torch.testing.assert_close(info["model"], score(y, t))
        step = y + h * (0.5 * y + score(y, t)) + math.sqrt(h) * z
        torch.testing.assert_close(step, path["y"][k + 1])
    chunked = euler_maruyama(score, x_T, grid, generator=torch.Generator().manual_seed(2), chunk_size=4)
    torch.testing.assert_close(chunked, out)


@pytest.mark.parametrize("method,steps,tol", [("heun", 200, 0.02), ("euler", 1000, 0.03)])
def test_probability_flow_transports_prior_to_target_marginal(method, steps, tol):
    # deterministic flow, exact score, started from the exact marginal at T (the ODE does not forget
    # its start): the output law is N(a m, a^2 S + s^2 I) at t0 up to discretisation
    n = 20000
    aT2 = math.exp(-T)
    root = np.linalg.cholesky(aT2 * COV + (1 - aT2) * np.eye(2))
    z = torch.randn(n, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    x_T = torch.tensor(math.sqrt(aT2) * MEAN) + z @ torch.tensor(root).T
    out = probability_flow(exact_gaussian_score(MEAN, COV), x_T, time_grid(steps, VPSDE(T, T0)), method=method)
    a2 = math.exp(-T0)
    cov_t0 = a2 * COV + (1 - a2) * np.eye(2)
    x = out.numpy()
    assert np.abs(x.mean(0) - math.sqrt(a2) * MEAN).max() < 4.5 * math.sqrt(cov_t0.max() / n) + tol
    assert np.abs(np.cov(x.T) - cov_t0).max() < tol + 4.5 * 0.7 / math.sqrt(n)
    with pytest.raises(ValueError, match="method"):
        probability_flow(exact_gaussian_score(MEAN, COV), x_T, method="rk4")


def ddpm_chain_moments_1d(mean, var, betas, variance):
    """DDPM ancestral chain with exact eps = s_t (x - a_t m)/(a_t^2 v + s_t^2) (1-D, affine), from N(0,1)."""
    mu, c = 0.0, 1.0
    abar = np.cumprod(1 - betas)
    for i in range(len(betas) - 1, -1, -1):
        a, s2 = math.sqrt(abar[i]), 1 - abar[i]
        lam = abar[i] * var + s2
        # eps = g x - g a m with g = sqrt(s2) / lam
        g = math.sqrt(s2) / lam
        ce = betas[i] / math.sqrt(s2)
        cx = 1 / math.sqrt(1 - betas[i])
        slope, offset = cx * (1 - ce * g), cx * ce * g * a * mean
        mu, c = slope * mu + offset, slope ** 2 * c
        if i > 0:
            post = betas[i] * (1 - abar[i - 1]) / (1 - abar[i])
            c += betas[i] if variance == "beta" else post
    return mu, c


@pytest.mark.parametrize("variance", ["beta", "posterior"])
def test_ddpm_matches_exact_affine_chain(variance):
    mean, var = 0.7, 0.25
    betas = linear_betas(300, 1e-4, 0.05)
    times = ddpm_times(betas)

    def eps_model(x, t):
        a2 = math.exp(-t)
        return math.sqrt(1 - a2) * (x - math.sqrt(a2) * mean) / (a2 * var + 1 - a2)

    assert float(torch.exp(-times[-1])) < 1e-3
    n = 40000
    gen = torch.Generator().manual_seed(4)
    x_T = torch.randn((n, 1), generator=gen, dtype=torch.float64)
    out = ddpm_sample(eps_model, x_T, time_grid(betas=betas), generator=gen, variance=variance)
    mu, c = ddpm_chain_moments_1d(mean, var, betas.numpy(), variance)
    assert abs(float(out.mean()) - mu) < 4.5 * math.sqrt(c / n)
    assert abs(float(out.var()) - c) < 4.5 * c * math.sqrt(2 / n)
    assert abs(c - var) < 0.05  # the chain does approach the target


def test_sampler_bad_input():
    score = exact_gaussian_score(MEAN, COV)
    with pytest.raises(ValueError, match="steps"):
        time_grid(0)
    with pytest.raises(ValueError, match="decreasing"):
        euler_maruyama(score, torch.zeros(3, 2), [0.5, 1.0])
    with pytest.raises(ValueError, match="x must"):
        euler_maruyama(score, torch.zeros(2), time_grid(3))
    with pytest.raises(ValueError, match="t0"):
        VPSDE(T=1.0, t0=2.0)
    with pytest.raises(ValueError, match="noise"):
        euler_maruyama(score, torch.zeros(3, 2, dtype=torch.float64), time_grid(2), noise=lambda k, s: torch.zeros(1))
    with pytest.raises(ValueError, match="betas"):
        time_grid(betas=[0.5, 1.5])
    with pytest.raises(ValueError, match="times"):
        ddpm_sample(lambda x, t: x, torch.zeros(2, 1), [0.1, 0.5])


def test_vpsde_closed_forms():
    sde = VPSDE()
    assert (sde.T, sde.t0) == (4.0, 0.02)
    for t in (0.0, 0.02, 1.0, 4.0):
        assert sde.mean_coef(t) == pytest.approx(math.exp(-t / 2), rel=1e-14)
        assert sde.std(t) ** 2 == pytest.approx(1 - math.exp(-t), rel=1e-12, abs=1e-300)
    assert sde.std(1e-9) ** 2 == pytest.approx(1e-9 - 0.5e-18, rel=1e-12)  # no cancellation at small t
    grid = sde.time_grid(500)
    assert len(grid) == 501 and grid[0] == 4.0 and grid[-1] == 0.02
    assert float(grid[1] - grid[0]) == pytest.approx(-(4.0 - 0.02) / 500, rel=1e-12)
    x0 = torch.randn(5, 3, dtype=torch.float64)
    noise = torch.randn(5, 3, dtype=torch.float64)
    t = torch.tensor([0.0, 0.1, 1.0, 2.0, 4.0], dtype=torch.float64)
    expected = torch.exp(-t / 2)[:, None] * x0 + torch.sqrt(1 - torch.exp(-t))[:, None] * noise
    torch.testing.assert_close(sde.perturb(x0, t, noise), expected)
    torch.testing.assert_close(sde.perturb(x0, 1.0, noise), math.exp(-0.5) * x0 + math.sqrt(1 - math.exp(-1)) * noise)

    def score(x, s):
        return -x

    torch.testing.assert_close(sde.reverse_drift(x0, score(x0, 1.0)), -0.5 * x0)
    torch.testing.assert_close(sde.probability_flow_drift(x0, score(x0, 1.0)), 0 * x0)
    with pytest.raises(ValueError, match="t must be"):
        sde.perturb(x0, torch.zeros(4), noise)


def test_euler_maruyama_on_the_paper_mixture_lands_on_its_t0_marginal():
    from neural import make_target
    gmm = make_target("gmm")
    gen = torch.Generator().manual_seed(6)
    n = 4000
    out = euler_maruyama(gmm.score, torch.randn(n, 10, generator=gen, dtype=torch.float64), time_grid(200), generator=gen)
    law = gmm.forward(T0)  # exact: N(a mu_k, (a^2 0.36 + s^2) I) per component
    second_moment = float(torch.trace(law.covariance()) + law.mean().pow(2).sum())
    emp = out.pow(2).sum(1)
    assert abs(float(emp.mean()) - second_moment) < 4.5 * float(emp.std()) / math.sqrt(n) + 0.02 * second_moment
    # within-component spread: distance to the nearest mean, coordinates 3..10 only hold noise
    assert abs(float(out[:, 2:].var()) - float(law.covs[0])) < 0.03
    # every component is visited with weight about 1/5
    nearest = torch.cdist(out[:, :2], law.means[:, :2]).argmin(1)
    share = torch.bincount(nearest, minlength=5).double() / n
    assert float((share - 0.2).abs().max()) < 4.5 * math.sqrt(0.2 * 0.8 / n) + 0.01
