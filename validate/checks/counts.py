"""Counts of check rows by what they concern: the run's binding checks apart from proofs and examples.

A headline count must not add symbolic proofs (true of any run) or worked examples (the tight
Brownian example, the limit law's reference mixtures) to the checks of the run itself, and must
not count a vacuous check (an infinite or absurd number, `validate.checks.verdict.VACUOUS`) as passed.
`count_rows` sorts the summary rows of `validate.checks.check.Check.summary_row` into:

* run-specific binding checks and controls (scope "run", kind "check" or "control"): passed,
  failed, inconclusive, vacuous (with their reasons; a check with a vacuous row that did not fail
  is vacuous);
* informative run checks (kind "informative"), of which vacuous;
* proof rows and example rows: passed of total.

`concerns_run` says whether any run-specific binding check says something (is not vacuous):
`collapse validate` exits `NOTHING_BINDING` (3) when none does.
"""
from __future__ import annotations

from collections import Counter

from validate.checks.verdict import reason_kind

#: exit status of `collapse validate` when no binding check concerns the run
NOTHING_BINDING = 3


def _outcome(row: dict) -> str:
    if row["verdict"] == "vacuous" or (row.get("vacuous_rows", 0) and not row["failed"]):
        return "vacuous"
    if row["failed"]:
        return "failed"
    return "passed" if row["passed"] else "inconclusive"


def count_rows(rows: list[dict]) -> dict:
    """Counts of summary rows (module docstring).

    Parameters
    ----------
    rows : list of dict
        `Check.summary_row()` dicts (with "scope", "kind", "verdict", "passed", "failed", "reason").

    Returns
    -------
    dict
        "run_binding": {"passed", "failed", "inconclusive", "vacuous": int}, "vacuous_reasons":
        {reason kind: count} over the run's binding rows, "informative": {"total", "vacuous"},
        "proof" and "example": {"passed", "total"}.
    """
    run_binding = [r for r in rows if r.get("scope", "run") == "run" and r["kind"] in ("check", "control")]
    outcomes = Counter(_outcome(r) for r in run_binding)
    informative = [r for r in rows if r["kind"] == "informative"]
    out = {"run_binding": {k: outcomes.get(k, 0) for k in ("passed", "failed", "inconclusive", "vacuous")},
           "vacuous_reasons": dict(Counter(reason_kind((r.get("reason") or "no reason given").split("; ")[0])
                                           for r in run_binding if _outcome(r) == "vacuous")),
           "informative": {"total": len(informative), "vacuous": sum(r["verdict"] == "vacuous" for r in informative)}}
    for scope in ("proof", "example"):
        mine = [r for r in rows if r.get("scope") == scope]
        out[scope] = {"passed": sum(bool(r["passed"]) for r in mine), "total": len(mine)}
    return out


def concerns_run(counts: dict) -> bool:
    """True when at least one run-specific binding check or control is not vacuous.

    Parameters
    ----------
    counts : dict
        As `count_rows`.

    Returns
    -------
    bool
        Whether anything binding was said about the run.
    """
    c = counts["run_binding"]
    return c["passed"] + c["failed"] + c["inconclusive"] > 0


def counts_line(counts: dict) -> str:
    """One line of the counts, e.g. "run-specific binding checks and controls: 40 passed, 0 failed,
    2 inconclusive; vacuous: 12 (measured not finite: 12); informative: 6 (2 vacuous); proof rows:
    14/14 passed; example rows: 2/2 passed".

    Parameters
    ----------
    counts : dict
        As `count_rows`.

    Returns
    -------
    str
        The line.
    """
    b = counts["run_binding"]
    why = ", ".join(f"{k}: {n}" for k, n in sorted(counts["vacuous_reasons"].items()))
    inf = counts["informative"]
    return (f"run-specific binding checks and controls: {b['passed']} passed, {b['failed']} failed, "
            f"{b['inconclusive']} inconclusive; vacuous: {b['vacuous']}" + (f" ({why})" if why else "")
            + f"; informative: {inf['total']} ({inf['vacuous']} vacuous)"
            + f"; proof rows: {counts['proof']['passed']}/{counts['proof']['total']} passed"
            + f"; example rows: {counts['example']['passed']}/{counts['example']['total']} passed")
