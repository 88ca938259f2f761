"""Seconds per generation of the paper's Gaussian-mixture protocol (THEORY.md §6: d = 10, KDE
bandwidth 0.6, n = 100,000 samples, 500 Euler-Maruyama steps from T = 4 to t0 = 0.02), scaled by
--n and --steps, on --device. One generation = draw the training set (round(alpha n) fresh + the
rest from the previous samples), fit the KDE, sample n points.

Measured side by side in one process:
  loop      `neural.retraining.run_generations` (the `collapse train` path, one run, no metrics);
  single    one run at a time with the streamed KDE kernel (`neural.kde_score.KDEScore`);
  batched   R runs (alphas x seeds) in lockstep, one (R, n, d) chain (`neural.kde_score.BatchedKDEScore`);
and the ratio (single-run seconds x R) / (batched seconds for R runs).

    python bench/bench_gmm_protocol.py --n 2000 --steps 100 --device cpu
    python bench/bench_gmm_protocol.py --n 100000 --steps 500 --device cuda   # the paper's scale
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this checkout's packages
from neural.kde_score import BatchedKDEScore  # noqa: E402
from neural.devices import resolve_device  # noqa: E402
from neural.kde_score import KDEScore  # noqa: E402
from neural.retraining import RetrainingConfig, run_generations  # noqa: E402
from neural.sampling import euler_maruyama  # noqa: E402
from neural.sde import VPSDE  # noqa: E402
from neural.targets import make_target  # noqa: E402


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def one_generation(target, previous, alpha, n, steps, device, generator, dtype):
    k = int(round(alpha * n))
    x_train = torch.cat([target.sample(k, generator=generator, device=device, dtype=dtype), previous[: n - k]])
    score = KDEScore(x_train, 0.6)
    x_T = torch.randn((n, 10), generator=generator, device=device, dtype=dtype)
    return euler_maruyama(score, x_T, VPSDE(4.0, 0.02).time_grid(steps), generator=generator)


def batched_generation(target, previous, alphas, n, steps, device, generator, dtype):
    trains = []
    for b, alpha in enumerate(alphas):
        k = int(round(alpha * n))
        trains.append(torch.cat([target.sample(k, generator=generator, device=device, dtype=dtype),
                                 previous[b, : n - k]]))
    score = BatchedKDEScore(torch.stack(trains), 0.6)
    x_T = torch.randn((len(alphas), n, 10), generator=generator, device=device, dtype=dtype)
    return euler_maruyama(score, x_T, VPSDE(4.0, 0.02).time_grid(steps), generator=generator)


def timed(fn, device):
    sync(device)
    began = time.perf_counter()
    out = fn()
    sync(device)
    return time.perf_counter() - began, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--alphas", type=float, nargs="+", default=[0.1, 0.5, 0.9])
    parser.add_argument("--seeds", type=int, default=1, help="runs per alpha in the batch")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    dtype = getattr(torch, args.dtype)
    target = make_target("gmm")
    gen = torch.Generator(device=device).manual_seed(0)
    alphas = [a for a in args.alphas for _ in range(args.seeds)]
    R = len(alphas)
    print(f"GMM protocol, d = 10, h = 0.6, n = {args.n}, steps = {args.steps}, device = {device}, "
          f"dtype = {args.dtype}, threads = {torch.get_num_threads()}, runs in the batch = {R}")

    with tempfile.TemporaryDirectory() as out:
        config = RetrainingConfig(n=args.n, steps=args.steps, generations=2, device=str(device), alpha=alphas[0],
                                  dtype=args.dtype, eval_points=min(args.n, 1000))
        rows = run_generations(config, out)
    print(f"loop (collapse train path): generation 0 {rows[0]['seconds']:.2f} s, generation 1 {rows[1]['seconds']:.2f} s")

    previous = target.sample(args.n, generator=gen, device=device, dtype=dtype)
    one_generation(target, previous, alphas[0], min(args.n, 256), 2, device, gen, dtype)  # warm-up
    single = []
    for alpha in alphas:
        seconds, _ = timed(lambda: one_generation(target, previous, alpha, args.n, args.steps, device, gen, dtype), device)
        single.append(seconds)
    print(f"single runs: {', '.join(f'{s:.2f}' for s in single)} s per generation (alpha {alphas})")

    previous_b = previous.expand(R, -1, -1).contiguous()
    batched_generation(target, previous_b[:, :256], alphas, min(args.n, 256), 2, device, gen, dtype)  # warm-up
    seconds_b, _ = timed(lambda: batched_generation(target, previous_b, alphas, args.n, args.steps, device, gen,
                                                    dtype), device)
    print(f"batched: {seconds_b:.2f} s per generation for {R} runs ({seconds_b / R:.2f} s per run)")
    print(f"ratio (sum of single runs) / (batched): {sum(single) / seconds_b:.2f}")
    full = 20 * 10 * 3  # generations x runs x alphas of the paper's protocol
    per_run = min(sum(single) / R, seconds_b / R)
    print(f"at this scale the paper's 600 run-generations would take about {full * per_run / 3600:.2f} h")


if __name__ == "__main__":
    main()
