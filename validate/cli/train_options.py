"""The settings of a recursive retraining run, declared once: `collapse train` and sweep specs use them."""
from __future__ import annotations

import argparse

from neural.learners import PARAMETERIZATIONS
from neural.retraining import METRIC_NAMES, RetrainingConfig
from validate.cli.arg_types import count, fraction, output_directory, positive
from validate.pipeline.train_settings import TRAIN_SETTINGS
from validate.pipeline.train_settings import train_config as settings_config


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The settings of a recursive run (`collapse train`, the `[run]` tables of a sweep spec).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser to add the options to.
    """
    parser.add_argument("--target", default="gmm", help="target law: gaussian, gmm, gmm1d, gmm2d, ring, two_moons, digits, "
                        "fashion_mnist, cifar10 (default: gmm, the paper's 10-D mixture)")
    parser.add_argument("--data-dir", default=None, help="directory holding Fashion-MNIST or CIFAR-10 files")
    parser.add_argument("--model", default="kde", help="score model: kde, mlp, unet, or a user's learner 'package.module:factory', "
                        "called as factory(shape, device, **model_kw) (neural/learner_factory.py; default: kde)")
    parser.add_argument("--alpha", type=fraction("alpha"), default=0.5, help="fresh-data fraction in [0, 1] (default: 0.5)")
    parser.add_argument("--alpha-schedule", type=fraction("alpha"), nargs="+", default=None,
                        help="alpha for generations 1, 2, ... (last value repeated); overrides --alpha")
    parser.add_argument("--t0-schedule", type=positive("t0"), nargs="+", default=None,
                        help="truncation time t0 for generations 0, 1, ... (last value repeated): annealed "
                        "truncation (THEORY.md §5); default: t0 = 0.02 for every generation")
    parser.add_argument("--generations", type=count("generations", 1), default=3, help="number of generations >= 1 (default: 3)")
    parser.add_argument("--n", type=count("n", 2), default=512, help="training-set size per generation (default: 512)")
    parser.add_argument("--steps", type=count("steps", 1), default=50, help="Euler-Maruyama steps T -> t0 (default: 50)")
    parser.add_argument("--bandwidth", type=positive("bandwidth"), default=0.6, help="KDE bandwidth h (default: 0.6)")
    parser.add_argument("--mode", choices=("replace", "accumulate"), default="replace")
    parser.add_argument("--metrics", nargs="*", default=[], metavar="NAME", choices=METRIC_NAMES,
                        help=f"expensive metrics to compute, among {' '.join(METRIC_NAMES)}")
    parser.add_argument("--eval-paths", type=count("eval-paths", 1), default=1000, help="simulated paths for eps2/epshat2/eta")
    parser.add_argument("--eval-points", type=count("eval-points", 1), default=1000, help="draws for D/I and the W2 subset")
    parser.add_argument("--train-steps", type=count("train-steps", 1), default=None, help="optimizer steps per generation (mlp/unet)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                        help="dtype of data, samples and the sampler (metrics run in float64)")
    parser.add_argument("--chunk-size", type=count("chunk-size", 1), default=None, help="rows per score call (bounds memory)")
    parser.add_argument("--seed", type=count("seed"), default=0)
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:N")
    parser.add_argument("--out", required=True, type=output_directory("out"), help="run directory (created; reused to resume)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--exact", choices=("auto", "grid", "off"), default="auto",
                        help="exact grid laws and metrics (THEORY.md section 7): grid = required (targets of "
                        "dimension <= 2 with a density: gmm1d, gmm2d, gaussian, ring), auto = grid when "
                        "possible (default), off = the sample-based estimators")
    parser.add_argument("--parameterization", choices=PARAMETERIZATIONS, default=None,
                        help="mlp only: eps (default; bounded noise prediction, exponential tails) or "
                        "gaussian_residual (the noise of N(data mean, tail_scale^2) plus a bounded correction: "
                        "Gaussian tails, neural.gaussian_residual)")
    parser.add_argument("--tail-scale", type=positive("tail-scale"), default=None,
                        help="gaussian_residual: the Gaussian's standard deviation (default: the data's); "
                        "chi2 to data is finite only below sqrt(2) times the data's tail standard deviation")


def train_config(args) -> RetrainingConfig:
    """The run's configuration from parsed settings, validated.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed settings.

    Returns
    -------
    neural.retraining.RetrainingConfig
        The validated configuration.

    Raises
    ------
    ValueError
        Naming the first bad setting (`RetrainingConfig.validate`, an unavailable device).

    See Also
    --------
    validate.pipeline.train_settings.train_config : the same from a mapping (sweep specs).
    """
    return settings_config({k: v for k, v in vars(args).items() if k in TRAIN_SETTINGS})
