"""`collapse reproduce`: the main job. Bounds, exact Gaussian generations, small neural runs, then
tables, figures and a summary (validate.report).

Scales:

* "small" (default; CPU, a few minutes): exact d = 10, 20 generations; KDE (h = 0.6) on the paper's
  10-D Gaussian mixture with n = 400, 500 sampler steps, 5 generations, 3 seeds; an MLP on the same
  target (n = 400, 300 training steps, 3 generations); a U-Net on scikit-learn's digits (n = 200,
  100 training steps, 2 generations).
* "tiny": every stage at toy size, well under a minute (a smoke test).
* "paper" (THEORY.md §6, for a GPU): KDE n = 100,000, 500 steps, 20 generations, 10 seeds, eta from
  50,000 paths; exact d = 10, 20 generations.

The limit law of THEORY.md §5 (checks, the table of limit multipliers, the Hermite spectrum and the
constant-versus-annealed figure) runs at every scale (`limit_law_part`).
Every part is resumable: a finished exact alpha or neural generation is kept, so a killed run
started again with the same arguments continues where it stopped.
"""
from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path

from neural.retraining import RetrainingConfig, run_generations
from neural.run_files import MANIFEST_FILE, atomic_write_text, write_json
from validate.bounds_table import accumulated_rows
from validate.eta_experiment import eta_by_error_type
from validate.exact_runs import run_exact
from validate.limit_stage import limit_law_stage
from validate.limit_suite import LIMIT_CHECKS_FILE
from validate.report import build_report
from validate.tables import render

SCALES = {
    "small": {
        "exact": dict(generations=20, dim=10),
        "neural": [
            dict(target="gmm", model="kde", n=400, steps=500, generations=5, eval_paths=300, eval_points=400,
                 metrics=["D_kl", "I_kl", "eps2", "epshat2", "eta"], seeds=(0, 1, 2)),
            dict(target="gmm", model="mlp", n=400, steps=100, generations=3, eval_points=400,
                 metrics=["D_kl", "I_kl"], model_kw={"steps": 300}, seeds=(0,)),
            dict(target="digits", model="unet", n=200, steps=50, generations=2, eval_points=300,
                 metrics=["D_kl", "I_kl"], model_kw={"steps": 100, "batch_size": 64}, seeds=(0,)),
        ],
    },
    "tiny": {  # a smoke run of every stage in well under a minute (used by the tests)
        "exact": dict(generations=4, dim=3, mixture_samples=2 ** 10),
        "neural": [
            dict(target="gmm", model="kde", n=100, steps=20, generations=2, eval_paths=200, eval_points=100,
                 metrics=["D_kl", "I_kl", "eps2", "epshat2", "eta"], seeds=(0, 1)),
        ],
    },
    "paper": {
        "exact": dict(generations=20, dim=10),
        "neural": [
            dict(target="gmm", model="kde", n=100_000, steps=500, generations=20, eval_paths=50_000,
                 eval_points=20_000, metrics=["D_kl", "I_kl", "D_chi2", "I_chi2", "eps2", "epshat2", "eta"],
                 seeds=tuple(range(10))),
        ],
    },
}


def _log(message: str) -> None:
    print(f"[collapse reproduce] {message}", file=sys.stderr, flush=True)


def reproduce(out_dir, scale: str = "small", device: str = "cpu", seed: int = 0,
              alphas=(0.1, 0.5, 0.9), neural: bool = True, progress: bool = True) -> dict:
    """Run every part into `out_dir` and build the report; returns `build_report`'s dict."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {tuple(SCALES)}, got {scale!r}")
    for a in alphas:
        if not 0.0 <= a <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {a}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    spec = SCALES[scale]
    write_json(out / MANIFEST_FILE, {"scale": scale, "device": device, "seed": seed, "alphas": list(alphas),
                                "neural": neural, "spec": spec,
                                "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")})
    log = _log if progress else (lambda m: None)

    log("bounds: accumulated-drift table")
    atomic_write_text(out / "bounds" / "accumulated.csv", render(accumulated_rows(alphas, [1e-3], 20), "csv"))

    log("exact Gaussian generations")
    run_exact(out / "exact", alphas, seed=seed, progress=log, **spec["exact"])
    eta_file = out / "exact" / "eta_by_error_type.json"
    if not eta_file.is_file():
        write_json(eta_file, eta_by_error_type(spec["exact"]["dim"], seed))

    if neural:
        for run_spec in spec["neural"]:
            run_spec = dict(run_spec)
            seeds = run_spec.pop("seeds")
            for a in alphas:
                for s in seeds:
                    name = f"{run_spec['target']}_{run_spec['model']}_alpha_{a:g}_seed_{seed + s}"
                    log(f"neural run {name}")
                    cfg = RetrainingConfig(alpha=a, seed=seed + s, device=device, **run_spec)
                    run_generations(cfg, out / "neural" / name, progress=progress)
    limit_law_part(out, scale, log)
    log("tables, figures, summary")
    return build_report(out)


def limit_law_part(out: Path, scale: str, log) -> None:
    """The limit law of THEORY.md §5 (reconstructed): checks, the multiplier table and two figures
    (`validate.limit_stage`); the grid route is skipped at the "tiny" scale. Kept when already done."""
    if (out / LIMIT_CHECKS_FILE).is_file():
        return
    limit_law_stage(out, grid=scale != "tiny", log=log)
