"""neural: torch score models, samplers and targets for the recursive pipeline (THEORY.md sections 1, 2, 6).

Importing `neural` imports torch. The torch-free commands (`collapse bounds`, `collapse exact`)
import nothing of it: the run-directory format they share with it is the package `run_files`.
Learners follow the `Learner` protocol (`check_learner` says what one lacks); `Retraining` is the one
retraining engine (`step` advances one generation); sample-based estimators end in `_mc` and return
`Estimate` (value, standard error, n, estimator).
"""
from .devices import resolve_device, make_generator, cpu_threads
from .sde import VPSDE, per_row_times
from .sampling import (euler_maruyama, probability_flow, ddpm_sample, linear_betas, time_grid, sample_chain,
                       ddpm_ancestral_sample)
from .gaussian_mixture import TorchGaussianMixture
from .targets import make_target, TARGET_NAMES, EmpiricalTarget, TwoMoons
from .kde_score import KDEScore
from .mlp import ResidualMLP
from .unet import UNet
from .ema import EMA
from .training import train_denoiser, EpsilonPredictor, EpsilonScore
from .gaussian_residual import GaussianResidualPredictor
from .learner import Learner, check_learner
from .learners import make_learner, LEARNER_NAMES, PARAMETERIZATIONS, KDELearner, NetworkLearner
from .estimate import Estimate, metric_fields
from .generation_laws import GridLaws, MixtureLaws, ProxyLaws, choose_laws
from .image_files import load_fashion_mnist, load_cifar10, load_digits_images
from .error_injection import (ErrorInjectedScore, DriftAlignedScore, aligned_error, random_direction_error, time_only_error,
                              oscillating_xi)
from .path_energy import path_energy_mc, denoising_loss_gap_mc, simulate_path_error
from .observability import observability_mc
from .run_store import RunStore
from .retraining import RetrainingConfig, Retraining, Generation, run_generations, METRIC_NAMES
from . import estimators

__all__ = sorted([
    "resolve_device", "make_generator", "cpu_threads", "VPSDE", "per_row_times", "euler_maruyama",
    "probability_flow", "ddpm_sample", "linear_betas", "time_grid", "TorchGaussianMixture", "make_target",
    "TARGET_NAMES", "EmpiricalTarget", "TwoMoons", "KDEScore", "ResidualMLP", "UNet", "EMA", "train_denoiser",
    "EpsilonPredictor", "EpsilonScore", "GaussianResidualPredictor", "Learner", "check_learner", "make_learner",
    "LEARNER_NAMES", "PARAMETERIZATIONS", "KDELearner", "NetworkLearner", "Estimate", "metric_fields",
    "GridLaws", "MixtureLaws", "ProxyLaws", "choose_laws", "load_fashion_mnist", "load_cifar10",
    "load_digits_images", "ErrorInjectedScore", "DriftAlignedScore", "aligned_error",
    "random_direction_error", "time_only_error", "oscillating_xi", "path_energy_mc", "denoising_loss_gap_mc",
    "simulate_path_error", "observability_mc", "RunStore", "RetrainingConfig", "Retraining", "Generation",
    "run_generations", "METRIC_NAMES", "estimators", "sample_chain", "ddpm_ancestral_sample",
])
