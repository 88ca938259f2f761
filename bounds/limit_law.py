"""The limit law of recursive training with early stopping, derived in SymPy (THEORY.md §5).

Source: the follow-up by the same authors, arXiv 2606.13796, as summarised in THEORY.md §5. Every
formula here is **reconstructed** (THEORY.md §5 says so: the paper's text was not seen); the
algebra below is ours and is derived, not typed in. With exact scores and exact sampling one round
of recursive training is `p^{i+1} = P_{t0}(q_i)`, `q_i = alpha data + (1 - alpha) p^i`, P_t the OU
semigroup of `dX = -X/2 dt + dB` acting on laws.

Derivations (each cached; `derivations()` returns them all):

* `ou_moments`: `dsolve` of the moment ODEs of the OU process, `m' = -m/2` and `M' = -M + 1`
  (Ito), giving the kernel mean scale `a_t = e^{-t/2}` and `E X_t^2 = e^{-t} E X_0^2 + 1 - e^{-t}`.
* `hermite_step`: the Gaussian integral `E G(a x + b Z, s) = G(x, a s)` (`b^2 = 1 - a^2`) of the
  generating function `G(x, s) = exp(x s - s^2/2) = sum_n He_n(x) s^n / n!`, integrated by SymPy
  (and its coefficients checked against `sympy.hermite_prob` for n <= 4): the OU kernel maps He_n to
  `a_t^n He_n`, so the order-n Hermite coefficient of the density ratio to N(0, 1) is multiplied by
  `e^{-|n| t0/2}` per round (a multi-index n in R^d: product over coordinates, |n| its total order).
* `limit_multiplier`: `rsolve` of `c_{i+1} = u (alpha c_d + (1 - alpha) c_i)`, u the one-round
  multiplier; the geometric part `(u (1-alpha))^i` drops out as i -> oo, leaving
  `m_n = alpha u / (1 - (1 - alpha) u)`; cross-checked against `summation` of the fixed-point
  series `p_inf = sum_k alpha (1-alpha)^k P_{(k+1) t0}(data)`.
* `contraction`: the ratio `(c^{i+1} - c^inf) / (c^i - c^inf) = (1 - alpha) u` read off the rsolve
  solution; its supremum over u in [0, 1] (`sympy.calculus.util.maximum`; the L1 norm of the Markov
  operator P_t is 1) is the law-level rate `1 - alpha` in total variation; over modes |n| >= 1 (the
  multiplier decreases in |n|) the rate in the Hermite norm `||f||_{1/gamma}^2 = int f^2 / gamma`
  is `(1 - alpha) e^{-t0/2}`.
* `variance_recursion`: the OU second-moment map applied to the mixture's second moment
  `alpha s^2 + (1-alpha) v` (mean-zero data: exact for any law), then `rsolve` and i -> oo for its
  fixed point `(alpha s^2 e^{-t0} + 1 - e^{-t0}) / (1 - (1-alpha) e^{-t0})`.
* `annealed`: for a schedule t0(i), the relative deviation of a mode from data,
  `delta_i = c_n^i / c_n^data - 1`, obeys `delta_{i+1} = u_i ((1-alpha) delta_i + 1) - 1` (u_i the
  multiplier at t0(i)); with `0 <= 1 - u_i <= |n| t0(i)/2` (checked: `x - 1 + e^{-x}` and its
  derivative vanish at 0 and it is convex) the comparison recursion `b_{i+1} = (1-alpha) b_i + |n| t0(i)/2` bounds |delta_i|;
  for geometric schedules `t0(i) = t0 rho^i` SymPy's `rsolve` gives it in closed form,
  `(1-alpha)^N delta_0 + |n| t0 ((1-alpha)^N - rho^N) / (2 ((1-alpha) - rho))`, which tends to 0
  (return to data) for rho < 1 and to `|n| t0 / (2 alpha)` for the constant schedule rho = 1.
  With alpha = 0 the recursion is a product, `summation` of the exponent gives
  `delta_N = exp(-|n| t0 (1 - rho^N) / (2 (1 - rho))) - 1` (started at data): never back.
  The condition: every mode returns to data iff t0(i) -> 0 (alpha > 0; see `annealed_return`).
* `w2_ball`: with a sampler whose round is within W2 distance `delta_W2` of the ideal round, the
  distance to the ideal recursion obeys `e_{i+1} <= kappa e_i + delta_W2` with the contraction
  constant `kappa = sqrt(1 - alpha) e^{-t0/2}`: sqrt(1-alpha) from mixing (W2^2 is jointly convex:
  couple the fresh parts identically), e^{-t0/2} = a_{t0} from the synchronous coupling of the OU
  kernel; `rsolve` gives `kappa^N W_0 + delta_W2 (1 - kappa^N) / (1 - kappa)`, so the model stays
  in the W2 ball of radius `delta_W2 / (1 - kappa)` around the ideal limit.
"""
from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from sympy.calculus.util import maximum
from sympy.codegen.cfunctions import expm1

