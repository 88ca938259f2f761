"""`collapse reproduce`: the main job. Bounds, exact Gaussian generations, small neural runs, then
tables, figures and a summary (validate.report.build).

Scales:

* "small" (default; CPU, at most 3 minutes wall on 2 idle cores, bench/RESULTS.md 2026-12-02):
  exact d = 10, 20 generations; KDE (h = 0.6) on the paper's 10-D Gaussian mixture with n = 400,
  500 sampler steps, 5 generations, 3 seeds, path metrics in float32 (1e-4 relative to float64,
  far below their Monte Carlo error); an MLP (hidden 128, depth 3) on the same target (n = 400,
  600 training steps, 3 generations); a U-Net (16 base channels, no dropout, log-uniform training
  times) on scikit-learn's digits (n = 1000, 1300 training steps, 2 generations, alpha = 0.5 only:
  two fits; it runs in a parallel lane, `validate.pipeline.lanes`); with exact grid laws (THEORY.md
  section 7, binding checks): an MLP (hidden 64, depth 3, 1000 steps) on gmm1d (3 generations, with
  the regression eta beside the exact one; its bounded noise prediction gives exponential tails, so
  chi2 = inf: the counter-example of THEORY.md section 8), the same MLP inside the theory's regime
  (`parameterization="gaussian_residual"`, tail scale 0.6, 1500 steps, alpha = 0.5: Gaussian tails,
  finite chi2, eps2 <= 1; in the U-Net's lane) and a KDE on gmm2d (3 generations, 50 steps; also in the
  U-Net's lane, which balances the two lanes' measured CPU), and for eta
  by error type the same MLP on gmm1d with each injected error (aligned, random, time-only;
  alpha = 0.5, one generation), which loads the plain run's generation-0 network instead of
  training the same one again (`neural.retraining.reusable_fit`). The summary states each
  learner's generation-0 quality (`validate.checks.learner_quality`); every learner meets its criterion,
  the injected-error runs are listed apart (their samples carry the error by design).
* "tiny": every stage at toy size, well under a minute (a smoke test), including a KDE on gmm1d
  with exact grid laws.
* "paper" (THEORY.md §6, for a GPU): KDE n = 100,000, 500 steps, 20 generations, 10 seeds, eta from
  50,000 paths; exact d = 10, 20 generations.

The limit law of THEORY.md §5 (checks, the table of limit multipliers, the Hermite spectrum and the
constant-versus-annealed figure) runs at every scale (`limit_law_part`).
Every part is resumable: a finished exact alpha or neural generation is kept, so a killed run
started again with the same arguments continues where it stopped.

On the CPU with at least 2 usable cores the neural specs run in lanes (a spec's `lane`,
`validate.pipeline.lanes`): lane 0 in this process, the others in spawned processes started
before the bounds, each with cores / lanes torch threads (small networks do not use two threads
well; two processes do). Lanes are independent; on a GPU, or one core, everything is lane 0.
With parallel lanes this process, while it waits for the others, computes the symbolic proofs
(independent of any run) and draws the exact figures; then the neural runs' figures are drawn from
their series in a spawned torch-free process (`validate.report.figures.series_figures`) while this
one builds the checks, tables and the grid-law figures.
KDE runs on the Gaussian mixture (all alphas x seeds of a spec) run as one batched job
(`neural.batched_retraining`: one (B, n, d) chain per step, path metrics batched the same way),
split per alpha when the batch would not fit in a quarter of the device's free memory; each run
still writes its own directory. Generation 0 does not depend on alpha (n fresh draws, seed-only
random streams), so every learner computes it once per seed and the other alphas' runs get a copy
(`neural.retraining.share_generation_zero`). A spec's `metrics_dtype` (default float64) is the dtype of the path
metric chains (the paper scale uses float32 so that the CUDA attention kernel applies). Before the
neural part starts, the paper scale prints a duration estimate from a short calibration of the KDE
kernels on the device (`neural.protocol_cost`), and every batched job logs its progress with an
ETA (at most every `PROGRESS_SECONDS`).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import sys
import time
from pathlib import Path

import torch

from neural.batched_retraining import run_batched_generations
from neural.devices import cpu_threads
from neural.gaussian_mixture import TorchGaussianMixture
from neural.protocol_cost import calibrate, estimate_seconds, format_duration
from neural.retraining import run_generations, share_generation_zero
from run_files import MANIFEST_FILE, atomic_write_text, write_json
from neural.targets import make_target
from validate.report.bounds_table import accumulated_rows
from validate.pipeline.eta_experiment import eta_by_error_type
from validate.pipeline.exact_runs import ExactRunConfig, run_exact
from validate.pipeline.limit_stage import limit_law_stage
from validate.pipeline.run_spec import Scale, neural_spec
from validate.checks.limit_suite import LIMIT_CHECKS_FILE
from validate.pipeline.lanes import LaneProcess, lane_threads, neural_lanes
from validate.checks.proof_suite import proof_checks
from validate.report.build import build_report
from validate.report.figures import series_figures
from validate.report.run_data import RunData
from validate.report.run_figures import all_figures, neural_series
from validate.report.tables import render

# the 1-D MLP of the exact-grid runs; the injected-error runs use the same, so they load its
# generation-0 network (neural.retraining.reusable_fit) instead of training it again. 1000 steps: the
# exact generation-0 gate (validate.checks.learner_quality) needs every mode and KL(p^1 || data) <= ideal + 0.15
# (400 steps flattened the central mode: exact KL 0.21). Its bounded eps gives exponential tails, so
# chi2 = inf: the counter-example of THEORY.md section 8.
GMM1D_MLP = {"train_steps": 1000, "hidden": 64, "depth": 3, "lr": 3e-3}
# the same network inside the theory's regime: the noise of N(mean, 0.6^2) plus a bounded correction
# (neural.gaussian_residual), so the score is linear far away and the tails Gaussian of variance about
# 0.36 < 2 x 0.36 (the modes' variance): chi2 finite at every generation, eps2 <= 1
GMM1D_MLP_IN_REGIME = dict(GMM1D_MLP, train_steps=1500, parameterization="gaussian_residual", tail_scale=0.6)

SCALES = {
    "small": Scale(
        exact=ExactRunConfig(generations=20, dim=10),
        neural=(
            neural_spec(target="gmm", model="kde", n=400, steps=500, generations=5, eval_paths=300, eval_points=400,
                        metrics=["D_kl", "I_kl", "eps2", "epshat2", "eta"], seeds=(0, 1, 2), metrics_dtype="float32"),
            neural_spec(target="gmm", model="mlp", n=400, steps=100, generations=3, eval_points=400,
                        metrics=["D_kl", "I_kl"], train_steps=600, hidden=128, depth=3, lr=2e-3, seeds=(0,)),
            # one alpha: 2 fits of a U-Net trained long enough to meet the generation-0 criterion
            neural_spec(target="digits", model="unet", n=1000, steps=50, generations=2, eval_points=300,
                        metrics=["D_kl", "I_kl"], lane=1, alphas=(0.5,), train_steps=1300, batch_size=64, lr=2e-3,
                        model_kw={"base_channels": 16, "dropout": 0.0, "t_sampling": "log_uniform"}, seeds=(0,)),
            # exact grid laws (THEORY.md section 7): binding checks on a network and on a 2-D KDE
            neural_spec(target="gmm1d", model="mlp", n=400, steps=100, generations=3, eval_paths=1000,
                        metrics=["eta"], **GMM1D_MLP, seeds=(0,)),
            # lane 1 (balance, bench/RESULTS.md 2026-12-02 speed): CPU seconds measured per spec in one thread,
            # lane 0 = this process: bounds + exact + eta by type 8, gmm KDE 41, gmm MLP 41, gmm1d MLP 48,
            # injected 7, limit law 9 (154); lane 1: U-Net 86, in-regime MLP 27, gmm2d KDE 38 (+ spawn, 154)
            neural_spec(target="gmm2d", model="kde", n=400, steps=50, generations=3, seeds=(0,), lane=1),
            # a network inside the theory's regime (finite chi2, eps2 <= 1), beside the U-Net's lane
            neural_spec(target="gmm1d", model="mlp", n=400, steps=100, generations=3, **GMM1D_MLP_IN_REGIME,
                        seeds=(0,), alphas=(0.5,), lane=1),
        ) + tuple(neural_spec(target="gmm1d", model="mlp", n=400, steps=100, generations=1, eval_paths=1000,
                              metrics=["eta"], **GMM1D_MLP, injected_error={"type": kind, "size": -0.2}, seeds=(0,),
                              alphas=(0.5,))
                  for kind in ("aligned", "random", "time_only"))),
    "tiny": Scale(  # a smoke run of every stage in well under a minute (used by the tests)
        exact=ExactRunConfig(generations=4, dim=3, mixture_samples=2 ** 10),
        neural=(
            neural_spec(target="gmm", model="kde", n=100, steps=20, generations=2, eval_paths=200, eval_points=100,
                        metrics=["D_kl", "I_kl", "eps2", "epshat2", "eta"], seeds=(0, 1)),
            neural_spec(target="gmm1d", model="kde", n=100, steps=20, generations=2, seeds=(0,)),
        )),
    "paper": Scale(  # THEORY.md section 6; the same protocol as a sweep spec: examples/sweep_paper_protocol.toml
        exact=ExactRunConfig(generations=20, dim=10),
        neural=(
            neural_spec(target="gmm", model="kde", n=100_000, steps=500, generations=20, eval_paths=50_000,
                        eval_points=20_000, metrics=["D_kl", "I_kl", "D_chi2", "I_chi2", "eps2", "epshat2", "eta"],
                        seeds=tuple(range(10)), metrics_dtype="float32"),
        )),
}


PROGRESS_SECONDS = 30.0
BATCH_MEMORY_FRACTION = 0.25


def _log(message: str) -> None:
    print(f"[collapse reproduce {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class ProgressETA:
    """progress(done, total) -> a log line with the share done, elapsed time and ETA, at most every
    `every` seconds (and at the end).

    Parameters
    ----------
    label : str
        Prefix of the log lines.
    log : callable
        ``log(line)``.
    every : float
        Least seconds between lines (default PROGRESS_SECONDS).
    """

    def __init__(self, label: str, log, every: float = PROGRESS_SECONDS):
        self.label, self.log, self.every = label, log, every
        self.began = self.last = time.perf_counter()

    def __call__(self, done: float, total: float) -> None:
        now = time.perf_counter()
        if (now - self.last < self.every and done < total) or total <= 0 or done <= 0:
            return
        self.last = now
        elapsed = now - self.began
        eta = elapsed * (total - done) / done
        self.log(f"{self.label}: {100 * done / total:5.1f}% of the kernel work, elapsed {format_duration(elapsed)}, "
                 f"ETA {format_duration(eta)}")


def _batchable(config) -> bool:
    """KDE runs on a Gaussian mixture that do not take exact grid laws (the batched job has none)."""
    target = make_target(config.target, **config.target_kw)
    return config.model == "kde" and isinstance(target, TorchGaussianMixture) and not config.uses_exact_grid(target)


def _batches(named: list, device: str) -> list:
    """All runs in one batch, or one batch per alpha when the job's arrays would exceed
    BATCH_MEMORY_FRACTION of the device's free memory."""
    cfg = named[0][1]
    d = 10 if cfg.target == "gmm" else 2
    per_run = 8 * d * (3 * cfg.n + 3 * cfg.eval_paths) + 8 * (d + 4) * 2 * cfg.n  # states, noise, keys
    if str(device).startswith("cuda"):
        free = torch.cuda.mem_get_info(torch.device(device))[0]
    else:
        try:
            free = int(open("/proc/meminfo").read().split("MemAvailable:")[1].split()[0]) * 1024
        except (OSError, IndexError, ValueError):
            free = 1 << 34
    if per_run * len(named) <= BATCH_MEMORY_FRACTION * free:
        return [named]
    by_alpha = {}
    for item in named:
        by_alpha.setdefault(item[1].alpha, []).append(item)
    return list(by_alpha.values())


