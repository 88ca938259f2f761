"""Exact metrics of one generation for targets of dimension 1 or 2, with any learner (THEORY.md section 7).

The sampler (`neural.sampling.euler_maruyama`: t_k = T - k h, start N(0, I), score at t_k) is a Markov
chain with Gaussian transitions, so for a learned score s_theta its output law is computed exactly on a
grid by `gaussian_exact.run_grid_chain(q, score=s_theta)`: the network (or KDE) is evaluated on every
grid node at every step time (chunked, torch -> numpy once per step), beside the exact score of the
training law q_g. Given the previous generations' exact laws, the training law of generation g is exact
too: q_g = fresh_fraction data + (1 - fresh_fraction) p^g ("replace"), and so are

* D_{g+1} = chi2 / KL(p^{g+1} || data), I_g = chi2 / KL(p^{g+1} || q_g),
* kl_ideal, chi2_ideal: of p^{g+1} to the ideal chain's output (exact score of q_g, same grid of times,
  same start), which Prop 3.1 bounds exactly by epshat2 / 2 (discrete Girsanov);
* eps2, epshat2 (Riemann sums over the chain's marginals) and eta (forward g recursion);
* D_chi2, I_chi2, chi2_ideal over R^d: exact, +inf where truly divergent (the log densities' tails
  decide: gaussian_exact.chi2_reason), with `D_chi2_reason`, `I_chi2_reason`, `chi2_ideal_reason`
  (None, or a dict with law, face, tail_p, tail_q, text naming the fitted tails);
* the good-set versions on G = {data >= G_KAPPA max data} (THEORY.md section 8, "Tails decide chi2";
  a reconstruction of the paper's A5, whose exact form is not public), where Lemma F.1 and the
  one-step identity hold pointwise and hence exactly: D_chi2_G, D_prev_chi2_G (of p^{g+1}, p^g),
  I_chi2_G, chi2_q_data_G = chi2_G(q_g || data), chi2_ideal_G, cross_G = <p^g - data, p^{g+1} - q_g>_G,
  cross_q_G = <q_g - data, p^{g+1} - q_g>_G, J_G = int_G (p^{g+1} - q_g)^2 / data, the learned law's mass
  outside G (`mass_outside_G`) and `G_kappa`;
* the assumptions A1-A4, the proof skeleton's numbers and rows, and the TV / Hellinger / Renyi quantities
  of the companion laws (`neural.grid_theory.theory_metrics`: one more pass over the chain).
"Exact" means: up to the trapezoid quadrature on the grid (relative error below 1e-9 for the grids
chosen here) and given the learned score as a float function; the sample draws are not used. Each
estimator is named "grid_exact_K<steps>_<points>pts".
"""
from __future__ import annotations

import math

import numpy as np
import torch

from gaussian_exact import GridLaw, StepFields, chi2_good_set, chi2_reason, good_set, kl, run_grid_chain
from gaussian_exact.grid_divergences import DEFAULT_KAPPA, grid_chi2, grid_inner

from .gaussian_mixture import TorchGaussianMixture
from .grid_theory import theory_metrics

GRID_MAX_DIM = 2
# grid half-width in sd of the widest component and of N(0, I), by learner kind and dimension: networks
# extrapolate poorly into the far tails (a barely trained one leaves the expanding drift y/2 of the reverse
# chain nearly alone, sd up to e^{T/2}), so their boxes are wider; 1-D grids are cheap
REACH = {"kde": {1: 9.0, 2: 9.0}, "network": {1: 30.0, 2: 14.0}}
G_KAPPA = DEFAULT_KAPPA      # the good set G = {data >= G_KAPPA max data} of the *_G metrics
NO_ESTIMATOR = ("mass_outside", "mass_outside_G", "D_prev_chi2_G")
MASS_TOL = 1e-4              # mass outside the grid above which a generation is refused (reported as mass_outside)
SPACING_OF_SQRT_H = {1: 0.5, 2: 0.9}   # dx <= this times sqrt(h)
POINTS_PER_SD = {1: 6, 2: 3}           # dx <= min(sd, 1) / this (trapezoid error ~ 2 exp(-2 pi^2 9) for a Gaussian)
GRID_CHUNK = 65536           # grid nodes per score call


def grid_exact_supported(target) -> bool:
    """True for targets with a density (Gaussian mixtures) of dimension <= 2."""
    return isinstance(target, TorchGaussianMixture) and target.dim <= GRID_MAX_DIM


def data_grid_law(target: TorchGaussianMixture, steps: int, T: float, t0: float, reach: float = REACH["kde"][1]) -> GridLaw:
    """The target as a GridLaw on a grid fit for `steps` Euler-Maruyama steps on [t0, T]: spacing
    <= SPACING_OF_SQRT_H sqrt(h) and <= min(sd, 1) / POINTS_PER_SD, box = every component's mean
    +- `reach` sd and [-reach, reach] (the N(0, I) start).

    Raises
    ------
    ValueError
        When the target is not a Gaussian mixture of dimension 1 or 2 ("--exact grid" needs one).
    """
    if not grid_exact_supported(target):
        dim = getattr(target, "dim", None) or int(np.prod(getattr(target, "shape", (0,))))
        raise ValueError(f"exact='grid' needs a Gaussian-mixture target of dimension <= {GRID_MAX_DIM}, "
                         f"got {type(target).__name__} of dimension {dim}")
    d = target.dim
    w = target.weights.numpy()
    m = target.means.numpy()
    S = target.full_covs().numpy()
    sd = np.sqrt(np.diagonal(S, axis1=1, axis2=2))
    h = (T - t0) / steps
    dx = min(SPACING_OF_SQRT_H[d] * math.sqrt(h), min(float(sd.min()), 1.0) / POINTS_PER_SD[d])
    lo = np.minimum((m - reach * sd).min(axis=0), -reach)
    hi = np.maximum((m + reach * sd).max(axis=0), reach)
    points = int(math.ceil(float(np.max(hi - lo)) / dx)) + 1
    return GridLaw.mixture(w, m, S, points=points, bounds=np.column_stack([lo, hi]), mass_tol=MASS_TOL)


