"""Exact Gaussian runs: one configuration type, one computation, one writer of run directories,
used by `collapse exact`, `collapse reproduce` and sweep specs alike.

Data: N(0, S) in dimension d with S = 0.36 I + 0.05 A A^T / d (A a seeded Gaussian matrix: a
full, non-commuting covariance). Error: the constant affine score error e(x, t) = slope x + bias u,
u = (1, ..., 1)/sqrt(d) (defaults slope = -0.03, bias = 0.05: eps2 about 0.04, in the small-error
regime). The reverse process is the paper's (T = 4, t0 = 0.02), in continuous time unless `steps`
is given (THEORY.md section 2). A run is one alpha: `DIR/metrics.jsonl` (one row per generation,
`GenerationsResult.rows()`) and `DIR/config.json` (`ExactRunConfig.run_json`, written last: its
presence marks the run finished). numpy and gaussian_exact only (`collapse exact` stays free of
torch); the eta-by-error-type experiment, which needs torch, is `validate.pipeline.eta_experiment`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from gaussian_exact import AffineError, Gaussian
from gaussian_exact.generations import generations as run_generations
from run_files import CONFIG_FILE, METRICS_FILE, write_json, write_jsonl
from validate.report.run_io import read_config
from validate.settings import Setting, at_least, finite, fraction, positive, setting_field, validate_settings

#: the columns `collapse exact` prints: D_* of p^g; the others describe the transition g -> g+1
COLUMNS = ("alpha", "generation", "D_chi2", "D_kl", "D_w2", "I_chi2", "I_chi2_se", "I_chi2_gaussian",
           "eps2", "epshat2", "eta", "kl_ideal", "cross", "J")
MODES = ("replace", "accumulate")


@dataclass(frozen=True)
class ExactRunConfig:
    """The settings of exact Gaussian runs (one run per alpha), validated on construction.

    The defaults are those of `collapse reproduce`'s exact part (scales "small" and "paper"), so
    `collapse exact` with its defaults computes the same numbers.

    Parameters
    ----------
    alphas : tuple of float in [0, 1]
        Fresh-data fractions, one run each (default 0.1, 0.5, 0.9).
    generations : int >= 1
        Generations N (default 20).
    dim : int >= 1
        Dimension d (default 10).
    steps : int >= 0
        Euler-Maruyama steps K on [t0, T]; 0 for continuous time (default 0).
    T : float > 0
        Horizon (default 4).
    t0 : float in [0, T)
        Early-stopping time (default 0.02).
    slope, bias : float
        The affine score error e(x, t) = slope x + bias u (defaults -0.03, 0.05).
    mode : str
        "replace" or "accumulate" (default "replace").
    n_samples : int > dim + 1 or None
        Fit the learner from this many samples per generation (None: population level).
    mixture_samples : int >= 0
        Importance samples of I_chi2 / I_kl where they are sampled; 0 skips (default 2**13).
    seed : int >= 0
        Seed of the data covariance and of the samples (default 0).

    Raises
    ------
    ValueError
        Naming the first bad setting.
    """

    alphas: tuple = setting_field((0.1, 0.5, 0.9), Setting(float, fraction, nargs="+", help="fresh-data fractions in [0, 1]"))
    generations: int = setting_field(20, Setting(int, at_least(1), help="number of generations N >= 1"))
    dim: int = setting_field(10, Setting(int, at_least(1), help="dimension d >= 1"))
    steps: int = setting_field(0, Setting(int, at_least(0), help="Euler-Maruyama steps K on [t0, T]; 0 for continuous time"))
    T: float = setting_field(4.0, Setting(float, positive, help="horizon T"))
    t0: float = setting_field(0.02, Setting(float, finite, help="early-stopping time t0 in [0, T)"))
    slope: float = setting_field(-0.03, Setting(float, finite, help="W = slope * I in e = W x + xi"))
    bias: float = setting_field(0.05, Setting(float, finite, help="|xi|, along (1,...,1)/sqrt(d)"))
    mode: str = setting_field("replace", Setting(str, choices=MODES, help="replace or accumulate the training data"))
    n_samples: int | None = setting_field(None, Setting(int, at_least(1), optional=True,
                                                   help="fit the learner from this many samples per generation "
                                                        "(none: at the population level)"))
    mixture_samples: int = setting_field(2 ** 13, Setting(int, at_least(0), help="importance samples for chi2/KL to q_i "
                                                     "where sampled (d >= 2, more than two components; two are "
                                                     "exact); 0 skips"))
    seed: int = setting_field(0, Setting(int, at_least(0), help="seed of the data covariance and the samples"))

    def __post_init__(self):
        if isinstance(self.alphas, (int, float)) and not isinstance(self.alphas, bool):
            raise ValueError(f"alphas must be a list of numbers in [0, 1], got {self.alphas!r}")
        object.__setattr__(self, "alphas", tuple(self.alphas) if isinstance(self.alphas, (list, tuple))
                           else self.alphas)
        validate_settings(self)
        for f in fields(self):  # ints given for floats (TOML `T = 4`) stored as floats: one JSON form
            if f.metadata["setting"].scalar is float and f.name != "alphas":
                object.__setattr__(self, f.name, float(getattr(self, f.name)))
        object.__setattr__(self, "alphas", tuple(float(a) for a in self.alphas))
        if not 0 <= self.t0 < self.T:
            raise ValueError(f"t0 must be in [0, T) = [0, {self.T:g}), got {self.t0:g}")
        if self.n_samples is not None and self.n_samples <= self.dim + 1:
            raise ValueError(f"n-samples must be > dim + 1 = {self.dim + 1} (a covariance is fitted), "
                             f"got {self.n_samples}")

    def run_json(self, alpha: float) -> dict:
        """The config.json of the run of one alpha: every setting, `alpha` for `alphas`.

        Parameters
        ----------
        alpha : float
            One of `alphas`.

        Returns
        -------
        dict
            JSON-ready settings.
        """
        out = {"alpha": float(alpha)}
        out.update({f.name: getattr(self, f.name) for f in fields(self) if f.name != "alphas"})
        return out

    @classmethod
    def from_run_json(cls, obj: dict) -> "ExactRunConfig":
        """The configuration of one run from its `run_json` (extra keys refused).

        Parameters
        ----------
        obj : dict
            A `run_json` dict.

        Returns
        -------
        ExactRunConfig
            With ``alphas = (obj["alpha"],)``.
        """
        settings = dict(obj)
        alpha = settings.pop("alpha")
        return cls(alphas=(alpha,), **settings)

    def setup(self):
        """(data Gaussian, AffineError) of these settings (`exact_setup`)."""
        return exact_setup(self.dim, self.seed, self.slope, self.bias)


def exact_setup(dim: int, seed: int = 0, slope: float = -0.03, bias: float = 0.05):
    """(data Gaussian, AffineError) of the module docstring.

    Parameters
    ----------
    dim : int
        Dimension.
    seed : int
        Seed of the data covariance (default 0).
    slope : float
        Linear error size (default -0.03).
    bias : float
        Offset error size (default 0.05).

    Returns
    -------
    data, error : gaussian_exact.Gaussian, gaussian_exact.AffineError
        The data law and the score error.
    """
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((dim, dim))
    cov = 0.36 * np.eye(dim) + 0.05 * (a @ a.T) / dim
    u = np.ones(dim) / math.sqrt(dim)
    return Gaussian(np.zeros(dim), cov), AffineError(W=slope, xi=bias * u)


def exact_run_rows(config: ExactRunConfig, alpha: float) -> list[dict]:
    """The metrics rows of the run of one alpha (`gaussian_exact.generations`), one per generation.

    Parameters
    ----------
    config : ExactRunConfig
        The settings.
    alpha : float
        The run's fresh-data fraction.

    Returns
    -------
    list of dict
        `GenerationsResult.rows()` (alpha, as every transition quantity, NaN on the last row).
    """
    data, error = config.setup()
    res = run_generations(data, alpha, config.generations, error=error, n_samples=config.n_samples,
                          mode=config.mode, T=config.T, t0=config.t0, steps=config.steps or None,
                          seed=config.seed, mixture_samples=config.mixture_samples)
    return res.rows()


def exact_rows(config: ExactRunConfig) -> list[dict]:
    """The rows of every alpha of `config` (what `collapse exact` prints), alpha by alpha, each
    row labelled with its run's alpha (the last row's too).

    Parameters
    ----------
    config : ExactRunConfig
        The settings.

    Returns
    -------
    list of dict
        One metrics row per generation and alpha.
    """
    return [{**row, "alpha": alpha} for alpha in config.alphas for row in exact_run_rows(config, alpha)]


def write_exact_run(run_dir, config: ExactRunConfig, alpha: float) -> list[dict]:
    """The one writer of an exact run directory: metrics.jsonl, then config.json (its presence
    marks the run finished).

    Parameters
    ----------
    run_dir : str or path-like
        The run's directory (created).
    config : ExactRunConfig
        The settings.
    alpha : float
        The run's fresh-data fraction.

    Returns
    -------
    list of dict
        The rows written.
    """
    run_dir = Path(run_dir)
    rows = exact_run_rows(config, alpha)
    write_jsonl(run_dir / METRICS_FILE, rows)
    write_json(run_dir / CONFIG_FILE, config.run_json(alpha))  # written last
    return rows


def is_finished(run_dir, config: ExactRunConfig, alpha: float) -> bool:
    """Whether `run_dir` holds the finished run of this alpha and these settings.

    Parameters
    ----------
    run_dir : str or path-like
        The run's directory.
    config : ExactRunConfig
        The settings.
    alpha : float
        The run's fresh-data fraction.

    Returns
    -------
    bool
        metrics.jsonl present and config.json equal to `config.run_json(alpha)`.
    """
    run_dir = Path(run_dir)
    return ((run_dir / METRICS_FILE).is_file() and (run_dir / CONFIG_FILE).is_file()
            and read_config(run_dir) == config.run_json(alpha))


def alpha_dir_name(alpha: float) -> str:
    """``alpha_<alpha>``: the directory of one alpha's run under an exact-runs directory."""
    return f"alpha_{alpha:g}"


def run_exact(out_dir, config: ExactRunConfig, progress=None) -> list[Path]:
    """One exact run per alpha in ``out_dir/alpha_<alpha>``; a finished run of the same settings
    is kept, not recomputed.

    Parameters
    ----------
    out_dir : str or path-like
        Parent of the run directories.
    config : ExactRunConfig
        The settings.
    progress : callable or None
        ``progress(line)`` after each computed run.

    Returns
    -------
    list of pathlib.Path
        The run directories, one per alpha.
    """
    written = []
    for alpha in config.alphas:
        run = Path(out_dir) / alpha_dir_name(alpha)
        written.append(run)
        if is_finished(run, config, alpha):
            continue
        rows = write_exact_run(run, config, alpha)
        if progress is not None:
            progress(f"exact alpha={alpha:g}: D_{config.generations} = {rows[-1]['D_chi2']:.4g}")
    return written