def estimate_neural(spec: dict, alphas, seed: int, device: str) -> dict:
    """Duration estimate (seconds) of the batched KDE runs of `spec` from a short calibration on
    `device` (`neural.protocol_cost.calibrate`), with the calibrated throughputs.

    Parameters
    ----------
    spec : Scale
        A scale of SCALES (its neural run specs).
    alphas : sequence of float
        The alphas of the runs.
    seed : int
        Run seed.
    device : str
        Device to calibrate on.

    Returns
    -------
    dict
        "seconds" (total) and "specs" (per batched run spec: runs, seconds and throughputs).
    """
    total, details = 0.0, []
    for run_spec in spec.neural:
        named, metrics_dtype = run_spec.configs(alphas, seed, device), run_spec.metrics_dtype
        configs = [c for _, c in named]
        if not _batchable(configs[0]):
            continue
        cfg = configs[0]
        d = 10 if cfg.target == "gmm" else 2
        throughput = calibrate(device, getattr(torch, cfg.dtype), d=d, n_points=cfg.n, batch=len(configs),
                               m_max=cfg.n, paths=cfg.eval_paths, metrics_dtype=getattr(torch, metrics_dtype))
        seconds = estimate_seconds(configs, throughput)
        total += seconds
        details.append({"spec": f"{cfg.target}_{cfg.model}", "runs": len(configs), "seconds": seconds, **throughput})
    return {"seconds": total, "specs": details}


