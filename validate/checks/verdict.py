"""Measured value against a bound, with the measurement's uncertainty.

For an upper bound B on a quantity measured as x with standard error s (z standard errors wide)::

  holds         if x + z s <= B,
  violated      if x - z s >  B,
  inconclusive  otherwise.

Lower bounds mirror this. Exact measurements have s = 0, so they are never inconclusive. The
margin and the slack (rtol, atol) are `bounds.tolerance.margin_and_slack`, the rule
`bounds.Result.holds` uses too, so a bound that holds for one holds for the other.

A fourth outcome, ``vacuous``, comes before all three: a comparison in which the measured value or
the bound is infinite, NaN or absurdly large (``|x| > ABSURD``, 1e12: no quantity of THEORY.md §2
in a regime the bounds speak about is that large; a box integral of a divergent chi2, 1e279, is)
says nothing, whatever the inequality between the two numbers; so does an upper bound at or above
the largest value its quantity can take (TV, Hellinger <= 1: `trivial_reasons`, applied by
`validate.checks.check.check` from `bounds.Result.ceiling`). Its reason is kept as data
(`vacuous_reasons`); it is counted apart and never as passed (THEORY.md §8, "Tails decide chi2").
"""
from __future__ import annotations

import re

import numpy as np

from bounds.tolerance import margin_and_slack

HOLDS, VIOLATED, INCONCLUSIVE = "holds", "violated", "inconclusive"
VACUOUS = "vacuous"  # an infinite, NaN or absurd number on either side: the comparison says nothing
FITTED = "fitted"  # rows used to fit a constant: they hold by construction and do not count
ABSURD = 1e12  # a measured value, bound or fitted constant larger than this in magnitude is vacuous


def vacuity(value, name: str) -> np.ndarray:
    """Per-element reason why `value` cannot enter a verdict ("" where it can).

    Parameters
    ----------
    value : array_like
        Numbers (a measured value, a bound or a fitted constant).
    name : str
        What they are, for the reason ("measured", "bound", "constant c").

    Returns
    -------
    numpy.ndarray of str
        "measured = inf (not finite)", "bound = 3.2e+278 (above 1e+12)", or "" where the value is sane.
    """
    x = np.asarray(value, dtype=float)
    out = np.full(x.shape, "", dtype=object)
    with np.errstate(invalid="ignore"):
        absurd = np.isfinite(x) & (np.abs(x) > ABSURD)
    for idx in np.argwhere(~np.isfinite(x) | absurd):
        idx = tuple(idx)
        v = float(x[idx])
        out[idx] = f"{name} = {v:.4g} " + ("(not finite)" if not np.isfinite(v) else f"(above {ABSURD:.0e})")
    return out


def reason_kind(reason: str) -> str:
    """A reason clause without its number, to group reasons ("measured = inf (not finite)" ->
    "measured not finite", "fitted constant c = 6.5e+246 (above 1e+12)" -> "fitted constant c above
    1e+12").

    Parameters
    ----------
    reason : str
        One clause of a reason.

    Returns
    -------
    str
        The clause with " = <number>" and the brackets removed.
    """
    return re.sub(r"[()]", "", re.sub(r" = \S+| \[\d+ rows\]", "", reason)).strip()


def summarize_reasons(reasons) -> str:
    """Distinct reasons of many rows in one string: the first clause of each kind (`reason_kind`),
    with the number of rows that have that kind when more than one.

    Parameters
    ----------
    reasons : iterable of str
        Row reasons, each "; "-joined clauses ("" for none).

    Returns
    -------
    str
        E.g. "measured = 6.8e+283 (above 1e+12) [3 rows]; fitted constant c = 6.5e+125 (above 1e+12) [4 rows]".
    """
    first, count = {}, {}
    for reason in reasons:
        for clause in dict.fromkeys(c for c in str(reason).split("; ") if c):
            kind = reason_kind(clause)
            first.setdefault(kind, clause)
            count[kind] = count.get(kind, 0) + 1
    return "; ".join(first[k] + (f" [{count[k]} rows]" if count[k] > 1 else "") for k in first)


def vacuous_reasons(measured, bound) -> np.ndarray:
    """Per-element reasons why `measured` against `bound` is vacuous ("" where it is not): either
    side infinite, NaN or above `ABSURD` in magnitude.

    Parameters
    ----------
    measured, bound : array_like
        Measured values and bounds (broadcast).

    Returns
    -------
    numpy.ndarray of str
        The reasons, "; "-joined when both sides are at fault.
    """
    x, b = np.broadcast_arrays(np.asarray(measured, dtype=float), np.asarray(bound, dtype=float))
    return join_reasons(vacuity(x, "measured"), vacuity(b, "bound"))


