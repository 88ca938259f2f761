"""The paper's figures, drawn from arrays (never recomputed here). Each writes PNG and PDF.

  pca_scatter            2-D PCA of samples by generation (rows: alpha)
  kl_and_chi2_vs_energy  KL vs 1/2 epshat2 (Prop 3.1) and chi2 vs 1/8 eta eps2 (Prop 3.3)
  divergence_band        chi2 and KL inside [1/4 eta eps2, 4 eps2] (Thm 3.4)
  contributions_heatmap  (1-alpha)^{2(N-i)} eps2_i, contributions to D_N by generation
  eta_by_error_type      eta for aligned, random and time-only errors
  eta_over_generations   eta_i against i
  over_generations       any measured quantity against i (W2, KL, second moment)
  drift_envelope         D_i against i with the accumulation envelope (Thm 4.2)
  final_by_axis          a sweep's quantity at the last generation against one axis
  curves_by_group        a sweep's quantity over generations, one line per combination of axes
  hermite_spectrum       Hermite spectrum of data, iterates and limit with the low-pass curve (§5)
  annealed_drift         distance to data for constant versus annealed t0 (§5)
  densities_by_generation exact 1-D sample laws p^i by generation against data (grid runs)
  log_density_tails      log p against log data and (log data) / 2: does chi2 converge in the tails
  series_figures         every figure of the neural runs' series (W2, KL, eta, energies, PCA) by group
"""
from validate.report.figures.by_axis import curves_by_group, final_by_axis
from validate.report.figures.contributions_heatmap import contributions_heatmap
from validate.report.figures.divergence_band import divergence_band
from validate.report.figures.drift_envelope import drift_envelope
from validate.report.figures.eta_figures import eta_by_error_type, eta_over_generations
from validate.report.figures.grid_densities import densities_by_generation
from validate.report.figures.log_density_tails import log_density_tails
from validate.report.figures.kl_and_chi2_vs_energy import kl_and_chi2_vs_energy
from validate.report.figures.over_generations import over_generations
from validate.report.figures.pca_scatter import pca_scatter
from validate.report.figures.annealed_drift import annealed_drift
from validate.report.figures.hermite_spectrum import hermite_spectrum
from validate.report.figures.neural_series import series_figures

__all__ = [
    "pca_scatter", "kl_and_chi2_vs_energy", "divergence_band", "contributions_heatmap",
    "eta_by_error_type", "eta_over_generations", "drift_envelope", "over_generations",
    "final_by_axis", "curves_by_group", "hermite_spectrum", "annealed_drift", "densities_by_generation",
    "log_density_tails", "series_figures",
]