def reproduce(out_dir, scale: str = "small", device: str = "cpu", seed: int = 0,
              alphas=(0.1, 0.5, 0.9), neural: bool = True, progress: bool = True, estimate: bool | None = None) -> dict:
    """Run every part into `out_dir` and build the report; returns `build_report`'s dict.
    `estimate` (default: True at the paper scale) logs a calibrated duration estimate of the neural
    part before it starts.

    Parameters
    ----------
    out_dir : str or path-like
        The output directory.
    scale : str
        A key of SCALES (default "small").
    device : str
        Device of the neural runs (default "cpu").
    seed : int
        Base seed (default 0).
    alphas : sequence of float in [0, 1]
        The fresh-data fractions (default (0.1, 0.5, 0.9)).
    neural : bool
        Run the neural part (default True).
    progress : bool
        Log progress lines (default True).
    estimate : bool or None
        Log a calibrated duration estimate (default: True at the paper scale).

    Returns
    -------
    dict
        `build_report`'s dict.

    Raises
    ------
    ValueError
        If scale is not a key of SCALES or an alpha is outside [0, 1].
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {tuple(SCALES)}, got {scale!r}")
    for a in alphas:
        if not 0.0 <= a <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {a}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    spec = SCALES[scale]
    write_json(out / MANIFEST_FILE, {"scale": scale, "device": device, "seed": seed, "alphas": list(alphas),
                                "neural": neural, "spec": spec.to_json(),
                                "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")})
    log = _log if progress else (lambda m: None)
    if neural and (estimate if estimate is not None else scale == "paper"):
        log("calibrating the KDE kernels on the device for a duration estimate")
        est = estimate_neural(spec, alphas, seed, device)
        for d in est["specs"]:
            log(f"estimate: {d['spec']} x {d['runs']} runs, about {format_duration(d['seconds'])} on {d['device']} "
                f"(KDE kernel {d['kde']:.3g} entries/s, mixture kernel {d['mixture']:.3g} entries/s, "
                f"eta regression {d['regression_seconds']:.2f} s)")
        log(f"estimated duration of the neural part (the bounds and exact parts take seconds): "
            f"{format_duration(est['seconds'])}")

    lanes = neural_lanes(list(spec.neural), device) if neural else []
    threads = lane_threads(len(lanes))
    parallel = []   # the other lanes in processes of their own, from the start (the bounds and exact parts overlap)
    for lane in lanes[1:]:
        log(f"neural lane in a parallel process ({threads} torch thread(s) per lane): "
            f"{', '.join(s.label for s in lane)}")
        parallel.append(LaneProcess(_lane_worker, (str(out), lane, tuple(alphas), seed, device, progress), threads))
    try:
        with cpu_threads(threads) if len(lanes) > 1 else contextlib.nullcontext():
            return _main_lane(out, scale, spec, lanes, parallel, alphas, seed, device, progress, log)
    except BaseException:
        for lane in parallel:
            lane.stop()
        raise


def _main_lane(out, scale, spec, lanes, parallel, alphas, seed, device, progress, log) -> dict:
    """The bounds, exact and limit-law parts and neural lane 0 in this process, then the other lanes'
    results and the report."""
    log("bounds: accumulated-drift table")
    atomic_write_text(out / "bounds" / "accumulated.csv", render(accumulated_rows(alphas, [1e-3], 20), "csv"))

    log("exact Gaussian generations")
    run_exact(out / "exact", spec.exact_config(alphas, seed), progress=log)
    eta_file = out / "exact" / "eta_by_error_type.json"
    if not eta_file.is_file():
        write_json(eta_file, eta_by_error_type(spec.exact.dim, seed))

    if lanes:
        wall, cpu = time.perf_counter(), time.process_time()
        run_neural_specs(out, lanes[0], alphas, seed, device, progress, log)
        log(f"neural lane 0 done: {time.perf_counter() - wall:.0f} s wall, {time.process_time() - cpu:.0f} s CPU")
    limit_law_part(out, scale, log)
    if not parallel:
        log("tables, figures, summary")
        return build_report(out)
    log("while the parallel lane runs: the symbolic proofs, the exact figures")
    proofs = proof_checks()
    made = all_figures(RunData.load(out, neural=False), ("exact", "eta"))
    for lane, process in zip(lanes[1:], parallel):
        log(f"waiting for the parallel lane ({', '.join(s.label for s in lane)})")
        process.result()
    log("tables, figures, summary (the neural figures in a parallel process)")
    drawer = LaneProcess(series_figures, (neural_series(RunData.load(out)), str(out / "figures")), 1, torch=False)
    parallel.append(drawer)   # stopped with the others if this process fails
    report = build_report(out, figure_parts=("grid",), proofs=proofs)
    report["figures"] = made + drawer.result() + report["figures"]
    return report


def _lane_worker(out: str, specs: list, alphas, seed: int, device: str, progress: bool) -> None:
    """A parallel lane (`validate.pipeline.lanes`): its specs with log lines but no progress bars
    (two processes' bars would garble each other)."""
    log = _log if progress else (lambda m: None)
    wall, cpu = time.perf_counter(), time.process_time()
    run_neural_specs(Path(out), specs, alphas, seed, device, progress, log, bars=False)
    log(f"parallel lane ({', '.join(s.label for s in specs)}) done: {time.perf_counter() - wall:.0f} s wall, "
        f"{time.process_time() - cpu:.0f} s CPU")


def run_neural_specs(out: Path, specs: list, alphas, seed: int, device: str, progress: bool, log,
                     bars: bool | None = None) -> None:
    """Run neural run specs in order into out/neural: KDE runs on the Gaussian mixture as batched jobs,
    the others run by run, generation 0 shared across alphas (`share_generation_zero`) and a
    network's generation-0 fit reused by later runs that make the same fit (`reusable_fit`: the
    injected-error runs). Every run is resumable.

    Parameters
    ----------
    out : pathlib.Path
        The output directory.
    specs : list of NeuralRunSpec
        Run specs of a SCALES entry.
    alphas : sequence of float
        The fresh-data fractions.
    seed : int
        Base seed.
    device : str
        Device of the runs.
    progress : bool
        ETA lines of the batched jobs.
    log : callable
        ``log(line)``.
    bars : bool or None
        Progress bars of the runs (default: `progress` when stderr is a terminal; redirected to a
        file, nested bars made 174 KB of carriage-return updates, so there a line per finished run
        tells the progress instead).
    """
    bars = (progress and sys.stderr.isatty()) if bars is None else bars
    fitted = {}  # seed -> network runs done so far, whose generation-0 fit a later run may reuse
    for run_spec in specs:
        named, metrics_dtype = run_spec.configs(alphas, seed, device), run_spec.metrics_dtype
        if _batchable(named[0][1]):
            for batch in _batches(named, device):
                label = f"batched {len(batch)} runs {batch[0][0].rsplit('_alpha', 1)[0]}"
                log(f"neural {label}: {', '.join(n for n, _ in batch)}")
                run_batched_generations([c for _, c in batch], [out / "neural" / n for n, _ in batch],
                                        metrics_dtype=metrics_dtype,
                                        progress=ProgressETA(label, log) if progress else None)
            continue
        first = {}  # seed -> the run whose generation 0 the other alphas share
        for name, cfg in named:
            log(f"neural run {name}")
            if cfg.seed in first and share_generation_zero(first[cfg.seed], cfg, out / "neural" / name):
                log(f"  generation 0 shared with {first[cfg.seed].name} (the same computation for every alpha)")
            first.setdefault(cfg.seed, out / "neural" / name)
            began = time.perf_counter()
            metrics = run_generations(cfg, out / "neural" / name, progress=bars, fit_from=fitted.get(cfg.seed, ()))
            log(f"  {name} done: {len(metrics)} generations, {format_duration(time.perf_counter() - began)}")
            if metrics and metrics[0].get("fit_shared_from") and not metrics[0].get("shared_from"):
                log(f"  generation-0 network loaded from {metrics[0]['fit_shared_from']} (the same fit)")
            if cfg.model != "kde":
                fitted.setdefault(cfg.seed, []).append(out / "neural" / name)


def limit_law_part(out: Path, scale: str, log) -> None:
    """The limit law of THEORY.md §5 (reconstructed): checks, the multiplier table and two figures
    (`validate.pipeline.limit_stage`); the grid route is skipped at the "tiny" scale. Kept when already done.

    Parameters
    ----------
    out : pathlib.Path
        The output directory.
    scale : str
        A key of SCALES.
    log : callable
        ``log(line)``.
    """
    if (out / LIMIT_CHECKS_FILE).is_file():
        return
    limit_law_stage(out, grid=scale != "tiny", log=log)