def trivial_reason(ceiling: float) -> str:
    """The reason of an upper bound at or above the largest value its quantity can take."""
    return f"bound >= {ceiling:g}, the largest possible value: trivially true"


def trivial_reasons(bound, side: str, ceiling) -> np.ndarray:
    """Per-element reasons why an upper `bound` says nothing because it is at least `ceiling`, the
    largest value the quantity can take (TV and Hellinger <= 1: `bounds.Result.ceiling`); "" elsewhere,
    on lower and equality sides, and when `ceiling` is None.

    Parameters
    ----------
    bound : array_like
        Bounds.
    side : str
        "lower", "upper" or "equal".
    ceiling : float or None
        The quantity's largest possible value.

    Returns
    -------
    numpy.ndarray of str
        `trivial_reason(ceiling)` where side is "upper" and ceiling <= bound < inf (an infinite bound
        has its own reason, `vacuous_reasons`), else "".
    """
    b = np.asarray(bound, dtype=float)
    out = np.full(b.shape, "", dtype=object)
    if side == "upper" and ceiling is not None:
        out[np.isfinite(b) & (b >= ceiling)] = trivial_reason(ceiling)
    return out


def join_reasons(*reasons) -> np.ndarray:
    """Element-wise "; "-join of reason arrays, skipping empty strings.

    Parameters
    ----------
    *reasons : array_like of str
        Reason arrays (broadcast).

    Returns
    -------
    numpy.ndarray of str
        The joined reasons.
    """
    arrays = np.broadcast_arrays(*[np.asarray(r, dtype=object) for r in reasons])
    out = np.empty(arrays[0].shape, dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = "; ".join(str(a[idx]) for a in arrays if a[idx])
    return out


def verdicts(measured, bound, side: str, stderr=0.0, z: float = 2.0, rtol: float = 1e-9, atol: float = 0.0):
    """Per-element verdict strings and margins for `measured` against `bound` on `side`.

    Vacuous where either side is infinite, NaN or above `ABSURD` (`vacuous_reasons`); otherwise
    holds when the margin is at least ``-(z stderr + slack)``, violated when below it by more than
    ``z stderr`` (equality: holds within ``z stderr + slack``), inconclusive otherwise or for a NaN
    margin; the slack is the tolerance rule of `bounds.tolerance` shared with `bounds.Result.holds`.

    Parameters
    ----------
    measured, bound : array_like
        Measured values and bounds (broadcast).
    side : {"lower", "upper", "equal"}
        Which side of the bound the value must lie on.
    stderr : float or array_like
        Standard errors of the measured values (default 0).
    z : float >= 0
        Number of standard errors allowed (default 2).
    rtol, atol : float
        Relative and absolute slack (defaults 1e-9 and 0).

    Returns
    -------
    verdict, margin : numpy.ndarray
        "holds", "violated", "inconclusive" or "vacuous" per element, and the signed margins.

    Raises
    ------
    ValueError
        If z < 0 or side is not one of the three.
    """
    if z < 0:
        raise ValueError(f"z must be >= 0, got {z}")
    margin, tol = margin_and_slack(measured, bound, side, rtol, atol)
    x, b = np.broadcast_arrays(np.asarray(measured, dtype=float), np.asarray(bound, dtype=float))
    s = np.broadcast_to(np.asarray(stderr, dtype=float), x.shape)
    with np.errstate(invalid="ignore"):  # a nan margin (inf - inf) is inconclusive unless x == b
        if side == "equal":
            out = np.where(-margin <= z * s + tol, HOLDS, VIOLATED)
        else:
            out = np.where(margin - z * s >= -tol, HOLDS,
                           np.where(margin + z * s < -tol, VIOLATED, INCONCLUSIVE))
    out = np.where(np.isnan(margin), INCONCLUSIVE, out)
    out = np.where(x == b, HOLDS, out)
    out = np.where(vacuous_reasons(x, b) != "", VACUOUS, out)  # also inf == inf: it says nothing
    return out.astype(str), margin


def overall(verdict_array) -> str:
    """One word for many: violated if any is, else vacuous if any is, else inconclusive if any is,
    else holds (rows marked "fitted" are ignored). A real violation on sane numbers outweighs
    vacuous rows; a vacuous row keeps the whole check from reading "holds".

    Parameters
    ----------
    verdict_array : array_like of str
        Per-row verdicts.

    Returns
    -------
    str
        "violated", "vacuous", "inconclusive" or "holds" ("inconclusive" when no row counts).
    """
    v = np.asarray(verdict_array)
    v = v[v != FITTED]
    if v.size == 0:
        return INCONCLUSIVE
    if np.any(v == VIOLATED):
        return VIOLATED
    if np.any(v == VACUOUS):
        return VACUOUS
    if np.any(v == INCONCLUSIVE):
        return INCONCLUSIVE
    return HOLDS
