"""Progress with an ETA and the calibrated duration estimate of `collapse reproduce`."""
from validate.cli import main
from validate.pipeline.reproduce import SCALES, ProgressETA, estimate_neural


def test_progress_lines_state_share_elapsed_and_eta():
    lines = []
    progress = ProgressETA("job", lines.append, every=0.0)
    progress(0, 100)  # nothing done yet: no line (no rate to extrapolate)
    progress(25, 100)
    progress(100, 100)
    assert len(lines) == 2
    assert "25.0% of the kernel work" in lines[0] and "ETA" in lines[0]
    assert "100.0%" in lines[1] and lines[1].endswith("ETA 0 s")
    quiet = []
    throttled = ProgressETA("job", quiet.append, every=3600.0)
    throttled(10, 100)
    assert quiet == []  # within the interval: silent until the end
    throttled(100, 100)
    assert len(quiet) == 1


def test_estimate_of_the_tiny_scale_and_the_cli(capsys):
    est = estimate_neural(SCALES["tiny"], (0.1, 0.5), 0, "cpu")
    assert est["seconds"] > 0 and est["specs"][0]["runs"] == 4 and est["specs"][0]["kde"] > 0
    assert main(["reproduce", "--out", "unused", "--scale", "tiny", "--estimate", "--alpha", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "estimated duration of the neural part at scale 'tiny'" in out


def test_paper_scale_prints_its_estimate_before_anything_runs(tmp_path, monkeypatch, capsys):
    import pytest

    import validate.pipeline.reproduce as rep

    class Stop(Exception):
        pass

    def stop(*args, **kwargs):
        raise Stop

    monkeypatch.setattr(rep, "estimate_neural", lambda *a: {"seconds": 3725.0, "specs": []})
    monkeypatch.setattr(rep, "run_exact", stop)
    with pytest.raises(Stop):
        rep.reproduce(tmp_path / "run", scale="paper", device="cpu")
    err = capsys.readouterr().err.splitlines()
    assert "estimated duration of the neural part" in err[1] and "1 h 02 min" in err[1]
    assert "bounds" in err[2]


def test_run_bars_only_on_a_terminal_and_a_line_per_finished_run(tmp_path, monkeypatch):
    """Redirected stderr (a file, a pipe): no progress bars (nested bars made 174 KB of the default
    run's stderr, issue 20 point 5) but a log line per finished run; on a terminal, the bars."""
    import io
    import sys
    import types

    import validate.pipeline.reproduce as rep

    cfg = types.SimpleNamespace(seed=0, model="mlp")
    seen = []
    spec = types.SimpleNamespace(configs=lambda *a: [("gmm1d_mlp_alpha_0.5_seed_0", cfg)], metrics_dtype="float64")
    monkeypatch.setattr(rep, "_batchable", lambda c: False)
    monkeypatch.setattr(rep, "run_generations", lambda c, out, progress, fit_from: seen.append(progress) or [{}, {}])

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for stream, bars in ((io.StringIO(), False), (Terminal(), True)):
        monkeypatch.setattr(sys, "stderr", stream)
        lines = []
        rep.run_neural_specs(tmp_path, [spec], (0.5,), 0, "cpu", True, lines.append)
        assert seen.pop() is bars
        assert lines[-1].startswith("  gmm1d_mlp_alpha_0.5_seed_0 done: 2 generations")
    rep.run_neural_specs(tmp_path, [spec], (0.5,), 0, "cpu", False, lines.append)   # --quiet
    assert seen.pop() is False
