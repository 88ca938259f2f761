"""The default `collapse reproduce` (scale "small", CPU) timed end to end, against a baseline commit run
in the same script (issue 18 point 6: at most 3 minutes wall on 2 idle cores).

Each variant runs `python -m validate.cli reproduce --out DIR` in a subprocess, its package tree on
PYTHONPATH: the current checkout, and a baseline git ref extracted with `git archive` (`--baseline`).
Measured per variant: wall seconds, CPU seconds of the whole process tree (user + system, from
`resource.getrusage(RUSAGE_CHILDREN)` around the run: the spawned lanes are reaped by their parent, so
their time is counted), the load average before and after (the machine may be shared), and the lanes'
own log lines (`neural lane 0 done: W s wall, C s CPU`, `parallel lane (...) done: ...`). Then the two
outputs are compared row by row with `validate.report.compare_runs` (`collapse compare`, rtol 0): checks,
data files, figure lists.
The variants run one after the other, alternating when --repeat > 1; ratios are current / baseline.

Usage: python bench/bench_reproduce.py [--baseline REF] [--repeat N] [--work DIR] [--only current|baseline]
"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from validate.report.run_comparison import compare_runs, comparison_text

ROOT = Path(__file__).resolve().parent.parent
LANE_LINE = re.compile(r"(neural lane 0|parallel lane \((?P<specs>[^)]*)\)) done: (?P<wall>\d+) s wall, (?P<cpu>\d+) s CPU")


def extract(ref: str, where: Path) -> Path:
    """The tree of git `ref` in where/<ref> (git archive | tar)."""
    dest = where / f"tree_{ref.replace('/', '_')}"
    if not dest.is_dir():
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_once(tree: Path, out: Path, log: Path) -> dict:
    """One `collapse reproduce --out out` with `tree` first on PYTHONPATH; its measurements."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    load0 = os.getloadavg()
    cpu0, wall0 = children_cpu(), time.perf_counter()
    with open(log, "w") as f:
        proc = subprocess.run([sys.executable, "-m", "validate.cli", "reproduce", "--out", str(out)], cwd=tree,
                              env=env, stdout=f, stderr=subprocess.STDOUT)
    wall, cpu = time.perf_counter() - wall0, children_cpu() - cpu0
    lanes = [{"lane": m.group("specs") or "lane 0 (main process)", "wall": int(m.group("wall")),
              "cpu": int(m.group("cpu"))} for m in LANE_LINE.finditer(log.read_text())]
    return {"rc": proc.returncode, "wall": wall, "cpu": cpu, "load_before": load0, "load_after": os.getloadavg(),
            "lanes": lanes}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=None, help="git ref of the baseline (omit: current only)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--work", default=None, help="directory for trees and outputs (default: a temp dir)")
    parser.add_argument("--only", choices=("current", "baseline"), default=None)
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="bench_reproduce_"))
    work.mkdir(parents=True, exist_ok=True)
    variants = []
    if args.baseline and args.only != "current":
        variants.append(("baseline", extract(args.baseline, work)))
    if args.only != "baseline":
        variants.append(("current", ROOT))
    print(f"machine: {os.cpu_count()} CPUs, device cpu; work dir {work}", flush=True)
    results = {}
    for i in range(args.repeat):
        for name, tree in variants:
            out = work / f"{name}_{i}"
            if out.exists():
                subprocess.run(["rm", "-rf", str(out)], check=True)
            r = run_once(tree, out, work / f"{name}_{i}.log")
            results.setdefault(name, []).append(r)
            lanes = "; ".join(f"{x['lane']}: {x['wall']} s wall / {x['cpu']} s CPU" for x in r["lanes"])
            print(f"{name} #{i}: rc {r['rc']}, {r['wall']:.0f} s wall, {r['cpu']:.0f} s CPU (process tree), "
                  f"load {r['load_before'][0]:.1f} -> {r['load_after'][0]:.1f}; lanes: {lanes}", flush=True)
    if "baseline" in results and "current" in results:
        best = {k: (min(x["wall"] for x in v), min(x["cpu"] for x in v)) for k, v in results.items()}
        print(f"ratio current / baseline (best of {args.repeat}): wall {best['current'][0] / best['baseline'][0]:.2f}, "
              f"CPU {best['current'][1] / best['baseline'][1]:.2f}")
        # the two outputs row by row, every number, with the project's own comparison (`collapse compare`)
        print(comparison_text(compare_runs(work / "baseline_0", work / "current_0", rtol=0.0)), end="")
    (work / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
