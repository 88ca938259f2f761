"""The accumulation engine: D_N for given alpha and errors, symbolic or fast numeric.

Source: THEORY.md §3 "Consequences" (derived from D_{n+1} = (1-alpha)^2 D_n + eps2_n).
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from . import symbols as S
from .catalog import catalog
from .drift import drift_path, symbolic_sequence
from .lambdify import evaluate, lambdified
from .numeric_fallback import numeric_drift, unfinished
from .recursion import solve_recursion, stable_constant_error_form
from .validation import as_float_array, check_generations, check_nonnegative, check_unit_interval, is_symbolic


def closed_form_function(backend: str = "numpy"):
    """Vectorised stable closed form f(alpha, eps2, N, D0) = D_N for constant eps2.

    Lambdified from `recursion.stable_constant_error_form` (expm1/log1p; alpha = 0 and 1 exact;
    no overflow for any N). backend "numpy" or "torch". No input checks (use `accumulated`).

    Parameters
    ----------
    backend : {"numpy", "torch"}
        Array library the returned function computes with (default "numpy").

    Returns
    -------
    callable
        ``f(alpha, eps2, N, D0=0.0)``: D_N, broadcast over its arguments, in the backend's arrays.
    """
    fn = lambdified(stable_constant_error_form(), (S.alpha, S.eps2, S.N, S.D0), backend)
    return lambda alpha, eps2, N, D0=0.0: evaluate(fn, [alpha, eps2, N, D0], backend, ("alpha", "eps2", "N", "D0"))


def _is_symbolic(x) -> bool:
    return isinstance(x, sp.Basic) and not x.is_number


def accumulated(alpha, eps2, N, D0=0):
    """D_N = (1-alpha)^{2N} D0 + sum_{n<N} (1-alpha)^{2(N-1-n)} eps2_n (THEORY.md §3, derived).

    eps2: a number (or array: broadcast with alpha, N, D0), a SymPy symbol, or an expression in
    `bounds.symbols.n` (errors from generation n = 0). Numbers in: a float64 (or array) out, from
    the stable closed form. Anything symbolic: the SymPy closed form (rsolve / summation), with
    float coefficients converted to rationals; when SymPy cannot solve or sum the schedule (an
    unevaluated Sum, or polylog/lerchphi that numpy cannot print), the numeric recursion: a float if
    alpha, N and D0 are numbers, else `numeric_fallback.numeric_drift`, an applied SymPy function with
    a numeric implementation (lambdify-safe; `bounds.numeric_fallback_note` says so; limits by
    `bounds.schedule_limit`).

    Parameters
    ----------
    alpha : float, array or SymPy expression in [0, 1]
        Fraction of fresh data per generation.
    eps2 : float, array or SymPy expression >= 0
        Per-generation error: a constant, or a schedule in `bounds.symbols.n`.
    N : int, array or SymPy expression >= 0
        Number of generations.
    D0 : float, array or SymPy expression >= 0
        Initial divergence (default 0).

    Returns
    -------
    numpy.float64, numpy.ndarray or sympy.Expr
        D_N: a float64 (array) for numeric input, the SymPy closed form for symbolic input.

    Raises
    ------
    ValueError
        If eps2 is a non-real SymPy number, alpha is outside [0, 1], eps2 or D0 is negative or NaN,
        N is not a non-negative integer, an argument is not a number (string, None, complex, ...),
        or a numeric schedule is negative or non-finite for some n < N (for a numeric fallback:
        when it is evaluated).
    """
    symbolic = any(map(_is_symbolic, (alpha, eps2, N, D0)))
    if not symbolic and isinstance(eps2, sp.Basic) and not eps2.is_real:
        raise ValueError(f"eps2 must be a real number >= 0, got {eps2}")
    check_unit_interval("alpha", alpha)
    if not _is_symbolic(eps2):
        check_nonnegative("eps2", eps2)
    check_generations("N", N)
    check_nonnegative("D0", D0)
    if not symbolic:
        e = float(eps2) if isinstance(eps2, sp.Basic) else eps2
        out = closed_form_function()(alpha, e, N, D0)
        # exact branches where the closed form meets 0 * inf (an infinite eps2 or D0): N = 0 gives
        # D0, alpha = 1 gives eps2 for N >= 1 (nothing carries over)
        a_, e_, n_, d_ = (np.asarray(v, dtype=float) for v in (alpha, e, N, D0))
        out = np.where(n_ == 0, d_, np.where(a_ == 1, e_, out)) + np.zeros_like(out)
        return out[()] if out.ndim == 0 else out
    return _symbolic(alpha, sp.sympify(eps2), N, D0)


def _exact(x):
    """x as exact SymPy: floats, also inside expressions, become rationals (SymPy's polynomial
    algebra fails on float coefficients, issue 10 case 6)."""
    x = sp.sympify(float(x) if isinstance(x, (float, np.floating)) else x)
    return sp.nsimplify(x, rational=True) if x.atoms(sp.Float) else x


def _numeric_path(a, schedule, N, D0):
    """D_N by the numeric recursion (drift_path) for numeric alpha, N, D0 and a schedule in n only."""
    with np.errstate(all="ignore"):
        terms = sp.lambdify(S.n, schedule, "numpy")(np.arange(int(N), dtype=float))
    terms = np.broadcast_to(np.asarray(terms, dtype=float), (int(N),))
    if not np.all(np.isfinite(terms)) or np.any(terms < 0):
        raise ValueError(f"eps2 schedule {schedule} must be finite and >= 0 for n < N = {int(N)}")
    return np.float64(drift_path(terms, float(a), float(D0))[-1]) if int(N) else np.float64(float(D0))


_EXPLICIT_TERMS = 1000  # up to this many generations an unfinished closed form is written out term by term


def _symbolic(alpha, schedule, N, D0):
    a, schedule, N_, D0_ = _exact(alpha), _exact(schedule), _exact(N), _exact(D0)
    numeric = all(x.is_number for x in (a, N_, D0_)) and schedule.free_symbols <= {S.n}
    fresh = a if a.is_number else S.alpha
    try:
        out = solve_recursion(schedule, fresh).subs({S.alpha: a, S.N: N_, S.D0: D0_})
        if out.has(sp.Sum) and not numeric:
            out = out.doit()
    except Exception:   # SymPy raises many types on schedules it cannot solve or sum
        out = sp.Sum(schedule, (S.n, 0, N_))  # unfinished: handled below
    if unfinished(out):
        if numeric:
            return _numeric_path(a, schedule, N_, D0_)
        if N_.is_Integer and int(N_) <= _EXPLICIT_TERMS:  # a finite number of generations: the exact sum
            beta = (1 - a) ** 2
            return beta**N_ * D0_ + sp.Add(*(beta ** (N_ - 1 - k) * schedule.subs(S.n, k) for k in range(int(N_))))
        return numeric_drift(schedule, a, N_, D0_)
    return out


def contributions(alpha, eps2) -> np.ndarray:
    """Matrix M[k, i] = (1-alpha)^{2(k-i)} eps2_i for i <= k, else 0 (THEORY.md §3, derived).

    Row k lists what each generation's error contributes to D_{k+1}; rows sum to
    D_{k+1} - (1-alpha)^{2(k+1)} D0. The paper's "contributions to D_N by generation" heat map.

    Parameters
    ----------
    alpha : float in [0, 1]
        Fraction of fresh data (a scalar).
    eps2 : array_like >= 0, shape (G,)
        Per-generation errors.

    Returns
    -------
    numpy.ndarray, shape (G, G)
        The lower-triangular contribution matrix M.

    Raises
    ------
    ValueError
        If eps2 is not 1-D or has a negative or NaN entry, alpha is not a scalar or is outside
        [0, 1], or an argument is not numeric.

    Notes
    -----
    SymPy input (a library symbol in alpha or eps2): the same matrix as a ``sympy.Matrix``.
    """
    if is_symbolic(alpha) or is_symbolic(eps2):
        e = symbolic_sequence("eps2", eps2, check_nonnegative)
        (a,) = symbolic_sequence("alpha", alpha, check_unit_interval)
        return sp.Matrix(len(e), len(e), lambda k, i: (1 - a) ** (2 * (k - i)) * e[i] if i <= k else 0)
    e = as_float_array("eps2", eps2)
    if e.ndim != 1:
        raise ValueError(f"eps2 must be a 1-D array over generations, got shape {e.shape}")
    check_nonnegative("eps2", e)
    a = as_float_array("alpha", alpha)
    if a.ndim != 0:
        raise ValueError("alpha must be a scalar for the contribution matrix")
    check_unit_interval("alpha", a)
    lag = np.subtract.outer(np.arange(e.size), np.arange(e.size))
    weights = np.where(lag >= 0, np.power((1.0 - a) ** 2, np.maximum(lag, 0)), 0.0)
    return weights * e[None, :]


def memory_horizon(alpha):
    """Generations after which an error's weight (1-alpha)^{2m} has fallen by e: m = -1/(2 log(1-alpha)).

    About 1/(2 alpha) for small alpha (THEORY.md §3); inf at alpha = 0, 0 at alpha = 1.
    Symbolic alpha gives the SymPy expression.

    Parameters
    ----------
    alpha : float, array_like or SymPy expression in [0, 1]
        Fraction of fresh data per generation.

    Returns
    -------
    numpy.float64, numpy.ndarray or sympy.Expr
        The horizon m (inf where alpha = 0).

    Raises
    ------
    ValueError
        If a numeric alpha is outside [0, 1], NaN or not a number.
    """
    if _is_symbolic(alpha):
        return -1 / (2 * sp.log(1 - alpha))
    check_unit_interval("alpha", alpha)
    a = as_float_array("alpha", alpha)
    with np.errstate(divide="ignore"):
        out = -0.5 / np.log1p(-a)
    out = np.where(a == 0, np.inf, np.where(a == 1, 0.0, out))
    return out[()] if out.ndim == 0 else out


def steady_state(alpha, eps2):
    """lim_N D_N = eps2 / (alpha (2 - alpha)) for constant eps2 (inf at alpha = 0 unless eps2 = 0).

    THEORY.md §3 "Consequences" (derived from the recursion).

    Parameters
    ----------
    alpha : float or array_like in [0, 1]
        Fraction of fresh data per generation.
    eps2 : float or array_like >= 0
        Constant per-generation error.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        The steady state, broadcast over alpha and eps2.

    Raises
    ------
    ValueError
        If alpha is outside [0, 1], eps2 is negative, either is NaN or not numeric, or their
        shapes do not broadcast.

    Notes
    -----
    SymPy input (a library symbol): the SymPy expression eps2 / (alpha (2 - alpha)).
    """
    if is_symbolic(alpha) or is_symbolic(eps2):
        check_unit_interval("alpha", alpha)
        check_nonnegative("eps2", eps2)
        return sp.sympify(eps2) / (sp.sympify(alpha) * (2 - sp.sympify(alpha)))
    check_unit_interval("alpha", alpha)
    check_nonnegative("eps2", eps2)
    a, e = as_float_array("alpha", alpha), as_float_array("eps2", eps2)
    try:
        np.broadcast_shapes(a.shape, e.shape)
    except ValueError:
        raise ValueError(f"alpha {a.shape} and eps2 {e.shape} must broadcast against each other") from None
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(a == 0, np.where(e == 0, 0.0, np.inf), e / (a * (2 - a)))
    return out[()] if out.ndim == 0 else out


def drift_envelope(eps2, alpha, D0=0.0, c1=1.0, c2=1.0, C_bias=0.0):
    """Thm 4.2 as two additive bounds on D_0..D_G: (c1 R - C_bias, c2 R + C_bias), R = drift_path,
    evaluated from `catalog()["thm4.2.R"]`.

    R[N+1] = sum_{i<=N} (1-alpha)^{2(N-i)} eps2_i + (1-alpha)^{2(N+1)} D0 (i0 = 0). THEORY.md §3
    Thm 4.2 (stated as a two-sided ≍ with constants; as two additive bounds: reconstructed).

    Parameters
    ----------
    eps2 : array_like >= 0, shape (..., G)
        Per-generation errors (as in `drift_path`).
    alpha : float or array_like in [0, 1]
        Fraction of fresh data (as in `drift_path`).
    D0 : float or array_like >= 0
        Initial divergence (default 0).
    c1, c2 : float or array_like >= 0
        Lower and upper constants (default 1).
    C_bias : float or array_like >= 0
        Additive bias constant (default 0).

    Returns
    -------
    lower, upper : numpy.ndarray, shape (..., G + 1)
        The two bounds on D_0, ..., D_G.

    Raises
    ------
    ValueError
        As `drift_path` for eps2, alpha and D0; if c1, c2 or C_bias is negative or NaN.

    Notes
    -----
    SymPy input anywhere: both bounds as column ``sympy.Matrix`` objects (see `drift_path`).
    """
    thm = catalog()["thm4.2.R"]
    R = drift_path(eps2, alpha, D0)
    if isinstance(R, sp.MatrixBase) or any(map(is_symbolic, (c1, c2, C_bias))):
        consts = {S.c1: sp.sympify(c1), S.c2: sp.sympify(c2), S.C_bias: sp.sympify(C_bias)}
        R = R if isinstance(R, sp.MatrixBase) else sp.Matrix(R.tolist())
        return (R.applyfunc(lambda r: thm.lower.subs(consts).subs(S.R, r)),
                R.applyfunc(lambda r: thm.upper.subs(consts).subs(S.R, r)))
    for name, value in (("c1", c1), ("c2", c2), ("C_bias", C_bias)):
        check_nonnegative(name, value)  # before any conversion: a ValueError naming the argument
    c1a, c2a, cb = (np.asarray(v, dtype=float) for v in (c1, c2, C_bias))
    with np.errstate(invalid="ignore"):  # 0 * inf and inf - inf, resolved below
        lower, upper = thm.lower_fn(c1=c1, R=R, C_bias=C_bias), thm.upper_fn(c2=c2, R=R, C_bias=C_bias)
    # a zero constant times an infinite R bounds nothing beyond C_bias; inf - inf (R and C_bias both
    # infinite) leaves the lower bound saying nothing (-inf)
    lower = np.where(c1a == 0, -cb, lower)
    lower = np.where(np.isinf(R) & np.isinf(cb) & (c1a > 0), -np.inf, lower)
    upper = np.where(c2a == 0, cb, upper)
    return lower, upper
