"""MLP denoising-score-matching training speed: eager fp32 vs bf16 autocast vs torch.compile, side by side.

Trains ``neural.ResidualMLP`` (hidden 256, depth 4) on the paper's 10-D Gaussian mixture with
``neural.train_denoiser`` and prints steps/s of each variant and the ratio to eager fp32.  Each
variant first runs a short warm-up call (for torch.compile this includes compilation, reported
separately).  On CPU, compile runs only with --compile (it needs a C++ compiler and takes long).
Usage: python bench/bench_mlp_training.py [--device auto] [--steps 200] [--batch-size 512] [--compile]
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from neural import EpsilonPredictor, ResidualMLP, make_target, resolve_device, train_denoiser  # noqa: E402


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def run(device, data, steps, batch_size, amp, compile, warmup_steps):
    torch.manual_seed(0)
    model = EpsilonPredictor(ResidualMLP(data.shape[1], hidden=256, depth=4)).to(device)
    gen = torch.Generator(device=device).manual_seed(0)
    start = time.perf_counter()
    result = train_denoiser(model, data, steps=warmup_steps, batch_size=batch_size, amp=amp, compile=compile,
                            generator=gen)
    sync(device)
    warm = time.perf_counter() - start
    net = result.model  # reuse the compiled module: no second compilation
    start = time.perf_counter()
    result = train_denoiser(net, data, steps=steps, batch_size=batch_size, amp=amp, compile=False, generator=gen)
    sync(device)
    elapsed = time.perf_counter() - start
    return steps / elapsed, warm, float(result.losses[-20:].mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile on CPU")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    data = make_target("gmm").sample(20000, generator=torch.Generator().manual_seed(0)).to(device)
    variants = [("eager fp32", False, False), ("eager bf16 autocast", True, False)]
    if device.type == "cuda" or args.compile:
        variants += [("compiled fp32", False, True), ("compiled bf16 autocast", True, True)]
    print(f"MLP training (hidden 256, depth 4, batch {args.batch_size}, d = 10), device = {device}, "
          f"threads = {torch.get_num_threads()}, {args.steps} timed steps per variant")
    baseline = None
    for name, amp, compile in variants:
        try:
            rate, warm, loss = run(device, data, args.steps, args.batch_size, amp, compile, warmup_steps=10)
        except Exception as error:  # compile needs a toolchain; report and go on
            print(f"  {name:24s} failed: {type(error).__name__}: {str(error).splitlines()[0][:120]}")
            continue
        baseline = baseline or rate
        print(f"  {name:24s} {rate:8.1f} steps/s  (x{rate / baseline:.2f} vs eager fp32; warm-up {warm:.1f} s; "
              f"final loss {loss:.3f})")
    if device.type != "cuda" and not args.compile:
        print("  torch.compile skipped on CPU (pass --compile to time it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