class TorchGridScore:
    """The exact score of a GridLaw's forward marginal as a torch score callable (float64, CPU
    numpy underneath): what the path simulators of neural.path_energy / neural.observability take."""

    def __init__(self, law: GridLaw):
        self.law = law

    def __call__(self, x, t):
        t = float(t) if not torch.is_tensor(t) else float(t.reshape(-1)[0])
        out = self.law.score(x.detach().to(torch.float64).cpu().numpy(), t)
        return torch.as_tensor(out, dtype=torch.float64, device=x.device)


class NumpyScore:
    """A torch score callable seen as f(x, t): numpy (m, d) float64 -> numpy (m, d) float64, evaluated
    under no_grad in `dtype` on `device`, GRID_CHUNK rows at a time (what gaussian_exact calls)."""

    def __init__(self, score, device, dtype):
        self.score, self.device, self.dtype = score, device, dtype

    @torch.no_grad()
    def __call__(self, x, t):
        xt = torch.as_tensor(x, dtype=self.dtype, device=self.device)
        out = [self.score(xt[i:i + GRID_CHUNK], float(t)) for i in range(0, xt.shape[0], GRID_CHUNK)]
        return torch.cat(out).to(torch.float64).cpu().numpy()


def grid_generation(q: GridLaw, data: GridLaw, previous: GridLaw, score, device, dtype, steps: int,
                    T: float, t0: float) -> tuple[GridLaw, dict]:
    """One generation's exact sample law and metrics (module docstring).

    Parameters
    ----------
    q, data, previous : GridLaw
        The training law q_g, the data law and p^g (the law of the previous samples; data for g = 0).
    score : callable
        The learned score, torch (m, d) tensors and a float time.
    device, dtype
        Where and in which dtype to evaluate the score.
    steps, T, t0
        The sampler's schedule.

    Returns
    -------
    (p^{g+1} as a GridLaw, metrics dict with values and `<name>_estimator` entries)
    """
    numpy_score = NumpyScore(score, device, dtype)
    fields = StepFields(q)   # the exact and learned scores at the K steps, kept for theory_metrics' pass
    r = run_grid_chain(q, None, T, t0, steps, init="prior", score=numpy_score, learned=True, ideal=True,
                       track_eta=True, step_fields=fields)
    p_next = r.learned
    name = f"grid_exact_K{steps}_{q.shape[0]}pts"
    G = good_set(data, G_KAPPA)
    diff_next = p_next.density - q.density
    learned = "learned law p^{g+1}"
    D = chi2_reason(p_next, data, (learned, "data"))
    I = chi2_reason(p_next, q, (learned, "training law q_g"))
    ideal = chi2_reason(p_next, r.ideal, (learned, "ideal chain output"))
    D_G, outside_G = chi2_good_set(p_next, data, G_KAPPA)
    values = {
        "D_chi2": D.value, "D_kl": kl(p_next, data),
        "I_chi2": I.value, "I_kl": kl(p_next, q),
        "I_ideal_chi2": ideal.value, "I_ideal_kl": kl(p_next, r.ideal),
        "kl_ideal": kl(p_next, r.ideal), "chi2_ideal": ideal.value,
        "eps2": r.eps2, "epshat2": r.epshat2, "eta": r.eta,
        # on G = {data >= kappa max data} (THEORY.md section 8, a reconstruction of the paper's A5)
        "D_chi2_G": D_G, "D_prev_chi2_G": grid_chi2(previous, data, region=G),
        "I_chi2_G": grid_chi2(p_next, q, region=G), "chi2_q_data_G": grid_chi2(q, data, region=G),
        "chi2_ideal_G": grid_chi2(p_next, r.ideal, region=G),
        "cross_G": grid_inner(previous.density - data.density, diff_next, data, G),
        "cross_q_G": grid_inner(q.density - data.density, diff_next, data, G),
        "J_G": grid_inner(diff_next, diff_next, data, G),
        "mass_outside_G": outside_G,
        "mass_outside": p_next.mass_outside,
    }
    out = {}
    for key, value in values.items():
        out[key] = float(value)
        if key not in NO_ESTIMATOR:
            out[f"{key}_se"] = 0.0
            out[f"{key}_estimator"] = name
    for key, res in (("D_chi2", D), ("I_chi2", I), ("chi2_ideal", ideal)):
        out[f"{key}_reason"] = None if res.reason is None else res.reason.as_dict()
    out["G_kappa"] = G_KAPPA
    out.update(theory_metrics(q, data, previous, p_next, r.ideal, numpy_score, steps, T, t0, ideal.value,
                              step_fields=fields))
    return p_next, out
