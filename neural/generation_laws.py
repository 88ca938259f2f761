"""How the retraining loop knows the laws of a generation: three interchangeable strategies, chosen
once per run by `choose_laws` (the module docstring of neural/retraining.py says what each computes).

* `GridLaws` (THEORY.md §7): exact laws on a grid of the sampler's own Euler-Maruyama chain with the
  learned score, any learner, Gaussian-mixture targets of dimension <= 2; every metric is exact.
* `MixtureLaws` (THEORY.md §4): a Gaussian-mixture target and a kernel learner (the KDE): the
  output law is the learner's KDE pushed to t0, the training laws are exact Gaussian mixtures;
  D, I and the TV / Hellinger distances of the companion laws by Monte Carlo with exact densities,
  eps2 / epshat2 / eta over simulated paths.
* `ProxyLaws`: anything else: Gaussian proxies for D and I, score errors against the empirical
  training law (the KDE of X_g with bandwidth ``EMPIRICAL_BANDWIDTH``).

Each strategy has the same members: `training_law` (q_g from the previous laws), `output_law`
(p^{g+1} after sampling, with the metrics and arrays it produced), `replayed_output_law` (the same
from a committed generation), `divergences` and `path_metrics` (named `neural.Estimate` values),
`extra_metrics`, and `measures_injected_error` (whether its metrics see an injected score error).
"""
from __future__ import annotations

import numpy as np
import torch

from gaussian_exact import GridLaw

from .estimate import Estimate
from .estimators import density_ratio_distances, density_ratio_divergences, gaussian_chi2_proxy, gaussian_kl_proxy
from .estimators.features import PCAFeatures
from .gaussian_mixture import TorchGaussianMixture
from .grid_exact import MASS_TOL, TorchGridScore, data_grid_law, grid_generation
from .grid_exact import REACH as GRID_REACH
from .kde_score import KDEScore
from .observability import observability_mc
from .path_energy import denoising_loss_gap_mc, path_energy_mc

EMPIRICAL_BANDWIDTH = 1e-3
PROXY_MAX_DIM = 16  # above this many coordinates the Gaussian proxies use the top PCA features of the data
DIVERGENCES = ("D_chi2", "D_kl", "I_chi2", "I_kl")
PATH_METRICS = ("eps2", "epshat2", "eta")
COMPANION_DRAWS = 2000  # draws per TV / Hellinger Monte Carlo of MixtureLaws (standard error about 0.01)


def choose_laws(run):
    """The law strategy of a run (`neural.Retraining`): grid laws when the config asks for them
    (`RetrainingConfig.uses_exact_grid`), else exact mixture laws for a kernel learner on a
    Gaussian-mixture target, else proxies."""
    if run.config.uses_exact_grid(run.target):
        return GridLaws(run)
    if isinstance(run.target, TorchGaussianMixture) and run.learner.kernel_bandwidth is not None:
        return MixtureLaws(run)
    return ProxyLaws(run)


class Float64Score:
    """A score evaluated in the model's dtype and returned in float64."""

    def __init__(self, score, dtype):
        self.score, self.dtype = score, dtype

    @torch.no_grad()
    def __call__(self, x, t):
        t = t.to(self.dtype) if torch.is_tensor(t) else t
        return self.score(x.to(self.dtype), t).to(torch.float64)


class _Laws:
    """Members shared by the strategies; `run` is the `neural.Retraining` they serve."""

    measures_injected_error = False
    data = None

    def __init__(self, run):
        self.run, self.config = run, run.config

    def training_law(self, q_prev, p_prev, k: int, n_prev: int):
        """q_g: the fresh fraction k/n of the data law mixed with the previous output law ("replace"),
        or with all earlier training laws weighted by their counts ("accumulate")."""
        n = self.config.n
        batch = self.data if k == n else (p_prev if k == 0 else self.data.mix(p_prev, k / n))
        if q_prev is None or self.config.mode == "replace":
            return batch
        return q_prev.mix(batch, n_prev / (n_prev + n))

    def extra_metrics(self, gen) -> dict:
        return {}

    def path_draws(self, gen, n_paths):
        shape = (n_paths,) + tuple(self.run.target.shape)
        return torch.randn(shape, generator=self.run.generator(gen.g, "paths"), device=self.run.device,
                           dtype=torch.float64)


