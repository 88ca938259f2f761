"""The recursive retraining loop (THEORY.md §2, the paper's protocol §6), resumable.

Generation g = 0, 1, ..., G-1 fits a score model on a training set X_g, samples n points with the
Euler-Maruyama reverse chain (`neural.sampling`, T to t0, `steps` steps, from N(0, I)) and commits
them with `neural.run_store.RunStore`:
* X_0: n fresh draws of the target ("data");
* "replace": X_g = round(alpha_g n) fresh draws + the first n - round(alpha_g n) samples of
  generation g-1; "accumulate": X_g = X_{g-1} plus that same batch of n (all past data kept).
alpha_g is `alpha`, or `alpha_schedule[g-1]` (its last value repeated) when a schedule is given.
The truncation time of generation g's sampler (and of its exact laws and path metrics) is `t0`, or
`t0_schedule[g]` (its last value repeated): annealed truncation, THEORY.md §5 (reconstructed), under
which the ideal recursion returns to data iff t0(g) -> 0 (`bounds.catalog()["limit.annealed.return"]`).

Two smoothings per round are reported separately in every metrics line, so a run shows which one
drives its drift (THEORY.md §4 KDE closure, §5 variance recursion; population level, per coordinate,
given the training set's mean per-coordinate variance v_q): the round maps v_q to
`e^{-t0} (v_q + h^2) + 1 - e^{-t0}`, i.e. `variance_added_kde = e^{-t0} h^2` (the KDE learner's kernel,
h^2 per round; KDE runs only) plus `variance_added_t0 = (1 - e^{-t0}) (1 - v_q)` (the early stop's pull
toward N(0, I)); `t0` is the generation's truncation time, `smoothing_estimator` names the method.

In THEORY.md's indexing generation g trains on q_g and its samples follow p^{g+1}. The metrics line
of generation g holds `generation`, `alpha`, `fresh_fraction`, `n_train`, `second_moment` (mean
squared norm of the samples), `w2_to_data` (+ `_estimator`), `seconds`, and on request
`D_chi2` / `D_kl` = divergence of p^{g+1} from data (D_{g+1}), `I_chi2` / `I_kl` = of p^{g+1} from
q_g (I_g), `eps2`, `epshat2`, `eta` (of generation g's score error e_g = learned - score of q_g),
each with `<name>_se` and `<name>_estimator`. With exact laws, requesting I also gives
`I_ideal_chi2` / `I_ideal_kl`: the divergence from the ideal output `P_{t0}(q_g)` (q_g smoothed to
t0, THEORY.md §5), which is what Prop 3.1's `1/2 epshat2` bounds (KL) once the Riemann sums
resolve the error near t0 (hundreds of steps; with tens of steps epshat2 is underestimated).

Exact laws, Gaussian-mixture target with the KDE learner (what is exact, what is approximate):
the learned score is exactly the OU score of the KDE `(1/|X_g|) sum_j N(x_j, h^2 I)` of X_g. With
the exact score, exact SDE and a start at the KDE's own time-T marginal, the samples would follow
that KDE pushed to t0, `P_{g+1} = sum_j N(a_t0 x_j, (a_t0^2 h^2 + s_t0^2) I) / |X_g|`; the actual
sampler starts at N(0, I) (error O(e^{-T})) and takes `steps` Euler-Maruyama steps (discretization
error), so P_{g+1} is an approximation of p^{g+1} given X_g. We use it as the law of generation
g's samples: the training law of generation g is then the exact Gaussian mixture
q_g = fresh_fraction * data + (1 - fresh_fraction) * P_g ("replace"; "accumulate": the count-
weighted mixture of data and all P_j used so far), conditional on the past training sets. So
e_g = KDE score - q_g score is exact given that approximation; eps2 and epshat2 are Monte Carlo
over `eval_paths` simulated paths, eta is the regression estimate (`neural.observability`), and
D, I are Monte Carlo with exact mixture densities over draws of P_{g+1}.
Exact grid laws (`exact="grid"`, the default "auto" for Gaussian-mixture targets of dimension <= 2,
e.g. "gmm1d", "gmm2d", any learner; neural/grid_exact.py, THEORY.md section 7): the sample law of
generation g is the exact law p^{g+1} of the sampler's Euler-Maruyama chain with the learned score
(evaluated on a grid at every step time), so q_g, D, I, eps2, epshat2, eta and the one-step identity
terms are exact up to quadrature, with estimators named "grid_exact_K<steps>_<points>pts"; each
generation directory keeps its law as `exact_law.npz` (`grid`, `density`). The synthetic part of the
next training set is still the sampler's own samples. `exact="off"` keeps the estimators below.
Other targets or learners: D and I are Gaussian proxies (samples vs reference data, samples vs
X_g), and e_g is taken against the exact score of the empirical training law (the KDE of X_g with
bandwidth 1e-3): eps2 by the denoising-loss gap, epshat2 and eta over paths; named as such.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from .devices import make_generator, resolve_device
from .estimators import density_ratio_divergences, gaussian_chi2_proxy, gaussian_kl_proxy, w2_to_data
from .error_injection import aligned_error, random_direction_error, time_only_error
from .estimators.features import PCAFeatures
from gaussian_exact import GridLaw

from .gaussian_mixture import GaussianMixture
from .grid_exact import MASS_TOL, TorchGridScore, data_grid_law, grid_exact_supported, grid_generation
from .grid_exact import REACH as GRID_REACH
from .kde_score import KDEScore
from .learners import LEARNER_NAMES, make_learner
from .observability import observability
from .path_energy import denoising_loss_gap, path_energy
from run_files import CONFIG_FILE
from .run_store import RunStore
from .sampling import euler_maruyama
from .sde import VPSDE
from .targets import TARGET_NAMES, make_target

METRIC_NAMES = ("D_chi2", "D_kl", "I_chi2", "I_kl", "eps2", "epshat2", "eta")
MODES = ("replace", "accumulate")
EXACT_MODES = ("auto", "grid", "off")
INJECTED_TYPES = ("aligned", "random", "time_only")   # neural.error_injection (reconstructed forms)
DTYPES = {"float32": torch.float32, "float64": torch.float64}
EMPIRICAL_BANDWIDTH = 1e-3
PROXY_MAX_DIM = 16  # above this many coordinates the Gaussian proxies use the top PCA features of the data


@dataclass
class RetrainingConfig:
    """One recursive run. `model_kw` goes to `make_learner` (the KDE's `bandwidth` is a field),
    `target_kw` to `make_target`; `steps` is the Euler-Maruyama step count of sampling and of the
    path metrics; `eval_paths` simulated paths for eps2/epshat2/eta (the paper: 50,000);
    `eval_points` draws for D and I and the W2 subset; `chunk_size` rows per score call in the
    samplers (the KDE kernels bound their own memory); `dtype` of data, samples and sampling
    (metrics run in float64).

    The constructor checks nothing; `validate` (called by `run_generations`) does.

    Parameters
    ----------
    target : str
        A name of ``TARGET_NAMES`` (default "gmm").
    model : str
        A name of ``LEARNER_NAMES`` (default "kde").
    alpha : float in [0, 1]
        Fraction of fresh data (default 0.5).
    generations : int >= 1
        Number of generations (default 3).
    n : int >= 2
        Training set size per generation (default 512).
    steps : int >= 1
        Euler-Maruyama steps of sampling and the path metrics (default 50).
    seed : int
        Run seed (default 0).
    device : str
        "auto", "cpu", "cuda" or "cuda:N" (default "auto").
    mode : str
        One of ``MODES`` (default "replace").
    alpha_schedule : list of float in [0, 1], or None
        alpha of generations 1, 2, ... (last repeated).
    t0_schedule : list of float in (0, T), or None
        t0 of generations 0, 1, ... (last repeated): annealed truncation.
    metrics : list of str
        Names of ``METRIC_NAMES`` to compute (default none).
    bandwidth : float > 0
        KDE bandwidth (default 0.6).
    T : float > 0
        Horizon (default 4).
    t0 : float in (0, T)
        Early-stopping time (default 0.02).
    eval_paths : int >= 1
        Simulated paths for eps2, epshat2 and eta (default 1000).
    eval_points : int >= 1
        Draws for D and I and the W2 subset (default 1000).
    chunk_size : int >= 1 or None
        Rows per score call in the samplers.
    dtype : str
        A key of ``DTYPES`` (default "float32").
    target_kw : dict
        Keyword arguments of `make_target`.
    model_kw : dict
        Keyword arguments of `make_learner`.
    exact : str
        One of ``EXACT_MODES`` (default "auto"); "grid" needs a Gaussian-mixture target of
        dimension <= 2.
    injected_error : dict or None
        ``{"type": one of INJECTED_TYPES, "size": w}``, added to the learned score.
    """

    target: str = "gmm"
    model: str = "kde"
    alpha: float = 0.5
    generations: int = 3
    n: int = 512
    steps: int = 50
    seed: int = 0
    device: str = "auto"
    mode: str = "replace"
    alpha_schedule: list | None = None
    t0_schedule: list | None = None  # t0 of generations 0, 1, ... (last repeated): annealed truncation
    metrics: list = field(default_factory=list)
    bandwidth: float = 0.6
    T: float = 4.0
    t0: float = 0.02
    eval_paths: int = 1000
    eval_points: int = 1000
    chunk_size: int | None = None
    dtype: str = "float32"
    target_kw: dict = field(default_factory=dict)
    model_kw: dict = field(default_factory=dict)
    exact: str = "auto"
    injected_error: dict | None = None   # {"type": one of INJECTED_TYPES, "size": w}: added to the learned score

    def validate(self) -> None:
        """ValueError naming the first bad field and its allowed values.

        Raises
        ------
        ValueError
            If a field is outside the range the class lists (target, model, alpha and its
            schedule, t0_schedule, the counts, mode, metrics, dtype, chunk_size, bandwidth, exact,
            injected_error), or T and t0 do not make a `VPSDE`.
        """
        if self.target not in TARGET_NAMES:
            raise ValueError(f"target must be one of {TARGET_NAMES}, got {self.target!r}")
        if self.model not in LEARNER_NAMES:
            raise ValueError(f"model must be one of {LEARNER_NAMES}, got {self.model!r}")
        for a in [self.alpha] + list(self.alpha_schedule or []):
            if not (isinstance(a, (int, float)) and 0.0 <= a <= 1.0):
                raise ValueError(f"alpha must be in [0, 1], got {a}")
        if self.alpha_schedule is not None and len(self.alpha_schedule) == 0:
            raise ValueError("alpha_schedule must hold at least one value in [0, 1]")
        if self.t0_schedule is not None:
            if len(self.t0_schedule) == 0:
                raise ValueError(f"t0_schedule must hold at least one value in (0, T) = (0, {self.T})")
            for t in self.t0_schedule:
                if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0.0 < t < self.T:
                    raise ValueError(f"t0_schedule values must be in (0, T) = (0, {self.T}), got {t!r}")
        for name in ("generations", "n", "steps", "eval_paths", "eval_points"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (1 if name != "n" else 2):
                raise ValueError(f"{name} must be an int >= {1 if name != 'n' else 2}, got {value!r}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        unknown = [m for m in self.metrics if m not in METRIC_NAMES]
        if unknown:
            raise ValueError(f"metrics must be among {METRIC_NAMES}, got {unknown}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {tuple(DTYPES)}, got {self.dtype!r}")
        if self.chunk_size is not None and (isinstance(self.chunk_size, bool) or not isinstance(self.chunk_size, int)
                                            or self.chunk_size < 1):
            raise ValueError(f"chunk_size must be an int >= 1 or None, got {self.chunk_size!r}")
        if not self.bandwidth > 0:
            raise ValueError(f"bandwidth must be > 0, got {self.bandwidth}")
        if self.exact not in EXACT_MODES:
            raise ValueError(f"exact must be one of {EXACT_MODES}, got {self.exact!r}")
        if self.exact == "grid" and not grid_exact_supported(make_target(self.target, **self.target_kw)):
            raise ValueError(f"exact='grid' needs a Gaussian-mixture target of dimension <= 2, got {self.target!r}")
        if self.injected_error is not None:
            spec = self.injected_error
            if not isinstance(spec, dict) or spec.get("type") not in INJECTED_TYPES or \
                    not isinstance(spec.get("size"), (int, float)) or not np.isfinite(spec["size"]):
                raise ValueError(f"injected_error must be {{'type': one of {INJECTED_TYPES}, 'size': a finite "
                                 f"number}}, got {spec!r}")
        VPSDE(self.T, self.t0)

    def uses_exact_grid(self, target) -> bool:
        """Whether the run takes exact grid laws (neural/grid_exact.py): `exact` is "grid", or
        "auto" on a target the grid engine holds (a Gaussian mixture of dimension <= 2).

        Parameters
        ----------
        target : object
            The run's target (`make_target(self.target, **self.target_kw)`).

        Returns
        -------
        bool
        """
        return self.exact == "grid" or (self.exact == "auto" and grid_exact_supported(target))

    def alpha_at(self, g: int) -> float:
        """alpha_g: the schedule's (g-1)-th value (last repeated), else `alpha`.

        Parameters
        ----------
        g : int >= 0
            Generation (g = 0 gets the schedule's first value).

        Returns
        -------
        float
            alpha_g.
        """
        if not self.alpha_schedule or g == 0:
            return float(self.alpha if not self.alpha_schedule else self.alpha_schedule[0])
        return float(self.alpha_schedule[min(g, len(self.alpha_schedule)) - 1])

    def t0_at(self, g: int) -> float:
        """t0 of generation g: `t0_schedule[g]` (last value repeated), else `t0`.

        Parameters
        ----------
        g : int >= 0
            Generation.

        Returns
        -------
        float
            t0 of generation g.
        """
        if not self.t0_schedule:
            return float(self.t0)
        return float(self.t0_schedule[min(g, len(self.t0_schedule) - 1)])

    def to_json(self) -> dict:
        return asdict(self)


def _seed(seed: int, g: int, purpose: str) -> int:
    """An independent seed for each (run seed, generation, purpose)."""
    key = [seed, g + 1] + [ord(c) for c in purpose]
    return int(np.random.SeedSequence(key).generate_state(1, dtype=np.uint64)[0] % (2**63 - 1))


class _Run:
    def __init__(self, config: RetrainingConfig, out_dir, progress: bool, fit_from=()):
        config.validate()
        self.config, self.progress = config, progress
        self.fit_from = [Path(p) for p in fit_from]
        self.device = resolve_device(config.device)
        self.dtype = DTYPES[config.dtype]
        self.target = make_target(config.target, **config.target_kw)
        learner_kw = dict(config.model_kw)
        if config.model == "kde":
            learner_kw.setdefault("bandwidth", config.bandwidth)
        self.learner = make_learner(config.model, self.target.shape, self.device, **learner_kw)
        self.sde = VPSDE(config.T, config.t0)
        self.exact = isinstance(self.target, GaussianMixture) and config.model == "kde"
        # exact grid laws (neural/grid_exact.py): "grid" demands them, "auto" uses them for d <= 2
        self.grid = config.uses_exact_grid(self.target)
        reach = GRID_REACH["kde" if config.model == "kde" else "network"].get(getattr(self.target, "dim", 0), 9.0)
        self.data_law = data_grid_law(self.target, config.steps, config.T, config.t0, reach) if self.grid else None
        if self.grid:
            self.exact = False
        if config.injected_error is not None and not self.grid:
            raise ValueError("injected_error needs exact grid laws (exact='grid' or 'auto' on a Gaussian-mixture "
                             "target of dimension <= 2): the other estimators use the learner's own score")
        self.store = RunStore(out_dir)

    def generator(self, g: int, purpose: str):
        return make_generator(_seed(self.config.seed, g, purpose), self.device)

    def fresh(self, g: int, k: int) -> torch.Tensor:
        return self.target.sample(k, generator=self.generator(g, "data"), device=self.device, dtype=self.dtype)

    # ----- exact laws (Gaussian-mixture target, KDE learner) -------------------------------------
    def output_law(self, x_train: torch.Tensor) -> GaussianMixture:
        """P: the KDE of the training set pushed to t0 (module docstring)."""
        h = float(self.learner.bandwidth)
        return GaussianMixture.from_points(x_train.reshape(x_train.shape[0], -1).cpu(), h).forward(self.sde.t0)

    def next_training_law(self, q_prev, p_prev, k: int, n_prev: int):
        data = self.data_law if self.grid else self.target
        batch = data if k == self.config.n else (
            p_prev if k == 0 else data.mix(p_prev, k / self.config.n))
        if q_prev is None or self.config.mode == "replace":
            return batch
        return q_prev.mix(batch, n_prev / (n_prev + self.config.n))

    # ----- one generation --------------------------------------------------------------------------
    def run(self) -> list:
        cfg = self.config
        start = self.store.open(cfg.to_json(), compare_keys_except=("generations", "device"))
        reference = self.target.sample(cfg.eval_points, generator=self.generator(-1, "reference"),
                                       device=self.device, dtype=self.dtype)
        x_train, samples, q, p_out = None, None, None, None
        for g in range(start):  # replay committed generations (training sets and laws)
            x_train, q, p_out = self.replay(g, x_train, q, p_out)
            samples = torch.as_tensor(self.store.load_array(g, "samples")).to(self.device, self.dtype)
        generations = range(start, cfg.generations)
        if self.progress:
            generations = tqdm(generations, desc="generations", initial=start, total=cfg.generations)
        for g in generations:
            began = time.perf_counter()
            self.sde = self.sde_at(g)
            alpha, k = cfg.alpha_at(g), self.fresh_count(g)
            batch = self.fresh(g, k) if g == 0 else torch.cat([self.fresh(g, k), samples[: cfg.n - k]])
            x_train, q = self.advance(g, batch, x_train, q, p_out)
            score, fit_source = self.fit(g, x_train, batch)
            score = self.inject(score)
            x_T = torch.randn((cfg.n,) + tuple(self.target.shape), generator=self.generator(g, "start"),
                              device=self.device, dtype=self.dtype)
            with torch.no_grad():
                samples = euler_maruyama(score, x_T, self.sde.time_grid(cfg.steps), generator=self.generator(g, "sampler"),
                                         chunk_size=cfg.chunk_size, progress=self.progress)
            grid_metrics, npz = {}, None
            if self.grid:
                previous = self.data_law if p_out is None else p_out
                p_out, grid_metrics = grid_generation(q, self.data_law, previous, score, self.device, self.dtype,
                                                      cfg.steps, cfg.T, cfg.t0)
                npz = {"exact_law": p_out.arrays()}   # grid, density, mass_outside (+ log_density in 1-D)
            else:
                p_out = self.output_law(x_train) if self.exact else None
            metrics = {"generation": g, "alpha": alpha, "fresh_fraction": k / cfg.n,
                       "n_train": int(x_train.shape[0])}
            if fit_source is not None:
                metrics["fit_shared_from"] = fit_source
            metrics.update(self.measure(g, score, x_train, samples, reference, q, p_out))
            metrics.update(grid_metrics)
            if self.grid and "eta" in cfg.metrics:   # the regression estimator beside the exact eta
                metrics.update(self.regression_eta(g, score, q))
            metrics["seconds"] = time.perf_counter() - began
            self.store.commit_generation(g, {"samples": samples.cpu().numpy(), "training_batch": batch.cpu().numpy()},
                                         self.checkpoint(x_train), metrics, npz=npz)
        return self.store.metrics()

    def fit(self, g, x_train, batch):
        """(score, name of the run whose stored network it is, or None): the learner fitted to x_train,
        or at generation 0 the stored generation-0 network of the first `fit_from` run that made the
        same fit (`reusable_fit`), loaded instead of trained again."""
        if g == 0 and self.config.model != "kde" and not getattr(self.learner, "warm_start", False):
            for source in self.fit_from:
                state = reusable_fit(source, self.config, batch)
                if state is not None:
                    return self.learner.load(state), source.name
        return self.learner.fit(x_train, generator=self.generator(g, "fit"), progress=self.progress), None

    def regression_eta(self, g, score, q) -> dict:
        """eta by regression over eval_paths simulated ideal paths (neural.observability, poly2 features),
        the exact score of q_g from its grid law: the paper's estimator, measured against the exact eta."""
        cfg = self.config
        x_T = torch.randn((cfg.eval_paths,) + tuple(self.target.shape), generator=self.generator(g, "paths"),
                          device=self.device, dtype=torch.float64)
        res = observability(_Float64Score(score, self.dtype), TorchGridScore(q), x_T, self.sde, cfg.steps,
                            features="poly2", generator=self.generator(g, "ideal_paths"), chunk_size=cfg.chunk_size)
        return {"eta_regression": res["eta"], "eta_regression_se": res["eta_se"],
                "eta_regression_estimator": f"{res['estimator']}_vs_grid_exact_training_law"}

    def inject(self, score):
        """The learned score plus the configured injected error (neural.error_injection)."""
        spec = self.config.injected_error
        if spec is None:
            return score
        d, w = int(np.prod(self.target.shape)), float(spec["size"])
        if spec["type"] == "aligned":
            return aligned_error(score, w, d)
        if spec["type"] == "random":
            return random_direction_error(score, w, d, seed=self.config.seed)
        return time_only_error(score, torch.full((d,), w, dtype=torch.float64))

    def replay(self, g, x_train, q, p_out):
        self.sde = self.sde_at(g)
        if getattr(self.learner, "warm_start", False):
            raise ValueError("resuming a warm-started network run is not supported; use a new --out")
        batch = torch.as_tensor(self.store.load_array(g, "training_batch")).to(self.device, self.dtype)
        x_train, q = self.advance(g, batch, x_train, q, p_out)
        if self.grid:
            return x_train, q, GridLaw.load(self.store.gen_dir(g) / "exact_law.npz", mass_tol=MASS_TOL)
        return x_train, q, (self.output_law(x_train) if self.exact else None)

    def sde_at(self, g: int) -> VPSDE:
        """The forward SDE with generation g's truncation time (`RetrainingConfig.t0_at`)."""
        t0 = self.config.t0_at(g)
        return self.sde if self.sde.t0 == t0 else VPSDE(self.config.T, t0)

    def smoothing(self, x_train) -> dict:
        """The round's two variance contributions per coordinate (module docstring)."""
        t0 = self.sde.t0
        v_q = float(x_train.reshape(x_train.shape[0], -1).double().var(dim=0).mean()) if x_train.shape[0] > 1 else 0.0
        out = {"t0": t0, "variance_added_t0": -math.expm1(-t0) * (1.0 - v_q)}
        if self.config.model == "kde":
            out["variance_added_kde"] = math.exp(-t0) * float(self.learner.bandwidth) ** 2
        out["smoothing_estimator"] = "population_variance_decomposition_of_the_training_set"
        return out

    def fresh_count(self, g: int) -> int:
        return self.config.n if g == 0 else int(round(self.config.alpha_at(g) * self.config.n))

    def advance(self, g, batch, x_train, q, p_out):
        """Generation g's training set (and exact training law) from its new batch."""
        n_prev = 0 if x_train is None else x_train.shape[0]
        x_train = batch if (g == 0 or self.config.mode == "replace") else torch.cat([x_train, batch])
        if self.exact or self.grid:
            q = self.next_training_law(q, p_out, self.fresh_count(g), n_prev)
        return x_train, q

    def checkpoint(self, x_train) -> dict:
        if self.config.model == "kde":
            return {"model": "kde", "bandwidth": float(self.learner.bandwidth), "n_points": int(x_train.shape[0]),
                    "note": "the KDE score is determined by the training set: concatenate training_batch files"}
        return {"model": self.config.model, "state_dict": self.learner.ema_model.state_dict()}

    # ----- metrics ---------------------------------------------------------------------------------
    def measure(self, g, score, x_train, samples, reference, q, p_out, path_results=None) -> dict:
        """The metrics of generation g; `path_results` (eps2/epshat2/eta fields computed elsewhere, e.g.
        by `neural.batched_retraining` for many runs at once) replaces `path_metrics` when given."""
        cfg, out = self.config, {}
        flat = samples.reshape(samples.shape[0], -1).double()
        out["second_moment"] = float(flat.square().sum(1).mean())
        out["w2_to_data"], out["w2_to_data_estimator"] = w2_to_data(flat.cpu(), reference.reshape(reference.shape[0], -1).cpu(),
                                                                    max_points=cfg.eval_points, seed=_seed(cfg.seed, g, "w2") % 2**32)
        wanted = set(cfg.metrics) if not self.grid else set()   # grid runs: every metric exact (grid_exact.py)
        if wanted & {"D_chi2", "D_kl", "I_chi2", "I_kl"}:
            out.update(self.divergences(g, samples, x_train, reference, q, p_out, wanted))
        if path_results is not None:
            out.update(path_results)
        elif wanted & {"eps2", "epshat2", "eta"}:
            out.update(self.path_metrics(g, score, x_train, q, wanted))
        out.update(self.smoothing(x_train))
        return out

    def divergences(self, g, samples, x_train, reference, q, p_out, wanted) -> dict:
        out = {}
        if self.exact:
            draws = p_out.sample(self.config.eval_points, generator=self.generator(g, "divergence"),
                                 device=self.device, dtype=torch.float64)
            name = f"mc_exact_mixture_densities_{self.config.eval_points}_draws_kde_output_law"
            laws = (("D", self.target), ("I", q), ("I_ideal", q.forward(self.sde.t0)))
            for prefix, law in laws:
                res = density_ratio_divergences(draws, p_out.log_prob, law.log_prob)
                for kind in ("chi2", "kl"):
                    out[f"{prefix}_{kind}"], out[f"{prefix}_{kind}_se"] = res[kind], res[f"{kind}_se"]
                    out[f"{prefix}_{kind}_estimator"] = name
            if "I_chi2" in wanted or "I_kl" in wanted:
                wanted = wanted | {"I_ideal_chi2", "I_ideal_kl"}
        else:
            flat = samples.reshape(samples.shape[0], -1).cpu()
            features, space = (lambda x: x), ""
            if flat.shape[1] > PROXY_MAX_DIM:  # images: pixel covariances are singular (constant borders)
                pca = PCAFeatures(reference.reshape(reference.shape[0], -1).cpu().double(), PROXY_MAX_DIM)
                features, space = (lambda x: pca(x.double())), f"pca{PROXY_MAX_DIM}_"
            for prefix, other, what in (("D", reference, "data"), ("I", x_train, "training_set")):
                other = features(other.reshape(other.shape[0], -1).cpu())
                for kind, fn in (("chi2", gaussian_chi2_proxy), ("kl", gaussian_kl_proxy)):
                    out[f"{prefix}_{kind}"] = fn(features(flat), other, ridge=1e-6)
                    out[f"{prefix}_{kind}_se"] = None
                    out[f"{prefix}_{kind}_estimator"] = f"gaussian_proxy_{space}samples_vs_{what}"
        return {k: v for k, v in out.items() if _metric_of(k) in wanted}

    def path_metrics(self, g, score, x_train, q, wanted) -> dict:
        cfg, out = self.config, {}
        d = int(np.prod(self.target.shape))
        if self.exact:
            learned = KDEScore(x_train.to(torch.float64), self.learner.bandwidth)
            exact, suffix = q.score, "vs_exact_training_mixture"
        else:
            learned = _Float64Score(score, self.dtype)
            exact = KDEScore(x_train.to(torch.float64), EMPIRICAL_BANDWIDTH)
            suffix = "vs_empirical_training_law"
        x_T = torch.randn((cfg.eval_paths,) + tuple(self.target.shape), generator=self.generator(g, "paths"),
                          device=self.device, dtype=torch.float64)
        if "eta" in wanted or ("eps2" in wanted and self.exact):
            res = observability(learned, exact, x_T, self.sde, cfg.steps, features="poly2" if d <= 20 else "rff",
                                generator=self.generator(g, "ideal_paths"), chunk_size=cfg.chunk_size)
            out.update(eta=res["eta"], eta_se=res["eta_se"], eta_estimator=f"{res['estimator']}_{suffix}")
            if self.exact:
                out.update(eps2=res["eps2"], eps2_se=res["eps2_se"],
                           eps2_estimator=f"mc_ideal_paths_riemann_K{cfg.steps}_{suffix}")
        if "eps2" in wanted and not self.exact:
            res = denoising_loss_gap(learned, exact, x_train.to(torch.float64), self.sde,
                                     generator=self.generator(g, "dsm"))
            out.update(eps2=res["value"], eps2_se=res["se"], eps2_estimator=f"{res['estimator']}_{suffix}")
        if "epshat2" in wanted:
            res = path_energy(learned, exact, x_T, "learned", self.sde, cfg.steps,
                              generator=self.generator(g, "learned_paths"), chunk_size=cfg.chunk_size)
            out.update(epshat2=res["value"], epshat2_se=res["se"], epshat2_estimator=f"{res['estimator']}_{suffix}")
        return {k: v for k, v in out.items() if _metric_of(k) in wanted}


def _metric_of(key: str) -> str:
    """'D_chi2_se' -> 'D_chi2', 'eta_estimator' -> 'eta'."""
    for suffix in ("_se", "_estimator"):
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return key


class _Float64Score:
    """A score evaluated in the model's dtype and returned in float64."""

    def __init__(self, score, dtype):
        self.score, self.dtype = score, dtype

    @torch.no_grad()
    def __call__(self, x, t):
        t = t.to(self.dtype) if torch.is_tensor(t) else t
        return self.score(x.to(self.dtype), t).to(torch.float64)


def run_generations(config: RetrainingConfig, out_dir, progress: bool = False, fit_from=()) -> list:
    """Run (or resume) `config` in `out_dir`; returns the metrics lines of all finished generations.
    Bad configurations raise ValueError before anything is written.

    Parameters
    ----------
    config : RetrainingConfig
        The run.
    out_dir : str or path-like
        The run directory (`RunStore`); a finished prefix of generations is resumed.
    progress : bool
        Show progress bars.
    fit_from : sequence of path-like
        Finished runs whose generation-0 network this run loads instead of training its own when
        the fit is the same computation (`reusable_fit`: e.g. the same learner with an injected
        error, or another alpha); the metrics line then names the source in `fit_shared_from`.

    Returns
    -------
    list of dict
        The metrics line of each finished generation.

    Raises
    ------
    ValueError
        If the config is invalid (`RetrainingConfig.validate`), or the device is unavailable.
    RunFileError
        If out_dir is a file, or holds a run with another config or a malformed config.json.
    """
    return _Run(config, out_dir, progress, fit_from).run()


def _finished_source_like(source_dir, config: RetrainingConfig, keys_except) -> RunStore | None:
    """The run store in `source_dir` when it has a finished generation 0 and its config agrees with
    `config` on every field but `keys_except`, else None."""
    source = RunStore(source_dir)
    if source.finished() < 1 or not (source.root / CONFIG_FILE).is_file():
        return None
    theirs = json.loads((source.root / CONFIG_FILE).read_text())
    mine = json.loads(json.dumps(config.to_json(), default=str))
    if any(theirs.get(k) != mine.get(k) for k in set(theirs) | set(mine) if k not in keys_except):
        return None
    return source


FIT_KEYS_EXCEPT = ("alpha", "alpha_schedule", "generations", "device", "injected_error")


def reusable_fit(source_dir, config: RetrainingConfig, batch) -> dict | None:
    """The stored generation-0 network state of the run in `source_dir` when `config`'s generation-0
    fit is the same computation, else None. The same computation: both configs agree on every field
    but FIT_KEYS_EXCEPT (generation 0 trains on n fresh draws with seed-only random streams whatever
    alpha is, and an injected error is added to the score after the fit), the source's generation-0
    training batch equals `batch` exactly, and its checkpoint holds a network of the same model.

    Parameters
    ----------
    source_dir : path-like
        A run directory (`run_generations`).
    config : RetrainingConfig
        The run that would fit.
    batch : torch.Tensor
        Its generation-0 training batch.

    Returns
    -------
    dict or None
        The EMA network's state_dict.
    """
    source = _finished_source_like(source_dir, config, FIT_KEYS_EXCEPT)
    if source is None:
        return None
    if not np.array_equal(source.load_array(0, "training_batch"), batch.cpu().numpy()):
        return None
    checkpoint = source.load_checkpoint(0)
    if checkpoint.get("model") != config.model or "state_dict" not in checkpoint:
        return None
    return checkpoint["state_dict"]


def share_generation_zero(source_dir, config: RetrainingConfig, out_dir) -> bool:
    """Commit generation 0 of the run `config` in `out_dir` as a copy of the finished generation 0 in
    `source_dir`, when the two runs differ at most in `alpha` / `alpha_schedule` (generation 0 trains
    on n fresh draws whatever alpha is, with random streams that depend on the seed only, so it is
    the same computation; only the metrics line's `alpha` differs and is rewritten). Returns whether
    it copied (False when out_dir already holds generation 0, the source has none, or the configs
    differ elsewhere). Bad configurations raise ValueError as in `run_generations`."""
    config.validate()
    source = _finished_source_like(source_dir, config, ("alpha", "alpha_schedule", "generations", "device"))
    if source is None:
        return False
    store = RunStore(out_dir)
    if store.open(config.to_json(), compare_keys_except=("generations", "device")) > 0:
        return False
    metrics = dict(source.metrics(1)[0])
    metrics["alpha"] = config.alpha_at(0)
    metrics["shared_from"] = source.root.name
    arrays = {p.stem: np.load(p) for p in sorted(source.gen_dir(0).glob("*.npy"))}
    npz = {}
    for p in sorted(source.gen_dir(0).glob("*.npz")):  # the exact grid law of a grid run
        with np.load(p) as z:
            npz[p.stem] = {k: z[k] for k in z.files}
    store.commit_generation(0, arrays, source.load_checkpoint(0), metrics, npz=npz)
    return True
