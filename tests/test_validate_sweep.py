"""`collapse sweep`: spec parsing and one-line errors, the serial executor (idempotent, resumable,
failures reported), the report over a sweep, a 2-worker Dask LocalCluster giving the serial
results, and a worker killed mid-run whose run is resumed elsewhere with the same results."""
import csv
import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from validate.cli import main
from validate.sweep.spec import SpecError, parse_spec
from validate.sweep.task import run_state

distributed = pytest.importorskip("distributed")
from validate.sweep.dask import sweep_client  # noqa: E402 - needs the optional extra `sweep`

TOY = """
[run]
target = "two_moons"
model = "kde"
generations = 2
n = 64
steps = 8
eval_points = 32
device = "cpu"
[axes]
alpha = [0.1, 0.9]
seed = [0, 1]
"""
EXACT = """
[exact]
dim = 2
generations = 4
steps = 20
mixture_samples = 256
[exact.axes]
alpha = [0.2, 0.8]
"""


def write_spec(tmp_path, text, name="spec.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def run_dirs(out) -> dict:
    return {p.name: p for p in sorted((Path(out) / "runs").iterdir())}


def results(out) -> dict:
    """name -> (metrics rows without wall time, samples arrays by generation)."""
    got = {}
    for name, d in run_dirs(out).items():
        rows = [{k: v for k, v in json.loads(line).items() if k != "seconds"}
                for line in (d / "metrics.jsonl").read_text().splitlines()]
        samples = [np.load(p) for p in sorted(d.glob("gen_*/samples.npy"))]
        got[name] = (rows, samples)
    return got


def assert_same_results(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name][0] == b[name][0], name
        assert len(a[name][1]) == len(b[name][1])
        for x, y in zip(a[name][1], b[name][1]):
            np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def serial_sweep(tmp_path_factory):
    """The toy train sweep plus two exact runs, run serially through the CLI."""
    tmp = tmp_path_factory.mktemp("serial")
    spec = write_spec(tmp, TOY + EXACT)
    out = tmp / "sweep"
    assert main(["sweep", spec, "--out", str(out), "--executor", "serial", "--quiet"]) == 0
    return spec, out


# ----- the spec ----------------------------------------------------------------------------------
def test_spec_expands_to_one_named_hashed_run_per_combination():
    runs = parse_spec(TOY + EXACT).runs()
    train = [r for r in runs if r.kind == "train"]
    assert [(r.axes["alpha"], r.axes["seed"]) for r in train] == [(0.1, 0), (0.1, 1), (0.9, 0), (0.9, 1)]
    assert train[0].name.startswith("two_moons_kde_alpha_0.1_seed_0-") and len(train[0].digest) == 10
    assert len({r.name for r in runs}) == 6 and sum(r.kind == "exact" for r in runs) == 2
    assert train[0].config["n"] == 64 and train[0].config["bandwidth"] == 0.6  # full config, defaults included
    # generations and device may change on resume: same directories; any other setting: new ones
    longer = parse_spec(TOY.replace("generations = 2", "generations = 5").replace('"cpu"', '"auto"')).runs()
    assert [r.name for r in longer] == [r.name for r in train]
    other = parse_spec(TOY.replace("n = 64", "n = 65")).runs()
    assert not {r.name for r in other} & {r.name for r in train}


@pytest.mark.parametrize("text, message", [
    (TOY.replace("n = 64", "n = 64\nlearning_rate = 0.1"), "[run] unknown key 'learning_rate'; allowed:"),
    (TOY.replace("n = 64", "n = 64\nlr = 0.1"), "[run] lr: lr needs a network model, got model 'kde'"),
    (TOY.replace("[axes]", "[run.learner]\nT = 2.0\n[axes]"), "[run.learner] unknown key 'T'; allowed: model,"),
    (TOY.replace("seed = [0, 1]", "seed = []"), "[axes] seed: empty axis"),
    (TOY.replace("n = 64", 'n = "ten"'), "[run] n: expected an integer, got 'ten'"),
    (TOY.replace("alpha = [0.1, 0.9]", "alpha = [0.1, 1.5]"), "[axes] alpha: alpha must be in [0, 1], got 1.5"),
    (TOY.replace('model = "kde"', 'model = "svm"'), "[run] model: model must be one of"),
    (TOY.replace("n = 64", 'mode = "forget"'), "[run] mode: must be one of replace, accumulate"),
    (TOY.replace("seed = [0, 1]", "seed = 3"), "[axes] seed: an axis is a list of values"),
    (TOY.replace("seed = [0, 1]", "seed = [0, 0]"), "[axes] seed: the value 0 appears twice"),
    (TOY.replace("seed = [0, 1]", "n = [8, 16]"), "[axes] n: also set in [run]"),
    (TOY.replace('device = "cpu"', 'device = "tpu"'), "[run] device: device must be one of"),
    (TOY.replace("[axes]", "[axis]"), "unknown table or key 'axis'"),
    (TOY.replace("n = 64", 'out = "x"'), "[run] out: set by `collapse sweep`"),
    (EXACT.replace("dim = 2", "dim = 0"), "[exact] dim: dim must be an integer >= 1"),
    (EXACT.replace("dim = 2", "bogus = 1"), "[exact] unknown key 'bogus'"),
    (TOY.replace("n = 64", "n = "), "not valid TOML"),
])
def test_malformed_spec_is_one_line_naming_the_key_exit_2_nothing_written(tmp_path, capsys, text, message):
    spec = write_spec(tmp_path, text)
    out = tmp_path / "sweep"
    assert main(["sweep", spec, "--out", str(out), "--executor", "serial"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert message in err and "spec.toml" in err
    assert not out.exists()


def test_bad_options_are_refused(tmp_path, capsys):
    spec = write_spec(tmp_path, TOY)
    assert main(["sweep", spec, "--out", str(tmp_path / "a"), "--executor", "serial", "--workers", "2"]) == 2
    assert "workers and scheduler apply to the dask executor" in capsys.readouterr().err
    assert main(["sweep", spec, "--out", str(tmp_path / "a"), "--workers", "0"]) == 2
    assert "workers must be an integer >= 1" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "none.toml"), "--out", str(tmp_path / "a")]) == 2
    assert "not found" in capsys.readouterr().err
    with pytest.raises(SpecError, match="holds no run"):
        parse_spec("")


