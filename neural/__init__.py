"""neural: torch score models, samplers and targets for the recursive pipeline (THEORY.md sections 1, 2, 6).

The names below load on first use (PEP 562 `__getattr__`): this is the documented boundary that
keeps `import neural.run_files` (the run-directory writer, numpy only) and therefore
`collapse bounds` / `collapse exact` free of torch. Every other module imports at its top.
"""
from __future__ import annotations

import importlib
import sys
import types

_EXPORTS = {
    "devices": ("resolve_device", "make_generator", "cpu_threads"),
    "sde": ("VPSDE", "per_row_times"),
    "sampling": ("euler_maruyama", "probability_flow", "ddpm_sample", "linear_betas", "time_grid"),
    "gaussian_mixture": ("TorchGaussianMixture",),
    "targets": ("make_target", "TARGET_NAMES", "EmpiricalTarget", "TwoMoons"),
    "kde_score": ("KDEScore",),
    "mlp": ("ResidualMLP",),
    "unet": ("UNet",),
    "ema": ("EMA",),
    "training": ("train_denoiser", "EpsilonPredictor", "EpsilonScore"),
    "learner": ("Learner", "check_learner"),
    "learners": ("make_learner", "LEARNER_NAMES", "KDELearner", "NetworkLearner"),
    "estimate": ("Estimate", "metric_fields"),
    "generation_laws": ("GridLaws", "MixtureLaws", "ProxyLaws", "choose_laws"),
    "image_files": ("load_fashion_mnist", "load_cifar10", "load_digits_images"),
    "error_injection": ("ErrorInjectedScore", "DriftAlignedScore", "aligned_error", "random_direction_error",
                        "time_only_error", "oscillating_xi"),
    "path_energy": ("path_energy_mc", "denoising_loss_gap_mc", "simulate_path_error"),
    "observability": ("observability_mc",),
    "run_store": ("RunStore",),
    "retraining": ("RetrainingConfig", "Retraining", "Generation", "run_generations", "METRIC_NAMES"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
_SUBPACKAGES = ("estimators",)

__all__ = sorted(_MODULE_OF) + list(_SUBPACKAGES)


def __getattr__(name: str):
    if name in _MODULE_OF:
        value = getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


#: exported functions that share their name with their submodule: once the submodule is imported,
#: Python binds the module object to the package attribute, so these resolve on every access
_SAME_NAME = {name for name, module in _MODULE_OF.items() if name == module}


class _Package(types.ModuleType):
    def __getattribute__(self, name):
        if name in _SAME_NAME:
            return getattr(importlib.import_module(f"{__name__}.{name}"), name)
        return super().__getattribute__(name)


sys.modules[__name__].__class__ = _Package
