"""Many runs of the retraining loop as one batched job (the paper's protocol, THEORY.md §6: 3 alphas x
10 seeds advancing together).

`run_batched_generations(configs, out_dirs)` runs the KDE learner on a Gaussian-mixture target for
several `RetrainingConfig`s that differ only in `alpha` / `alpha_schedule` / `seed`, and writes each
run's directory exactly as `neural.retraining.run_generations` would (same RunStore layout, same
metrics lines, same per-run random streams): each run is a `neural.Retraining` whose generation is
its own `begin` / `finish` (the loop's `step` in two halves); only the two sampling loops are shared.
* Sampling: the B runs' KDEs are one `BatchedKDEScore` (points (B, n_train, d)) and the B chains one
  (B, n, d) Euler-Maruyama chain; each run's start and step noise come from its own generator, so
  run b's samples are those of its single run (up to kernel rounding; tested).
* Path metrics (eps2, epshat2, eta): the B ideal (resp. learned) path chains are one (B, P, d) chain
  driven by the batched exact training-mixture scores and the batched KDE scores
  (`simulate_path_error(..., batch_dims=2)`); eta is then regressed per run (`eta_from_paths`).
  `metrics_dtype` is the dtype of these chains (float64 by default as in the single run; float32
  lets the CUDA memory-efficient attention kernel run at the paper's scale); their starts and noise
  are always drawn in float64 (the single run's draws), so the dtype changes rounding only.
Runs are grouped by the shapes that must agree in one batch (training-set size; number of mixture
components of q); nothing reads device values back to the host inside a step loop. Runs that were
interrupted at different generations are resumed each from its own point. Generation 0 of runs
that differ only in alpha is one computation (n fresh draws, seed-only random streams): it runs
once and is copied to the others (`share_generation_zero`; their metrics line says `shared_from`).
`progress(done_entries, total_entries)` (optional) is called after every kernel call with the
kernel work (query x point entries) done so far and the total of the job (`neural.protocol_cost`).
"""
from __future__ import annotations

import json
import time

import numpy as np
import torch

from .estimate import Estimate
from .generation_laws import MixtureLaws
from .kde_score import BatchedKDEScore
from .mixture_kernel import isotropic_mixture_stream
from .observability import eta_fields
from .path_energy import mean_and_se, simulate_path_error
from .protocol_cost import job_entries
from .retraining import DTYPES, Retraining, RetrainingConfig, share_generation_zero
from .sampling import euler_maruyama

PER_RUN_KEYS = ("alpha", "alpha_schedule", "seed")  # the fields in which batched runs may differ
SUFFIX = "vs_exact_training_mixture"


class _Counted:
    """A batched score that reports its kernel work ``B m n`` to a progress tally on each call."""

    def __init__(self, score, n_points, tally):
        self.score, self.n_points, self.tally = score, n_points, tally

    def __call__(self, y, t):
        self.tally(y.shape[0] * y.shape[1] * self.n_points)
        return self.score(y, t)


class BatchedMixtureScore:
    """Exact OU scores of B isotropic Gaussian mixtures with equal component counts, one kernel call:
    means (B, N, d), variances (B, N), log_weights (B, N); ``score(y (B, m, d), t)``."""

    def __init__(self, mixtures, device, dtype):
        if any(m.kind != "isotropic" for m in mixtures) or len({m.n_components for m in mixtures}) != 1:
            raise ValueError("mixtures must be isotropic with equal component counts")
        params = [m._params(device, dtype) for m in mixtures]
        self.log_weights = torch.stack([p[0] for p in params])
        self.means = torch.stack([p[1] for p in params])
        self.variances = torch.stack([p[2] for p in params])

    def __call__(self, y, t):
        return isotropic_mixture_stream(y, t, self.means, self.variances, self.log_weights,
                                        with_log_density=False)[0]


def _stacked_noise(generators, device, dtype, draw_dtype=None):
    """noise(k, (B, m, ...)): run b's step-k noise from its own generator (as its single run draws it),
    drawn in `draw_dtype` (default: dtype) and cast to dtype."""
    def noise(k, shape):
        return torch.stack([torch.randn(tuple(shape[1:]), generator=g, device=device, dtype=draw_dtype or dtype)
                            for g in generators]).to(dtype)
    return noise


