"""The recursive retraining loop (THEORY.md §2, the paper's protocol §6), resumable.

The engine is `Retraining(config, out_dir, learner=None)`: `run()` runs (or resumes) every
generation, `step()` the next one (`begin`, then `finish`). The learner is any `neural.Learner`
(neural/learner.py; default the toolkit's KDE, MLP or U-Net named by `config.model`), and how the
run knows its laws (exact grid, exact mixture or proxies) is one strategy object chosen at
construction (`neural.generation_laws`). `run_generations` is `Retraining(...).run()`.

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
from .error_injection import aligned_error, random_direction_error, time_only_error
from .estimate import metric_fields
from .estimators import w2_to_data
from .generation_laws import DIVERGENCES, PATH_METRICS, choose_laws
from .grid_exact import grid_exact_supported
from .learner import check_learner
from .learners import LEARNER_NAMES, make_learner
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


@dataclass
class Generation:
    """One generation in progress (`Retraining.begin` to `Retraining.finish`).

    Attributes
    ----------
    g : int
        The generation.
    sde : VPSDE
        The forward SDE with the generation's truncation time.
    alpha : float
        alpha_g.
    k : int
        Fresh draws in the new batch.
    batch : torch.Tensor
        The new training batch (fresh draws, then the previous samples).
    x_train : torch.Tensor
        The training set X_g.
    q : object or None
        The training law q_g (None for proxy laws).
    score : callable
        The learned score (with the injected error, if any).
    fit_source : str or None
        The run whose stored fit was loaded instead of fitting (`reusable_fit`).
    began : float
        `time.perf_counter()` at the start.
    samples : torch.Tensor or None
        The n samples, once drawn.
    p_out : object or None
        The output law p^{g+1}, once known.
    """

    g: int
    sde: VPSDE
    alpha: float
    k: int
    batch: torch.Tensor
    x_train: torch.Tensor
    q: object
    score: object
    fit_source: str | None
    began: float
    samples: torch.Tensor | None = None
    p_out: object = None


class Retraining:
    """A recursive retraining run (module docstring), resumable, advanced one generation per `step`.

    ``Retraining(config, out_dir).run()`` runs (or resumes) every generation; ``step()`` runs the
    next one and returns its metrics line. A step is `begin` (training set, training law, fit) then
    `finish` (sampling unless samples are given, output law, metrics, commit): a caller that samples
    many runs at once (`neural.batched_retraining`) calls the two halves with its own samples.

    Parameters
    ----------
    config : RetrainingConfig
        The run (validated here).
    out_dir : str or path-like
        The run directory (`RunStore`); committed generations are replayed, not recomputed.
    progress : bool
        Show progress bars.
    fit_from : sequence of path-like
        Finished runs whose stored generation-0 fit may replace this run's (`reusable_fit`).
    learner : neural.Learner or None
        The learner; default ``make_learner(config.model, ...)`` with ``config.model_kw``.

    Attributes
    ----------
    learner : neural.Learner
    laws : GridLaws, MixtureLaws or ProxyLaws
        How the run knows its laws (`neural.generation_laws.choose_laws`), chosen once.
    store : RunStore
    next : int
        The next generation to run (after `open`).

    Raises
    ------
    ValueError
        If the config is invalid, the learner lacks a member of `neural.Learner`, or an injected
        error is asked of a run whose laws would not see it.
    """

    def __init__(self, config: RetrainingConfig, out_dir, progress: bool = False, fit_from=(), learner=None):
        config.validate()
        self.config, self.progress = config, progress
        self.fit_from = [Path(p) for p in fit_from]
        self.device = resolve_device(config.device)
        self.dtype = DTYPES[config.dtype]
        self.target = make_target(config.target, **config.target_kw)
        if learner is None:
            learner_kw = dict(config.model_kw)
            if config.model == "kde":   # the config's bandwidth field is the KDE learner's setting
                learner_kw.setdefault("bandwidth", config.bandwidth)
            learner = make_learner(config.model, self.target.shape, self.device, **learner_kw)
        check_learner(learner)
        self.learner = learner
        self.sde = VPSDE(config.T, config.t0)
        self.laws = choose_laws(self)
        if config.injected_error is not None and not self.laws.measures_injected_error:
            raise ValueError("injected_error needs exact grid laws (exact='grid' or 'auto' on a Gaussian-mixture "
                             "target of dimension <= 2): the other estimators use the learner's own score")
        self.store = RunStore(out_dir)
        self.next = None
        self.x_train = self.samples = self.q = self.p_out = self.reference = None

    def generator(self, g: int, purpose: str):
        """The random stream of (generation g, purpose), a function of the run seed only."""
        return make_generator(_seed(self.config.seed, g, purpose), self.device)

    def fresh(self, g: int, k: int) -> torch.Tensor:
        """k fresh draws of the target for generation g."""
        return self.target.sample(k, generator=self.generator(g, "data"), device=self.device, dtype=self.dtype)

    def fresh_count(self, g: int) -> int:
        """Fresh draws in generation g's batch: n at g = 0, round(alpha_g n) after."""
        return self.config.n if g == 0 else int(round(self.config.alpha_at(g) * self.config.n))

    def sde_at(self, g: int) -> VPSDE:
        """The forward SDE with generation g's truncation time (`RetrainingConfig.t0_at`)."""
        t0 = self.config.t0_at(g)
        return self.sde if self.sde.t0 == t0 else VPSDE(self.config.T, t0)

    # ----- opening and resuming ---------------------------------------------------------------------
    def open(self) -> int:
        """Open the run directory and replay its committed generations (training sets and laws);
        returns the next generation to run. Called again, it re-reads the directory.

        Raises
        ------
        RunFileError
            If out_dir is a file, or holds a run with another config or a malformed config.json.
        """
        cfg = self.config
        self.next = self.store.open(cfg.to_json(), compare_keys_except=("generations", "device"))
        self.reference = self.target.sample(cfg.eval_points, generator=self.generator(-1, "reference"),
                                            device=self.device, dtype=self.dtype)
        self.x_train = self.samples = self.q = self.p_out = None
        for g in range(self.next):
            self._replay(g)
        return self.next

    def _replay(self, g: int) -> None:
        if self.learner.warm_start:
            raise ValueError("resuming a warm-started network run is not supported; use a new --out")
        self.sde = self.sde_at(g)
        batch = torch.as_tensor(self.store.load_array(g, "training_batch")).to(self.device, self.dtype)
        self.x_train, self.q = self._advance(g, batch)
        self.p_out = self.laws.replayed_output_law(g, self.x_train, self.sde)
        self.samples = torch.as_tensor(self.store.load_array(g, "samples")).to(self.device, self.dtype)

    def _advance(self, g: int, batch):
        """Generation g's training set and training law from its new batch."""
        n_prev = 0 if self.x_train is None else self.x_train.shape[0]
        x_train = batch if (g == 0 or self.config.mode == "replace") else torch.cat([self.x_train, batch])
        return x_train, self.laws.training_law(self.q, self.p_out, self.fresh_count(g), n_prev)

    @property
    def done(self) -> bool:
        """Whether every generation of the config is committed (opens the run if needed)."""
        if self.next is None:
            self.open()
        return self.next >= self.config.generations

    # ----- one generation ---------------------------------------------------------------------------
    def run(self) -> list:
        """Run (or resume) the remaining generations; returns the metrics lines of all of them."""
        start = self.open()
        generations = range(start, self.config.generations)
        if self.progress:
            generations = tqdm(generations, desc="generations", initial=start, total=self.config.generations)
        for _ in generations:
            self.step()
        return self.store.metrics()

    def step(self) -> dict:
        """Run the next generation (sample with the Euler-Maruyama chain, measure, commit); returns
        its metrics line. ValueError when every generation is done."""
        return self.finish(self.begin())

    def begin(self) -> Generation:
        """The first half of a step: the next generation's training set X_g, training law q_g and fit."""
        if self.done:
            raise ValueError(f"the run has all its {self.config.generations} generations; raise generations to extend it")
        cfg, g = self.config, self.next
        began = time.perf_counter()
        self.sde = self.sde_at(g)
        k = self.fresh_count(g)
        batch = self.fresh(g, k) if g == 0 else torch.cat([self.fresh(g, k), self.samples[: cfg.n - k]])
        x_train, q = self._advance(g, batch)
        score, fit_source = self._fit(g, x_train, batch)
        return Generation(g=g, sde=self.sde, alpha=cfg.alpha_at(g), k=k, batch=batch, x_train=x_train, q=q,
                          score=self._inject(score), fit_source=fit_source, began=began)

    def sample(self, gen: Generation) -> torch.Tensor:
        """n samples of the learned score's Euler-Maruyama chain, T to the generation's t0, from N(0, I)."""
        cfg = self.config
        x_T = torch.randn((cfg.n,) + tuple(self.target.shape), generator=self.generator(gen.g, "start"),
                          device=self.device, dtype=self.dtype)
        with torch.no_grad():
            return euler_maruyama(gen.score, x_T, gen.sde.time_grid(cfg.steps), generator=self.generator(gen.g, "sampler"),
                                  chunk_size=cfg.chunk_size, progress=self.progress)

    def finish(self, gen: Generation, samples=None, path_estimates=None, began=None, extra=None) -> dict:
        """The second half of a step: sample (unless `samples` are given), the output law, the metrics,
        the commit; returns the metrics line.

        Parameters
        ----------
        gen : Generation
            From `begin`.
        samples : torch.Tensor or None
            The generation's samples, drawn elsewhere with this run's random streams (batched job).
        path_estimates : dict of str to Estimate, or None
            eps2 / epshat2 / eta computed elsewhere; replaces the law strategy's `path_metrics`.
        began : float or None
            Start time of the wall-clock `seconds` (default: `gen.began`).
        extra : dict or None
            Keys appended to the metrics line.

        Returns
        -------
        dict
            The committed metrics line.
        """
        cfg = self.config
        gen.samples = self.sample(gen) if samples is None else samples
        gen.p_out, law_metrics, npz = self.laws.output_law(gen, self.p_out)
        metrics = {"generation": gen.g, "alpha": gen.alpha, "fresh_fraction": gen.k / cfg.n,
                   "n_train": int(gen.x_train.shape[0])}
        if gen.fit_source is not None:
            metrics["fit_shared_from"] = gen.fit_source
        metrics.update(self._measure(gen, path_estimates))
        metrics.update(law_metrics)
        metrics.update(metric_fields(self.laws.extra_metrics(gen)))
        metrics["seconds"] = time.perf_counter() - (gen.began if began is None else began)
        metrics.update(extra or {})
        checkpoint = {"model": self.learner.name, "state_dict": self.learner.state_dict()}
        self.store.commit_generation(gen.g, {"samples": gen.samples.cpu().numpy(), "training_batch": gen.batch.cpu().numpy()},
                                     checkpoint, metrics, npz=npz)
        self.x_train, self.q, self.p_out, self.samples = gen.x_train, gen.q, gen.p_out, gen.samples
        self.next = gen.g + 1
        return metrics

    def _fit(self, g, x_train, batch):
        """(score, name of the run whose stored fit it is, or None): the learner fitted to x_train,
        or at generation 0 the stored generation-0 fit of the first `fit_from` run that made the same
        fit (`reusable_fit`), loaded instead of fitted again."""
        if g == 0 and self.learner.reusable:
            for source in self.fit_from:
                state = reusable_fit(source, self.config, batch, model=self.learner.name)
                if state is not None:
                    return self.learner.load_state_dict(state), source.name
        return self.learner.fit(x_train, generator=self.generator(g, "fit"), progress=self.progress), None

    def _inject(self, score):
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

    # ----- metrics ---------------------------------------------------------------------------------
    def _measure(self, gen: Generation, path_estimates=None) -> dict:
        """The metrics of generation g; `path_estimates` (computed elsewhere, e.g. by
        `neural.batched_retraining` for many runs at once) replaces the strategy's path metrics."""
        cfg, out = self.config, {}
        flat = gen.samples.reshape(gen.samples.shape[0], -1).double()
        out["second_moment"] = float(flat.square().sum(1).mean())
        out["w2_to_data"], out["w2_to_data_estimator"] = w2_to_data(
            flat.cpu(), self.reference.reshape(self.reference.shape[0], -1).cpu(),
            max_points=cfg.eval_points, seed=_seed(cfg.seed, gen.g, "w2") % 2**32)
        wanted = set(cfg.metrics)
        estimates = {}
        if wanted & set(DIVERGENCES):
            estimates.update(self.laws.divergences(gen, self.reference, wanted))
        if path_estimates is not None:
            estimates.update(path_estimates)
        elif wanted & set(PATH_METRICS):
            estimates.update(self.laws.path_metrics(gen, wanted))
        out.update(metric_fields(estimates))
        out.update(self._smoothing(gen))
        return out

    def _smoothing(self, gen: Generation) -> dict:
        """The round's two variance contributions per coordinate (module docstring)."""
        x_train, t0 = gen.x_train, gen.sde.t0
        v_q = float(x_train.reshape(x_train.shape[0], -1).double().var(dim=0).mean()) if x_train.shape[0] > 1 else 0.0
        out = {"t0": t0, "variance_added_t0": -math.expm1(-t0) * (1.0 - v_q)}
        h = self.learner.kernel_bandwidth
        if h is not None:
            out["variance_added_kde"] = math.exp(-t0) * float(h) ** 2
        out["smoothing_estimator"] = "population_variance_decomposition_of_the_training_set"
        return out


def run_generations(config: RetrainingConfig, out_dir, progress: bool = False, fit_from=(), learner=None) -> list:
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
    learner : neural.Learner or None
        The learner (`Retraining`); default: the toolkit's learner named by ``config.model``.

    Returns
    -------
    list of dict
        The metrics line of each finished generation.

    Raises
    ------
    ValueError
        If the config is invalid (`RetrainingConfig.validate`), the device is unavailable, or the
        learner lacks a member of `neural.Learner`.
    RunFileError
        If out_dir is a file, or holds a run with another config or a malformed config.json.
    """
    return Retraining(config, out_dir, progress, fit_from, learner).run()


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


def reusable_fit(source_dir, config: RetrainingConfig, batch, model: str | None = None) -> dict | None:
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
    model : str or None
        The learner's name (`neural.Learner.name`; default ``config.model``).

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
    if checkpoint.get("model") != (config.model if model is None else model) or "state_dict" not in checkpoint:
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
