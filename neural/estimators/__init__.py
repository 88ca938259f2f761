"""Drift estimators from samples, each stating what it estimates (see each module's docstring)."""
from .classifier_ratio import classifier_divergences
from .density_ratio_distances import density_ratio_distances
from .density_ratio_mc import density_ratio_divergences
from .features import ClassifierFeatures, PCAFeatures
from .frechet import frechet_distance
from .gaussian_proxy import fit_gaussian, fitted_gaussian_pair, gaussian_chi2_proxy, gaussian_kl_proxy
from .knn_kl import knn_kl
from .mmd import median_bandwidth, mmd2_unbiased
from .mode_weights import mode_weights
from .wasserstein import sliced_w2, w2_debiased, w2_empirical, w2_to_data

__all__ = [
    "classifier_divergences", "density_ratio_distances", "density_ratio_divergences", "ClassifierFeatures", "PCAFeatures", "frechet_distance",
    "fit_gaussian", "fitted_gaussian_pair", "gaussian_chi2_proxy", "gaussian_kl_proxy", "knn_kl", "median_bandwidth",
    "mmd2_unbiased", "mode_weights", "sliced_w2", "w2_debiased", "w2_empirical", "w2_to_data",
]
