"""The figures of the neural runs from their series (`validate.report.run_figures.neural_series`): W2 and
KL to data, eta and the energies over generations, and the PCA scatter, one set per (target, model).
Torch-free, so that `collapse reproduce` draws them in a second process that starts in a second."""
from __future__ import annotations

from pathlib import Path

from validate.report.figures.eta_figures import eta_over_generations
from validate.report.figures.kl_and_chi2_vs_energy import kl_and_chi2_vs_energy
from validate.report.figures.over_generations import over_generations
from validate.report.figures.pca_scatter import pca_scatter

#: the training law of generation i at time t0, as the energy figure's axis names it
TRAINING_LAW = r"q_i^{t_0}"


def series_figures(per_group: dict, figs_dir) -> list[str]:
    """Draw every figure a group's series has.

    Parameters
    ----------
    per_group : dict
        (target, model) -> series: "w2_to_data", "D_kl", "eta", "energy" (each alpha -> arrays),
        "pca" ((alpha, generation) -> samples) and "data" (samples of the data).
    figs_dir : str or path-like
        The figures directory.

    Returns
    -------
    list of str
        Paths of the figures written (PNG and PDF).
    """
    figs, made = Path(figs_dir), []
    for (target, model), s in per_group.items():
        stem, what = f"{target}_{model}", f"{target}, {model} learner"
        if "w2_to_data" in s:
            made += over_generations(s["w2_to_data"], r"$W_2$(samples, data)", figs / f"{stem}_w2_to_data",
                                     title=f"{what}: Wasserstein-2 distance to data",
                                     note="split-half debiased W2, clipped at 0 (hollow: a clipped seed)")
        if "D_kl" in s:
            made += over_generations(s["D_kl"], r"KL$(p^{i+1}\|\mathrm{data})$ of generation $i$'s samples",
                                     figs / f"{stem}_drift_kl", title=f"{what}: accumulated drift (KL)")
        if "eta" in s:
            made += eta_over_generations(s["eta"], figs / f"{stem}_eta_over_generations")
        if "energy" in s:
            made += kl_and_chi2_vs_energy(s["energy"], figs / f"{stem}_kl_and_chi2_vs_energy", TRAINING_LAW)
        if "pca" in s and "data" in s:
            made += pca_scatter(s["pca"], s["data"], figs / f"{stem}_pca_scatter")
    return [str(p) for p in made]