class GridLaws(_Laws):
    """Exact grid laws (neural/grid_exact.py, THEORY.md §7)."""

    measures_injected_error = True

    def __init__(self, run):
        super().__init__(run)
        cfg = self.config
        kind = "kde" if run.learner.kernel_bandwidth is not None else "network"
        reach = GRID_REACH[kind].get(getattr(run.target, "dim", 0), 9.0)
        self.data = data_grid_law(run.target, cfg.steps, cfg.T, cfg.t0, reach)

    def output_law(self, gen, p_prev):
        """(p^{g+1} on the grid, the grid metrics, the arrays to keep as exact_law.npz)."""
        cfg, run = self.config, self.run
        previous = self.data if p_prev is None else p_prev
        p_out, metrics = grid_generation(gen.q, self.data, previous, gen.score, run.device, run.dtype,
                                         cfg.steps, cfg.T, cfg.t0)
        return p_out, metrics, {"exact_law": p_out.arrays()}  # grid, density, mass_outside (+ log_density in 1-D)

    def replayed_output_law(self, g, x_train, sde):
        return GridLaw.load(self.run.store.gen_dir(g) / "exact_law.npz", mass_tol=MASS_TOL)

    def divergences(self, gen, reference, wanted) -> dict:
        return {}   # exact: in output_law's metrics

    def path_metrics(self, gen, wanted) -> dict:
        return {}

    def extra_metrics(self, gen) -> dict:
        """eta by regression over eval_paths simulated ideal paths (neural.observability, poly2
        features), the exact score of q_g from its grid law: the paper's estimator beside the exact eta."""
        cfg, run = self.config, self.run
        if "eta" not in cfg.metrics:
            return {}
        eta = observability_mc(Float64Score(gen.score, run.dtype), TorchGridScore(gen.q),
                               self.path_draws(gen, cfg.eval_paths), gen.sde, cfg.steps, features="poly2",
                               generator=run.generator(gen.g, "ideal_paths"), chunk_size=cfg.chunk_size)["eta"]
        return {"eta_regression": eta.named(f"{eta.estimator}_vs_grid_exact_training_law")}


class MixtureLaws(_Laws):
    """Exact Gaussian-mixture laws of a kernel learner on a Gaussian-mixture target (THEORY.md §4)."""

    def __init__(self, run):
        super().__init__(run)
        self.data = run.target
        self.bandwidth = float(run.learner.kernel_bandwidth)

    def output_law(self, gen, p_prev):
        return self.replayed_output_law(gen.g, gen.x_train, gen.sde), {}, None

    def replayed_output_law(self, g, x_train, sde):
        """P: the KDE of the training set pushed to t0 (neural/retraining.py's docstring)."""
        return TorchGaussianMixture.from_points(x_train.reshape(x_train.shape[0], -1).cpu(), self.bandwidth).forward(sde.t0)

    def divergences(self, gen, reference, wanted) -> dict:
        cfg, run = self.config, self.run
        draws = gen.p_out.sample(cfg.eval_points, generator=run.generator(gen.g, "divergence"),
                                 device=run.device, dtype=torch.float64)
        name = f"mc_exact_mixture_densities_{cfg.eval_points}_draws_kde_output_law"
        out = {}
        for prefix, law in (("D", run.target), ("I", gen.q), ("I_ideal", gen.q.forward(gen.sde.t0))):
            res = density_ratio_divergences(draws, gen.p_out.log_prob, law.log_prob)
            for kind in ("chi2", "kl"):
                out[f"{prefix}_{kind}"] = Estimate(res[kind], res[f"{kind}_se"], cfg.eval_points, name)
        if "I_chi2" in wanted or "I_kl" in wanted:
            wanted = wanted | {"I_ideal_chi2", "I_ideal_kl"}
        return {k: v for k, v in out.items() if k in wanted}

    def path_metrics(self, gen, wanted) -> dict:
        cfg, run = self.config, self.run
        suffix = "vs_exact_training_mixture"
        learned, exact = KDEScore(gen.x_train.to(torch.float64), self.bandwidth), gen.q.score
        x_T, d, out = self.path_draws(gen, cfg.eval_paths), int(np.prod(run.target.shape)), {}
        if "eta" in wanted or "eps2" in wanted:
            res = observability_mc(learned, exact, x_T, gen.sde, cfg.steps, features="poly2" if d <= 20 else "rff",
                                   generator=run.generator(gen.g, "ideal_paths"), chunk_size=cfg.chunk_size)
            out["eta"], out["eps2"] = res["eta"], res["eps2"]
        if "epshat2" in wanted:
            out["epshat2"] = path_energy_mc(learned, exact, x_T, "learned", gen.sde, cfg.steps,
                                            generator=run.generator(gen.g, "learned_paths"), chunk_size=cfg.chunk_size)
        return {k: v.named(f"{v.estimator}_{suffix}") for k, v in out.items() if k in wanted}

    def extra_metrics(self, gen) -> dict:
        """The companion-law distances of THEORY.md §8 (TV and Hellinger, the names of
        `neural.grid_theory`), by Monte Carlo with exact mixture densities over `COMPANION_DRAWS`
        draws of the first law of each pair: rho_g = TV(P_g, data) (`tv_prev_data`; 0 at g = 0, where
        P_0 is the data), rho_{g+1} (`tv_p_data`), TV(q_g, data), b_g = TV(q_g at t0, q_g)
        (`tv_ideal_q`) and TV(P_{g+1}, q_g at t0) (`tv_p_ideal`), and the same in Hellinger (`hel_*`).
        q_g at t0 is the ideal chain's output in continuous time; P_{g+1} the KDE output law (both
        the approximations of the module docstring of neural/retraining.py)."""
        run = self.run
        ideal = gen.q.forward(gen.sde.t0)
        pairs = {"p_data": (gen.p_out, self.data), "q_data": (gen.q, self.data),
                 "ideal_q": (ideal, gen.q), "p_ideal": (gen.p_out, ideal)}
        if run.p_out is not None:
            pairs["prev_data"] = (run.p_out, self.data)
        n = COMPANION_DRAWS
        name = f"mc_exact_mixture_densities_{n}_draws_kde_output_law"
        out = {} if run.p_out is not None else {"tv_prev_data": Estimate(0.0, 0.0, None, "exact_p0_is_data"),
                                                  "hel_prev_data": Estimate(0.0, 0.0, None, "exact_p0_is_data")}
        for key, (p, q) in pairs.items():
            if p is q:   # the same law (q_g is the data at alpha = 1): 0 exactly, no draws
                out[f"tv_{key}"] = out[f"hel_{key}"] = Estimate(0.0, 0.0, None, "exact_same_law")
                continue
            draws = p.sample(n, generator=run.generator(gen.g, f"companion_{key}"), device=run.device,
                             dtype=torch.float64)
            res = density_ratio_distances(draws, p.log_prob, q.log_prob)
            out[f"tv_{key}"] = Estimate(res["tv"], res["tv_se"], n, name)
            out[f"hel_{key}"] = Estimate(res["hel"], res["hel_se"], n, name)
        return out


