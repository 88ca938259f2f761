"""CPU time of building `bounds.catalog()` with and without the companion laws of THEORY.md §8.

Each build runs in a fresh subprocess (the derivations are cached per process), alternating the
two variants `REPEATS` times; "without" replaces `companion_results` in the module bounds.catalog by a function
returning no results, so both builds run the same code otherwise. Prints the least CPU time
(time.process_time, the machine is shared) of each, and their ratio.
Run: .venv/bin/python bench/bench_catalog_build.py
"""
import subprocess
import sys

REPEATS = 3
BUILD = """
import importlib
import time
C = importlib.import_module("bounds.catalog")  # the module (bounds.catalog is the function)
if {without}:
    C.companion_results = lambda prop31: []
t0 = time.process_time()
n = len(C.catalog())
print(time.process_time() - t0, n)
"""


def build(without: bool) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", BUILD.format(without=without)], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), int(out[1])


def main():
    times = {False: [], True: []}
    sizes = {}
    for _ in range(REPEATS):
        for without in (True, False):
            t, n = build(without)
            times[without].append(t)
            sizes[without] = n
    base, full = min(times[True]), min(times[False])
    print(f"catalog without companions: {base:.2f} s CPU ({sizes[True]} results)")
    print(f"catalog with companions:    {full:.2f} s CPU ({sizes[False]} results)")
    print(f"ratio: {full / base:.2f}x (+{full - base:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
