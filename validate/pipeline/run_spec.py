"""Typed run specs of `collapse reproduce`'s scales: a neural run spec is a `RetrainingConfig`
(its alpha, seed and device are set per run) with the seeds, alphas, lane and metrics dtype of the
runs made from it; a scale is an exact-run configuration and a tuple of neural run specs."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from neural.config import DTYPES, RetrainingConfig
from validate.pipeline.exact_runs import ExactRunConfig
from validate.report.run_data import learner_label


@dataclass(frozen=True)
class NeuralRunSpec:
    """The runs of one configuration over alphas x seeds.

    Parameters
    ----------
    config : RetrainingConfig
        The run; its `alpha`, `seed` and `device` are replaced per run.
    seeds : tuple of int >= 0
        Seed offsets (added to the reproduce call's seed).
    alphas : tuple of float in [0, 1], or None
        The alphas of these runs (None: the reproduce call's).
    lane : int >= 0
        The parallel lane on the CPU (`validate.pipeline.lanes`).
    metrics_dtype : str
        dtype of the path metrics of a batched KDE job ("float32" or "float64").

    Raises
    ------
    ValueError
        Naming the first bad field.
    """

    config: RetrainingConfig
    seeds: tuple = (0,)
    alphas: tuple | None = None
    lane: int = 0
    metrics_dtype: str = "float64"

    def __post_init__(self):
        if not isinstance(self.config, RetrainingConfig):
            raise ValueError(f"config must be a RetrainingConfig, got {type(self.config).__name__}")
        if not self.seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in self.seeds):
            raise ValueError(f"seeds must be a non-empty tuple of ints >= 0, got {self.seeds!r}")
        if self.alphas is not None and (not self.alphas or any(not 0.0 <= a <= 1.0 for a in self.alphas)):
            raise ValueError(f"alphas must be a non-empty tuple of values in [0, 1] or None, got {self.alphas!r}")
        if isinstance(self.lane, bool) or not isinstance(self.lane, int) or self.lane < 0:
            raise ValueError(f"a spec's lane must be an int >= 0, got {self.lane!r}")
        if self.metrics_dtype not in DTYPES:
            raise ValueError(f"metrics_dtype must be one of {tuple(DTYPES)}, got {self.metrics_dtype!r}")

    @property
    def label(self) -> str:
        """``<target>_<learner label>`` (`validate.report.run_data.learner_label`)."""
        return f"{self.config.target}_{learner_label(self.config.to_json())}"

    def configs(self, alphas, seed: int, device: str) -> list:
        """[(run name, RetrainingConfig)] over this spec's alphas (else `alphas`) x seeds.

        Parameters
        ----------
        alphas : sequence of float
            The reproduce call's alphas.
        seed : int
            The reproduce call's seed (added to each seed offset).
        device : str
            The runs' device.

        Returns
        -------
        list of (str, RetrainingConfig)
        """
        return [(f"{self.label}_alpha_{a:g}_seed_{seed + s}", self.config.replace(alpha=a, seed=seed + s, device=device))
                for a in (self.alphas if self.alphas is not None else alphas) for s in self.seeds]

    def to_json(self) -> dict:
        """The spec as JSON (the manifest): the flat config and the run grid."""
        return {"config": self.config.to_json(), "seeds": list(self.seeds),
                "alphas": None if self.alphas is None else list(self.alphas), "lane": self.lane,
                "metrics_dtype": self.metrics_dtype}


def neural_spec(seeds=(0,), alphas=None, lane: int = 0, metrics_dtype: str = "float64", **settings) -> NeuralRunSpec:
    """A `NeuralRunSpec` of flat `RetrainingConfig` settings (``neural_spec(target="gmm", n=400, seeds=(0, 1))``)."""
    return NeuralRunSpec(RetrainingConfig(**settings), tuple(seeds), None if alphas is None else tuple(alphas), lane,
                         metrics_dtype)


@dataclass(frozen=True)
class Scale:
    """One scale of `collapse reproduce`: the exact runs and the neural run specs.

    Parameters
    ----------
    exact : ExactRunConfig
        The exact runs (alphas and seed replaced by the reproduce call's).
    neural : tuple of NeuralRunSpec
        The neural runs, in order.
    """

    exact: ExactRunConfig
    neural: tuple = field(default_factory=tuple)

    def exact_config(self, alphas, seed: int) -> ExactRunConfig:
        """The exact runs' configuration with the call's alphas and seed."""
        return replace(self.exact, alphas=tuple(alphas), seed=seed)

    def to_json(self) -> dict:
        """The scale as JSON (the manifest)."""
        return {"exact": asdict(self.exact), "neural": [s.to_json() for s in self.neural]}