from . import symbols as S
from .lambdify import evaluate, lambdified
from .validation import check_generations, check_nonnegative, check_params, check_unit_interval, is_symbolic

a = S.alpha
_i = sp.Symbol("i", integer=True, nonnegative=True)
_k = sp.Symbol("k", integer=True, nonnegative=True)
_u = sp.Symbol("u", positive=True)  # a one-round multiplier e^{-|n| t0 / 2}, in (0, 1]
_lam = sp.Symbol("lambda", positive=True)
_c = sp.Function("c")


def _geometric_parts(expr: sp.Expr, bases: tuple, index: sp.Symbol) -> tuple[sp.Expr, list]:
    """(A, [B_j]) with expr = A + sum_j B_j base_j^index (each B_j read off by differentiating in a
    stand-in W_j). Raises RuntimeError when expr is not of that form."""
    Ws = [sp.Symbol(f"W_{j}", positive=True) for j in range(len(bases))]
    form = sp.expand(expr)
    for base, W in zip(bases, Ws):
        form = form.replace(lambda e, base=base: e.is_Pow and e.exp == index and sp.simplify(e.base - base) == 0,
                            lambda e, W=W: W)
    if not all(W in form.free_symbols for W in Ws):
        raise RuntimeError(f"not every geometric term {bases}^{index} occurs in {expr}")
    Bs = [sp.factor(sp.diff(form, W)) for W in Ws]
    A = sp.factor(sp.cancel(form.subs({W: 0 for W in Ws})))
    if index in A.free_symbols or any(W in B.free_symbols or index in B.free_symbols for B in Bs for W in Ws):
        raise RuntimeError(f"{expr} is not of the form A + sum_j B_j base_j^{index}")
    return A, Bs


