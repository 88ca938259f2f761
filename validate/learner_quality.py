"""Generation-0 quality of each learner in a reproduce directory: is the model good before the
recursion starts, so that its "drift" is drift and not undertraining?

For every neural run, from its generation-0 samples (`gen_0000/samples.npy`, n draws) and fresh
draws from the target:

* mixture targets: the share of samples in each mode (`neural.estimators.mode_weights`), required
  within `MODE_TOLERANCE_SE` binomial standard errors of the mode's weight (3 x sqrt(w(1-w)/n): 6
  points for 5 equal modes at n = 400), so every mode is present;
* every target: the KL between Gaussians fitted to the samples and to n draws of data
  (`neural.estimators.gaussian_kl_proxy`; image targets in the data's top-16 PCA features; stable at
  small n, unlike a k-NN estimate in 10 or 16 dimensions, but blind to what the first two moments
  do not show, hence the mode criterion) beside the same estimate for the learner's ideal
  generation-0 law: the data itself for a network (the estimator's floor at this n: fitting noise),
  the exact KDE law (the training set's KDE pushed to t0, THEORY.md §4) for the KDE, whose
  bandwidth costs a KL of its own by design. Required: at most `KL_TOLERANCE` nats above the ideal.

Runs with an injected score error (`RetrainingConfig.injected_error`) form learners of their own
(`gmm1d_mlp+aligned`, ...): their generation-0 law is the network's plus the deliberate error, so
the criteria measure the error, not the training; the summary says so and names the run whose
network they reuse (`fit_shared_from`), whose row is the network's quality.

The draws use fixed seeds, so the table is the same each time it is rebuilt.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from neural.estimators import PCAFeatures, gaussian_kl_proxy, mode_weights
from neural.gaussian_mixture import TorchGaussianMixture
from neural.run_files import CONFIG_FILE, GENERATION_METRICS_FILE, generation_dir_name
from neural.sde import VPSDE
from neural.targets import make_target

MODE_TOLERANCE_SE = 3.0
KL_TOLERANCE = 0.15
FEATURES = 16
RIDGE = 1e-6


def run_quality(run_dir) -> dict | None:
    """One neural run's generation-0 quality row (None when generation 0 is not stored).

    Parameters
    ----------
    run_dir : str or path-like
        A `collapse train` run.

    Returns
    -------
    dict or None
        The quality row.
    """
    run = Path(run_dir)
    first = run / generation_dir_name(0)
    samples_path = first / "samples.npy"
    if not samples_path.is_file() or not (run / CONFIG_FILE).is_file():
        return None
    cfg = json.loads((run / CONFIG_FILE).read_text())
    target = make_target(cfg["target"], **cfg.get("target_kw", {}))
    samples = torch.as_tensor(np.load(samples_path)).double()
    n = samples.shape[0]
    flat = samples.reshape(n, -1)
    gen = torch.Generator().manual_seed(1234)
    data = target.sample(n, generator=gen, dtype=torch.float64).reshape(n, -1)
    if cfg["model"] == "kde" and isinstance(target, TorchGaussianMixture):
        batch = torch.as_tensor(np.load(first / "training_batch.npy")).double()
        law = TorchGaussianMixture.from_points(batch.reshape(batch.shape[0], -1), cfg["bandwidth"]).forward(
            VPSDE(cfg["T"], cfg["t0"]).t0)
        ideal, ideal_name = law.sample(n, generator=gen, dtype=torch.float64), "exact KDE law"
    else:
        ideal, ideal_name = target.sample(n, generator=gen, dtype=torch.float64).reshape(n, -1), "data (floor)"
    if flat.shape[1] > FEATURES:
        pca = PCAFeatures(data, FEATURES)
        flat, data_f, ideal = pca(flat), pca(data), pca(ideal)
    else:
        data_f = data
    injected = cfg.get("injected_error")
    row = {"run": run.name, "learner": f"{cfg['target']}_{cfg['model']}" + (f"+{injected['type']}" if injected else ""),
           "n": n,
           "kl_to_data": gaussian_kl_proxy(flat, data_f, ridge=RIDGE),
           "kl_ideal": gaussian_kl_proxy(ideal, data_f, ridge=RIDGE),
           "ideal": ideal_name}
    row["kl_ok"] = bool(row["kl_to_data"] <= row["kl_ideal"] + KL_TOLERANCE)
    if isinstance(target, TorchGaussianMixture) and target.kind in ("isotropic", "diagonal"):
        share, se = mode_weights(samples.reshape(n, -1), target)
        error = (share - target.weights).abs()
        row.update(mode_weights=[round(float(s), 4) for s in share],
                   max_mode_error=float(error.max()), mode_tolerance=float((MODE_TOLERANCE_SE * se).max()),
                   modes_ok=bool((error <= MODE_TOLERANCE_SE * se).all()))
    row["passed"] = bool(row["kl_ok"] and row.get("modes_ok", True))
    if injected:
        row["injected_error"] = f"{injected['type']} {injected['size']:g}"
        metrics_file = first / GENERATION_METRICS_FILE
        if metrics_file.is_file():
            row["network_of"] = json.loads(metrics_file.read_text()).get("fit_shared_from")
    return row


def quality_rows(run_dir) -> list:
    """Rows of every neural run under DIR/neural (or DIR itself when it is a single run).

    Parameters
    ----------
    run_dir : str or path-like
        A reproduce directory or a single run.

    Returns
    -------
    list of dict
        One row per run with generation 0 stored.
    """
    root = Path(run_dir)
    runs = sorted(p for p in (root / "neural").glob("*") if p.is_dir()) if (root / "neural").is_dir() else [root]
    return [r for r in (run_quality(p) for p in runs) if r is not None]


def summary_lines(rows: list) -> list:
    """Markdown lines stating each learner's generation-0 quality (worst run of each learner).

    Parameters
    ----------
    rows : list of dict
        The rows of `quality_rows`.

    Returns
    -------
    list of str
        Markdown lines.
    """
    if not rows:
        return []
    lines = ["## Generation-0 quality of each learner", "",
             f"Criteria: every mixture mode holds its weight within {MODE_TOLERANCE_SE:g} binomial standard "
             f"errors; the Gaussian-fit KL(samples || data) is at most {KL_TOLERANCE:g} nats above that of "
             "the learner's ideal law (data for a network; the exact KDE law for the KDE, whose bandwidth "
             "costs KL by design). Worst run of each learner:", ""]
    for learner in sorted({r["learner"] for r in rows}):
        group = [r for r in rows if r["learner"] == learner]
        worst = max(group, key=lambda r: r["kl_to_data"] - r["kl_ideal"])
        text = (f"* `{learner}` ({len(group)} runs, n = {worst['n']}): "
                f"{sum(r['passed'] for r in group)} of {len(group)} runs meet both criteria; KL to data "
                f"{worst['kl_to_data']:.3f} vs {worst['kl_ideal']:.3f} for its ideal ({worst['ideal']})")
        if "max_mode_error" in worst:
            err = max(r["max_mode_error"] for r in group)
            tol = min(r["mode_tolerance"] for r in group)
            text += f"; largest mode-weight error {100 * err:.1f} points (tolerance {100 * tol:.1f})"
        if worst.get("injected_error"):
            source = worst.get("network_of")
            text += (f"; these samples carry the injected score error ({worst['injected_error']}) by design"
                     + (f", on the network of `{source}` (its generation-0 fit, reused; that run's row is the network's own quality)"
                        if source else ""))
        lines.append(text + ".")
    return lines + [""]