# ----- serial executor: idempotent, resumable, failures reported ------------------------------------
def test_serial_sweep_writes_every_run_and_a_second_call_does_no_work(serial_sweep, capsys):
    spec, out = serial_sweep
    dirs = run_dirs(out)
    assert len(dirs) == 6 and all((d / "sweep_run.json").is_file() and (d / "config.json").is_file()
                                  for d in dirs.values())
    status = json.loads((out / "status.json").read_text())
    assert status["counts"] == {"finished": 6, "failed": 0, "missing": 0, "executed": 6, "skipped": 0}
    before = {n: (d / "metrics.jsonl").stat().st_mtime_ns for n, d in dirs.items()}
    assert main(["sweep", spec, "--out", str(out), "--executor", "serial"]) == 0
    err = capsys.readouterr().err
    assert "(0 executed now, 6 already on disk)" in err
    assert {n: (d / "metrics.jsonl").stat().st_mtime_ns for n, d in dirs.items()} == before
    assert main(["sweep", spec, "--out", str(out), "--dry-run"]) == 0
    assert capsys.readouterr().out.count("finished ") == 6


def test_partial_run_resumes_from_its_last_finished_generation(tmp_path, capsys):
    spec = write_spec(tmp_path, TOY)
    out = tmp_path / "sweep"
    assert main(["sweep", spec, "--out", str(out), "--executor", "serial", "--quiet"]) == 0
    reference = results(out)
    victim = next(iter(run_dirs(out).values()))
    kept = (victim / "gen_0000" / "samples.npy").stat().st_ino
    for p in (victim / "gen_0001").iterdir():  # as if the run had been killed during generation 1
        p.unlink()
    (victim / "gen_0001").rmdir()
    (victim / "gen_0001.tmp-123").mkdir()
    assert main(["sweep", spec, "--out", str(out), "--executor", "serial"]) == 0
    assert "(1 executed now, 3 already on disk)" in capsys.readouterr().err
    assert (victim / "gen_0000" / "samples.npy").stat().st_ino == kept  # resumed, not restarted
    assert not (victim / "gen_0001.tmp-123").exists()
    assert_same_results(results(out), reference)