def check_batchable(configs):
    """ValueError unless the configs are KDE runs on a Gaussian-mixture target that differ only in
    `PER_RUN_KEYS`."""
    if not configs:
        raise ValueError("configs must hold at least one RetrainingConfig")
    for cfg in configs:
        if not isinstance(cfg, RetrainingConfig):
            raise ValueError(f"configs must be RetrainingConfig objects, got {type(cfg).__name__}")
        cfg.validate()
        if cfg.model != "kde":
            raise ValueError(f"batched runs need model='kde', got {cfg.model!r}")
    shared = [{k: v for k, v in c.to_json().items() if k not in PER_RUN_KEYS} for c in configs]
    for other in shared[1:]:
        diff = sorted(k for k in shared[0] if shared[0][k] != other[k])
        if diff:
            raise ValueError(f"batched runs may differ only in {PER_RUN_KEYS}; they differ in {diff}")


def run_batched_generations(configs, out_dirs, metrics_dtype="float64", progress=None) -> list:
    """Run (or resume) the runs `configs` (into `out_dirs`, one each) as one batched job; returns
    each run's metrics lines (a list per run). Raises ValueError (before writing anything) unless
    `check_batchable(configs)` passes, the target is a Gaussian mixture, and metrics_dtype is one of
    "float32", "float64"."""
    check_batchable(configs)
    if len(out_dirs) != len(configs):
        raise ValueError(f"out_dirs must hold one directory per config ({len(configs)}), got {len(out_dirs)}")
    if metrics_dtype not in DTYPES:
        raise ValueError(f"metrics_dtype must be one of {tuple(DTYPES)}, got {metrics_dtype!r}")
    runs = [Retraining(c, d, progress=False) for c, d in zip(configs, out_dirs)]
    if not isinstance(runs[0].laws, MixtureLaws):
        raise ValueError(f"batched runs need a Gaussian-mixture target, got {configs[0].target!r}")
    job = _Job(runs, DTYPES[metrics_dtype], progress)
    job.run()
    return [r.store.metrics() for r in runs]


