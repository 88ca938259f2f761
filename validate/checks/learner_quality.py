"""Generation-0 quality of each learner in a reproduce directory: is the model good before the
recursion starts, so that its "drift" is drift and not undertraining?

Each run is judged on the best law available for it, and the row says which (`law`):

* "exact law (grid)": runs with exact grid laws (`neural.grid_exact`) store the exact law of their
  generation-0 samples, `gen_0000/exact_law.npz`. From it, with the data's density on the same grid:
  the exact KL(p^0 || data) and TV(p^0, data) = 1/2 int |p^0 - data| (grid quadrature), and the
  mass of p^0 in each mode's region (the nodes that `neural.estimators.mode_weights` would assign to
  that component: the largest weighted component density). The ideal law is what a perfect learner
  gives with the same sampler: for a network the output of the same Euler-Maruyama chain driven by the
  data's exact score (`gaussian_exact.run_grid_chain`, same grid, steps, T, t0), for the KDE the
  training set's KDE pushed to t0 (THEORY.md section 4), both on the same grid. The criteria are the
  ones below, with exact numbers in place of the estimates: mode masses within `MODE_TOLERANCE_SE`
  binomial standard errors at the run's n (the precision n training draws allow), and exact KL at most
  `KL_TOLERANCE` nats above the ideal's exact KL.
* "Gaussian fit" (where nothing better exists: runs without exact laws), from the generation-0
  samples (`gen_0000/samples.npy`, n draws) and fresh draws from the target:

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

from gaussian_exact import GridLaw, kl, run_grid_chain
from neural.estimators import PCAFeatures, gaussian_kl_proxy, mode_weights
from neural.gaussian_mixture import TorchGaussianMixture
from run_files import CONFIG_FILE, GENERATION_METRICS_FILE, generation_dir_name
from neural.sde import VPSDE
from neural.targets import make_target
from validate.report.run_data import learner_label

MODE_TOLERANCE_SE = 3.0
KL_TOLERANCE = 0.15
FEATURES = 16
RIDGE = 1e-6
EXACT_LAW_FILE = "exact_law.npz"
EXACT_LAW, GAUSSIAN_FIT = "exact law (grid)", "Gaussian fit"


def data_on_grid(target: TorchGaussianMixture, law: GridLaw) -> GridLaw:
    """The target mixture's density on `law`'s grid (a GridLaw on the same nodes).

    Raises
    ------
    ValueError
        If the rebuilt grid differs from `law`'s (`GridLaw.check_same_grid`).
    """
    covs = target.full_covs().numpy()
    data = GridLaw.mixture(target.weights.numpy(), target.means.numpy(), covs, points=law.shape[0],
                           bounds=[(float(a[0]), float(a[-1])) for a in law.axes], mass_tol=1.0)
    data.check_same_grid(law, "law")
    return data


def law_mode_masses(law: GridLaw, target: TorchGaussianMixture) -> np.ndarray:
    """Mass of `law` in each component's region: the grid nodes where that component's weighted
    density is the largest (the rule of `neural.estimators.mode_weights`), by the grid's quadrature.

    Returns
    -------
    numpy.ndarray, shape (k,)
        The masses (they sum to the law's mass on the grid).
    """
    X = torch.as_tensor(law.points)
    S = target.full_covs().double()
    logs = torch.stack([torch.distributions.MultivariateNormal(target.means[j].double(), S[j]).log_prob(X)
                        for j in range(target.n_components)], 1) + target.weights.double().log()[None]
    owner = logs.argmax(1).numpy().reshape(law.shape)
    return np.array([law.integrate(np.where(owner == j, law.density, 0.0)) for j in range(target.n_components)])


def ideal_law(cfg: dict, target: TorchGaussianMixture, data: GridLaw, first: Path) -> tuple:
    """(the ideal generation-0 law on data's grid, its name): the data's exact-score chain for a
    network, the training set's KDE pushed to t0 for the KDE (module docstring)."""
    t0 = float((cfg.get("t0_schedule") or [cfg["t0"]])[0])
    if cfg["model"] == "kde":
        batch = torch.as_tensor(np.load(first / "training_batch.npy")).double()
        kde = TorchGaussianMixture.from_points(batch.reshape(batch.shape[0], -1), cfg["bandwidth"]).forward(t0)
        law = GridLaw.mixture(kde.weights.numpy(), kde.means.numpy(), kde.full_covs().numpy(), points=data.shape[0],
                              bounds=[(float(a[0]), float(a[-1])) for a in data.axes], mass_tol=1.0)
        return law, "exact KDE law"
    chain = run_grid_chain(data, None, cfg["T"], t0, cfg["steps"], init="prior", learned=False, ideal=True)
    return chain.ideal, "exact-score chain"


def exact_quality(cfg: dict, target: TorchGaussianMixture, first: Path, n: int) -> dict:
    """The criteria's numbers from the exact generation-0 law `first`/exact_law.npz (module docstring)."""
    law = GridLaw.load(first / EXACT_LAW_FILE, mass_tol=1.0)
    data = data_on_grid(target, law)
    ideal, ideal_name = ideal_law(cfg, target, data, first)
    row = {"law": EXACT_LAW, "kl_to_data": kl(law, data), "kl_ideal": kl(ideal, data),
           "tv_to_data": 0.5 * law.integrate(np.abs(law.density - data.density)),
           "tv_ideal": 0.5 * ideal.integrate(np.abs(ideal.density - data.density)), "ideal": ideal_name}
    if target.kind in ("isotropic", "diagonal"):
        masses, data_masses = law_mode_masses(law, target), law_mode_masses(data, target)
        w = target.weights.numpy()
        tolerance = MODE_TOLERANCE_SE * np.sqrt(w * (1 - w) / n)
        error = np.abs(masses - data_masses)
        row.update(mode_weights=[round(float(s), 4) for s in masses], max_mode_error=float(error.max()),
                   mode_tolerance=float(tolerance.max()), modes_ok=bool((error <= tolerance).all()))
    return row


def fitted_quality(cfg: dict, target, first: Path, samples: torch.Tensor) -> dict:
    """The criteria's numbers from the generation-0 samples and Gaussian fits (module docstring)."""
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
    row = {"law": GAUSSIAN_FIT, "kl_to_data": gaussian_kl_proxy(flat, data_f, ridge=RIDGE),
           "kl_ideal": gaussian_kl_proxy(ideal, data_f, ridge=RIDGE), "ideal": ideal_name}
    if isinstance(target, TorchGaussianMixture) and target.kind in ("isotropic", "diagonal"):
        share, se = mode_weights(samples.reshape(n, -1), target)
        error = (share - target.weights).abs()
        row.update(mode_weights=[round(float(s), 4) for s in share],
                   max_mode_error=float(error.max()), mode_tolerance=float((MODE_TOLERANCE_SE * se).max()),
                   modes_ok=bool((error <= MODE_TOLERANCE_SE * se).all()))
    return row


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
    injected = cfg.get("injected_error")
    row = {"run": run.name, "learner": f"{cfg['target']}_{learner_label(cfg)}", "n": n}
    if (first / EXACT_LAW_FILE).is_file() and isinstance(target, TorchGaussianMixture):
        row.update(exact_quality(cfg, target, first, n))
    else:
        row.update(fitted_quality(cfg, target, first, samples))
    row["kl_ok"] = bool(row["kl_to_data"] <= row["kl_ideal"] + KL_TOLERANCE)
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
             f"errors at the run's n; KL(generation-0 law || data) is at most {KL_TOLERANCE:g} nats above that "
             "of the learner's ideal law. Each run is judged on the best law available: the exact law on the "
             "grid where the run has one (exact KL and TV to data, mode masses from the law; the ideal is the "
             "same sampler driven by the data's exact score, or for the KDE its exact law), otherwise its samples "
             "and a Gaussian fit (the ideal: data for a network, the floor of the estimate; the exact KDE law "
             "for the KDE, whose bandwidth costs KL by design). Worst run of each learner:", ""]
    for learner in sorted({r["learner"] for r in rows}):
        group = [r for r in rows if r["learner"] == learner]
        worst = max(group, key=lambda r: r["kl_to_data"] - r["kl_ideal"])
        kind = "exact KL" if worst.get("law") == EXACT_LAW else "Gaussian-fit KL"
        text = (f"* `{learner}` ({len(group)} runs, n = {worst['n']}, {worst.get('law', GAUSSIAN_FIT)}): "
                f"{sum(r['passed'] for r in group)} of {len(group)} runs meet both criteria; {kind} to data "
                f"{worst['kl_to_data']:.3f} vs {worst['kl_ideal']:.3f} for its ideal ({worst['ideal']})")
        if "tv_to_data" in worst:
            text += f", exact TV to data {worst['tv_to_data']:.3f} vs {worst['tv_ideal']:.3f}"
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
