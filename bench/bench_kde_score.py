"""KDE score kernels side by side: the attention kernel (neural.KDEScore, default), the blocked
kernel (``kernel="blocked"``), the pre-issue-13 streamed kernel (bench/baseline_kde_score.py) and a
naive cdist-then-softmax.

All compute the exact OU score of the Gaussian KDE of n points (THEORY.md section 4) at m = n
queries in d = 10 (the paper's Gaussian-mixture protocol, bandwidth 0.6, t = 0.02).  The variants
run interleaved (one of each per round, several rounds); reported: the median time of each, the
median over rounds of the per-round ratios old / new and naive / new (robust to a shared machine's
load swings), the largest difference to a float64 reference relative to the score's scale (the mean
row norm of the reference), the peak memory of each (CUDA: the allocator's peak; CPU: the sampled
peak resident set of a subprocess running only that variant, minus its baseline), and the
throughput in kernel entries (query x point pairs) per second.
Usage: python bench/bench_kde_score.py [--n 20000] [--device auto] [--rounds 5] [--threads 1]
(on an H200: --n 100000 --skip-naive --skip-old).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.baseline_kde_score import baseline_kde_score  # noqa: E402
from neural import KDEScore, make_target, resolve_device  # noqa: E402

D, BANDWIDTH, T = 10, 0.6, 0.02
VARIANTS = ("attention", "blocked", "old", "naive")


def naive_kde_score(x, t, points, h):
    """``(a sum_j softmax_j(-|x - a x_j|^2 / 2v) x_j - x) / v`` with the full (m, n) matrix in memory."""
    a2 = torch.exp(torch.tensor(-t, dtype=x.dtype))
    a, v = a2.sqrt(), a2 * h * h + (1 - a2)
    weights = torch.softmax(-torch.cdist(x, a * points).pow(2) / (2 * v), dim=1)
    return (a * weights @ points - x) / v


def make_data(n, device):
    gen = torch.Generator(device=device).manual_seed(0)
    target = make_target("gmm", dim=D)
    return target.sample(n, generator=gen, device=device), target.sample(n, generator=gen, device=device)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def run_variant(name, points, queries):
    if name == "naive":
        return naive_kde_score(queries, T, points, BANDWIDTH)
    if name == "old":
        return baseline_kde_score(queries, T, points, BANDWIDTH)
    return KDEScore(points, BANDWIDTH, kernel=name)(queries, T)


def peak_memory_cuda(name, points, queries):
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    run_variant(name, points, queries)
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - base


def _rss_bytes():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def probe_cpu_memory(name, n):
    """Runs one variant alone in this subprocess and prints its peak resident-set increase (bytes,
    sampled every millisecond) as JSON."""
    points, queries = make_data(n, torch.device("cpu"))
    run_variant(name, points[:64], queries[:64])  # load kernels before the baseline
    base, peak, done = _rss_bytes(), [0], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], _rss_bytes())
            time.sleep(0.001)
    watcher = threading.Thread(target=watch)
    watcher.start()
    run_variant(name, points, queries)
    done.set()
    watcher.join()
    print(json.dumps({"peak_bytes": max(peak[0], _rss_bytes()) - base}))


def peak_memory_cpu(name, n, threads):
    command = [sys.executable, __file__, "--probe", name, "--n", str(n)] + (["--threads", str(threads)] if threads else [])
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_bytes"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--probe", choices=VARIANTS)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--skip-naive", action="store_true", help="when the (n, n) matrix does not fit")
    parser.add_argument("--skip-old", action="store_true", help="skip the pre-issue-13 baseline")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.probe:
        probe_cpu_memory(args.probe, args.n)
        return 0
    device = resolve_device(args.device)
    points, queries = make_data(args.n, device)
    variants = [v for v in VARIANTS if not (v == "naive" and args.skip_naive) and not (v == "old" and args.skip_old)]
    results = {}
    for name in list(variants):  # warm-up; a naive run that does not fit is reported and dropped
        try:
            results[name] = run_variant(name, points, queries).double()
        except (torch.cuda.OutOfMemoryError, MemoryError, RuntimeError) as error:
            print(f"  {name}: {type(error).__name__} at n = {args.n} ({str(error).splitlines()[0][:100]})")
            variants.remove(name)
            if device.type == "cuda":
                torch.cuda.empty_cache()
    reference = baseline_kde_score(queries.double(), T, points.double(), BANDWIDTH)  # float64, blocked LSE
    scale = float(reference.norm(dim=1).mean())
    times = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name in variants:
            sync(device)
            start = time.perf_counter()
            run_variant(name, points, queries)
            sync(device)
            times[name].append(time.perf_counter() - start)
    memory = {} if args.skip_memory else {
        name: (peak_memory_cuda(name, points, queries) if device.type == "cuda"
               else peak_memory_cpu(name, args.n, args.threads)) for name in variants}
    entries = float(args.n) * args.n
    print(f"KDE score, n = m = {args.n}, d = {D}, h = {BANDWIDTH}, t = {T}, float32, device = {device}, "
          f"threads = {torch.get_num_threads()}, {args.rounds} interleaved rounds")
    for name in variants:
        med = statistics.median(times[name])
        err = float((results[name] - reference).abs().max()) / scale
        mem = f"{memory[name] / 2 ** 20:9.1f} MiB" if name in memory else "      n/a"
        print(f"  {name:9s} median {med:8.3f} s (all: {', '.join(f'{s:.2f}' for s in times[name])})  "
              f"peak memory {mem}  max|diff|/scale {err:.2e}  {entries / med:.3g} entries/s")
    for base in ("old", "naive", "blocked"):
        if base in variants:
            ratios = [b / a for a, b in zip(times["attention"], times[base])]
            print(f"  ratio {base} / attention: median {statistics.median(ratios):.2f} "
                  f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})")
    print(f"  score scale (mean row norm of the float64 reference) = {scale:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
