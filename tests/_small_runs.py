"""A small finished exact run for tests of `collapse validate` and the pytest plugin."""
from run_files import write_json
from validate.pipeline.exact_runs import ExactRunConfig, run_exact


def write_small_exact_run(d):
    """A `collapse reproduce`-shaped directory holding one exact run (alpha 0.5, 4 generations, 2-D)."""
    write_json(d / "manifest.json", {"scale": "test", "seed": 0, "alphas": [0.5], "device": "cpu"})
    run_exact(d / "exact", ExactRunConfig(alphas=(0.5,), generations=4, dim=2, mixture_samples=2 ** 10))
    return d