def _drop_geometric(expr: sp.Expr, ratio: sp.Expr, index: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """(A, B) with expr = A + B ratio^index."""
    A, (B,) = _geometric_parts(expr, (ratio,), index)
    return A, B


def _geometric_limit(expr: sp.Expr, bases: tuple, index: sp.Symbol) -> sp.Expr:
    """lim_{index -> oo} of expr = A + sum_j B_j base_j^index when every |base_j| < 1: the constant A."""
    return _geometric_parts(expr, bases, index)[0]


# ---- the OU kernel ------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def ou_moments() -> dict:
    """The OU moments by `dsolve`: {"a_t": e^{-t/2}, "second_moment": e^{-t} M0 + 1 - e^{-t}, "t": t,
    "M0": M0}. The second moment follows from Ito: d(X^2) = (1 - X^2) dt + 2 X dB."""
    t = sp.Symbol("t", nonnegative=True)
    m, M = sp.Function("m"), sp.Function("M")
    m0, M0 = sp.Symbol("m_0", real=True), sp.Symbol("M_0", nonnegative=True)
    mean = sp.dsolve(sp.Eq(m(t).diff(t), -m(t) / 2), m(t), ics={m(0): m0}).rhs
    second = sp.dsolve(sp.Eq(M(t).diff(t), 1 - M(t)), M(t), ics={M(0): M0}).rhs
    a_t = sp.simplify(mean / m0)
    if sp.simplify(second.subs(M0, 0) + a_t**2 - 1) != 0:  # variance preserving: a_t^2 + s_t^2 = 1
        raise RuntimeError("the OU moments are not variance preserving")
    return {"a_t": a_t, "second_moment": sp.expand(second), "t": t, "M0": M0}


@functools.lru_cache(maxsize=1)
def hermite_step() -> sp.Expr:
    """The one-round multiplier of the order-|n| Hermite coefficient: e^{-|n| t0/2} (module docstring).

    Raises RuntimeError if the generating-function identity or the coefficient check fails.
    """
    x, z, s, cc = sp.symbols("x z s c", real=True)
    am = sp.Symbol("a", positive=True)
    G = lambda x_, s_: sp.exp(x_ * s_ - s_**2 / 2)  # noqa: E731  sum_n He_n(x) s^n / n!
    for n in range(5):  # SymPy's probabilists' Hermite polynomials are G's coefficients
        if sp.expand(sp.diff(G(x, s), s, n).subs(s, 0) - sp.hermite_prob(n, x)) != 0:
            raise RuntimeError(f"He_{n} is not the {n}-th coefficient of exp(x s - s^2/2)")
    mgf = sp.integrate(sp.exp(cc * z - z**2 / 2) / sp.sqrt(2 * sp.pi), (z, -sp.oo, sp.oo), conds="none", risch=False)
    mgf = sp.expand(mgf.rewrite(sp.erf))  # the erf terms cancel: exp(c^2/2)
    # E G(a x + b Z, s) = exp(a x s - s^2/2) E exp(b s Z), b = sqrt(1 - a^2) (variance preserving)
    kernel = sp.exp(am * x * s - s**2 / 2) * mgf.subs(cc, sp.sqrt(1 - am**2) * s)
    if sp.expand(sp.powsimp(kernel / G(x, am * s), combine="exp")) != 1:
        raise RuntimeError("the OU kernel does not map G(x, s) to G(x, a s)")
    # G(x, a s) = sum_n a^n He_n(x) s^n / n!: He_n -> a^n He_n, hence c_n -> a^n c_n
    multiplier = am**S.mode
    a_t = ou_moments()["a_t"].subs(ou_moments()["t"], S.t0)
    return sp.powsimp(multiplier.subs(am, a_t), force=True)


# ---- the fixed point and the rate -----------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def mode_recursion() -> dict:
    """rsolve of c_{i+1} = u (alpha c_d + (1 - alpha) c_i), c_0 given: {"solution", "limit", "ratio",
    "c_d", "c_0"} with solution = limit + B ((1-alpha) u)^i."""
    cd, c0 = sp.Symbol("c_d", real=True), sp.Symbol("c_0", real=True)
    sol = sp.rsolve(_c(_i + 1) - _u * (a * cd + (1 - a) * _c(_i)), _c(_i), {_c(0): c0})
    limit, B = _drop_geometric(sol, _u * (1 - a), _i)
    ci = sp.Symbol("c_i", real=True)  # one step of the affine map, measured from its fixed point
    ratio = sp.factor(sp.cancel((_u * (a * cd + (1 - a) * ci) - limit) / (ci - limit)))
    return {"solution": sol, "limit": limit, "ratio": ratio, "c_d": cd, "c_0": c0, "B": B}


@functools.lru_cache(maxsize=1)
def limit_multiplier() -> sp.Expr:
    """m_n(alpha, t0) = c_n(p_inf) / c_n(data) = alpha u / (1 - (1-alpha) u), u = e^{-|n| t0/2}.

    From `mode_recursion` (i -> oo), cross-checked against the summed fixed-point series. Written for
    floating point: `alpha u / (alpha - (1-alpha) expm1(-|n| t0/2))` (no cancellation at small t0),
    with the branch m = 1 where |n| t0 = 0 (the mass, and t0 = 0: nothing moves).
    """
    rec = mode_recursion()
    m_u = sp.factor(sp.cancel(rec["limit"] / rec["c_d"]))
    series = sp.summation(a * (1 - a) ** _k * _u ** (_k + 1), (_k, 0, sp.oo))
    if isinstance(series, sp.Piecewise) or series.has(sp.Piecewise):
        series = series.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[0][0])
    if sp.cancel(series - m_u) != 0:
        raise RuntimeError(f"fixed-point series {series} disagrees with the recursion's limit {m_u}")
    E = sp.Symbol("E", real=True)  # expm1(-|n| t0 / 2) = u - 1
    stable = sp.factor(sp.cancel(m_u.subs(_u, 1 + E)))
    x = -S.mode * S.t0 / 2
    if sp.cancel(stable.subs(E, _u - 1) - m_u) != 0:
        raise RuntimeError("the stable form of m_n differs from the derived one")
    return sp.Piecewise((sp.Integer(1), sp.Eq(S.mode * S.t0, 0)), (stable.subs(E, expm1(x)), True))


