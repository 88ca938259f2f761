"""Atomic run storage and resume: a killed run resumes from its last finished generation and ends
with the same metrics as an uninterrupted run; never a half-written generation on disk."""
import json

import numpy as np
import pytest

import neural.run_store as run_store
from neural.retraining import RetrainingConfig, run_generations
from run_files import atomic_write_text
from neural.run_store import RunStore


def small(**kw):
    base = dict(target="gaussian", model="kde", alpha=0.5, generations=3, n=64, steps=10, seed=0, device="cpu",
                metrics=["D_kl", "I_kl", "eps2", "eta"], eval_paths=100, eval_points=64)
    base.update(kw)
    return RetrainingConfig(**base)


def strip_time(rows):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


@pytest.mark.parametrize("mode", ["replace", "accumulate"])
def test_two_generations_then_resume_equals_three_uninterrupted(tmp_path, mode):
    full = run_generations(small(mode=mode), tmp_path / "full")
    run_generations(small(generations=2, mode=mode), tmp_path / "split")
    resumed = run_generations(small(generations=3, mode=mode), tmp_path / "split")
    assert strip_time(resumed) == strip_time(full)
    for g in range(3):
        assert np.array_equal(np.load(tmp_path / "full" / f"gen_{g:04d}" / "samples.npy"),
                              np.load(tmp_path / "split" / f"gen_{g:04d}" / "samples.npy"))
    lines = (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["generation"] for line in lines] == [0, 1, 2]


def test_a_crash_while_writing_leaves_only_finished_generations(tmp_path, monkeypatch):
    calls = {"n": 0}
    real_save = run_store.torch.save

    def failing_save(obj, path):
        calls["n"] += 1
        if calls["n"] == 3:  # during generation 2's checkpoint
            raise KeyboardInterrupt
        real_save(obj, path)

    monkeypatch.setattr(run_store.torch, "save", failing_save)
    with pytest.raises(KeyboardInterrupt):
        run_generations(small(), tmp_path / "run")
    names = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert names == ["config.json", "gen_0000", "gen_0001", "metrics.jsonl"]
    assert len((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()) == 2
    monkeypatch.setattr(run_store.torch, "save", real_save)
    resumed = run_generations(small(), tmp_path / "run")
    assert strip_time(resumed) == strip_time(run_generations(small(), tmp_path / "fresh"))


def test_leftovers_of_a_killed_process_are_removed_on_open(tmp_path):
    store = RunStore(tmp_path)
    assert store.open({"a": 1}) == 0
    (tmp_path / "gen_0000.tmp-123").mkdir()
    (tmp_path / "gen_0000.tmp-123" / "samples.npy").write_bytes(b"partial")
    store.commit_generation(0, {"samples": np.zeros(3)}, {}, {"generation": 0})
    (tmp_path / "gen_0002").mkdir()  # after a gap: not a finished generation
    (tmp_path / "metrics.jsonl.tmp-9").write_text("junk")
    assert RunStore(tmp_path).open({"a": 1}) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "gen_0000", "metrics.jsonl"]
    with pytest.raises(ValueError, match="different config"):
        RunStore(tmp_path).open({"a": 2})
    with pytest.raises(ValueError, match="already stored"):
        store.commit_generation(0, {}, {}, {"generation": 0})


def test_atomic_write_text_replaces_the_whole_file(tmp_path):
    path = tmp_path / "f.txt"
    atomic_write_text(path, "one\n")
    atomic_write_text(path, "two\n")
    assert path.read_text() == "two\n" and [p.name for p in tmp_path.iterdir()] == ["f.txt"]
