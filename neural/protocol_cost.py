"""Cost model of the KDE retraining protocol (THEORY.md §6) in kernel entries, and a duration
estimate from a short calibration of the KDE kernels on the device at hand.

Almost all the work of a KDE run is the score kernel: one call on m queries against N mixture
components costs m x N "entries" (one exponential and about 4 d flops each; `neural.kde_score`).
Per generation g of one run (n samples, K steps, P eval paths, n_g training points, N_g components of
the exact training mixture q_g):
* sampling: K n n_g (KDE score of the training set);
* ideal paths (eps2, eta): K P (n_g + N_g) (learned KDE and exact q_g scores at every step);
* learned paths (epshat2): the same again;
* D and I by exact densities: 6 E (n_g + N_g) roughly (E eval points, three laws), and one eta
  regression per run-generation (timed separately: it runs on the host).
`estimate_seconds` divides by entries per second measured by `calibrate` (the real point count and
batch, a growing number of queries until a call takes `min_seconds`) and adds the regressions.
This is an estimate: it leaves out per-generation bookkeeping (a few percent at the paper's scale,
more at small n) and the load of a shared machine.
"""
from __future__ import annotations

import math
import time

import torch

from .gaussian_mixture import TorchGaussianMixture
from .kde_score import BatchedKDEScore
from .mixture_kernel import isotropic_mixture_stream
from .observability import eta_from_paths
from .targets import make_target


def _components(cfg) -> int:
    target = make_target(cfg.target, **cfg.target_kw)
    return target.n_components if isinstance(target, TorchGaussianMixture) else 0


def generation_entries(cfg, g: int, components=None) -> dict:
    """Kernel entries of generation g of one run: {"kde": ..., "mixture": ..., "regressions": 0 or 1}
    ("kde": common-variance KDE calls, "mixture": exact training-mixture calls)."""
    data = _components(cfg) if components is None else components
    n, K, P = cfg.n, cfg.steps, cfg.eval_paths
    n_train = n if cfg.mode == "replace" else n * (g + 1)
    q_components = 0
    for i in range(g + 1):  # components of q_i, i <= g (the KDE output law of i-1 has n_{i-1} components)
        k = n if i == 0 else int(round(cfg.alpha_at(i) * n))
        prev = n if cfg.mode == "replace" else n * i
        batch = data if k == n else (prev if k == 0 else data + prev)
        q_components = batch if (i == 0 or cfg.mode == "replace") else q_components + batch
    wanted = set(cfg.metrics)
    paths = int("eta" in wanted or "eps2" in wanted) + int("epshat2" in wanted)
    divergences = 6 * cfg.eval_points * (n_train + q_components) if wanted & {"D_chi2", "D_kl", "I_chi2", "I_kl"} else 0
    return {"kde": K * n * n_train + paths * K * P * n_train + divergences // 2,
            "mixture": paths * K * P * q_components + divergences // 2,
            "regressions": int("eta" in wanted)}


def job_entries(cfg, start: int = 0) -> int:
    """Total kernel entries of generations start..G-1 of one run."""
    data = _components(cfg)
    return sum(v for g in range(start, cfg.generations)
               for k, v in generation_entries(cfg, g, data).items() if k != "regressions")


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _throughput(call, batch, n_points, m_max, min_seconds):
    m = 64
    while True:
        call(m)  # warm-up at this size
        began = time.perf_counter()
        call(m)
        seconds = time.perf_counter() - began
        if seconds >= min_seconds or m >= m_max:
            return batch * m * n_points / max(seconds, 1e-9)
        m = min(m_max, m * max(2, int(min_seconds / max(seconds, 1e-6))))


def calibrate(device, dtype=torch.float32, d=10, n_points=1000, batch=1, m_max=None, paths=1000,
              min_seconds=0.2, metrics_dtype=None) -> dict:
    """Entries per second of the KDE kernel (common variance) and of the exact-mixture kernel
    (per-component variances) at `batch` runs x `n_points` points in dimension d on `device`, and the
    seconds of one eta regression on `paths` paths. Returns {"kde", "mixture", "regression_seconds",
    "device", "dtype"}. Takes about 6 x min_seconds plus warm-ups."""
    device = torch.device(device)
    metrics_dtype = metrics_dtype or dtype
    gen = torch.Generator(device=device).manual_seed(0)
    m_max = m_max or n_points
    points = torch.randn(batch, n_points, d, generator=gen, device=device, dtype=dtype) * 2
    kde = BatchedKDEScore(points, 0.6)

    def call_kde(m):
        y = torch.randn(batch, m, d, generator=gen, device=device, dtype=dtype)
        kde(y, 0.5)
        _sync(device)
    means = points.to(metrics_dtype)
    variances = 0.3 + torch.rand(batch, n_points, generator=gen, device=device, dtype=metrics_dtype)
    lw = torch.full((batch, n_points), -math.log(n_points), device=device, dtype=metrics_dtype)

    def call_mixture(m):
        y = torch.randn(batch, m, d, generator=gen, device=device, dtype=metrics_dtype)
        isotropic_mixture_stream(y, 0.5, means, variances, lw, with_log_density=False)
        _sync(device)
    out = {"kde": _throughput(call_kde, batch, n_points, m_max, min_seconds),
           "mixture": _throughput(call_mixture, batch, n_points, m_max, min_seconds),
           "device": str(device), "dtype": str(dtype).replace("torch.", "")}
    y = torch.randn(paths, d, generator=gen, dtype=torch.float64)
    m = torch.randn(paths, generator=gen, dtype=torch.float64)
    began = time.perf_counter()
    eta_from_paths(m, y, "poly2" if d <= 20 else "rff")
    out["regression_seconds"] = time.perf_counter() - began
    return out


def estimate_seconds(configs, throughput: dict, start=None) -> float:
    """Seconds for the runs `configs` (from generation `start[i]`, default 0) at the calibrated
    `throughput` (`calibrate`'s dict)."""
    total = 0.0
    for i, cfg in enumerate(configs):
        data = _components(cfg)
        for g in range(0 if start is None else start[i], cfg.generations):
            e = generation_entries(cfg, g, data)
            total += e["kde"] / throughput["kde"] + e["mixture"] / throughput["mixture"] \
                + e["regressions"] * throughput["regression_seconds"]
    return total


def format_duration(seconds: float) -> str:
    """'1 h 05 min', '12 min 30 s' or '42 s'."""
    if not math.isfinite(seconds):
        return "unknown"
    seconds = max(0.0, seconds)
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    if seconds >= 60:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{seconds:.0f} s"
