"""`collapse bounds`: the accumulated-drift table D_N (THEORY.md §3 recursion) and the catalog in LaTeX.

collapse bounds --alpha 0.1 0.5 0.9 --eps2 1e-3 --generations 20 --format markdown|csv|latex
collapse bounds --latex
"""
from __future__ import annotations

import argparse

import numpy as np

COLUMNS = ("alpha", "eps2", "generation", "accumulated", "steady_state", "memory_horizon")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--alpha", type=float, nargs="+", default=[0.1, 0.5, 0.9],
                        help="fresh-data fractions in [0, 1] (default: 0.1 0.5 0.9)")
    parser.add_argument("--eps2", type=float, nargs="+", default=[1e-3],
                        help="constant per-generation score error(s) eps2 >= 0 (default: 1e-3)")
    parser.add_argument("--generations", type=int, default=20, help="last generation N >= 0 (default: 20)")
    parser.add_argument("--D0", type=float, default=0.0, help="initial divergence D_0 >= 0 (default: 0)")
    parser.add_argument("--format", choices=("markdown", "csv", "latex"), default="markdown")
    parser.add_argument("--latex", action="store_true", help="print every catalog result in LaTeX and exit")


def table(alphas, eps2s, generations: int, D0: float = 0.0) -> list[dict]:
    """Rows of D_N = (1-alpha)^{2N} D0 + eps2 (1 - (1-alpha)^{2N}) / (alpha (2 - alpha)), N = 0..generations."""
    from bounds import accumulated, memory_horizon, steady_state
    from bounds.validation import check_generations

    check_generations("generations", generations)
    rows = []
    for a in alphas:
        for e in eps2s:
            values = accumulated(a, e, np.arange(generations + 1), D0)
            steady, horizon = float(steady_state(a, e)), float(memory_horizon(a))
            rows += [dict(alpha=a, eps2=e, generation=g, accumulated=float(v), steady_state=steady,
                          memory_horizon=horizon) for g, v in enumerate(values)]
    return rows


def render(rows: list[dict], fmt: str) -> str:
    from validate.tables import render as render_rows

    return render_rows(rows, fmt, columns=COLUMNS, digits=6, caption="Accumulated drift D_N of the recursion")


def catalog_latex() -> str:
    from bounds import catalog

    out = []
    for rid, result in catalog().items():
        out.append(f"% {rid}: {result.statement}\n% source: {result.source}\n\\[ {result.latex()} \\]")
    return "\n\n".join(out) + "\n"


def run(args) -> int:
    if args.latex:
        print(catalog_latex(), end="")
        return 0
    print(render(table(args.alpha, args.eps2, args.generations, args.D0), args.format), end="")
    return 0
