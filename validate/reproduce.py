"""`collapse reproduce`: the main job. Bounds, exact Gaussian generations, small neural runs, then
tables, figures and a summary (validate.report).

Scales:
* "small" (default; CPU, a few minutes): exact d = 10, 20 generations; KDE (h = 0.6) on the paper's
  10-D Gaussian mixture with n = 400, 500 sampler steps, 5 generations, 3 seeds; an MLP on the same
  target (n = 400, 300 training steps, 3 generations); a U-Net on scikit-learn's digits (n = 200,
  100 training steps, 2 generations); with exact grid laws (THEORY.md section 7, binding checks): an
  MLP on gmm1d (3 generations, with the regression eta beside the exact one) and a KDE on gmm2d
  (3 generations, 50 steps), and for eta by error type the MLP on gmm1d with each injected error
  (aligned, random, time-only; alpha = 0.5, one generation).
* "tiny": every stage at toy size, well under a minute (a smoke test), including a KDE on gmm1d
  with exact grid laws.
* "paper" (THEORY.md §6, for a GPU): KDE n = 100,000, 500 steps, 20 generations, 10 seeds, eta from
  50,000 paths; exact d = 10, 20 generations.
Every part is resumable: a finished exact alpha or neural generation is kept, so a killed run
started again with the same arguments continues where it stopped.
"""
from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path

from validate.run_io import write_json

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
            # exact grid laws (THEORY.md section 7): binding checks on a network and on a 2-D KDE
            dict(target="gmm1d", model="mlp", n=400, steps=100, generations=3, eval_paths=1000,
                 metrics=["eta"], model_kw={"steps": 300}, seeds=(0,)),
            dict(target="gmm2d", model="kde", n=400, steps=50, generations=3, seeds=(0,)),
        ] + [dict(target="gmm1d", model="mlp", n=400, steps=100, generations=1, eval_paths=1000, metrics=["eta"],
                  model_kw={"steps": 300}, injected_error={"type": kind, "size": -0.2}, seeds=(0,), alphas=(0.5,))
             for kind in ("aligned", "random", "time_only")],
    },
    "tiny": {  # a smoke run of every stage in well under a minute (used by the tests)
        "exact": dict(generations=4, dim=3, mixture_samples=2 ** 10),
        "neural": [
            dict(target="gmm", model="kde", n=100, steps=20, generations=2, eval_paths=200, eval_points=100,
                 metrics=["D_kl", "I_kl", "eps2", "epshat2", "eta"], seeds=(0, 1)),
            dict(target="gmm1d", model="kde", n=100, steps=20, generations=2, seeds=(0,)),
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
    from validate.cli_bounds import table
    from validate.exact_runs import eta_by_error_type, run_exact
    from validate.report import MANIFEST, build_report
    from validate.tables import render

    if scale not in SCALES:
        raise ValueError(f"scale must be one of {tuple(SCALES)}, got {scale!r}")
    for a in alphas:
        if not 0.0 <= a <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {a}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    spec = SCALES[scale]
    write_json(out / MANIFEST, {"scale": scale, "device": device, "seed": seed, "alphas": list(alphas),
                                "neural": neural, "spec": spec,
                                "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")})
    log = _log if progress else (lambda m: None)

    log("bounds: accumulated-drift table")
    (out / "bounds").mkdir(exist_ok=True)
    (out / "bounds" / "accumulated.csv").write_text(render(table(alphas, [1e-3], 20), "csv"))

    log("exact Gaussian generations")
    run_exact(out / "exact", alphas, seed=seed, progress=log, **spec["exact"])
    eta_file = out / "exact" / "eta_by_error_type.json"
    if not eta_file.is_file():
        write_json(eta_file, eta_by_error_type(spec["exact"]["dim"], seed))

    if neural:
        from neural.retraining import RetrainingConfig, run_generations

        for run_spec in spec["neural"]:
            run_spec = dict(run_spec)
            seeds = run_spec.pop("seeds")
            run_alphas = run_spec.pop("alphas", alphas)
            injected = run_spec.get("injected_error")
            label = run_spec["model"] + (f"+{injected['type']}" if injected else "")
            for a in run_alphas:
                for s in seeds:
                    name = f"{run_spec['target']}_{label}_alpha_{a:g}_seed_{seed + s}"
                    log(f"neural run {name}")
                    cfg = RetrainingConfig(alpha=a, seed=seed + s, device=device, **run_spec)
                    run_generations(cfg, out / "neural" / name, progress=progress)
    log("tables, figures, summary")
    return build_report(out)
