"""issue 20, point 4: the report shows what it measured. An infinite series is drawn (a triangle at
the top with a note), an estimator clipped at 0 is marked, a blank table cell has a footnote, an
interval from fewer than 5 seeds is not drawn and the label says so. Each with a control."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from validate.report import figures  # noqa: E402
from validate.report.figures.style import OFF_SCALE_NOTE, note_off_scale, plot_series  # noqa: E402
from validate.report.run_data import NeuralRun, RunData, clipped_at_zero  # noqa: E402
from validate.report.run_figures import neural_series  # noqa: E402
from validate.report.tables import BLANK_NOTE, write_table  # noqa: E402


def _top_markers(ax):
    return [ln for ln in ax.lines if ln.get_marker() == "^"]


def test_an_infinite_series_is_drawn_at_the_top_with_its_legend():
    fig, ax = plt.subplots()
    g = np.arange(4)
    off = plot_series(ax, g, [np.inf] * 4, "o-", color="C0", label="chi2, alpha=0.5")
    off += plot_series(ax, g, [0.1, 0.2, 4e279, 0.3], "o-", color="C1", label="finite but one")
    note_off_scale(ax, off)
    markers = _top_markers(ax)
    assert off == 5 and sum(len(m.get_xdata()) for m in markers) == 5
    assert all(np.allclose(m.get_ydata(), 0.97) for m in markers)  # axes fraction: the top
    assert "chi2, alpha=0.5" in [t.get_text() for t in ax.legend().get_texts()]
    assert any(t.get_text() == OFF_SCALE_NOTE for t in ax.texts)
    assert any(t.get_text() == "inf" for t in ax.texts) and any("4.0e+279" in t.get_text() for t in ax.texts)
    fig.canvas.draw()  # 4e279 never reaches the scale (it used to overflow the log ticks)
    plt.close(fig)


def test_a_finite_series_gets_no_marker_and_no_note():
    fig, ax = plt.subplots()
    off = plot_series(ax, np.arange(3), [0.1, 0.2, 0.3], "o-", label="x")
    note_off_scale(ax, off)
    assert off == 0 and not _top_markers(ax) and not ax.texts
    plt.close(fig)


def test_figures_with_infinite_and_absurd_values_are_written(tmp_path):
    g = np.arange(4)
    D = np.array([0.0, 0.1, np.inf, 3.2e278])
    assert figures.drift_envelope({0.5: dict(generation=g, D=D, envelope=D)}, tmp_path / "env")
    s = dict(generation=g, kl=g + 1.0, kl_bound=g + 2.0, chi2=np.full(4, np.inf), chi2_bound=g + 0.5)
    assert figures.kl_and_chi2_vs_energy({0.5: s}, tmp_path / "kl")
    b = dict(generation=g, chi2=D, kl=g + 0.5, lower=g * 0 + 0.1, upper=np.full(4, np.inf))
    assert figures.divergence_band({0.1: b}, tmp_path / "band")


def _run(tmp_path, w2, estimator, seed=0):
    rows = [{"generation": i, "w2_to_data": v, "w2_to_data_estimator": estimator, "eta": np.nan}
            for i, v in enumerate(w2)]
    return NeuralRun(tmp_path / f"seed{seed}", {"seed": seed}, rows)


def test_clipped_w2_is_marked_only_for_the_clipped_estimator(tmp_path):
    debiased = "w2_debiased_split_half_subsample_64"
    runs = [_run(tmp_path, [0.0, 0.5, 0.0], debiased, 0), _run(tmp_path, [0.1, 0.4, 0.0], debiased, 1)]
    assert clipped_at_zero(runs).tolist() == [True, False, True]
    exact = [_run(tmp_path, [0.0, 0.5, 0.0], "w2_empirical_exact_subsample_64")]  # control: not clipped
    assert clipped_at_zero(exact).tolist() == [False, False, False]


@pytest.mark.parametrize("seeds,drawn", [(3, False), (5, True)])
def test_intervals_from_fewer_than_5_seeds_are_not_drawn_and_say_so(tmp_path, seeds, drawn):
    rng = np.random.default_rng(seeds)
    runs = [_run(tmp_path, list(rng.uniform(0.1, 1.0, 4)), "w2_debiased_split_half_subsample_64", s)
            for s in range(seeds)]
    data = RunData(path=tmp_path, manifest={}, neural={("gmm", "kde", 0.5): runs})
    s = neural_series(data)[("gmm", "kde")]["w2_to_data"][0.5]
    assert (s["stderr"] is not None) == drawn
    assert ("no interval" in s["label"]) != drawn and f"{seeds} seeds" in s["label"]


def test_a_blank_cell_has_a_footnote_and_a_full_table_none(tmp_path):
    write_table(tmp_path, "blank", [{"a": 1.0, "b": 2.0}, {"a": 3.0}], "caption")
    md = (tmp_path / "tables" / "blank.md").read_text()
    assert BLANK_NOTE in md and BLANK_NOTE in (tmp_path / "tables" / "blank.tex").read_text()
    assert BLANK_NOTE not in (tmp_path / "tables" / "blank.csv").read_text()  # CSV stays data
    write_table(tmp_path, "full", [{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": np.inf}], "caption")
    full = (tmp_path / "tables" / "full.md").read_text()
    assert BLANK_NOTE not in full and "inf" in full
