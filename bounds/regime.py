"""Which long-run regime a pipeline is in (THEORY.md §3 "Regimes", derived from the recursion
D_{n+1} = (1-alpha)^2 D_n + eps2_n, D_0 = D0 >= 0, eps2_n >= 0).

Each label says what happens to D_N and to sum_N D_N (`Regime.drift`, `Regime.total`):

| name | when | D_N | sum D_N |
|---|---|---|---|
| "no_drift" | eps2 = 0 and D0 = 0 | = 0 | = 0 |
| "geometric_forgetting" | alpha > 0, summable errors | -> 0 | finite (Thm 4.2 weights) |
| "slow_forgetting" | alpha > 0, eps2_n -> 0 not summable | -> 0 | infinite (Prop 4.1 (i)) |
| "persistent_drift" | alpha > 0, 0 < limsup eps2_n < inf | bounded, limsup > 0 (Prop 4.1 (ii)) | infinite |
| "frozen_drift" | alpha = 0, summable errors (or D0 > 0) | -> D0 + sum eps2 in (0, inf) | infinite |
| "unbounded" | alpha = 0 with non-summable errors, or limsup eps2_n = inf | -> inf (limsup) | infinite |

Why (derived): with beta = (1-alpha)^2 < 1, D_N = beta^N D0 + sum_k beta^{N-1-k} eps2_k tends to 0
iff eps2_n -> 0, is bounded iff eps2 is, and D_{n+1} >= eps2_n gives limsup D >= limsup eps2;
sum_N D_N = (D0 + sum eps2) / (1 - beta) up to the boundary term, finite iff eps2 is summable
(Prop 4.1 (i) is the "only if"). At alpha = 0, D_N = D0 + sum_{k<N} eps2_k forgets nothing.
Prop 4.1 (ii) (eventually eps2_i >= eps_floor > 0, eta_i >= eta_floor) lands in "persistent_drift"
(alpha > 0) or "unbounded" (alpha = 0). The large-error regime has no lower bound in the paper (open).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import sympy as sp

from .symbols import n
from .validation import as_float_array, check_nonnegative, check_unit_interval


@dataclasses.dataclass(frozen=True)
class Regime:
    """A regime name, the reason (which result decides it), and what D_N (`drift`) and
    sum_N D_N (`total`) do. Unpacks as (name, reason).

    Parameters
    ----------
    name : str
        Regime name ("no_drift", "geometric_forgetting", "slow_forgetting", "persistent_drift",
        "frozen_drift" or "unbounded").
    reason : str
        Which result decides it (THEORY.md §3).
    drift : str
        What D_N does (default "").
    total : str
        What sum_N D_N does (default "").
    """

    name: str
    reason: str
    drift: str = ""
    total: str = ""

    def __iter__(self):
        return iter((self.name, self.reason))


_PROP41_I = "Prop 4.1 (i): errors not summable => sum D_i = inf"
_TABLE = {
    "no_drift": ("D_N = 0 for every N", "sum D_N = 0",
                 "no error and D_0 = 0: the recursion stays at 0"),
    "geometric_forgetting": ("D_N -> 0", "sum D_N < inf",
                             "alpha > 0 with summable errors: errors forgotten with weights (1-alpha)^{2m} (Thm 4.2)"),
    "slow_forgetting": ("D_N -> 0", "sum D_N = inf",
                        "alpha > 0, eps2_n -> 0 but not summable: D_N follows eps2_N down, yet " + _PROP41_I),
    "persistent_drift": ("D_N bounded with limsup D_N > 0", "sum D_N = inf",
                         "alpha > 0 with a persistent error floor: limsup D_i >= limsup eps2_i > 0; with "
                         "eta_i >= eta_floor the floor alpha eta_floor eps_floor / (16 (1 + (1-alpha)^2)) "
                         "of Prop 4.1 (ii)"),
    "frozen_drift": ("D_N -> D_0 + sum eps2_n, finite and > 0", "sum D_N = inf",
                     "alpha = 0 with summable errors: D_N = D_0 + sum eps2 forgets nothing and never returns; "
                     "sum D_i = inf"),
    "unbounded": ("D_N -> inf (limsup)", "sum D_N = inf",
                  "D_N grows without bound (alpha = 0 with non-summable errors: D_N = D_0 + sum eps2, or "
                  "growing errors); " + _PROP41_I),
}


def _regime(name: str, extra: str = "") -> Regime:
    drift, total, reason = _TABLE[name]
    return Regime(name, reason + extra, drift, total)


def _decide(alpha_positive: bool, zero_errors: bool, D0_positive: bool, limsup, summable: bool) -> Regime:
    """The table of the module docstring. limsup: 0, a positive number, or inf (sp.oo / np.inf)."""
    if zero_errors:
        if not D0_positive:
            return _regime("no_drift")
        return _regime("geometric_forgetting" if alpha_positive else "frozen_drift",
                       " (no error: only D_0 > 0)")
    if limsup == sp.oo or limsup == np.inf:
        return _regime("unbounded")
    if not alpha_positive:
        return _regime("frozen_drift" if summable else "unbounded")
    if limsup > 0:
        return _regime("persistent_drift")
    return _regime("geometric_forgetting" if summable else "slow_forgetting")


def regime(alpha, eps2, *, D0=0, persistent_slope: float = 0.1, tail_fraction: float = 0.5) -> Regime:
    """Classify (alpha, eps2, D0) into one of the regimes of the module docstring.

    Parameters
    ----------
    alpha : number in [0, 1], or a SymPy expression (e.g. `bounds.symbols.alpha`): decided for
        alpha > 0, the reason naming the assumption and the regime at alpha = 0.
    eps2 : a number or SymPy constant (constant errors), a SymPy expression in `bounds.symbols.n`
        (decided symbolically: the limit superior via the limit n -> oo, taken along even and odd
        n when the schedule contains (-1)^n, summability via Sum.is_convergent), or an array over
        generations (a documented numeric rule, below). A positive constant factor (e.g. the
        symbol eps2) is taken as > 0.
    D0 : the initial drift D_0 >= 0 (default 0, the pipeline's convention p^0 = data); a SymPy
        symbol (e.g. `bounds.symbols.D0`) is taken as > 0, the reason saying so.
    persistent_slope, tail_fraction : the array rule. The log-log slope s of eps2_n against n + 1
        is fitted over the last `tail_fraction` of the generations; s > persistent_slope: growing
        errors (limsup inf); ``|s| <= persistent_slope``: a persistent floor; -1 <= s < -persistent_slope:
        eps2 -> 0, not summable; s < -1 (or an all-zero tail): summable. A finite array cannot prove
        summability: treat the array rule as a diagnostic.

    Returns
    -------
    Regime (name, reason, drift, total).

    Raises
    ------
    ValueError
        alpha outside [0, 1], a negative eps2 or D0, an array shorter than 4 generations, a
        tail_fraction outside (0, 1], or a schedule whose limit or summability SymPy cannot decide.
    """
    notes = []
    if isinstance(alpha, sp.Basic) and not alpha.is_number:
        if alpha.is_zero:
            alpha_positive = False
        else:  # a library symbol (alpha >= 0): decided for alpha > 0, the alpha = 0 answer named
            alpha_positive = True
            if not alpha.is_positive:
                at_zero = regime(0, eps2.subs(alpha, 0) if isinstance(eps2, sp.Basic) else eps2,
                                 D0=D0.subs(alpha, 0) if isinstance(D0, sp.Basic) else D0,
                                 persistent_slope=persistent_slope, tail_fraction=tail_fraction)
                notes.append(f" (assuming alpha > 0; at alpha = 0: {at_zero.name})")
    else:
        check_unit_interval("alpha", alpha)
        if np.ndim(alpha) != 0:
            raise ValueError(f"alpha must be a single number in [0, 1], got shape {np.shape(alpha)}")
        alpha_positive = float(alpha) > 0.0
    if isinstance(D0, sp.Basic) and not D0.is_number:
        D0_positive = not D0.is_zero
        if D0.is_positive is None and not D0.is_zero:
            notes.append(" (assuming D0 > 0)")
    else:
        check_nonnegative("D0", D0)
        if np.ndim(D0) != 0:
            raise ValueError(f"D0 must be a single number >= 0, got shape {np.shape(D0)}")
        D0_positive = bool(float(D0) > 0)
    found = _classify(alpha, eps2, alpha_positive, D0_positive, persistent_slope, tail_fraction)
    return dataclasses.replace(found, reason=found.reason + "".join(notes)) if notes else found


def _classify(alpha, eps2, alpha_positive, D0_positive, persistent_slope, tail_fraction) -> Regime:
    if isinstance(eps2, sp.Basic):
        return _symbolic(sp.sympify(eps2), alpha_positive, D0_positive)
    e = as_float_array("eps2", eps2)
    check_nonnegative("eps2", e)
    if e.ndim == 0:
        return _decide(alpha_positive, bool(e == 0), D0_positive, float(e), bool(e == 0))
    return _numeric(e, alpha_positive, D0_positive, persistent_slope, tail_fraction)


def _parity_branches(e: sp.Expr) -> list[sp.Expr]:
    """e itself, or e along even and odd n (n = 2m, 2m + 1, rewritten in n) when e contains (-1)^n."""
    if not any(isinstance(a, sp.Pow) and a.base == -1 and a.exp.has(n) for a in e.atoms(sp.Pow)):
        return [e]
    m = sp.Dummy("m", integer=True, nonnegative=True)
    return [sp.simplify(sp.powsimp(sp.expand_power_exp(e.subs(n, 2 * m + r)), force=True)).subs(m, n)
            for r in (0, 1)]


def _limsup(e: sp.Expr):
    tops = []
    for branch in _parity_branches(e):
        try:
            tail = sp.limit(branch, n, sp.oo)
        except (NotImplementedError, ValueError, TypeError) as exc:
            raise ValueError(f"cannot decide the limit of eps2_n = {e} as n -> oo ({exc})") from None
        if isinstance(tail, sp.AccumBounds):
            tail = tail.max
        if tail.is_extended_real is False or tail.has(sp.nan):
            raise ValueError(f"cannot decide the limit of eps2_n = {e} as n -> oo (got {tail})")
        tops.append(tail)
    top = sp.Max(*tops)
    if top.is_extended_nonnegative is not True:
        raise ValueError(f"eps2 must be >= 0, got eps2_n = {e} with limit {top}")
    return top


def _summable(e: sp.Expr) -> bool:
    for branch in _parity_branches(e):
        try:
            convergent = sp.Sum(branch, (n, 0, sp.oo)).is_convergent()
        except (NotImplementedError, ValueError, TypeError):
            convergent = None
        if convergent is sp.false or convergent is False:
            return False
        if not (convergent is sp.true or convergent is True):
            raise ValueError(f"cannot decide whether sum_n eps2_n converges for eps2_n = {e}")
    return True


def _symbolic(e: sp.Expr, alpha_positive: bool, D0_positive: bool) -> Regime:
    e = sp.nsimplify(e, rational=True) if e.atoms(sp.Float) else e
    if n not in e.free_symbols:
        if e.is_zero:
            return _decide(alpha_positive, True, D0_positive, 0, True)
        if e.is_nonnegative is False:
            raise ValueError(f"eps2 must be >= 0, got {e}")
        r = _decide(alpha_positive, False, D0_positive, sp.oo if e is sp.oo else 1, False)
        return r if e.is_positive else dataclasses.replace(r, reason=r.reason + " (assuming eps2 > 0)")
    scale, shape = e.as_independent(n, as_Add=False)  # eps2 * (n-dependent part)
    if scale.is_zero or shape.is_zero:
        return _decide(alpha_positive, True, D0_positive, 0, True)
    top = _limsup(shape)
    if top.is_positive or top is sp.oo:
        return _decide(alpha_positive, False, D0_positive, sp.oo if top is sp.oo else 1, False)
    return _decide(alpha_positive, False, D0_positive, 0, _summable(shape))


def _numeric(e: np.ndarray, alpha_positive: bool, D0_positive: bool, persistent_slope: float,
             tail_fraction: float) -> Regime:
    if e.ndim != 1 or e.size < 4:
        raise ValueError(f"eps2 must be a 1-D array of at least 4 generations, got shape {e.shape}")
    if not 0 < tail_fraction <= 1:
        raise ValueError(f"tail_fraction must be in (0, 1], got {tail_fraction}")
    if not np.isfinite(persistent_slope) or persistent_slope < 0:
        raise ValueError(f"persistent_slope must be a finite number >= 0, got {persistent_slope}")
    if np.any(np.isinf(e)):
        return dataclasses.replace(_regime("unbounded"), reason=_TABLE["unbounded"][2] + " [array rule: eps2 = inf]")
    start = e.size - max(2, int(np.ceil(tail_fraction * e.size)))
    idx = np.arange(start, e.size)
    keep = e[idx] > 0
    if keep.sum() < 2:
        r = _decide(alpha_positive, not np.any(e > 0), D0_positive, 0, True)
        return dataclasses.replace(r, reason=r.reason + " [array rule: errors vanish in the tail]")
    slope = float(np.polyfit(np.log(idx[keep] + 1.0), np.log(e[idx][keep]), 1)[0])
    if slope > persistent_slope:
        limsup, summable = np.inf, False
    elif slope >= -persistent_slope:
        limsup, summable = 1.0, False
    else:
        limsup, summable = 0.0, slope < -1.0 - 1e-9
    r = _decide(alpha_positive, False, D0_positive, limsup, summable)
    return dataclasses.replace(r, reason=r.reason + f" [array rule: tail log-log slope {slope:.3g}]")