def limit_multiplier_display() -> sp.Expr:
    """m_n in its derived (not the floating-point) form, for printing: alpha u / (1 - (1-alpha) u)."""
    rec = mode_recursion()
    return sp.factor(sp.cancel(rec["limit"] / rec["c_d"])).subs(_u, hermite_step())


@functools.lru_cache(maxsize=1)
def contraction() -> dict:
    """{"mode": (1-alpha) e^{-|n| t0/2}, "tv": 1 - alpha, "hermite": (1-alpha) e^{-t0/2}}: the
    per-generation contraction toward the limit of one mode, in total variation, in ||.||_{1/gamma}."""
    ratio = mode_recursion()["ratio"]
    if sp.cancel(ratio - (1 - a) * _u) != 0:
        raise RuntimeError(f"unexpected contraction ratio {ratio}")
    ratio = (1 - a) * _u
    tv = maximum(ratio, _u, sp.Interval(0, 1))
    tv = tv.args[1] if isinstance(tv, sp.Max) and tv.args[0] == 0 else tv  # Max(0, 1 - alpha), alpha <= 1
    per_mode = ratio.subs(_u, hermite_step())
    beta = sp.Symbol("beta", nonnegative=True)  # 1 - alpha >= 0
    if not sp.diff(per_mode, S.mode).subs(a, 1 - beta).is_nonpositive:
        raise RuntimeError("the per-mode contraction must not increase with the order")
    return {"mode": per_mode, "tv": tv, "hermite": per_mode.subs(S.mode, 1)}


# ---- the variance ---------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def variance_recursion() -> dict:
    """{"step": v_{i+1} as a function of v_i, "fixed_point": v_inf, "solution": v_i from v_0}.

    Mean-zero data of variance s^2: q_i has variance alpha s^2 + (1-alpha) v_i (a mixture of
    mean-zero laws), and one OU step of length t0 maps a second moment M0 to e^{-t0} M0 + 1 - e^{-t0}.
    """
    mom = ou_moments()
    step = mom["second_moment"].subs({mom["M0"]: a * S.s2 + (1 - a) * S.v, mom["t"]: S.t0})
    V = sp.Function("V")
    v0 = sp.Symbol("v_0", nonnegative=True)
    sol = sp.rsolve(V(_i + 1) - step.subs(S.v, V(_i)), V(_i), {V(0): v0})
    fixed, _ = _drop_geometric(sol, (1 - a) * sp.exp(-S.t0), _i)
    (root,) = sp.solve(sp.Eq(S.v, step), S.v)
    if sp.simplify(root - fixed) != 0:
        raise RuntimeError(f"variance fixed point {fixed} is not the root {root} of v = step(v)")
    return {"step": sp.expand(step), "fixed_point": sp.factor(sp.simplify(fixed)), "solution": sol, "v_0": v0}