def test_a_failing_run_is_reported_with_config_and_traceback_and_the_sweep_goes_on(tmp_path, capsys):
    text = TOY.replace('target = "two_moons"\n', f'data_dir = "{tmp_path / "no_such_dir"}"\n').replace(
        "seed = [0, 1]", 'target = ["two_moons", "fashion_mnist"]')
    spec = write_spec(tmp_path, text)
    out = tmp_path / "sweep"
    assert main(["sweep", spec, "--out", str(out), "--executor", "serial", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "2 of 4 runs finished, 2 failed" in captured.out
    assert "failed: ValueError" in captured.err and "Traceback (most recent call last)" in captured.err
    assert '"target": "fashion_mnist"' in captured.err  # its config
    states = {n: json.loads((d / "sweep_run.json").read_text())["config"]["target"] for n, d in run_dirs(out).items()}
    for name, target in states.items():
        failure = run_dirs(out)[name] / "failure.json"
        assert failure.is_file() == (target == "fashion_mnist")
    assert main(["report", "--run", str(out)]) == 0
    coverage = (out / "tables" / "sweep_coverage.csv").read_text()
    assert coverage.count(",failed,") == 2 and coverage.count(",finished,") == 2
    assert "2 failed" in (out / "summary.md").read_text()


# ----- the report over a sweep --------------------------------------------------------------------
def test_report_over_a_sweep_tables_by_axes_figures_and_every_check(serial_sweep, capsys):
    _, out = serial_sweep
    assert main(["report", "--run", str(out)]) == 0
    with (out / "tables" / "sweep_train_by_axes.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    head = list(rows[0])
    assert "seed" not in head and {"alpha", "generation", "seeds", "w2_to_data", "w2_to_data_90ci"} <= set(head)
    # the mean over the two seeds, from the runs' own metrics files
    by_run = {json.loads((d / "sweep_run.json").read_text())["axes"]["seed"]: d for d in run_dirs(out).values()
              if "alpha_0.9" in d.name and "two_moons" in d.name}
    w2 = [json.loads((by_run[s] / "metrics.jsonl").read_text().splitlines()[1])["w2_to_data"] for s in (0, 1)]
    row = next(r for r in rows if r["alpha"] == "0.9" and r["generation"] == "1")
    assert float(row["w2_to_data"]) == pytest.approx(np.mean(w2), rel=1e-3)
    lo, hi = (float(x) for x in row["w2_to_data_90ci"].strip("[]").split(","))
    assert min(w2) - 1e-3 <= lo <= hi <= max(w2) + 1e-3
    figs = {p.name for p in (out / "figures").iterdir()}
    assert {"sweep_train_w2_to_data_by_alpha.png", "sweep_exact_D_chi2_by_alpha.png",
            "sweep_train_w2_to_data_over_generations.pdf"} <= figs
    checks = json.loads((out / "checks.json").read_text())["checks"]
    exact_names = [n for n in run_dirs(out) if n.startswith("exact")]
    for name in exact_names:  # every exact run contributes its checks and its controls
        mine = [c for c in checks if name in c["check"]]
        assert any(c["result"] == "lemmaF.1" and c["kind"] == "check" for c in mine)
        assert any(c["kind"] == "control" and c["passed"] for c in mine)
    assert "Coverage: 6 runs, 6 finished, 0 failed" in (out / "summary.md").read_text()
    assert main(["validate", "--run", str(out)]) == 0
    assert "0 failed" in capsys.readouterr().out


# ----- Dask ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster_client():
    """A 2-worker LocalCluster (worker processes under nannies, one thread each), closed afterwards."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        yield client


def test_embedded_local_cluster_is_sized_single_threaded_with_gpu_resources_and_closed():
    with sweep_client(workers=2, gpu=True) as client:
        workers = client.scheduler_info()["workers"].values()
        assert len(workers) == 2
        assert all(w["nthreads"] == 1 and w["resources"] == {"GPU": 1} for w in workers)
        assert os.getpid() not in client.run(os.getpid).values()  # worker processes, not threads
    assert client.status == "closed"


def test_tiny_sweep_on_a_two_worker_local_cluster_gives_the_serial_results(serial_sweep, cluster_client, tmp_path,
                                                                          capsys):
    spec, serial_out = serial_sweep
    out = tmp_path / "sweep"
    assert main(["sweep", spec, "--out", str(out), "--scheduler", cluster_client.scheduler.address]) == 0
    err = capsys.readouterr().err
    assert "6 of 6 runs finished, 0 failed, 0 missing (6 executed now" in err and "ETA" in err
    status = json.loads((out / "status.json").read_text())
    assert set(cluster_client.run(os.getpid).values()) >= {e["pid"] for e in status["runs"]}  # ran on the workers
    assert_same_results(results(out), results(serial_out))


SLOW = TOY.replace("generations = 2", "generations = 6").replace("n = 64", "n = 600").replace(
    "steps = 8", "steps = 40").replace("seed = [0, 1]", "seed = [0]")


def _executing(dask_worker):
    return [ts.key for ts in dask_worker.state.executing]


def test_a_worker_killed_mid_run_is_resumed_elsewhere_with_the_serial_results(cluster_client, tmp_path):
    spec = write_spec(tmp_path, SLOW)
    assert main(["sweep", spec, "--out", str(tmp_path / "serial"), "--executor", "serial", "--quiet"]) == 0
    out = tmp_path / "dask"
    code = {}
    sweep = threading.Thread(target=lambda: code.setdefault("rc", main(
        ["sweep", spec, "--out", str(out), "--scheduler", cluster_client.scheduler.address, "--quiet"])))
    sweep.start()
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline and sweep.is_alive():
        for name, d in (run_dirs(out).items() if (out / "runs").is_dir() else []):
            if (d / "gen_0000" / "metrics.json").is_file() and not (d / "gen_0002").exists():
                executing = cluster_client.run(_executing)
                pids = cluster_client.run(os.getpid)
                worker = next((w for w, keys in executing.items() if any(k.endswith(name) for k in keys)), None)
                if worker is not None:
                    os.kill(pids[worker], signal.SIGKILL)
                    kept = {g.name: g.stat().st_ino for g in d.glob("gen_0*") if ".tmp-" not in g.name}
                    killed = (name, d, pids[worker], kept)
                    break
        time.sleep(0.02)
    sweep.join(timeout=180)
    assert killed is not None, "no run was caught between two generations"
    name, d, pid, kept = killed
    assert code.get("rc") == 0
    assert pid not in cluster_client.run(os.getpid).values()  # the worker died and was replaced
    assert 1 <= len(kept) < 6  # killed mid-run: some generations finished, not all
    assert {g: (d / g).stat().st_ino for g in kept} == kept  # they were kept: the retry resumed
    entry = next(e for e in json.loads((out / "status.json").read_text())["runs"] if e["name"] == name)
    assert entry["state"] == "finished" and entry["pid"] != pid
    assert_same_results(results(out), results(tmp_path / "serial"))
    assert all(run_state_is_finished(p) for p in run_dirs(out).values())


def run_state_is_finished(d: Path) -> bool:
    from validate.sweep.spec import SweepRun

    return run_state(SweepRun.from_json(json.loads((d / "sweep_run.json").read_text())), d) == "finished"


def test_the_example_spec_in_examples_expands():
    runs = parse_spec((Path(__file__).parents[1] / "examples" / "sweep_alpha_seed.toml").read_text()).runs()
    assert sum(r.kind == "train" for r in runs) == 9 and sum(r.kind == "exact" for r in runs) == 3


def test_progress_counts_and_eta():
    from validate.sweep.progress import SweepProgress

    now = [0.0]
    p = SweepProgress(5, parallelism=2, stream=None, clock=lambda: now[0])
    p.done({"status": "skipped"})  # already on disk: finished, not in the mean
    assert p.eta_seconds() is None and "ETA --" in p.line()
    p.start(2)
    now[0] = 10.0
    p.done({"status": "finished", "seconds": 10.0})
    p.done({"status": "failed", "seconds": 99.0})
    assert p.eta_seconds() == pytest.approx(2 * 10.0 / 2)  # 2 left x 10 s / 2 workers
    assert "2/5 finished (1 already on disk), 0 running, 1 failed, 2 queued" in p.line() and "ETA 0:00:10" in p.line()
    with pytest.raises(ValueError, match="parallelism must be >= 1"):
        SweepProgress(1, parallelism=0)