class ProxyLaws(_Laws):
    """No law in closed form: Gaussian proxies and errors against the empirical training law."""

    def output_law(self, gen, p_prev):
        return None, {}, None

    def replayed_output_law(self, g, x_train, sde):
        return None

    def training_law(self, q_prev, p_prev, k, n_prev):
        return None

    def divergences(self, gen, reference, wanted) -> dict:
        flat = gen.samples.reshape(gen.samples.shape[0], -1).cpu()
        features, space = (lambda x: x), ""
        if flat.shape[1] > PROXY_MAX_DIM:  # images: pixel covariances are singular (constant borders)
            pca = PCAFeatures(reference.reshape(reference.shape[0], -1).cpu().double(), PROXY_MAX_DIM)
            features, space = (lambda x: pca(x.double())), f"pca{PROXY_MAX_DIM}_"
        out = {}
        for prefix, other, what in (("D", reference, "data"), ("I", gen.x_train, "training_set")):
            other = features(other.reshape(other.shape[0], -1).cpu())
            for kind, fn in (("chi2", gaussian_chi2_proxy), ("kl", gaussian_kl_proxy)):
                out[f"{prefix}_{kind}"] = Estimate(fn(features(flat), other, ridge=1e-6), None, None,
                                                   f"gaussian_proxy_{space}samples_vs_{what}")
        return {k: v for k, v in out.items() if k in wanted}

    def path_metrics(self, gen, wanted) -> dict:
        cfg, run = self.config, self.run
        suffix = "vs_empirical_training_law"
        learned = Float64Score(gen.score, run.dtype)
        exact = KDEScore(gen.x_train.to(torch.float64), EMPIRICAL_BANDWIDTH)
        x_T, d, out = self.path_draws(gen, cfg.eval_paths), int(np.prod(run.target.shape)), {}
        if "eta" in wanted:
            out["eta"] = observability_mc(learned, exact, x_T, gen.sde, cfg.steps,
                                          features="poly2" if d <= 20 else "rff",
                                          generator=run.generator(gen.g, "ideal_paths"), chunk_size=cfg.chunk_size)["eta"]
        if "eps2" in wanted:
            out["eps2"] = denoising_loss_gap_mc(learned, exact, gen.x_train.to(torch.float64), gen.sde,
                                                generator=run.generator(gen.g, "dsm"))
        if "epshat2" in wanted:
            out["epshat2"] = path_energy_mc(learned, exact, x_T, "learned", gen.sde, cfg.steps,
                                            generator=run.generator(gen.g, "learned_paths"), chunk_size=cfg.chunk_size)
        return {k: v.named(f"{v.estimator}_{suffix}") for k, v in out.items()}
