"""`collapse validate --run DIR [--check NAME ...]`: exit 1 when a binding check is violated
beyond the measurement's uncertainty (or a control is not violated), 0 otherwise."""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", required=True, help="a directory written by `collapse reproduce`, `collapse train` or `collapse sweep`")
    parser.add_argument("--check", nargs="+", default=None,
                        help="only checks of these catalog ids (e.g. prop3.1 lemmaF.1)")
    parser.add_argument("--z", type=float, default=2.0, help="standard errors of tolerance (default 2)")


def run(args) -> int:
    import bounds
    from validate.report import all_checks, load_manifest
    from validate.tables import render

    load_manifest(args.run)
    known = set(bounds.catalog())
    if args.check:
        unknown = [c for c in args.check if c not in known]
        if unknown:
            raise ValueError(f"unknown check {unknown[0]!r}; known: {', '.join(sorted(known))}")
    checks = [c for c in all_checks(args.run) if not args.check or c.result_id.split("[")[0] in args.check]
    rows = [c.summary_row() for c in checks]
    print(render(rows, "markdown", columns=["check", "kind", "verdict", "min_margin", "passed"]), end="")
    failed = [c for c in checks if c.binding and c.failed]
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
