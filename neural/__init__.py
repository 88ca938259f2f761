"""neural: torch score models, samplers and targets for the recursive pipeline (THEORY.md sections 1, 2, 6).

Importing `neural` imports torch. The torch-free commands (`collapse bounds`, `collapse exact`)
import nothing of it: the run-directory format they share with it is the package `run_files`.
"""
from .devices import resolve_device, make_generator, cpu_threads
from .sde import VPSDE, per_row_times
from .sampling import (euler_maruyama, probability_flow, ddpm_sample, linear_betas, time_grid, sample_chain,
                       ddpm_ancestral_sample)
from .gaussian_mixture import GaussianMixture
from .targets import make_target, TARGET_NAMES, EmpiricalTarget, TwoMoons
from .kde_score import KDEScore
from .mlp import ResidualMLP
from .unet import UNet
from .ema import EMA
from .training import train_denoiser, EpsilonPredictor, EpsilonScore
from .gaussian_residual import GaussianResidualPredictor
from .learners import make_learner, LEARNER_NAMES, PARAMETERIZATIONS
from .image_files import load_fashion_mnist, load_cifar10, load_digits_images
from .error_injection import (ErrorInjectedScore, DriftAlignedScore, aligned_error, random_direction_error, time_only_error,
                              oscillating_xi)
from .path_energy import path_energy, denoising_loss_gap, simulate_path_error
from .observability import observability
from .run_store import RunStore
from .retraining import RetrainingConfig, run_generations, METRIC_NAMES
from . import estimators

__all__ = sorted([
    "resolve_device", "make_generator", "cpu_threads", "VPSDE", "per_row_times", "euler_maruyama",
    "probability_flow", "ddpm_sample", "linear_betas", "time_grid", "GaussianMixture", "make_target",
    "TARGET_NAMES", "EmpiricalTarget", "TwoMoons", "KDEScore", "ResidualMLP", "UNet", "EMA", "train_denoiser",
    "EpsilonPredictor", "EpsilonScore", "GaussianResidualPredictor", "make_learner", "LEARNER_NAMES", "PARAMETERIZATIONS", "load_fashion_mnist", "load_cifar10",
    "load_digits_images", "ErrorInjectedScore", "DriftAlignedScore", "aligned_error",
    "random_direction_error", "time_only_error", "oscillating_xi", "path_energy", "denoising_loss_gap",
    "simulate_path_error", "observability", "RunStore", "RetrainingConfig", "run_generations", "METRIC_NAMES",
    "estimators", "sample_chain", "ddpm_ancestral_sample"
])
