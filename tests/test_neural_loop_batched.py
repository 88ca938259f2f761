"""The batched protocol job (neural.batched_retraining) against the single-run loop
(neural.retraining.run_generations) it must reproduce run by run, its resume, its cost model and
its duration estimate."""
import json
import math

import numpy as np
import pytest

from neural.batched_retraining import run_batched_generations
from neural.protocol_cost import calibrate, estimate_seconds, format_duration, generation_entries, job_entries
from neural.retraining import RetrainingConfig, run_generations

METRICS = ["D_kl", "I_kl", "eps2", "epshat2", "eta"]


def configs(dtype="float64", generations=3):
    return [RetrainingConfig(alpha=a, seed=s, n=60, steps=12, generations=generations, eval_paths=150,
                             eval_points=60, metrics=METRICS, device="cpu", dtype=dtype)
            for a in (0.1, 0.5) for s in (0, 1)]


def numeric(line):
    return {k: v for k, v in line.items() if isinstance(v, float) and k not in ("seconds",)}


@pytest.fixture(scope="module")
def single_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("single")
    return [run_generations(c, root / f"run{i}") for i, c in enumerate(configs())]


def test_batched_job_reproduces_each_single_run(tmp_path, single_runs):
    dirs = [tmp_path / f"run{i}" for i in range(4)]
    batched = run_batched_generations(configs(), dirs)
    assert len(batched) == 4
    for b, (got, want) in enumerate(zip(batched, single_runs)):
        assert len(got) == len(want) == 3
        for g, (line, ref) in enumerate(zip(got, want)):
            assert line["batched_runs"] == (2 if g == 0 else 4)  # generation 0: once per seed
            assert ("shared_from" in line) == (g == 0 and b >= 2)
            for key, value in numeric(ref).items():
                assert math.isclose(line[key], value, rel_tol=1e-6, abs_tol=1e-9), (b, g, key, line[key], value)
            for key in ref:
                if key.endswith("_estimator"):
                    assert line[key] == ref[key]
        samples = np.load(dirs[b] / "gen_0002" / "samples.npy")
        assert samples.shape == (60, 10)
    # control: a different seed in one run changes that run's results
    other = configs()
    other[0] = other[0].replace(seed=7)
    changed = run_batched_generations(other[:1], [tmp_path / "other"])[0]
    assert not math.isclose(changed[1]["eps2"], single_runs[0][1]["eps2"], rel_tol=1e-6)


def test_float32_path_metrics_agree_with_float64(tmp_path, single_runs):
    got = run_batched_generations(configs(), [tmp_path / f"r{i}" for i in range(4)], metrics_dtype="float32")
    for run, ref_run in zip(got, single_runs):  # same draws: the difference is float32 rounding
        for line, ref in zip(run, ref_run):
            for key in ("eps2", "epshat2"):
                assert math.isclose(line[key], ref[key], rel_tol=1e-4), (key, line[key], ref[key])
            assert abs(line["eta"] - ref["eta"]) < 1e-3


def test_batched_job_resumes_runs_stopped_at_different_generations(tmp_path, single_runs):
    dirs = [tmp_path / f"run{i}" for i in range(4)]
    short = configs(generations=1)
    run_batched_generations(short[:2], dirs[:2])  # runs 0, 1 have generation 0; runs 2, 3 nothing
    kept = (dirs[0] / "gen_0000" / "samples.npy").stat().st_mtime_ns
    resumed = run_batched_generations(configs(), dirs)
    assert (dirs[0] / "gen_0000" / "samples.npy").stat().st_mtime_ns == kept
    for got, want in zip(resumed, single_runs):
        assert math.isclose(got[2]["D_kl"], want[2]["D_kl"], rel_tol=1e-6)
    assert json.loads((dirs[3] / "config.json").read_text())["alpha"] == 0.5


def test_batched_job_rejects_runs_that_differ_elsewhere(tmp_path):
    bad = configs()
    bad[1] = bad[1].replace(steps=13)
    with pytest.raises(ValueError, match="differ only in"):
        run_batched_generations(bad, [tmp_path / f"r{i}" for i in range(4)])
    with pytest.raises(ValueError, match="model='kde'"):
        run_batched_generations([RetrainingConfig(model="mlp")], [tmp_path / "m"])
    with pytest.raises(ValueError, match="metrics_dtype"):
        run_batched_generations(configs(), [tmp_path / f"r{i}" for i in range(4)], metrics_dtype="half")
    assert not (tmp_path / "r0").exists()


def test_cost_model_counts_kernel_entries_by_hand():
    cfg = RetrainingConfig(alpha=0.5, n=100, steps=10, generations=2, eval_paths=30, eval_points=20,
                           metrics=["eps2", "epshat2", "eta"])
    # generation 0: q_0 = data (5 components); sampling 10*100*100, two path chains 2*10*30*(100 + 5)
    g0 = generation_entries(cfg, 0)
    assert g0 == {"kde": 10 * 100 * 100 + 2 * 10 * 30 * 100, "mixture": 2 * 10 * 30 * 5, "regressions": 1}
    # generation 1: q_1 = 0.5 data + 0.5 P_1 (5 + 100 components)
    assert generation_entries(cfg, 1)["mixture"] == 2 * 10 * 30 * 105
    assert job_entries(cfg) == sum(generation_entries(cfg, g)["kde"] + generation_entries(cfg, g)["mixture"]
                                   for g in range(2))
    acc = RetrainingConfig(alpha=0.5, n=100, steps=10, generations=3, mode="accumulate", metrics=["eps2"],
                           eval_paths=30)
    assert generation_entries(acc, 2)["kde"] == 10 * 100 * 300 + 10 * 30 * 300


def test_estimate_is_within_a_factor_of_the_measured_time(tmp_path):
    import time
    cfgs = configs()
    throughput = calibrate("cpu", d=10, n_points=60, batch=4, m_max=150, paths=150, min_seconds=0.02,
                           metrics_dtype=None)
    estimate = estimate_seconds(cfgs, throughput)
    began = time.perf_counter()
    run_batched_generations(cfgs, [tmp_path / f"r{i}" for i in range(4)])
    measured = time.perf_counter() - began
    assert estimate > 0 and throughput["kde"] > 0 and throughput["regression_seconds"] > 0
    # at this toy size bookkeeping dominates; the estimate is only required to be the right order
    assert measured / 30 < estimate < 30 * measured
    assert format_duration(3725) == "1 h 02 min" and format_duration(75) == "1 min 15 s"


def test_shared_generation_zero_continues_like_a_fresh_run(tmp_path, single_runs):
    from neural.retraining import share_generation_zero
    a, b = configs()[0], configs()[2]  # alpha 0.1 and 0.5, seed 0
    run_generations(RetrainingConfig(**{**a.to_json(), "generations": 1}), tmp_path / "a")
    assert share_generation_zero(tmp_path / "a", b, tmp_path / "b")
    assert not share_generation_zero(tmp_path / "a", b, tmp_path / "b")  # already there
    other_seed = RetrainingConfig(**{**b.to_json(), "seed": 5})
    assert not share_generation_zero(tmp_path / "a", other_seed, tmp_path / "c")
    got = run_generations(b, tmp_path / "b")
    assert got[0]["alpha"] == 0.5 and got[0]["shared_from"] == "a"
    for line, ref in zip(got, single_runs[2]):
        for key, value in numeric(ref).items():
            assert math.isclose(line[key], value, rel_tol=1e-9, abs_tol=1e-12), (key, line[key], value)
