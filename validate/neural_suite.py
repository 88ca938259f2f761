"""Checks, tables and figures for the neural runs of a reproduce directory (DIR/neural/*)."""
from __future__ import annotations

from pathlib import Path


def neural_run_dirs(run_dir) -> list[Path]:
    return sorted(p for p in (Path(run_dir) / "neural").glob("*") if (p / "metrics.jsonl").is_file())


def neural_checks(run_dir) -> list:
    return []


def neural_tables_and_figures(run_dir) -> list[str]:
    return []
