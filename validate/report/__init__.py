"""Reporting: a finished run's data, its checks, tables, figures and summary, the sweep report, and
two finished runs compared row by row (`compare_runs`)."""
from validate.report.run_comparison import compare_runs, comparison_text

__all__ = ["compare_runs", "comparison_text"]
