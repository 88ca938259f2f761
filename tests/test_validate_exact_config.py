"""`ExactRunConfig`: one frozen, validated configuration of exact runs, whose fields are the options
of `collapse exact` and the keys of a sweep spec's [exact] table."""
import dataclasses

import pytest

from validate.cli import build_parser
from validate.pipeline.exact_runs import ExactRunConfig
from validate.sweep.spec import parse_spec


@pytest.mark.parametrize("kwargs, word", [({"dim": 0}, "dim"), ({"alphas": (0.5, 1.5)}, "alphas"),
                                          ({"generations": 0}, "generations"), ({"t0": 4.0}, "t0"),
                                          ({"steps": -1}, "steps"), ({"mode": "forget"}, "mode"),
                                          ({"n_samples": 3, "dim": 2}, "n-samples"), ({"T": -1.0}, "T"),
                                          ({"dim": 2.5}, "dim"), ({"alphas": 0.5}, "alphas")])
def test_bad_settings_raise_naming_the_setting(kwargs, word):
    with pytest.raises(ValueError, match=word):
        ExactRunConfig(**kwargs)


def test_control_the_defaults_and_edge_values_are_accepted():
    default = ExactRunConfig()
    assert default.T > default.t0 >= 0.0 and all(0.0 <= a <= 1.0 for a in default.alphas)
    edge = ExactRunConfig(alphas=[0.0, 1.0], t0=0.0, steps=1, n_samples=4, dim=2, mixture_samples=0)
    assert (edge.alphas, edge.t0, edge.steps, edge.n_samples, edge.dim, edge.mixture_samples) == \
        ((0.0, 1.0), 0.0, 1, 4, 2, 0)


def test_frozen_and_round_trips_through_its_run_json():
    config = ExactRunConfig(alphas=(0.3,), T=4, dim=3)
    assert isinstance(config.T, float) and config.alphas == (0.3,)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.dim = 4
    assert ExactRunConfig.from_run_json(config.run_json(0.3)) == config


def test_the_fields_are_the_cli_options_and_the_sweep_keys():
    names = {f.name for f in dataclasses.fields(ExactRunConfig)}
    args = vars(build_parser("exact").parse_args(["exact", "--alpha", "0.3", "--n-samples", "40"]))
    assert args["alphas"] == [0.3] and args["n_samples"] == 40
    assert set(args) - names == {"command", "_module", "format", "plot", "out"}
    assert ExactRunConfig(**{k: v for k, v in args.items() if k in names}) == ExactRunConfig(alphas=(0.3,), n_samples=40)
    run = parse_spec("[exact]\nalpha = 0.5\n").runs()[0]
    assert set(run.config) == (names - {"alphas"}) | {"alpha"}
    assert run.config == ExactRunConfig(alphas=(0.5,)).run_json(0.5)