# ---- annealed truncation ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def annealed() -> dict:
    """The annealed recursion and its geometric-schedule closed forms (module docstring).

    Keys: "step" (delta_{i+1} in delta_i = `S.dev`, t0 = t0(i)), "bound" (|delta_N| <= bound for
    t0(i) = t0 rho^i, |delta_0| = `S.dev0`), "bound_limits" (N -> oo for rho < 1 and rho = 1),
    "alpha0" (exact delta_N at alpha = 0 started at data).
    """
    cd, u_i = sp.Symbol("c_d", positive=True), sp.Symbol("u_i", positive=True)
    c_next = u_i * (a * cd + (1 - a) * cd * (1 + S.dev))  # c^{i+1} with c^i = c_d (1 + delta_i)
    step_u = sp.expand(sp.simplify(c_next / cd - 1))
    step = step_u.subs(u_i, hermite_step())
    xx = sp.Symbol("x", nonnegative=True)
    gap = xx - (1 - sp.exp(-xx))  # 1 - e^{-x} <= x: gap(0) = gap'(0) = 0 and gap'' > 0 (convex)
    if gap.subs(xx, 0) != 0 or sp.diff(gap, xx).subs(xx, 0) != 0 or not sp.diff(gap, xx, 2).is_positive:
        raise RuntimeError("1 - e^{-x} <= x could not be shown")
    # |delta_{i+1}| <= u_i (1-alpha) |delta_i| + (1 - u_i) <= (1-alpha) |delta_i| + |n| t0(i) / 2
    if sp.simplify(sp.diff(step_u, S.dev) - u_i * (1 - a)) != 0 or sp.simplify(step_u.subs(S.dev, 0) - (u_i - 1)) != 0:
        raise RuntimeError(f"unexpected annealed step {step_u}")
    b = sp.Function("b")
    comparison = sp.rsolve(b(_i + 1) - (1 - a) * b(_i) - S.mode * S.t0 * S.rho**_i / 2, b(_i), {b(0): S.dev0})
    comparison = sp.simplify(comparison.subs(_i, S.N))
    # rho = 1 - alpha is rsolve's 0/0: solve that recursion on its own
    resonant = sp.rsolve(b(_i + 1) - (1 - a) * b(_i) - S.mode * S.t0 * (1 - a) ** _i / 2, b(_i), {b(0): S.dev0})
    resonant = sp.simplify(resonant.subs(_i, S.N))
    for sol_, forcing in ((comparison, S.rho**S.N), (resonant, (1 - a) ** S.N)):  # both solve their recursion
        residual = sol_.subs(S.N, S.N + 1) - (1 - a) * sol_ - S.mode * S.t0 * forcing / 2
        if sp.cancel(sp.expand(sp.expand_power_exp(residual))) != 0 or sp.cancel(sol_.subs(S.N, 0) - S.dev0) != 0:
            raise RuntimeError(f"{sol_} does not solve the comparison recursion")
    bound = sp.Piecewise((resonant, sp.Eq(S.rho, 1 - a)), (comparison, True))
    limits = {"rho<1": _geometric_limit(comparison, (S.rho, 1 - a), S.N),  # both bases < 1 (alpha > 0)
              "rho=1": _geometric_limit(comparison.subs(S.rho, 1), (1 - a,), S.N)}
    exponent = sp.summation(S.t0 * S.rho**_k, (_k, 0, S.N - 1))
    alpha0 = sp.exp(-S.mode * exponent / 2) - 1  # prod_i u_i - 1, started at data (delta_0 = 0)
    if sp.simplify(step.subs(a, 0).subs(S.dev, 0) - (hermite_step() - 1)) != 0:
        raise RuntimeError("alpha = 0 step is not the multiplier")
    return {"step": step, "bound": bound, "bound_limits": limits, "alpha0": alpha0}


