"""Issue 10: interrupted work. `collapse train` SIGKILLed at named moments of a generation's commit
(mid-write included) and at a random moment resumes to results identical to an uninterrupted run
(CPU, fixed seed); `collapse reproduce` likewise (slow); a read-only or full output directory
gives one clear line and leaves nothing half-written; a corrupted run makes `collapse report`
name the file."""
import errno
import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests._crash_helpers import run_cli

TRAIN = ["train", "--target", "gmm", "--model", "kde", "--alpha", "0.5", "--generations", "5", "--n", "64",
         "--steps", "5", "--eval-points", "32", "--seed", "3", "--device", "cpu", "--quiet"]


def _with_generations(n):
    argv = list(TRAIN)
    argv[argv.index("--generations") + 1] = str(n)
    return argv


def _train(out, **kw):
    return run_cli(TRAIN + ["--out", str(out)], **kw)


def _result(run: Path):
    """Everything a run produced that must not depend on interruptions (wall times excluded)."""
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    rows = [{k: v for k, v in r.items() if k != "seconds"} for r in rows]
    arrays = {f"{g.name}/{f.name}": np.load(f) for g in sorted(run.glob("gen_*")) for f in sorted(g.glob("*.npy"))}
    return rows, arrays


def _assert_same(a, b):
    rows_a, arr_a = a
    rows_b, arr_b = b
    assert rows_a == rows_b
    assert sorted(arr_a) == sorted(arr_b)
    for k in arr_a:
        np.testing.assert_array_equal(arr_a[k], arr_b[k], err_msg=k)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("train") / "reference"
    assert _train(out) == 0
    return _result(out)


def test_train_killed_at_six_moments_resumes_to_identical_results(tmp_path, reference):
    out = tmp_path / "run"
    moments = ["start:0", "array:1", "checkpoint:1", "renamed:2", "array:3", "checkpoint:4"]
    for crash in moments:
        assert _train(out, crash=crash) == -9, crash
        assert not list(out.glob("*.tmp-*")) or crash.startswith(("array", "checkpoint"))
    rng = random.Random(0)
    assert _train(out, kill_after=rng.uniform(0.05, 0.5)) in (-9, 0)     # a random moment
    assert _train(out) == 0
    assert not list(out.glob("*.tmp-*"))
    _assert_same(_result(out), reference)


def test_train_killed_mid_write_leaves_only_finished_generations(tmp_path):
    out = tmp_path / "run"
    assert _train(out, crash="array:2") == -9
    finished = sorted(p.name for p in out.glob("gen_*") if ".tmp-" not in p.name)
    assert finished == ["gen_0000", "gen_0001"]
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["generation"] for x in lines] == [0, 1]


def test_read_only_output_directory_is_one_clear_line(tmp_path):
    err = tmp_path / "err.txt"
    # /sys refuses new directories even to root (a read-only file system for this purpose)
    code = run_cli(TRAIN + ["--out", "/sys/collapse_test_ro/run"], stderr_path=str(err))
    text = err.read_text().strip()
    assert code == 2 and len(text.splitlines()) == 1 and "/sys/collapse_test_ro" in text, text


def test_full_disk_is_one_clear_line_and_leaves_nothing_half_written(tmp_path, monkeypatch, capsys):
    import torch

    from neural import run_store
    from validate.cli import main

    torch.set_num_threads(1)
    out = tmp_path / "run"
    assert main(_with_generations(2) + ["--out", str(out)]) == 0     # 2 finished generations
    capsys.readouterr()
    real_save = run_store.torch.save

    def full_disk(obj, path, *a, **k):
        Path(path).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(run_store.torch, "save", full_disk)
    assert main(TRAIN + ["--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "No space left on device" in err, err
    assert not list(out.glob("*.tmp-*"))
    assert sorted(p.name for p in out.glob("gen_*")) == ["gen_0000", "gen_0001"]
    monkeypatch.setattr(run_store.torch, "save", real_save)
    assert main(TRAIN + ["--out", str(out)]) == 0      # and it resumes once there is space


def test_corrupted_run_makes_report_name_the_file(tmp_path, capsys):
    import torch

    from validate.cli import main

    torch.set_num_threads(1)
    out = tmp_path / "run"
    assert main(_with_generations(2) + ["--out", str(out)]) == 0
    good = (out / "metrics.jsonl").read_text()
    capsys.readouterr()
    (out / "metrics.jsonl").write_text(good[: len(good) - 40])           # truncated mid-line
    assert main(["report", "--run", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "metrics.jsonl" in err, err
    (out / "metrics.jsonl").write_text(good)
    (out / "gen_0001" / "samples.npy").unlink()
    assert main(["report", "--run", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(out / "gen_0001" / "samples.npy") in err, err
    shutil.rmtree(out / "gen_0000")
    assert main(["report", "--run", str(out)]) == 2
    assert "gen_0000" in capsys.readouterr().err


REPRODUCE = ["reproduce", "--scale", "tiny", "--no-neural", "--alpha", "0.5", "--quiet"]


def _reproduce_result(run: Path):
    rows = (run / "exact" / "alpha_0.5" / "metrics.jsonl").read_text()
    tables = {p.name: p.read_text() for p in sorted((run / "tables").glob("*.csv"))}
    return rows, tables


@pytest.mark.slow
def test_reproduce_killed_at_random_moments_resumes_to_identical_results(tmp_path):
    ref = tmp_path / "reference"
    assert run_cli(REPRODUCE + ["--out", str(ref)]) == 0
    out = tmp_path / "run"
    rng = random.Random(1)
    kills = 0
    for _ in range(8):
        code = run_cli(REPRODUCE + ["--out", str(out)], kill_after=rng.uniform(0.2, 4.0))
        kills += code == -9
    assert kills >= 5
    assert run_cli(REPRODUCE + ["--out", str(out)]) == 0
    assert _reproduce_result(out) == _reproduce_result(ref)
