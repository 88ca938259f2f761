"""The one schedule object (TimeGrid, its t0 rule) and the schedule / prediction adapters of THEORY.md §1,
against values computed here independently (products of (1 - beta), integrals in closed form, the Gaussian
posterior mean)."""
import math

import numpy as np
import pytest

from gaussian_exact import (Gaussian, GridLaw, TimeGrid, cosine_betas, ddpm_ancestral, euler_maruyama, gaussian_chain,
                            karras_sigmas, linear_betas, ou_time_from_sigma, ou_times_from_betas, reverse,
                            run_grid_chain, score_from_prediction, sigma_from_ou_time, vp_ou_time)
from gaussian_exact.linear_sde import check_schedule


def test_diffusers_linear_schedule_abar_at_known_indices():
    betas = linear_betas(1000, 1e-4, 0.02)
    t = ou_times_from_betas(betas)
    for i in (0, 9, 99, 499, 999):   # abar_i = prod_{j <= i} (1 - beta_j), beta_j = 1e-4 + j (0.02 - 1e-4) / 999
        log_abar = math.fsum(math.log1p(-(1e-4 + j * (0.02 - 1e-4) / 999)) for j in range(i + 1))
        assert abs(math.exp(-t[i]) - math.exp(log_abar)) < 1e-13 * math.exp(log_abar) + 1e-300
    assert abs(math.exp(-t[-1]) - 4.0358e-5) < 1e-8                     # DDPM's published alphas_cumprod[-1]
    assert abs(math.exp(-t[0]) - (1 - 1e-4)) < 1e-15


def test_cosine_schedule_telescopes_to_its_abar():
    N, s = 200, 0.008
    f = lambda u: math.cos((u + s) / (1 + s) * math.pi / 2) ** 2   # noqa: E731
    abar = np.exp(-ou_times_from_betas(cosine_betas(N, s)))
    for i in (0, 50, 150):                                         # beta below the cap: prod = f((i+1)/N) / f(0)
        assert abs(abar[i] - f((i + 1) / N) / f(0)) < 1e-12
    assert cosine_betas(N)[-1] == 0.999                              # the last one is capped


def test_vp_sde_time_change_and_edm_sigmas():
    assert abs(vp_ou_time(1.0) - (0.1 + 19.9 / 2)) < 1e-13
    assert abs(vp_ou_time(0.5, beta=lambda r: 0.1 + 19.9 * r) - (0.05 + 19.9 * 0.125)) < 1e-11
    assert np.allclose(vp_ou_time(np.array([0.2, 0.7]), 0.5, 3.0), [0.5 * 0.2 + 1.25 * 0.04, 0.5 * 0.7 + 1.25 * 0.49])
    assert abs(ou_time_from_sigma(1.0) - math.log(2.0)) < 1e-15              # abar = 1/(1 + sigma^2) = 1/2
    sig = karras_sigmas(10)
    assert abs(sig[0] - 80.0) < 1e-10 and abs(sig[-1] - 0.002) < 1e-15 and np.all(np.diff(sig) < 0)
    t = ou_time_from_sigma(sig)
    assert np.allclose(sigma_from_ou_time(t), sig, rtol=1e-13)
    TimeGrid(times=t)                                                         # an EDM grid is a valid TimeGrid
    assert euler_maruyama(TimeGrid(times=t)).steps == 9


@pytest.mark.parametrize("prediction", ["epsilon", "x0", "v"])
def test_prediction_adapters_give_the_exact_score(prediction):
    m, S = 0.4, 0.7                                   # x0 ~ N(m, S): E[x0 | x_t] in closed form, written here
    for t in (0.05, 1.0, 3.0):
        a, s2 = math.exp(-t / 2), -math.expm1(-t)
        x = np.linspace(-3, 3, 7)
        x0 = m + a * S / (a * a * S + s2) * (x - a * m)
        eps = (x - a * x0) / math.sqrt(s2)
        out = {"epsilon": eps, "x0": x0, "v": a * eps - math.sqrt(s2) * x0}[prediction]
        score = score_from_prediction(lambda y, c, o=out: o, prediction)(x, t)
        assert np.allclose(score, -(x - a * m) / (a * a * S + s2), rtol=1e-12, atol=1e-12)
    calls = []
    score_from_prediction(lambda y, c: calls.append(c) or y, "epsilon", condition=lambda t: 10 * t)(np.ones(2), 0.5)
    assert calls == [5.0]


