"""The law of DDPM's last, noiseless step (gaussian_exact.FinalStepLaw, final_step_law.py) on maps with closed
forms, independent of the chain: x_1 ~ N(0, I) on a grid and a score chosen so that the predicted x0 is
m(x) = x^2 - 1 (not monotone: two branches, a fold at -1), whose pushforward has the chi-square CDF
erf(sqrt((c + 1) / 2)); clipping at 2 puts the atom P(x^2 >= 3) = 2 (1 - Phi(sqrt 3)) at +2 and none at -2.
2-D: m(x) = (x_0^2 - 1, x_1) with x_0, x_1 independent: the marginals, edges and corners in closed form,
an oblique projection against Monte Carlo (a stress test of the 2-D sub-cell scheme: a strongly bent map with
a fold, which DDPM's final map, the posterior mean, does not have for an exact score). Controls: the map without clipping, and a mutated map. Bad input:
ValueErrors naming the argument. (The chain-level tests are in tests/test_exact_samplers.py and, against
samples, tests/test_neural_core_chain_samplers.py.)"""
import math

import numpy as np
import pytest
from scipy.special import erf, ndtr

from gaussian_exact import (FinalStepLaw, Gaussian, GridLaw, ddpm_ancestral, euler_maruyama, final_step_gaussian,
                            final_step_law, linear_betas)

BETAS = linear_betas(10, 0.01, 0.2)


def square_map_score(sampler, shift=1.0):
    """The score at t_1 that makes the predicted x0 (x + (1 - abar_1) s) / sqrt(abar_1) equal x_0^2 - shift in the
    first coordinate and x in the others."""
    ab = math.exp(-sampler.schedule.t0)

    def score(x, t):
        target = x.copy()
        target[:, 0] = x[:, 0] ** 2 - shift
        return (math.sqrt(ab) * target - x) / (1 - ab)
    return score


def chi2_cdf(c):
    c = np.asarray(c, float)
    return np.where(c < -1, 0.0, erf(np.sqrt(np.maximum(c + 1, 0.0) / 2)))


@pytest.mark.parametrize("clip", [False, True])
def test_non_monotone_map_1d_closed_form(clip):
    sampler = ddpm_ancestral(BETAS, clip_sample=clip, clip_range=2.0)
    law = GridLaw.mixture([1.0], [[0.0]], [1.0], points=801, bounds=(-8.0, 8.0))
    F = final_step_law(law, sampler, square_map_score(sampler))
    c = np.linspace(-1.5, 3.0, 9001)
    ref = np.where(c >= 2, 1.0, chi2_cdf(c)) if clip else chi2_cdf(c)
    assert np.max(np.abs(F.cdf(c) - ref)) < 1e-10                        # measured 2e-15
    atom = 2 * (1 - ndtr(math.sqrt(3)))
    if clip:
        assert abs(F.atom_masses()[1] - atom) < 1e-10 and F.atom_masses()[0] == 0.0
        assert abs(F.cdf_left(2.0) - (1 - atom)) < 1e-10 and F.cdf(2.0) == 1.0
        # control: the unclipped law misses the atom by its whole mass
        plain = final_step_law(law, ddpm_ancestral(BETAS), square_map_score(sampler))
        assert abs(plain.cdf(1.999) - F.cdf(2.0)) > 0.08
    else:
        assert abs(F.mean[0]) < 1e-10 and abs(F.cov[0, 0] - 2.0) < 1e-10      # E[X^2 - 1] = 0, Var X^2 = 2
    # control: a mutated map (x^2 - 0.98) is told apart far beyond the tolerance
    mutated = final_step_law(law, sampler, square_map_score(sampler, 0.98))
    assert np.max(np.abs(mutated.cdf(c) - ref)) > 1e-3


