"""KDE score: the streamed kernel (neural.KDEScore) against a naive cdist-then-softmax, side by side.

Both compute the exact OU score of the Gaussian KDE of n points (THEORY.md section 4) at m = n
queries in d = 10 (the paper's Gaussian-mixture protocol, bandwidth 0.6, t = 0.02).  Prints the time
of each, the speed ratio, the largest difference, and the peak memory of each (CUDA: the allocator's
peak; CPU: the sampled peak resident set of a subprocess running only that variant, minus its baseline).
Usage: python bench/bench_kde_score.py [--n 20000] [--device auto] [--repeats 3] [--threads 1]
(on an H200: --n 100000).
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from neural import KDEScore, make_target, resolve_device  # noqa: E402

D, BANDWIDTH, T = 10, 0.6, 0.02


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
    return KDEScore(points, BANDWIDTH)(queries, T)


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


def peak_memory_cpu(name, n):
    out = subprocess.run([sys.executable, __file__, "--probe", name, "--n", str(n)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_bytes"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--probe", choices=["naive", "chunked"])
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--skip-naive", action="store_true", help="when the (n, n) matrix does not fit")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.probe:
        probe_cpu_memory(args.probe, args.n)
        return 0
    device = resolve_device(args.device)
    points, queries = make_data(args.n, device)
    variants = ["chunked"] + ([] if args.skip_naive else ["naive"])
    results = {}
    for name in list(variants):  # warm-up; a naive run that does not fit is reported and dropped
        try:
            results[name] = run_variant(name, points, queries)
        except (torch.cuda.OutOfMemoryError, MemoryError, RuntimeError) as error:
            print(f"  {name}: {type(error).__name__} at n = {args.n} ({str(error).splitlines()[0][:100]})")
            variants.remove(name)
            if device.type == "cuda":
                torch.cuda.empty_cache()
    times = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name in variants:
            sync(device)
            start = time.perf_counter()
            run_variant(name, points, queries)
            sync(device)
            times[name].append(time.perf_counter() - start)
    best = {name: min(v) for name, v in times.items()}
    memory = {name: (peak_memory_cuda(name, points, queries) if device.type == "cuda"
                     else peak_memory_cpu(name, args.n)) for name in variants}
    print(f"KDE score, n = m = {args.n}, d = {D}, h = {BANDWIDTH}, t = {T}, device = {device}, "
          f"threads = {torch.get_num_threads()}, best of {args.repeats}")
    for name in variants:
        print(f"  {name:8s} {best[name]:8.3f} s   peak memory {memory[name] / 2 ** 20:9.1f} MiB")
    if "naive" in variants:
        diff = float((results["chunked"] - results["naive"]).abs().max())
        print(f"  speed ratio naive/chunked = {best['naive'] / best['chunked']:.2f}; "
              f"memory ratio naive/chunked = {memory['naive'] / max(memory['chunked'], 1):.1f}; "
              f"max |difference| = {diff:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
