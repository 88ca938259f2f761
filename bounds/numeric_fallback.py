"""The documented numeric fallback for error schedules whose drift SymPy cannot finish in closed form.

THEORY.md §3 "Consequences": D_N = (1-alpha)^{2N} D0 + sum_{k<N} (1-alpha)^{2(N-1-k)} eps2_k. For a
schedule such as eps2_k = c / (k+1)^2 SymPy answers with polylog / lerchphi or an unevaluated Sum,
which `lambdify` cannot print (NameError: polylog) and `limit` cannot take. `accumulated` then
returns `numeric_drift(...)`: an applied SymPy function carrying its numeric implementation
(`sympy.implemented_function`), so `sympy.lambdify` of any expression containing it works with
no extra modules (the finite sum by the recursion, vectorised), `.evalf()` gives a number, and
`numeric_fallback_note` says that the value is numeric. `schedule_limit` takes N -> oo: SymPy's
limit when the expression is closed, else a numeric evaluation at N = 2^10, 2^11, ... (flagged
numeric, with the last change as its error estimate; an estimate, not a proof).
"""
from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.utilities.lambdify import implemented_function

from . import symbols as S
from .drift import drift_path

_PRINTABLE = set(NumPyPrinter()._kf)
_count = itertools.count()
_FALLBACK_NOTE = "numeric_note"


def unfinished(expr: sp.Expr) -> bool:
    """True when `expr` holds a Sum/Product or a function numpy cannot evaluate (polylog, lerchphi...)."""
    if expr.has(sp.Sum, sp.Product):
        return True
    return any(type(f).__name__ not in _PRINTABLE and not hasattr(f, "_imp_")
               for f in expr.atoms(sp.Function) if not isinstance(f, sp.Piecewise))


def numeric_drift(schedule: sp.Expr, alpha: sp.Expr, N: sp.Expr, D0: sp.Expr) -> sp.Expr:
    """D_N for eps2_n = `schedule` as an applied SymPy function with a numeric implementation.

    The arguments are the free symbols of alpha, N, D0 and the schedule (n excluded), by name.
    """
    args = tuple(sorted((sp.sympify(alpha).free_symbols | sp.sympify(N).free_symbols | sp.sympify(D0).free_symbols
                         | schedule.free_symbols) - {S.n}, key=str))
    term_fn = sp.lambdify((S.n,) + args, schedule, "numpy")
    side_fns = [sp.lambdify(args, sp.sympify(x), "numpy") for x in (alpha, N, D0)]

    def implementation(*values):
        vals = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values)) if values else []
        shape = vals[0].shape if vals else ()
        flat = [v.ravel() for v in vals]
        a, n_, d0 = (np.broadcast_to(np.asarray(f(*flat), dtype=float), (int(np.prod(shape)),)) for f in side_fns)
        if np.any(~np.isfinite(n_) | (n_ < 0) | (n_ != np.floor(n_))):
            raise ValueError(f"N must be a non-negative integer, got {n_}")
        top = int(n_.max()) if n_.size else 0
        if top == 0:
            return d0.reshape(shape)[()] if shape == () else d0.reshape(shape)
        k = np.arange(top, dtype=float)
        with np.errstate(all="ignore"):
            terms = np.asarray(term_fn(k[None, :], *(f[:, None] for f in flat)), dtype=float)
        terms = np.broadcast_to(terms, (n_.size, top))
        if not np.all(np.isfinite(terms)) or np.any(terms < 0):
            raise ValueError(f"eps2 schedule {schedule} must be finite and >= 0 for n < N = {top}")
        alpha_arg = float(a[0]) if np.all(a == a[0]) else a[:, None]  # one alpha: the blocked scan
        path = drift_path(terms, alpha_arg, d0)
        out = path[np.arange(n_.size), n_.astype(int)].reshape(shape)
        return out[()] if shape == () else out

    name = f"numeric_drift_{next(_count)}"
    fn = implemented_function(name, implementation)
    setattr(fn, _FALLBACK_NOTE, f"numeric: D_N for eps2_n = {sp.sstr(schedule)} by the recursion "
                                f"(SymPy left the sum unfinished); {name}({', '.join(map(str, args))})")
    return fn(*args)


def numeric_fallback_note(expr) -> str:
    """'' for a closed SymPy expression, else a note naming each numeric part of `expr`."""
    if not isinstance(expr, sp.Basic):
        return ""
    notes = [getattr(f.func, _FALLBACK_NOTE) for f in expr.atoms(sp.Function) if hasattr(f.func, _FALLBACK_NOTE)]
    return "; ".join(sorted(set(notes)))


@dataclasses.dataclass(frozen=True)
class LimitValue:
    """A limit and how it was found: `numeric` False (SymPy's limit, exact) or True (estimate).

    Parameters
    ----------
    value : sympy.Expr or float
    numeric : bool
    error : float
        Estimated error of a numeric limit (0 for an exact one).
    note : str
    """

    value: object
    numeric: bool
    error: float = 0.0
    note: str = ""


def schedule_limit(expr: sp.Expr, var: sp.Symbol = S.N, rtol: float = 1e-9, max_doublings: int = 22,
                   **values) -> LimitValue:
    """lim_{var -> oo} of `expr` with `values` (keyword names of `bounds.symbols`) substituted.

    Exact (SymPy limit) when the expression is closed; otherwise numeric: the expression at
    var = 2^10, 2^11, ... until two successive values agree within rtol (relative, or absolute
    1e-300), at most 2^max_doublings; `error` is the last change.

    Raises
    ------
    ValueError
        If a numeric evaluation is not finite, or a symbol other than `var` stays free.
    """
    at = expr.subs({S.BY_NAME[k]: sp.nsimplify(v, rational=True) if isinstance(v, float) else v
                    for k, v in values.items()})
    if not unfinished(at) and not numeric_fallback_note(at):
        try:
            value = sp.limit(at, var, sp.oo)
            if not value.has(sp.Limit):
                return LimitValue(value, False, 0.0, "exact: sympy.limit")
        except (NotImplementedError, ValueError, TypeError):
            pass
    free = at.free_symbols - {var}
    if free:
        raise ValueError(f"a numeric limit needs numbers for {', '.join(map(str, free))}")
    fn = sp.lambdify(var, at, "numpy")
    previous = None
    for k in range(10, max_doublings + 1):
        value = float(fn(2**k))
        if not np.isfinite(value):
            raise ValueError(f"{var} = 2^{k}: the expression is {value}; no numeric limit")
        if previous is not None and abs(value - previous) <= max(rtol * abs(value), 1e-300):
            break
        change = abs(value - previous) if previous is not None else np.inf
        previous = value
    else:
        return LimitValue(value, True, change, f"numeric: {var} = 2^{max_doublings}, last change {change:.3g}")
    return LimitValue(value, True, abs(value - previous), f"numeric: {var} = 2^{k}")
