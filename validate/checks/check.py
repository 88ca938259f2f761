"""Measured per-generation quantities held against the results of `bounds.catalog()`.

`check(result, measured, params, ...)` compares a measurement (with its standard error) to the
result's bound on each side it has, generation by generation, and returns a `Check`: the bound,
the measurement, the margin and a verdict per generation (see `validate.checks.verdict`).

Unknown constants (C, c, c1, c2, C_bias) are fitted, not guessed: a bound linear in a constant K,
`bound = f + K g`, needs K >= (m - f)/g for every generation on one side and K <= (m - f)/g on the
other. `fit_constant` returns the tightest K and its running value over generations. A fitted check
is honest only out of sample: K is fitted on the first half of the generations (their rows carry
the verdict "fitted" and do not count) and the bound with that K, allowed to grow by the factor
`CONSTANT_SLACK` (1.5), is checked on the second half. That is the content of "≍": constants
fitted early still hold later (up to a fixed factor); a constant that keeps growing fails.
A control is a check run with `expect="violated"` (a mutated coefficient, a false budget): it
passes only when the measurement violates it.

A row whose measured value or bound is infinite, NaN or above `validate.checks.verdict.ABSURD` in
magnitude, or that a caller marks as coming from a divergent integral (`check(vacuous=...)`), is
`vacuous` with its reason; so is an upper row whose bound is at least the largest value the
quantity can take (`bounds.Result.ceiling`: TV and Hellinger <= 1), and every row of a check whose
fitted constant is absurd (Thm 3.4's c = 6.5e246 on a divergent chi2). A vacuous check neither
passes nor fails; it is counted apart.

Every check carries structured fields (`Check.scope`, `Check.run`, `Check.sources`, and the
generations of its rows) so that a reader of checks.json need not parse names:

* scope: "run" (a measurement of the run itself), "proof" (a symbolic proof, independent of any
  run) or "example" (a worked example or reference law computed beside the run, e.g. the tight
  Brownian example or the limit law of THEORY.md §5);
* run: {"directory", "learner", "target"} (and "alpha", "seed" where known) of the run measured;
* sources: where each number comes from: "measured" and "bound" each "exact" (closed form or exact
  law), "estimate" (Monte Carlo or regression, with a standard error) or "symbolic" (SymPy), and
  "constants": "fitted" when a constant was fitted from the measurements.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from bounds import symbols as S
from bounds.result import Result
from validate.checks.verdict import (FITTED, HOLDS, INCONCLUSIVE, VACUOUS, VIOLATED, join_reasons, overall,
                                     summarize_reasons, trivial_reasons, vacuity, vacuous_reasons, verdicts)

CONSTANTS = ("C", "c", "c1", "c2", "C_bias")
CONSTANT_SLACK = 1.5
SCOPES = ("run", "proof", "example")
SOURCES = ("exact", "estimate", "symbolic", "fitted")


@dataclass
class Check:
    """One result (or control) checked over generations.

    Built by `check`.

    Parameters
    ----------
    name : str
        Label of the check.
    result_id : str
        Catalog id of the result.
    side : str
        "lower", "upper" or "equal".
    rows : list of dict
        One row per generation (`verdict_rows`).
    constants : dict
        Fitted constants (`fit_linear` dicts) by name.
    expect : str
        "holds" for a check, "violated" for a control (default "holds").
    note : str
        Free text.
    binding : bool
        False for informative checks (default True).
    proof : bool
        True for a symbolic proof (default False; sets scope "proof").
    scope : str
        "run", "proof" or "example" (module docstring; default "run").
    run : dict
        The run measured: "directory", "learner", "target" (and "alpha", "seed" where known).
    sources : dict
        Source of each number: "measured", "bound" (and "constants") -> one of `SOURCES`.
    """

    name: str
    result_id: str
    side: str
    rows: list = field(default_factory=list)
    constants: dict = field(default_factory=dict)
    expect: str = HOLDS
    note: str = ""
    binding: bool = True  # False: informative (assumptions the numbers cannot certify)
    proof: bool = False  # a symbolic proof (validate.checks.proof_suite), not a measurement
    scope: str = "run"
    run: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.proof:
            self.scope = "proof"
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}, got {self.scope!r}")
        bad = {k: v for k, v in self.sources.items() if v not in SOURCES}
        if bad:
            raise ValueError(f"sources must take values in {SOURCES}, got {bad}")

    @property
    def verdict(self) -> str:
        return overall([r["verdict"] for r in self.rows])

    @property
    def passed(self) -> bool:
        """A check passes when it holds; a control passes when it is violated; a check with a
        vacuous row never does (a control violated on its sane rows but vacuous on others is
        counted vacuous, not passed)."""
        return self.verdict == self.expect and self.vacuous_rows == 0

    @property
    def failed(self) -> bool:
        """A check fails when violated beyond the uncertainty (inconclusive and vacuous are not
        failures); a control fails unless it is violated (or vacuous: it then says nothing)."""
        if self.expect == HOLDS:
            return self.verdict == VIOLATED
        return self.verdict not in (VIOLATED, VACUOUS)

    @property
    def vacuous(self) -> bool:
        """True when the check says nothing (`validate.checks.verdict.VACUOUS`)."""
        return self.verdict == VACUOUS

    @property
    def vacuous_rows(self) -> int:
        """How many of its rows are vacuous."""
        return sum(r["verdict"] == VACUOUS for r in self.rows)

    @property
    def reason(self) -> str:
        """Why the check is vacuous: the distinct reasons of its vacuous rows ("" when none)."""
        return summarize_reasons(r.get("reason", "") for r in self.rows if r["verdict"] == VACUOUS)

    @property
    def generations(self) -> list[int]:
        """The generations its rows cover, in order."""
        return [int(r["generation"]) for r in self.rows]

    @property
    def kind(self) -> str:
        """"proof", "control" (binding), "check" (binding) or "informative" (a check or a control
        on estimates that rest on an approximation, e.g. the KDE runs' companion laws)."""
        if self.proof:
            return "proof"
        if self.expect == VIOLATED and self.binding:
            return "control"
        return "check" if self.binding else "informative"

    def summary_row(self) -> dict:
        """The check as one row of checks.json and the summary table.

        Returns
        -------
        dict
            check, result, side, kind, scope, run (directory), learner, target, generations (list),
            sources (dict), verdict, reason (why vacuous), vacuous_rows, min_margin, constants,
            passed, failed, note.
        """
        margins = [r["margin"] for r in self.rows if np.isfinite(r["margin"]) and r["verdict"] != VACUOUS]
        consts = "; ".join(f"{k} = {v['value']:.4g}{'' if v['bounded'] else ' (growing)'}"
                           for k, v in self.constants.items())
        return {"check": self.name, "result": self.result_id, "side": self.side,
                "kind": self.kind, "scope": self.scope, "run": self.run.get("directory"),
                "learner": self.run.get("learner"), "target": self.run.get("target"),
                "generations": self.generations, "sources": dict(self.sources), "verdict": self.verdict,
                "reason": self.reason, "vacuous_rows": self.vacuous_rows, "min_margin": min(margins) if margins else float("nan"),
                "constants": consts, "passed": self.passed, "failed": self.failed, "note": self.note}


def flat_row(row: dict) -> dict:
    """A summary row (`Check.summary_row`) with its list and dict fields as text, for tables:
    generations as "first-last", sources as "measured exact, bound exact".

    Parameters
    ----------
    row : dict
        A summary row.

    Returns
    -------
    dict
        The same row, flat.
    """
    gens = row.get("generations") or []
    span = "" if not gens else (f"{gens[0]}" if len(gens) == 1 else f"{gens[0]}-{gens[-1]}")
    return {**row, "generations": span, "sources": ", ".join(f"{k} {v}" for k, v in (row.get("sources") or {}).items())}


def attribute(checks: list, scope: str | None = None, run: dict | None = None,
              sources: dict | None = None) -> list:
    """Set the structured fields of `checks` in place (run and sources are merged, existing keys
    kept) and return them.

    Parameters
    ----------
    checks : list of Check
        The checks.
    scope : str or None
        "run", "proof" or "example" (None: unchanged).
    run : dict or None
        Fields of the run ("directory", "learner", "target", ...) to add where missing.
    sources : dict or None
        Sources to add where missing.

    Returns
    -------
    list of Check
        The same checks.

    Raises
    ------
    ValueError
        If scope is not one of `SCOPES`.
    """
    if scope is not None and scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    for c in checks:
        if scope is not None and not c.proof:
            c.scope = scope
        c.run = {**(run or {}), **c.run}
        c.sources = {**(sources or {}), **c.sources}
    return checks


def _sides(result: Result) -> list[str]:
    if result.kind == "equality":
        return ["equal"]
    return [s for s in ("lower", "upper") if getattr(result, s) is not None]


def _part(side: str) -> str:
    return "expression" if side == "equal" else side


def _measure(result: Result, measured, params: dict):
    if measured is not None:
        return np.asarray(measured, dtype=float)
    return np.asarray(result.function("quantity", validate=False)(**params), dtype=float)


def fit_constant(result: Result, side: str, name: str, measured, params: dict, upto: int | None = None) -> dict:
    """Tightest value of constant `name` making `side` of `result` hold (see `fit_linear`); the
    bound must be linear in the constant: bound = f + K g.

    Parameters
    ----------
    result : bounds.Result
        The result.
    side : str
        "lower", "upper" or "equal".
    name : str
        The constant's parameter name (e.g. "c2").
    measured : array_like
        Measured values over generations.
    params : dict
        The result's other parameters.
    upto : int or None
        Fit on generations [0, upto) (default: all).

    Returns
    -------
    dict
        As `fit_linear`.

    Raises
    ------
    ValueError
        If the bound is not linear in the constant (or does not depend on it), or a parameter the
        bound needs is missing.
    """
    expr = getattr(result, _part(side))
    sym = S.BY_NAME[name]
    g_expr = sp.diff(expr, sym)
    if sym in g_expr.free_symbols or g_expr == 0:
        raise ValueError(f"{result.id} {side} is not linear in {name}")
    others = {k: v for k, v in params.items() if k != name}
    return fit_linear(measured, _evaluate(expr.subs(sym, 0), others), _evaluate(g_expr, others), side, upto)


def fit_linear(measured, f, g, side: str, upto: int | None = None) -> dict:
    """Tightest K with `measured` on `side` of f + K g at every generation in [0, upto).

    K >= (m - f)/g is needed when the bound is an upper one with g > 0 (or a lower one with g < 0),
    else K <= (m - f)/g is allowed. "fitted" is the tightest K over [0, upto); "value" is it loosened
    by CONSTANT_SLACK; "running" holds the prefix fits over every generation; "bounded" says whether
    the running fit stayed within "value" after the fitting window.

    Parameters
    ----------
    measured, f, g : array_like
        Measured values and the two parts of the bound f + K g, over generations.
    side : str
        "lower" or "upper" (the side the measured value must lie on).
    upto : int or None
        Fit on generations [0, upto) (default: all).

    Returns
    -------
    dict
        "value", "fitted", "running", "fitted_on", "direction" and "bounded".
    """
    f, g = np.asarray(f, dtype=float), np.asarray(g, dtype=float)
    m = np.broadcast_to(np.asarray(measured, dtype=float), np.broadcast(f, g).shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (m - f) / g
    needs_at_least = (side == "upper") == bool(np.all(g > 0))
    ratio = np.where(np.isfinite(ratio), ratio, -np.inf if needs_at_least else np.inf)
    running = np.maximum.accumulate(ratio) if needs_at_least else np.minimum.accumulate(ratio)
    if needs_at_least:
        running = np.maximum(running, 0.0)  # the constants are nonnegative
    running = np.atleast_1d(running)
    upto = len(running) if upto is None else max(1, min(int(upto), len(running)))
    fitted, end = running[upto - 1], running[-1]
    if needs_at_least:
        value = CONSTANT_SLACK * fitted
        bounded = bool(end <= value + 1e-12)
    else:
        value = fitted / CONSTANT_SLACK
        bounded = bool(end > 0 and end >= value)
    return {"value": float(value), "fitted": float(fitted), "running": running.tolist(), "fitted_on": upto,
            "direction": "min needed" if needs_at_least else "max allowed", "bounded": bounded}


def verdict_rows(generations, measured, stderr, bound, margin, verdict, reasons=None) -> list[dict]:
    """One dict per generation: generation, measured, stderr, bound, margin, verdict, reason.

    A row whose measured value or bound is vacuous (`validate.checks.verdict.vacuous_reasons`) or has a
    reason given is "vacuous" whatever `verdict` says; "reason" is "" on the other rows.

    Parameters
    ----------
    generations, measured, stderr, bound, margin, verdict : array_like
        Per-generation values (stderr broadcast against measured).
    reasons : array_like of str or None
        Further per-generation reasons for a vacuous row (e.g. a divergent integral; "" for none).

    Returns
    -------
    list of dict
        One row per generation.
    """
    m = np.ravel(measured)
    se = np.broadcast_to(np.asarray(stderr, dtype=float), m.shape)
    b = np.broadcast_to(np.asarray(bound, dtype=float).ravel() if np.ndim(bound) else bound, m.shape)
    why = join_reasons(vacuous_reasons(m, b), "" if reasons is None else np.ravel(np.asarray(reasons, dtype=object)))
    v = np.where(why != "", VACUOUS, np.ravel(verdict))
    return [{"generation": int(gg), "measured": float(mm), "stderr": float(ss), "bound": float(bb),
             "margin": float(mg), "verdict": str(vv), "reason": str(rr)}
            for gg, mm, ss, bb, mg, vv, rr in zip(np.ravel(generations), m, se, b, np.ravel(margin), v, why)]


def _evaluate(expr, params: dict):
    names = [S.NAME_OF[s] for s in expr.free_symbols if s in S.NAME_OF]
    missing = [k for k in names if k not in params]
    if missing:
        raise ValueError(f"missing parameter(s) {', '.join(missing)}")
    fn = sp.lambdify([S.BY_NAME[k] for k in names], expr, "numpy")
    return np.asarray(fn(*[np.asarray(params[k], dtype=float) for k in names]), dtype=float)


def check(result: Result, measured=None, params: dict | None = None, stderr=0.0, *, side: str | None = None,
          generations=None, fit: tuple = (), fixed: dict | None = None, expect: str = HOLDS,
          name: str | None = None, z: float = 2.0, rtol: float = 1e-8, atol: float = 0.0, note: str = "",
          in_regime_only: bool = False, binding: bool = True, vacuous=None, sources: dict | None = None,
          scope: str = "run") -> list[Check]:
    """Check `result` against `measured` (per generation) on each of its sides (or `side`).

    params: the result's parameters (arrays over generations or scalars). fit: constants to fit
    from the data (see module docstring); fixed: constants given (default 0 for any not fitted).
    in_regime_only: generations outside the result's conditions get verdict "inconclusive".
    Rows with an infinite, NaN or absurd measured value or bound, or a reason in `vacuous`, upper
    rows whose bound is at least `result.ceiling` (trivially true), and every row of a side whose
    fitted constant is infinite or absurd, are "vacuous" (module docstring).

    Parameters
    ----------
    result : bounds.Result
        The result to check.
    measured : array_like or None
        Measured quantity per generation (None: computed from params).
    params : dict or None
        The result's parameters.
    stderr : float or array_like
        Standard errors of measured (default 0).
    side : str or None
        Check only this side (default: every side the result has).
    generations : array_like or None
        Generation numbers of the rows (default 0, 1, ...).
    fit : tuple of str
        Constants fitted from the first half of the generations.
    fixed : dict or None
        Constants given.
    expect : str
        "holds" (a check) or "violated" (a control).
    name : str or None
        Label (default: the result id, with the side when there are several).
    z, rtol, atol : float
        As `validate.checks.verdict.verdicts`.
    note : str
        Free text.
    in_regime_only : bool
        Mark generations outside the result's conditions inconclusive.
    binding : bool
        False for an informative check.
    vacuous : str or array_like of str or None
        Per-generation reasons why a row says nothing although its numbers look finite (a box
        integral of a divergent chi2, ...); "" or None for none.
    sources : dict or None
        Sources of the numbers (`SOURCES`); default: "measured" is "estimate" when a standard error
        is nonzero, else "exact", "bound" is "exact", "constants" is "fitted" when one is.
    scope : str
        "run", "proof" or "example" (default "run").

    Returns
    -------
    list of Check
        One per side.

    Raises
    ------
    ValueError
        If a parameter the result needs is missing, a fitted constant is not linear in the bound,
        z < 0, or side is not one of "lower", "upper", "equal".
    """
    params = dict(params or {})
    for k, v in (fixed or {}).items():
        params[k] = v
    sides = [side] if side else _sides(result)
    m = _measure(result, measured, params)
    out = []
    for s in sides:
        expr = getattr(result, _part(s))
        needed = {S.NAME_OF[x] for x in expr.free_symbols if x in S.NAME_OF}
        consts = {}
        local = dict(params)
        split = max(1, m.size // 2) if any(k in needed for k in fit) else 0
        for k in CONSTANTS:
            if k in needed and k not in local:
                if k in fit:
                    consts[k] = fit_constant(result, s, k, m, local, upto=split)
                    local[k] = consts[k]["value"]
                else:
                    local[k] = 0.0
        bound = np.asarray(result.function(_part(s), validate=False)(**local), dtype=float)
        v, margin = verdicts(m, bound, s, stderr=stderr, z=z, rtol=rtol, atol=atol)
        m_b, b_b = np.broadcast_arrays(m, bound)
        if in_regime_only and result.conditions:
            ok = np.broadcast_to(result.in_regime(**local), m_b.shape)
            v = np.where(ok, v, INCONCLUSIVE)
        if split:
            v = np.where(np.arange(v.size).reshape(v.shape) < split, FITTED, v)
        gens = np.arange(m_b.size) if generations is None else np.asarray(generations)
        absurd = [vacuity(c["value"], f"fitted constant {k}").item() for k, c in consts.items()]
        why = join_reasons(np.broadcast_to(np.asarray("" if vacuous is None else vacuous, dtype=object), m_b.shape),
                           trivial_reasons(b_b, s, result.ceiling), *[a for a in absurd if a])
        rows = verdict_rows(gens, m_b, stderr, b_b, margin, v, why)
        label = name or (result.id if len(sides) == 1 else f"{result.id} ({s})")
        src = {"measured": "estimate" if np.any(np.asarray(stderr, dtype=float) != 0) else "exact", "bound": "exact"}
        if consts:
            src["constants"] = "fitted"
        out.append(Check(label, result.id, s, rows, consts, expect, note, binding, scope=scope,
                         sources={**src, **(sources or {})}))
    return out