def test_one_t0_rule_in_one_place():
    """t0 in [0, T): TimeGrid decides, check_schedule and VPSDE repeat its message word for word."""
    from neural.sde import VPSDE
    assert TimeGrid(T=1.0, t0=0.0).t0 == 0.0 and VPSDE(1.0, 0.0).t0 == 0.0           # failed before (VPSDE: (0, T))
    for T, t0 in ((1.0, 1.0), (1.0, -1e-9), (1.0, math.nan), (-1.0, 0.0), (math.inf, 0.1)):
        with pytest.raises(ValueError) as a:
            TimeGrid(T=T, t0=t0)
        with pytest.raises(ValueError) as b:
            VPSDE(T, t0)
        with pytest.raises(ValueError) as c:
            check_schedule(T, t0, None)
        assert str(a.value) == str(b.value) == str(c.value)
        assert ("t0" in str(a.value)) == (T == 1.0)
    assert "[0, T)" in str(pytest.raises(ValueError, TimeGrid, T=1.0, t0=2.0).value)


@pytest.mark.parametrize("kwargs,word", [(dict(steps=0), "steps"), (dict(steps=1.5), "steps"), (dict(init="data"), "init"),
                                         (dict(times=[4.0, 4.0, 0.1]), "times"), (dict(times=[1.0, 0.5], steps=3), "steps"),
                                         (dict(times=[[1.0, 0.5]]), "times"), (dict(T="4"), "T")])
def test_time_grid_refuses_bad_fields_naming_them(kwargs, word):
    with pytest.raises(ValueError, match=word):
        TimeGrid(**kwargs)


def test_time_grid_uniform_grid_and_replace():
    g = TimeGrid(T=2.0, t0=0.5, steps=3)
    assert np.array_equal(g.grid(), [2.0, 1.5, 1.0, 0.5]) and g.uniform
    assert g.replace(steps=6).steps == 6 and g.replace(init="exact").init == "exact"
    with pytest.raises(ValueError, match="t0"):
        g.replace(t0=3.0)


@pytest.mark.parametrize("kwargs,word", [(dict(betas=[0.1, 1.0]), "betas"), (dict(betas=[0.1]), "betas"),
                                         (dict(betas=[0.1, 0.2], variance="fixed"), "variance"),
                                         (dict(betas=[0.1, 0.2], clip_range=0.0), "clip_range"),
                                         (dict(betas=[0.1, 0.2], clip_sample=1), "clip_sample")])
def test_ddpm_description_refuses_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        ddpm_ancestral(**kwargs)


def test_closed_form_refuses_clipping_and_functions_refuse_both_forms():
    target = Gaussian([0.0], [[0.5]])
    clipped = ddpm_ancestral(linear_betas(10, 0.01, 0.2), clip_sample=True)
    with pytest.raises(ValueError, match="clip"):
        gaussian_chain(target, clipped)
    with pytest.raises(ValueError, match="sampler or schedule"):
        reverse(target, schedule=TimeGrid(steps=3), sampler=clipped)
    law = GridLaw.mixture([1.0], [[0.0]], [0.5], points=200)
    with pytest.raises(ValueError, match="schedule"):
        run_grid_chain(law, schedule={"T": 4.0})
    with pytest.raises(ValueError, match="sampler"):
        run_grid_chain(law, sampler="ddpm")


def test_ddpm_chain_of_exact_score_approaches_the_target_as_steps_grow():
    """A known limit: DDPM ancestral sampling with the exact score and many small steps ends near
    forward(target, t_1) (the chain's output time), the error shrinking with the step."""
    target = Gaussian([0.5], [[0.3]])
    errs = []
    for n in (100, 400):
        betas = linear_betas(n, 2e-3 * 100 / n, 0.2 * 100 / n)
        out = gaussian_chain(target, ddpm_ancestral(betas, "posterior", init="exact")).out
        t1 = float(ou_times_from_betas(betas)[0])
        a, s2 = math.exp(-t1 / 2), -math.expm1(-t1)
        errs.append(abs(out.cov[0, 0] - (a * a * 0.3 + s2)) + abs(out.mean[0] - a * 0.5))
    assert errs[1] < 0.5 * errs[0] and errs[1] < 1e-2