def test_2d_edges_corners_and_an_oblique_projection():
    sampler = ddpm_ancestral(BETAS, clip_sample=True, clip_range=2.0)
    law = GridLaw.mixture([1.0], [[0.0, 0.0]], [np.eye(2)], points=121, bounds=[(-8.0, 8.0)] * 2)
    F = final_step_law(law, sampler, square_map_score(sampler))
    c = np.linspace(-2.5, 2.5, 1001)
    # the bend of x^2 within a sub-cell and its fold at -1 limit the 2-D accuracy: measured 2.5e-4 (refine 4)
    assert np.max(np.abs(F.marginal_cdf(c, 0) - np.where(c >= 2, 1.0, chi2_cdf(c)))) < 4e-4
    gauss = np.where(c < -2, 0.0, np.where(c >= 2, 1.0, ndtr(c)))
    assert np.max(np.abs(F.marginal_cdf(c, 1) - gauss)) < 2e-5
    atom0 = 2 * (1 - ndtr(math.sqrt(3)))
    tail = 1 - ndtr(2.0)
    assert np.allclose(F.atom_masses(0), (0.0, atom0), atol=2e-5)             # measured 6e-6
    assert np.allclose(F.atom_masses(1), (tail, tail), atol=2e-5)
    # a reversed axis: P(-x_1 <= c) = 1 - P(x_1 < -c), the atoms swapping sides
    assert np.allclose(F.cdf(c, [0.0, -1.0]), 1 - F.cdf_left(-c, [0.0, 1.0]), atol=1e-14)
    corners = np.array([[0.0, 0.0], [atom0 * tail, atom0 * tail]])
    assert np.max(np.abs(F.corner_masses - corners)) < 1e-4
    # an oblique projection of the clipped map against Monte Carlo (4e6 draws: sd of the empirical CDF <= 2.5e-4)
    rng = np.random.default_rng(5)
    z = rng.standard_normal((4_000_000, 2))
    u = np.array([math.cos(0.7), math.sin(0.7)])
    proj = np.sort(np.clip(np.column_stack([z[:, 0] ** 2 - 1, z[:, 1]]), -2, 2) @ u)
    levels = np.linspace(-2.5, 2.5, 201)
    emp = np.searchsorted(proj, levels, side="right") / proj.size
    assert np.max(np.abs(F.cdf(levels, u) - emp)) < 1.5e-3
    # control: the unclipped map's projection is far off
    plain = final_step_law(law, ddpm_ancestral(BETAS), square_map_score(sampler))
    assert np.max(np.abs(plain.cdf(levels, u) - emp)) > 1e-2


def test_bad_input_is_a_value_error_naming_the_argument():
    sampler = ddpm_ancestral(BETAS)
    law = GridLaw.mixture([1.0], [[0.0]], [1.0], points=201, bounds=(-8.0, 8.0))
    good = np.zeros((201, 1))
    with pytest.raises(ValueError, match="output"):
        FinalStepLaw(np.zeros(3), sampler, good)
    with pytest.raises(ValueError, match="sampler"):
        FinalStepLaw(law, euler_maruyama(), good)
    with pytest.raises(ValueError, match="score"):
        FinalStepLaw(law, sampler, np.zeros((200, 1)))
    with pytest.raises(ValueError, match="score"):
        FinalStepLaw(law, sampler, np.full((201, 1), np.nan))
    with pytest.raises(ValueError, match="score"):
        FinalStepLaw(law, sampler, lambda x, t: np.zeros((3, 1)))
    with pytest.raises(ValueError, match="refine"):
        FinalStepLaw(law, sampler, good, refine=0)
    F = FinalStepLaw(law, sampler, good)
    with pytest.raises(ValueError, match="x"):
        F.cdf(np.nan)
    with pytest.raises(ValueError, match="direction"):
        F.cdf(0.0, [1.0, 0.0])
    with pytest.raises(ValueError, match="axis"):
        F.marginal_cdf(0.0, 1)
    with pytest.raises(ValueError, match="corner_masses"):
        _ = F.corner_masses
    law2 = GridLaw.mixture([1.0], [[0.0, 0.0]], [np.eye(2)], points=41, bounds=[(-8.0, 8.0)] * 2)
    F2 = FinalStepLaw(law2, sampler, np.zeros((41 * 41, 2)))
    for bad in ([0.0, 0.0], [1.0, 2.0, 3.0], [np.inf, 1.0], "e0"):
        with pytest.raises(ValueError, match="direction"):
            F2.cdf(0.0, bad)


def test_the_gaussian_final_step_refuses_what_it_cannot_give():
    g = Gaussian([0.0], [[1.0]])
    with pytest.raises(ValueError, match="sampler"):
        final_step_gaussian(g, g, euler_maruyama())
    with pytest.raises(ValueError, match="clip"):
        final_step_gaussian(g, g, ddpm_ancestral(BETAS, clip_sample=True))
    with pytest.raises(ValueError, match="x1"):
        final_step_gaussian(Gaussian([0.0, 0.0], np.eye(2)), g, ddpm_ancestral(BETAS))
    with pytest.raises(ValueError, match="target"):
        final_step_gaussian(g, "N(0, 1)", ddpm_ancestral(BETAS))