def annealed_return() -> tuple[sp.Basic, sp.Basic]:
    """(premise, conclusion) of: alpha > 0 and t0(i) -> 0 iff c_n^i -> c_n^data for every n.

    If: by the comparison recursion, |delta_N| <= (1-alpha)^N |delta_0| + sum_j (1-alpha)^{N-1-j} |n| t0(j)/2,
    a geometric kernel convolved with a null sequence (-> 0). Only if: the step gives
    (u_i - 1) = delta_{i+1} - u_i (1-alpha) delta_i -> 0, so t0(i) -> 0 for any mode with c_n^data != 0.
    """
    t0_i = sp.Function("t_0")
    c_i, c_d = sp.Function("c_n"), sp.Symbol(r"c_n^{\mathrm{data}}")
    premise = sp.Eq(sp.Limit(t0_i(_i), _i, sp.oo), 0)
    conclusion = sp.Eq(sp.Limit(c_i(_i), _i, sp.oo), c_d)
    return premise, conclusion


# ---- robustness: the W2 ball ---------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def w2_ball() -> dict:
    """{"kappa": sqrt(1-alpha) e^{-t0/2}, "distance": kappa^N W_0 + delta_W2 (1 - kappa^N)/(1 - kappa),
    "radius": delta_W2 / (1 - kappa)} (module docstring; kappa = 1 branch: W_0 + N delta_W2)."""
    a_t0 = ou_moments()["a_t"].subs(ou_moments()["t"], S.t0)  # synchronous coupling of one round
    kappa = sp.sqrt(1 - a) * a_t0
    kap = sp.Symbol("kappa", positive=True)
    e = sp.Function("e")
    sol = sp.simplify(sp.rsolve(e(_i + 1) - kap * e(_i) - S.delta_w2, e(_i), {e(0): S.w2_0}).subs(_i, S.N))
    derived = _geometric_limit(sol, (kap,), S.N)  # kappa < 1
    radius = S.delta_w2 / (1 - kap)  # the same, written so that kappa = 1 gives +inf (not -inf)
    if sp.simplify(derived - radius) != 0:
        raise RuntimeError(f"unexpected W2 radius {derived}")
    radius = sp.Piecewise((0, sp.Eq(S.delta_w2, 0)), (radius, True))
    at_one = sp.limit(sol, kap, 1)
    distance = sp.Piecewise((at_one, sp.Eq(kap, 1)), (sol, True))
    return {"kappa": kappa, "distance": distance.subs(kap, kappa), "radius": radius.subs(kap, kappa),
            "kappa_symbol": kap}


def derivations() -> dict:
    """Every derived expression of this module by name (for printing and tests)."""
    return {"hermite_step": hermite_step(), "limit_multiplier": limit_multiplier(),
            "contraction": contraction(), "variance": variance_recursion(), "annealed": annealed(),
            "w2_ball": w2_ball()}


# ---- numeric entry points ---------------------------------------------------------------------------
def _call(expr: sp.Expr, names: tuple, values: dict):
    """expr at `values`: float64 (array) for numbers, the SymPy expression when any value is symbolic."""
    check_params(values)
    if any(is_symbolic(v) for v in values.values()):
        return expr.subs({S.BY_NAME[k]: sp.sympify(values[k]) for k in names})
    fn = lambdified(expr, tuple(S.BY_NAME[k] for k in names), "numpy")
    out = evaluate(fn, [values[k] for k in names], "numpy")
    return out[()] if out.ndim == 0 else out


def hermite_multiplier(t0, mode):
    """``e^{-|n| t0/2}``: one round's multiplier of the order-`mode` Hermite coefficient (reconstructed, §5).

    Parameters
    ----------
    t0 : float or array >= 0
    mode : int or array of ints >= 0 (Hermite order ``|n|``)

    Returns
    -------
    float or ndarray: the broadcast multipliers.

    Raises
    ------
    ValueError naming t0 or mode when out of range.
    """
    return _call(hermite_step(), ("mode", "t0"), {"mode": mode, "t0": t0})