class _Job:
    def __init__(self, runs, metrics_dtype, progress):
        self.runs, self.metrics_dtype, self.progress = runs, metrics_dtype, progress
        self.cfg, self.first = runs[0].config, runs[0]
        self.device, self.dtype = self.first.device, self.first.dtype
        self.bandwidth = float(self.first.learner.kernel_bandwidth)
        self.done = 0
        self.total = 0

    def tally(self, entries):
        self.done += entries
        if self.progress is not None:
            self.progress(self.done, self.total)

    def run(self):
        for run in self.runs:
            run.open()
        cfg = self.cfg
        followers = _generation_zero_followers([r for r in self.runs if r.next == 0])
        self.total = sum(job_entries(r.config, start=r.next) for r in self.runs) \
            - sum(job_entries(r.config) - job_entries(r.config, start=1) for r, _ in followers)
        for g in range(min(r.next for r in self.runs), cfg.generations):
            active = [r for r in self.runs if r.next == g and not (g == 0 and any(r is f for f, _ in followers))]
            if not active:
                continue
            began = time.perf_counter()
            gens = [r.begin() for r in active]
            for group in _groups(list(zip(active, gens)), lambda pair: tuple(pair[1].x_train.shape)):
                self.sample(group)
            paths = self.path_metrics(list(zip(active, gens)))
            for run, gen in zip(active, gens):
                run.finish(gen, samples=gen.samples, path_estimates=paths.get(id(gen)), began=began,
                           extra={"batched_runs": len(active)})
            if g == 0:
                for run, rep in followers:
                    share_generation_zero(rep.store.root, run.config, run.store.root)
                    run.open()

    def sample(self, group):
        """The group's samples: one (B, n, d) Euler-Maruyama chain, each run's noise its own."""
        cfg = self.cfg
        points = torch.stack([gen.x_train.reshape(gen.x_train.shape[0], -1) for _, gen in group])
        score = _Counted(BatchedKDEScore(points, self.bandwidth, chunk_size=cfg.chunk_size), points.shape[1], self.tally)
        shape = tuple(self.first.target.shape)
        x_T = torch.stack([torch.randn((cfg.n,) + shape, generator=r.generator(gen.g, "start"), device=self.device,
                                       dtype=self.dtype).reshape(cfg.n, -1) for r, gen in group])
        noise = _stacked_noise([r.generator(gen.g, "sampler") for r, gen in group], self.device, self.dtype)
        with torch.no_grad():
            samples = euler_maruyama(score, x_T, group[0][1].sde.time_grid(cfg.steps), noise=noise)
        for b, (_, gen) in enumerate(group):
            gen.samples = samples[b].reshape((cfg.n,) + shape)

    def path_metrics(self, pairs) -> dict:
        """{id(generation): eps2/epshat2/eta estimates} for the active (run, generation) pairs,
        batched per group."""
        wanted = set(self.cfg.metrics)
        if not wanted & {"eps2", "epshat2", "eta"}:
            return {}
        out = {}
        key = (lambda pair: (tuple(pair[1].x_train.shape), pair[1].q.n_components, pair[1].q.kind))
        for group in _groups(pairs, key):
            if group[0][1].q.kind != "isotropic":  # no batched kernel: each run on its own
                for run, gen in group:
                    out[id(gen)] = run.laws.path_metrics(gen, wanted)
                continue
            out.update(self.batched_path_metrics(group, wanted))
        return out

    def batched_path_metrics(self, group, wanted) -> dict:
        cfg, dt, dev = self.cfg, self.metrics_dtype, self.device
        d = int(np.prod(self.first.target.shape))
        runs, gens = [r for r, _ in group], [gen for _, gen in group]
        g, sde, n_paths = gens[0].g, gens[0].sde, cfg.eval_paths
        points = torch.stack([gen.x_train.reshape(gen.x_train.shape[0], -1).to(dt) for gen in gens])
        learned = _Counted(BatchedKDEScore(points, self.bandwidth), points.shape[1], self.tally)
        exact = _Counted(BatchedMixtureScore([gen.q for gen in gens], dev, dt), gens[0].q.n_components, self.tally)
        x_T = torch.stack([torch.randn((n_paths, d), generator=r.generator(g, "paths"), device=dev,
                                       dtype=torch.float64) for r in runs]).to(dt)  # the single run's draws
        res = [{} for _ in group]
        features = "poly2" if d <= 20 else "rff"
        with torch.no_grad():
            if "eta" in wanted or "eps2" in wanted:
                noise = _stacked_noise([r.generator(g, "ideal_paths") for r in runs], dev, dt, torch.float64)
                energy, martingale, y = simulate_path_error(learned, exact, x_T, "ideal", sde, cfg.steps,
                                                            noise=noise, batch_dims=2)
                energy, martingale, y = energy.cpu(), martingale.cpu(), y.cpu()
                for b in range(len(group)):
                    fields = eta_fields(martingale[b], y[b], features, cfg.steps)
                    res[b]["eta"] = Estimate(fields["eta"], fields["eta_se"], n_paths, f"{fields['estimator']}_{SUFFIX}")
                    res[b]["eps2"] = Estimate(*mean_and_se(energy[b]), n_paths,
                                              f"mc_ideal_paths_riemann_K{cfg.steps}_{SUFFIX}")
            if "epshat2" in wanted:
                noise = _stacked_noise([r.generator(g, "learned_paths") for r in runs], dev, dt, torch.float64)
                energy, _, _ = simulate_path_error(learned, exact, x_T, "learned", sde, cfg.steps,
                                                   noise=noise, batch_dims=2)
                energy = energy.cpu()
                for b in range(len(group)):
                    res[b]["epshat2"] = Estimate(*mean_and_se(energy[b]), n_paths,
                                                 f"mc_learned_paths_riemann_K{cfg.steps}_{SUFFIX}")
        return {id(gen): {k: v for k, v in r.items() if k in wanted} for gen, r in zip(gens, res)}


def _generation_zero_followers(runs) -> list:
    """[(run, representative)]: runs whose generation 0 is the same computation as an earlier run's
    (configs equal but for alpha / alpha_schedule: generation 0 trains on n fresh draws), so that it
    is computed once and copied (`neural.retraining.share_generation_zero`)."""
    reps, out = {}, []
    for run in runs:
        key = json.dumps({k: v for k, v in run.config.to_json().items() if k not in ("alpha", "alpha_schedule")},
                         sort_keys=True, default=str)
        if key in reps:
            out.append((run, reps[key]))
        else:
            reps[key] = run
    return out


def _groups(states, key):
    groups = {}
    for s in states:
        groups.setdefault(key(s), []).append(s)
    return list(groups.values())
