"""`collapse report`: tables, figures, checks and the summary of a finished run, from what is on disk.

A `collapse sweep` directory is handed to `validate.report.sweep_report`. Otherwise the run directory is read once (`validate.report.run_data.RunData`); the checks (`run_checks`), tables
(`run_tables`), figures (`run_figures`) and the summary text (`summary`) are built from that
object. Written: DIR/tables/*.{md,csv,tex}, DIR/figures/*.{png,pdf}, DIR/checks.json,
DIR/summary.md. Nothing is recomputed except the (cheap) checks and bound curves, so
`collapse report` rebuilds a finished run in seconds.
"""
from __future__ import annotations

from run_files import CHECKS_FILE, SUMMARY_FILE, atomic_write_text, write_json
from validate.report.run_checks import all_checks
from validate.report.run_data import RunData
from validate.report.run_figures import FIGURE_PARTS, all_figures
from validate.report.run_tables import all_tables, checks_table, learner_quality_table
from validate.report.summary import summary_markdown
from validate.report.sweep_report import build_sweep_report, is_sweep


def build_report(run_dir, z: float = 2.0, figure_parts=FIGURE_PARTS, proofs=True) -> dict:
    """Write tables, figures, checks.json and summary.md for a run directory.

    Parameters
    ----------
    run_dir : str or Path
        A `collapse reproduce` directory, a single `collapse train` run or a `collapse sweep`
        directory.
    z : float
        Standard errors of tolerance in the verdicts of estimated quantities.
    figure_parts : sequence of str
        The figures to draw (`validate.report.run_figures.FIGURE_PARTS`, default all; the others are
        left to the caller: `collapse reproduce` draws the exact parts while it waits for a parallel lane
        and the neural series in another process, `validate.report.figures.series_figures`).
    proofs : bool or list of Check
        The symbolic proofs (`validate.checks.proof_suite.proof_checks`, independent of the run): True
        computes them here, a list uses those already computed, False leaves them out.

    Returns
    -------
    dict
        "figures": paths written; "checks": one summary row per check; "quality": the
        generation-0 quality of each neural run (`validate.checks.learner_quality`).

    Raises
    ------
    run_files.RunFileError
        A file of the run is missing or malformed (the message names it).
    """
    if is_sweep(run_dir):
        return build_sweep_report(run_dir, z=z)
    data = RunData.load(run_dir)
    all_tables(data)
    made = all_figures(data, figure_parts)
    checks = all_checks(data, z=z, proofs=proofs)
    rows = [c.summary_row() for c in checks]
    checks_table(data, rows)
    write_json(data.path / CHECKS_FILE, {"checks": rows, "details": [c.__dict__ for c in checks]})
    quality = learner_quality_table(data)
    atomic_write_text(data.path / SUMMARY_FILE, summary_markdown(data.manifest, checks, quality))
    return {"figures": made, "checks": rows, "quality": quality}


def draw_figures(run_dir, parts=FIGURE_PARTS) -> list[str]:
    """The figures of `parts` of a run directory (`all_figures`), nothing else: what `build_report`
    leaves out when given the other parts.

    Parameters
    ----------
    run_dir : str or Path
        A `collapse reproduce` directory or a single `collapse train` run.
    parts : sequence of str
        Parts of `validate.report.run_figures.FIGURE_PARTS`.

    Returns
    -------
    list of str
        Paths of the figures written.
    """
    return all_figures(RunData.load(run_dir), parts)