def limit_multipliers(alpha, t0, mode):
    """m_n(alpha, t0) = alpha e^{-n t0/2} / (1 - (1-alpha) e^{-n t0/2}) (reconstructed, THEORY.md §5).

    Parameters
    ----------
    alpha : float or array in [0, 1]
    t0 : float or array >= 0
    mode : int or array of ints >= 0 (Hermite order ``|n|``)

    Returns
    -------
    float or ndarray: the broadcast multipliers (1 at mode 0 or t0 = 0; 0 at alpha = 0, ``|n| t0 > 0``).

    Raises
    ------
    ValueError naming alpha, t0 or mode when out of range.
    """
    return _call(limit_multiplier(), ("alpha", "mode", "t0"), {"alpha": alpha, "mode": mode, "t0": t0})


def variance_fixed_point(alpha, t0, s2):
    """(alpha s^2 e^{-t0} + 1 - e^{-t0}) / (1 - (1-alpha) e^{-t0}) (reconstructed, THEORY.md §5).

    Raises ValueError naming the argument out of range; alpha = t0 = 0 (no fixed point: every v is
    one) raises ValueError.

    Parameters
    ----------
    alpha : float or array_like in [0, 1]
        Fraction of fresh data per generation.
    t0 : float or array_like >= 0
        Stopping time of the reverse process.
    s2 : float or array_like >= 0
        Variance of the data.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        The fixed-point variance, broadcast.

    Raises
    ------
    ValueError
        If alpha is outside [0, 1], t0 or s2 is negative, any is NaN, or alpha = t0 = 0 somewhere.
    """
    check_unit_interval("alpha", alpha)
    check_nonnegative("t0", t0)
    if np.any((np.asarray(alpha) == 0) & (np.asarray(t0) == 0)):
        raise ValueError("alpha and t0 must not both be 0 (every variance is then a fixed point)")
    return _call(variance_recursion()["fixed_point"], ("alpha", "s2", "t0"), {"alpha": alpha, "s2": s2, "t0": t0})


def annealed_deviation_bound(alpha, t0, rho, mode, N, dev0=0.0):
    """Upper bound on ``|c_n^N / c_n^data - 1|`` for t0(i) = t0 rho^i (reconstructed, THEORY.md §5).

    ``(1-alpha)^N dev0 + |n| t0 ((1-alpha)^N - rho^N) / (2 ((1-alpha) - rho))``; rho = 1 is the
    constant schedule.

    Parameters
    ----------
    alpha : float or array in [0, 1]
    t0 : float or array >= 0, the first stopping time
    rho : float or array, the schedule's ratio
    mode : int or array of ints >= 0 (Hermite order ``|n|``)
    N : int >= 0, the generation
    dev0 : float or array >= 0, the deviation at generation 0 (default 0)

    Returns
    -------
    float or ndarray: the broadcast bound.

    Raises
    ------
    ValueError naming the argument out of range.
    """
    check_generations("N", N)
    return _call(annealed()["bound"], ("N", "alpha", "dev0", "mode", "rho", "t0"),
                 {"alpha": alpha, "t0": t0, "rho": rho, "mode": mode, "N": N, "dev0": dev0})


def w2_ball_radius(alpha, t0, delta_w2):
    """delta_W2 / (1 - sqrt(1-alpha) e^{-t0/2}) (reconstructed robustness statement, THEORY.md §5);
    inf where alpha = t0 = 0 and delta_W2 > 0.

    Parameters
    ----------
    alpha : float or array_like in [0, 1]
        Fraction of fresh data per generation.
    t0 : float or array_like >= 0
        Stopping time of the reverse process.
    delta_w2 : float or array_like >= 0
        W2 size of the per-round perturbation.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        The radius of the W2 ball, broadcast.

    Raises
    ------
    ValueError
        If alpha is outside [0, 1], t0 or delta_w2 is negative, or any is NaN.
    """
    return _call(w2_ball()["radius"], ("alpha", "delta_w2", "t0"), {"alpha": alpha, "t0": t0, "delta_w2": delta_w2})
