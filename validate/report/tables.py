"""Tables from rows (a list of dicts with the same keys): Markdown, CSV and LaTeX (booktabs).

Every CLI subcommand and report writer renders through `render(rows, fmt)`, so a number looks
the same in every format.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from run_files import atomic_write_text

FORMATS = ("markdown", "csv", "latex")


def format_value(value, digits: int = 4) -> str:
    """A number as text: integers as they are, floats to `digits` significant digits, inf/nan named.

    Parameters
    ----------
    value : object
        Number, bool, None or anything with a str.
    digits : int
        Significant digits of floats (default 4).

    Returns
    -------
    str
        The text (bools as yes/no, None as "").
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.{digits}g}"
    if isinstance(value, np.integer):  # numpy scalars
        return str(int(value))
    if isinstance(value, np.floating):
        return format_value(float(value), digits)
    if isinstance(value, np.bool_):
        return format_value(bool(value), digits)
    return "" if value is None else str(value)


def _columns(rows: Sequence[Mapping], columns: Iterable[str] | None) -> list[str]:
    if columns is not None:
        return list(columns)
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def to_markdown(rows: Sequence[Mapping], columns: Iterable[str] | None = None, digits: int = 4) -> str:
    """A Markdown table of `rows` (numbers through `format_value`).

    Parameters
    ----------
    rows : sequence of mappings
        The table's rows.
    columns : iterable of str or None
        Columns in order (default: the keys of the rows, in first-seen order).
    digits : int
        Significant digits (default 4).

    Returns
    -------
    str
        The table.
    """
    cols = _columns(rows, columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(format_value(row.get(c), digits) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def to_csv(rows: Sequence[Mapping], columns: Iterable[str] | None = None) -> str:
    """CSV keeps full precision (repr of floats) so that it is data, not a picture of data.

    Parameters
    ----------
    rows : sequence of mappings
        The table's rows.
    columns : iterable of str or None
        Columns in order (default: the keys of the rows).

    Returns
    -------
    str
        The CSV text.
    """
    cols = _columns(rows, columns)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _plain(row.get(c)) for c in cols])
    return buf.getvalue()


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


_LATEX_ESCAPES = {"_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$"}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in text)


def to_latex(rows: Sequence[Mapping], columns: Iterable[str] | None = None, digits: int = 4,
             caption: str | None = None) -> str:
    """A booktabs table (needs `\\usepackage{booktabs}`).

    Parameters
    ----------
    rows : sequence of mappings
        The table's rows.
    columns : iterable of str or None
        Columns in order (default: the keys of the rows).
    digits : int
        Significant digits (default 4).
    caption : str or None
        Table caption.

    Returns
    -------
    str
        The LaTeX table.
    """
    cols = _columns(rows, columns)
    out = [r"\begin{table}[t]", r"\centering"]
    if caption:
        out.append(r"\caption{" + _latex_escape(caption) + "}")
    out += [r"\begin{tabular}{" + "r" * len(cols) + "}", r"\toprule",
            " & ".join(_latex_escape(c) for c in cols) + r" \\", r"\midrule"]
    for row in rows:
        out.append(" & ".join(_latex_escape(format_value(row.get(c), digits)) for c in cols) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(out) + "\n"


def render(rows: Sequence[Mapping], fmt: str = "markdown", columns: Iterable[str] | None = None,
           digits: int = 4, caption: str | None = None) -> str:
    """Render rows as `fmt`, one of FORMATS.

    Parameters
    ----------
    rows : sequence of mappings
        The table's rows.
    fmt : {"markdown", "csv", "latex"}
        Format (default "markdown").
    columns : iterable of str or None
        Columns in order.
    digits : int
        Significant digits (markdown and LaTeX; default 4).
    caption : str or None
        Caption (LaTeX only).

    Returns
    -------
    str
        The rendered table.

    Raises
    ------
    ValueError
        If fmt is not one of FORMATS.
    """
    if fmt == "markdown":
        return to_markdown(rows, columns, digits)
    if fmt == "csv":
        return to_csv(rows, columns)
    if fmt == "latex":
        return to_latex(rows, columns, digits, caption)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")


#: file extension -> format of every table a report writes
FILE_FORMATS = {"md": "markdown", "csv": "csv", "tex": "latex"}


BLANK_NOTE = "A blank cell: the quantity was not measured for that row (not requested, or not defined there)."


def has_blank(rows: Sequence[Mapping], columns: Iterable[str] | None = None) -> bool:
    """True when some row has no value (missing, None or "") in one of the columns.

    Parameters
    ----------
    rows : sequence of mappings
        The table's rows.
    columns : iterable of str or None
        Columns (default: the keys of the rows).

    Returns
    -------
    bool
        Whether a cell would print blank.
    """
    cols = _columns(rows, columns)
    return any(row.get(c) is None or row.get(c) == "" for row in rows for c in cols)


def write_table(out_dir, name: str, rows: list[dict], caption: str, columns=None, notes=(),
                blank: str = BLANK_NOTE) -> list[Path]:
    """`rows` as DIR/tables/<name>.{md,csv,tex}, each written atomically; returns the paths.

    Footnotes: `notes`, and `blank` when a cell is blank (`has_blank`), follow the Markdown table
    and end the LaTeX caption; the CSV stays plain data.

    Parameters
    ----------
    out_dir : str or path-like
        Run directory.
    name : str
        File stem.
    rows : list of dict
        The table's rows.
    caption : str
        LaTeX caption.
    columns : iterable of str or None
        Columns in order.
    notes : sequence of str
        Footnotes (e.g. what a clipped estimator means).
    blank : str
        The footnote of a blank cell (default `BLANK_NOTE`).

    Returns
    -------
    list of pathlib.Path
        The three files written.
    """
    notes = list(notes) + ([blank] if has_blank(rows, columns) else [])
    tables = Path(out_dir) / "tables"
    full = " ".join([caption] + notes)
    text = {"markdown": render(rows, "markdown", columns=columns) + "".join(f"\n* {n}" for n in notes)
            + ("\n" if notes else ""),
            "csv": render(rows, "csv", columns=columns), "latex": render(rows, "latex", columns=columns, caption=full)}
    return [atomic_write_text(tables / f"{name}.{ext}", text[fmt]) for ext, fmt in FILE_FORMATS.items()]
