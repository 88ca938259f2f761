"""The main job end to end at toy size: every stage writes its outputs, the summary states the
verdicts, `collapse validate` accepts the run, and a second call resumes instead of recomputing."""
import os

import pytest

from validate.cli import main
from validate.pipeline.lanes import LaneProcess
from validate.report.build import build_report, draw_figures


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce") / "run"
    assert main(["reproduce", "--out", str(out), "--scale", "tiny", "--device", "cpu", "--quiet"]) == 0
    return out


def test_outputs_and_summary(tiny_run):
    for name in ("bounds_accumulated", "exact_generations", "checks", "neural_generations"):
        for ext in ("md", "csv", "tex"):
            assert (tiny_run / "tables" / f"{name}.{ext}").stat().st_size > 100
    pngs = {p.name for p in (tiny_run / "figures").glob("*.png")}
    assert {"exact_drift_envelope.png", "exact_contributions_heatmap.png", "gmm_kde_pca_scatter.png",
            "gmm_kde_eta_over_generations.png"} <= pngs
    assert len(pngs) == len(list((tiny_run / "figures").glob("*.pdf")))
    summary = (tiny_run / "summary.md").read_text()
    assert "run-specific binding checks and controls: " in summary and "control: prop3.1 with 49/100" in summary
    assert main(["validate", "--run", str(tiny_run)]) == 0


def test_second_call_resumes_without_recomputing(tiny_run):
    neural = tiny_run / "neural" / "gmm_kde_alpha_0.5_seed_1"
    kept = [tiny_run / "exact" / "alpha_0.5" / "metrics.jsonl", neural / "gen_0001" / "samples.npy"]
    before = [os.stat(p).st_mtime_ns for p in kept]
    metrics = (neural / "metrics.jsonl").read_text()
    assert main(["reproduce", "--out", str(tiny_run), "--scale", "tiny", "--device", "cpu", "--quiet"]) == 0
    assert [os.stat(p).st_mtime_ns for p in kept] == before
    assert (neural / "metrics.jsonl").read_text() == metrics


def test_report_rebuilds_from_disk(tiny_run, capsys):
    (tiny_run / "summary.md").unlink()
    assert main(["report", "--run", str(tiny_run)]) == 0
    assert (tiny_run / "summary.md").is_file()


def test_report_and_validate_accept_a_single_train_run(tmp_path):
    run = tmp_path / "train"
    assert main(["train", "--target", "gmm", "--model", "kde", "--alpha", "0.5", "--generations", "2",
                 "--n", "100", "--steps", "20", "--seed", "0", "--device", "cpu", "--out", str(run),
                 "--metrics", "D_kl", "I_kl", "eps2", "epshat2", "eta", "--eval-paths", "200", "--quiet"]) == 0
    assert main(["report", "--run", str(run)]) == 0
    assert (run / "tables" / "neural_generations.csv").is_file()
    assert (run / "figures" / "gmm_kde_pca_scatter.png").is_file()
    # a KDE on the 10-D mixture has informative checks only: nothing binding concerns it (issue 20)
    assert main(["validate", "--run", str(run)]) == 3


def test_limit_law_part_is_in_the_run(tiny_run):
    """THEORY.md §5: the limit-law checks reach checks.json and the summary; its table and figures exist."""
    assert (tiny_run / "tables" / "limit_multipliers.md").is_file()
    assert (tiny_run / "figures" / "limit_hermite_spectrum.png").is_file()
    assert (tiny_run / "figures" / "limit_annealed_drift.png").is_file()
    summary = (tiny_run / "summary.md").read_text()
    assert "limit.multiplier" in summary and "control: multiplier with e^(-n t0)" in summary


def test_figures_drawn_in_two_processes_are_the_full_set(tiny_run):
    """`collapse reproduce` draws the neural runs' series figures in a second, torch-free process
    (`series_figures` in a LaneProcess) while `build_report(figure_parts=("grid",))` draws the grid
    laws' and the exact parts are drawn before: together the same files as all parts drawn at once,
    none twice."""
    from tests._crash_helpers import draw_series_then_list_modules, loaded_modules
    from validate.report.run_data import RunData
    from validate.report.run_figures import all_figures, neural_series
    full = set(draw_figures(tiny_run))
    early = all_figures(RunData.load(tiny_run, neural=False), ("exact", "eta"))
    rest, modules = LaneProcess(draw_series_then_list_modules, (neural_series(RunData.load(tiny_run)),
                                str(tiny_run / "figures"), ("torch", "neural")), 1, torch=False).result()
    part = build_report(tiny_run, figure_parts=("grid",))["figures"]
    drawn = [early, rest, part]
    assert all(drawn) and set().union(*drawn) == full and sum(map(len, drawn)) == len(full)
    assert modules == []   # the drawing lane never imported torch
    assert "torch" in LaneProcess(loaded_modules, (("torch",),), 1).result()   # a torch lane does
    with pytest.raises(ValueError, match="parts must be among"):
        draw_figures(tiny_run, ("neural", "exakt"))


def test_the_parallel_lane_branch_gives_the_single_lane_run(tiny_run, tmp_path, monkeypatch):
    """The tiny scale with its last spec in a lane of its own, run as two lanes (the branch the default
    run takes on 2 cores: proofs and exact figures while waiting, the series figures in a torch-free
    process): every figure once, and checks and data identical to the single-lane run."""
    import dataclasses

    from validate.pipeline import lanes
    from validate.pipeline import reproduce as rp
    from validate.report.run_comparison import compare_runs
    tiny = rp.SCALES["tiny"]
    specs = list(tiny.neural)
    specs[-1] = dataclasses.replace(specs[-1], lane=1)
    monkeypatch.setitem(rp.SCALES, "tiny", dataclasses.replace(tiny, neural=tuple(specs)))
    monkeypatch.setattr(rp, "neural_lanes", lambda s, device: lanes.neural_lanes(s, device, cores=2))
    out = tmp_path / "run"
    report = rp.reproduce(out, scale="tiny", device="cpu", progress=False)
    figs = report["figures"]
    names = {p.name for p in (tiny_run / "figures").iterdir()}
    assert {p.name for p in (out / "figures").iterdir()} == names
    assert len(figs) == len(set(figs)) and {os.path.basename(f) for f in figs} == \
        {n for n in names if not n.startswith("limit_")}   # the limit law draws its own, before
    diff = compare_runs(tiny_run, out)
    assert diff["checks"]["compared"] > 100 and diff["checks"]["differing"] == 0, diff["checks"]["differences"][:3]
    assert not diff["checks"]["only_in_a"] and not diff["checks"]["only_in_b"]   # the proofs included
    assert not diff["data_files"]["only_in_a"] and not diff["data_files"]["only_in_b"]
    (manifest,) = diff["data_files"]["differences"]   # the spec's lane, nothing else
    assert manifest["file"] == "manifest.json" and [d["where"] for d in manifest["differences"]] == \
        [f"spec.neural[{len(specs) - 1}].lane"]
