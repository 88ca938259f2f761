"""`collapse train`: a toy run through the dispatcher, resume, and one-line errors with exit 2 that
leave nothing on disk."""
import json

import pytest
import torch

from validate.cli import main


def test_train_writes_a_run_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--target", "gmm", "--model", "kde", "--alpha", "0.5", "--n", "64", "--steps", "10",
            "--seed", "0", "--device", "cpu", "--out", str(out), "--quiet", "--metrics", "D_kl", "eps2",
            "--eval-paths", "100", "--eval-points", "64"]
    assert main(args + ["--generations", "1"]) == 0
    assert main(args + ["--generations", "2"]) == 0
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["generation"] for r in lines] == [0, 1]
    assert {"alpha", "n_train", "second_moment", "w2_to_data", "D_kl", "D_kl_estimator", "eps2_estimator"} <= set(lines[1])
    assert json.loads((out / "config.json").read_text())["alpha"] == 0.5
    assert "2 generation(s)" in capsys.readouterr().out


@pytest.mark.parametrize("extra, message", [
    (["--target", "nope"], "target must be one of"),
    (["--model", "svm"], "model must be one of"),
    (["--alpha", "1.5"], "alpha must be in [0, 1], got 1.5"),
    (["--alpha-schedule", "0.5", "-0.2"], "alpha must be in [0, 1]"),
    (["--metrics", "FID"], "invalid choice: 'FID'"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, extra, message):
    out = tmp_path / "run"
    assert main(["train", "--device", "cpu", "--out", str(out)] + extra) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_request_without_cuda_is_refused(tmp_path, capsys):
    assert main(["train", "--device", "cuda", "--out", str(tmp_path / "run")]) == 2
    assert "CUDA is not available" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_progress_bars_go_to_stderr(tmp_path, capsys):
    assert main(["train", "--target", "gaussian", "--n", "32", "--steps", "5", "--generations", "2",
                 "--device", "cpu", "--out", str(tmp_path / "run")]) == 0
    captured = capsys.readouterr()
    assert "generations" in captured.err and "euler-maruyama" in captured.err
    assert captured.out.count("\n") == 3  # two metric lines and the summary
