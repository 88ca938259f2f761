"""Closed forms of the drift recursion D_{n+1} = (1-alpha)^2 D_n + eps2_n, D_0 = D0 (SymPy).

Source: THEORY.md §3, "Consequences" (derived). Solved with `rsolve` (constant and geometric
schedules), falling back to `summation` of D_N = (1-alpha)^{2N} D0 + sum_{k<N} (1-alpha)^{2(N-1-k)}
eps2_k (power laws; SymPy leaves that sum unevaluated when it has no elementary form).
Limits N -> oo, alpha -> 0 and alpha -> 1 are taken with `sympy.limit`.
"""
from __future__ import annotations

import functools

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from .symbols import D0, N, alpha, eps2, n

_D = sp.Function("D")
_k = sp.Symbol("k", integer=True, nonnegative=True)
_W = sp.Symbol("W", positive=True)  # stands for (1 - alpha)^{2N}
_lam = sp.Symbol("lambda", positive=True)  # (1-alpha)^2 = exp(-lambda), alpha in (0, 1)
N_pos = sp.Symbol("N", integer=True, positive=True)


@functools.lru_cache(maxsize=128)
def solve_recursion(schedule: sp.Expr = eps2, fresh: sp.Expr = alpha) -> sp.Expr:
    """D_N in closed form for eps2_n = `schedule` (an expression in `bounds.symbols.n`).

    `fresh` is alpha (symbolic) or a number; with alpha = 0 pass fresh=0 (the general formula
    divides by alpha(2 - alpha)); alpha = 1 gives D_0 at N = 0, eps2_{N-1} after. Geometric
    schedules eps2 r^n: valid for r != (1-alpha)^2.
    """
    beta = (1 - sp.sympify(fresh)) ** 2
    if beta == 0:  # alpha = 1: nothing carries over (rsolve drops the initial value here)
        return sp.Piecewise((D0, sp.Eq(N, 0)), (schedule.subs(n, N - 1), True))
    try:
        sol = sp.rsolve(_D(n + 1) - beta * _D(n) - schedule, _D(n), {_D(0): D0})
    except Exception:   # rsolve raises ValueError, NotImplementedError, PolynomialError, NoConvergence ...
        sol = None
    if sol is not None:
        return sp.simplify(sol.subs(n, N)) if fresh != alpha else sol.subs(n, N)
    total = sp.summation(beta ** (N - 1 - _k) * schedule.subs(n, _k), (_k, 0, N - 1))
    return beta**N * D0 + total


def closed_form(schedule: sp.Expr = eps2) -> sp.Expr:
    """The general (symbolic alpha) closed form of D_N; see `solve_recursion`."""
    return solve_recursion(schedule, alpha)


@functools.lru_cache(maxsize=1)
def constant_error_parts() -> tuple[sp.Expr, sp.Expr]:
    """(A, B) with D_N = A + B (1-alpha)^{2N} for constant eps2, read off the rsolve solution.

    A = eps2 / (alpha (2 - alpha)) is the steady state; B = D0 - A.
    """
    general = closed_form(eps2).subs((alpha - 1) ** (2 * N), _W).subs((1 - alpha) ** (2 * N), _W)
    if _W not in general.free_symbols:
        raise RuntimeError(f"unexpected rsolve form {general}")
    B = sp.simplify(sp.diff(general, _W))
    A = sp.simplify(general - B * _W)
    if sp.simplify(B - (D0 - A)) != 0:
        raise RuntimeError("closed form does not start at D0")
    return A, B


@functools.lru_cache(maxsize=1)
def stable_constant_error_form() -> sp.Expr:
    """D_N for constant eps2 written for floating point (THEORY.md §3 consequences, derived).

    D_N = D0 W + eps2 (1 - W) / (alpha (2 - alpha)), W = (1-alpha)^{2N} = exp(2N log1p(-alpha)),
    1 - W = -expm1(2N log1p(-alpha)) (call `.doit()` before symbolic algebra); exact branches alpha = 0 (D0 + N eps2, the symbolic limit)
    and N = 0 (D0, which also covers alpha = 1 where 0 * log1p(-1) is undefined).
    """
    A, _ = constant_error_parts()
    log_w = 2 * N * log1p(-alpha)
    # (1 - W) / (alpha (2 - alpha)) ~ N is evaluated first (UnevaluatedExpr keeps the grouping),
    # so tiny eps2 times tiny alpha cannot underflow before the division.
    gain = sp.UnevaluatedExpr(-expm1(log_w) / (alpha * (2 - alpha)))
    steady_times_gap = sp.simplify(A * alpha * (2 - alpha)) * gain
    at_zero = sp.limit(closed_form(eps2), alpha, 0)
    return sp.Piecewise(
        (at_zero, sp.Eq(alpha, 0)),
        (D0, sp.Eq(N, 0)),
        (D0 * sp.exp(log_w) + steady_times_gap, True),
    )


@functools.lru_cache(maxsize=1)
def limits() -> dict:
    """Symbolic limits of the constant-error closed form.

    "N->oo": steady state eps2 / (alpha (2 - alpha)) for alpha in (0, 1] (via (1-alpha)^2 = e^-lambda);
    "alpha->0": D0 + N eps2 (no forgetting: collapse); "alpha->1": eps2 for N >= 1.
    """
    general = closed_form(eps2)
    as_exp = general.subs((alpha - 1) ** (2 * N), sp.exp(-_lam * N))
    return {
        "N->oo": sp.simplify(sp.limit(as_exp, N, sp.oo)),
        "alpha->0": sp.limit(general, alpha, 0),
        "alpha->1": sp.limit(general.subs(N, N_pos), alpha, 1),
    }
