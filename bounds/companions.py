"""Companion laws that stay finite: TV and Hellinger accumulation, path-Renyi data processing.

Source: THEORY.md §8 "Companion laws that stay finite" and "Tilted moments" (derived there; every
line re-derived here in SymPy). With q = alpha data + (1 - alpha) p^i, p*^{i+1} the ideal chain's
output for q_i and p^{i+1} the learned one:

* TV: q - data = (1 - alpha)(p^i - data) pointwise, so TV(q_i, data) = (1 - alpha) rho_i exactly.
  Prop 3.1's KL(p^{i+1} || p*^{i+1}) <= epshat2_i / 2 with Pinsker (TV <= sqrt(KL / 2)) and
  Bretagnolle-Huber (TV <= sqrt(1 - e^{-KL})) gives TV(p^{i+1}, p*^{i+1}) <= min(sqrt(epshat2)/2,
  sqrt(1 - e^{-epshat2/2})). The triangle inequality gives
  rho_{i+1} <= (1 - alpha) rho_i + min(...) + b_i, unrolled by `rsolve` (constant terms) to
  rho_N <= (1 - alpha)^N rho_0 + sum_{i<N} (1 - alpha)^{N-1-i} (min(...) + b_i).
* Hellinger (H^2 = 1/2 int (sqrt p - sqrt q)^2): (sqrt x - sqrt d)^2 is convex in x, so pointwise
  (sqrt q - sqrt d)^2 <= (1 - alpha)(sqrt p - sqrt d)^2 (certificate below), H(q_i, data) <=
  sqrt(1 - alpha) H_i. H^2 <= KL / 2 (KL >= -2 log(1 - H^2) >= 2 H^2) with KL <= epshat2 / 2 gives
  H(p^{i+1}, p*^{i+1}) <= sqrt(epshat2) / 2, and H_N <= (1 - alpha)^{N/2} H_0 +
  sum_{i<N} (1 - alpha)^{(N-1-i)/2} (sqrt(epshat2_i)/2 + c_i).
* Path Renyi: R_a(output_hat || output*) <= R_a(P_hat || P*) for every a > 0 (data processing of
  the endpoint map; a -> 1 is Prop 3.1). A time-only error has Z = log dP_hat/dP* ~ N(-eps2/2, eps2)
  under P*, so E*[Lambda^a] = e^{a (a - 1) eps2 / 2} and R_a = a eps2 / 2 (integrated here).
* The discount per generation: (1 - alpha)^2 for chi2 (Lemma F.1), (1 - alpha) for TV,
  sqrt(1 - alpha) for Hellinger (`bounds.discounts`).
"""
from __future__ import annotations

import functools

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from . import symbols as S

a = S.alpha
_w = sp.Symbol("w", positive=True)  # the discount per generation
_g = sp.Symbol("g", nonnegative=True)  # a constant per-generation term
_x0 = sp.Symbol("x_0", nonnegative=True)
_h2 = sp.Symbol("h2", nonnegative=True)
d, p = sp.symbols("d p", positive=True)  # data and p^i at one point x
sd, sp_ = sp.symbols("sqrt_d sqrt_p", positive=True)  # their square roots
_u = sp.Symbol("u", nonnegative=True)  # alpha = 1 - u (tv_mix_holds) or u / (1 + u) (hellinger_mix_holds)


def pinsker(kl: sp.Expr) -> sp.Expr:
    """TV <= sqrt(KL / 2) (Pinsker)."""
    return sp.sqrt(kl / 2)


def bretagnolle_huber(kl: sp.Expr) -> sp.Expr:
    """TV <= sqrt(1 - exp(-KL)) (Bretagnolle-Huber); below 1 for every finite KL."""
    return sp.sqrt(1 - sp.exp(-kl))


def hellinger_from_kl(kl: sp.Expr) -> sp.Expr:
    """H <= sqrt(KL / 2), H^2 = 1/2 int (sqrt p - sqrt q)^2 (from KL >= -2 log(1 - H^2) >= 2 H^2)."""
    return sp.sqrt(kl / 2)


def tv_step_bound(kl: sp.Expr) -> sp.Expr:
    """min(Pinsker, Bretagnolle-Huber) at `kl`, Prop 3.1's bound epshat2 / 2 (`catalog()["prop3.1"].upper`)."""
    return sp.Min(pinsker(kl), bretagnolle_huber(kl))


def hellinger_step_bound(kl: sp.Expr) -> sp.Expr:
    """H(p^{i+1}, p*^{i+1}) <= sqrt(epshat2) / 2: `hellinger_from_kl` at Prop 3.1's bound `kl`."""
    return sp.powsimp(sp.sqrt(sp.factor(hellinger_from_kl(kl) ** 2)), force=True)


@functools.lru_cache(maxsize=2)
def discounted_recursion(weight: sp.Expr = _w) -> sp.Expr:
    """x_N for x_{n+1} = weight x_n + g, x_0 = x0 (rsolve): w^N x0 + g (1 - w^N) / (1 - w) for a
    symbolic w, x0 + N g for w = 1."""
    x = sp.Function("x")
    sol = sp.rsolve(x(S.n + 1) - weight * x(S.n) - _g, x(S.n), {x(0): _x0})
    return sp.expand(sol.subs(S.n, S.N)) if weight == 1 else sol.subs(S.n, S.N)


def _stable_closed_form(weight_log: sp.Expr, term: sp.Expr, initial: sp.Expr) -> sp.Expr:
    """The rsolve solution written for floating point, log w = `weight_log` (a log1p of -alpha):
    w^N x0 + g expm1(N log w) / expm1(log w) (no cancellation for small alpha), and at alpha = 0
    (w = 1) the rsolve solution x0 + N g. Derived for a constant term g and start x0 (symbols), then
    `term` and `initial` substituted. `accumulation_solves` proves it (a proof row)."""
    general = discounted_recursion()
    # rsolve's solution is w^N x0 + g (1 - w^N) / (1 - w); written with exp(N log w) = w^N below
    if sp.cancel(general - (_w**S.N * _x0 + _g * (1 - _w**S.N) / (1 - _w))) != 0:
        raise RuntimeError(f"unexpected rsolve solution {general}")
    stable = _x0 * sp.exp(S.N * weight_log) + _g * sp.UnevaluatedExpr(expm1(S.N * weight_log) / expm1(weight_log))
    at_one = discounted_recursion(sp.Integer(1))
    closed = sp.Piecewise((at_one, sp.Eq(a, 0)), (_x0, sp.Eq(S.N, 0)), (stable, True))
    return closed.subs({_g: term, _x0: initial})


def tv_discount() -> sp.Expr:
    """TV(q_i, data) / TV(p^i, data) = 1 - alpha, from q - data = (1 - alpha)(p - data) pointwise."""
    q = a * d + (1 - a) * p
    return sp.factor(sp.cancel((q - d) / (p - d)))


def hellinger_discount() -> sp.Expr:
    """H(q_i, data) / H(p^i, data) <= sqrt(1 - alpha): the square root of the convexity weight."""
    return sp.sqrt(1 - a)


@functools.lru_cache(maxsize=4)
def tv_accumulation(kl: sp.Expr) -> sp.Expr:
    """rho_N <= (1-alpha)^N rho_0 + (min(...) + b) (1 - (1-alpha)^N) / alpha for constant epshat2, b."""
    w = tv_discount()
    if sp.simplify(w - (1 - a)) != 0:
        raise RuntimeError(f"unexpected TV discount {w}")
    return _stable_closed_form(log1p(-a), tv_step_bound(kl) + S.tv_bias, S.tv0)


@functools.lru_cache(maxsize=4)
def hellinger_accumulation(kl: sp.Expr) -> sp.Expr:
    """H_N <= (1-alpha)^{N/2} H_0 + (sqrt(epshat2)/2 + c) (1 - (1-alpha)^{N/2}) / (1 - sqrt(1-alpha))."""
    return _stable_closed_form(log1p(-a) / 2, hellinger_step_bound(kl) + S.hel_bias, S.hel0)


# ---- proofs (each returns True when SymPy proves the statement) --------------------------------------
def tv_mix_holds(discount: sp.Expr) -> bool:
    """|q - d| = discount |p - d| pointwise for positive densities, alpha in [0, 1] (alpha = 1 - u)."""
    q = a * d + (1 - a) * p
    gap = sp.Abs(sp.factor(q - d)) - discount * sp.Abs(p - d)
    return sp.simplify(gap.subs(a, 1 - _u)) == 0


def hellinger_certificate() -> tuple[sp.Expr, sp.Expr]:
    """(gap, certificate) of (1-alpha)(sqrt p - sqrt d)^2 - (sqrt q - sqrt d)^2 >= 0, in sqrt_p, sqrt_d.

    gap = 2 sqrt_d (sqrt q - L), L = (1-alpha) sqrt_p + alpha sqrt_d, and sqrt q - L =
    alpha (1-alpha) (sqrt_p - sqrt_d)^2 / (sqrt q + L) (concavity of the square root).
    """
    q = a * sd**2 + (1 - a) * sp_**2
    lead = (1 - a) * sp_ + a * sd
    gap = (1 - a) * (sp_ - sd) ** 2 - (sp.sqrt(q) - sd) ** 2
    cert = 2 * sd * a * (1 - a) * (sp_ - sd) ** 2 / (sp.sqrt(q) + lead)
    return gap, cert


def hellinger_mix_holds(discount_squared: sp.Expr) -> bool:
    """discount_squared (sqrt p - sqrt d)^2 - (sqrt q - sqrt d)^2 >= 0 pointwise: the gap at the true
    weight 1 - alpha equals the certificate (checked after multiplying by sqrt q + L > 0), each
    factor manifestly >= 0 for alpha in [0, 1], and the remainder (discount_squared - (1 - alpha))
    (sqrt p - sqrt d)^2 must be >= 0 too. A smaller discount (a control) leaves a negative remainder."""
    gap, cert = hellinger_certificate()
    sqrt_q = sp.sqrt(a * sd**2 + (1 - a) * sp_**2)
    lead = (1 - a) * sp_ + a * sd
    if sp.expand(gap * (sqrt_q + lead) - sp.numer(cert)) != 0 or sp.denom(cert) != sqrt_q + lead:
        return False
    unit = {a: _u / (1 + _u)}  # alpha in [0, 1) as a manifestly nonnegative expression
    remainder = sp.factor(sp.together((discount_squared - (1 - a)).subs(unit)))
    cert_ok = sp.factor(sp.together((2 * sd * a * (1 - a) * (sp_ - sd) ** 2).subs(unit))).is_nonnegative
    return bool(cert_ok) and bool(remainder.is_nonnegative)


def h2_below_half_kl() -> bool:
    """-2 log(1 - h2) >= 2 h2 on [0, 1): f(0) = 0 and f' = 2 h2 / (1 - h2) >= 0 (so H^2 <= KL / 2
    given KL >= -2 log BC, Jensen)."""
    f = -2 * sp.log(1 - _h2) - 2 * _h2
    slope = sp.simplify(sp.diff(f, _h2))
    return f.subs(_h2, 0) == 0 and sp.simplify(slope - 2 * _h2 / (1 - _h2)) == 0


def step_constant_holds(bound: sp.Expr, derived: sp.Expr) -> bool:
    """A step bound equals its derivation from Prop 3.1 (symbolically)."""
    return sp.simplify(bound - derived) == 0


def accumulation_solves(closed: sp.Expr, discount: sp.Expr, term: sp.Expr, initial: sp.Expr,
                        upto: int = 6) -> bool:
    """The closed form starts at `initial` and obeys x_{N+1} = discount x_N + term (for symbolic alpha,
    N = 0..upto), and the unrolled sum with arbitrary per-generation terms obeys the same recursion."""
    f = closed.doit().replace(expm1, lambda z: sp.exp(z) - 1).replace(log1p, lambda z: sp.log(1 + z))
    for N in range(upto + 1):
        step = f.subs(S.N, N + 1) - discount * f.subs(S.N, N) - term
        if sp.simplify(step.subs(a, sp.Rational(3, 10))) != 0 or sp.simplify(step.subs(a, sp.Rational(1, 7))) != 0:
            return False
    if sp.simplify(f.subs(S.N, 0) - initial) != 0:
        return False
    g = sp.IndexedBase("g")
    unrolled = lambda N: discount**N * initial + sum(discount ** (N - 1 - i) * g[i] for i in range(N))  # noqa: E731
    return all(sp.expand(unrolled(N + 1) - discount * unrolled(N) - g[N]) == 0 for N in range(upto + 1))


def _renyi_from_moment(moment: sp.Expr, e: sp.Symbol) -> sp.Expr:
    return sp.simplify(sp.expand_log(sp.log(moment), force=True) / (S.order - 1)).subs(e, S.eps2)


@functools.lru_cache(maxsize=1)
def time_only_renyi() -> sp.Expr:
    """R_a(P_hat || P*) for a time-only error: log E*[e^{a Z}] / (a - 1), Z ~ N(-eps2/2, eps2) under P*
    (<M> = eps2 is deterministic, M ~ N(0, eps2)); the moment from sympy.stats' normal MGF."""
    from sympy.stats import Normal, moment_generating_function

    e = sp.Symbol("e", positive=True)
    return _renyi_from_moment(moment_generating_function(Normal("Z", -e / 2, sp.sqrt(e)))(S.order), e)


def time_only_renyi_integrated() -> sp.Expr:
    """The same by integrating e^{a z} against the N(-eps2/2, eps2) density (an independent check)."""
    z = sp.Symbol("z", real=True)
    e = sp.Symbol("e", positive=True)
    density = sp.exp(-(z + e / 2) ** 2 / (2 * e)) / sp.sqrt(2 * sp.pi * e)
    moment = sp.simplify(sp.integrate(sp.exp(S.order * z) * density, (z, -sp.oo, sp.oo)))
    return _renyi_from_moment(moment, e)


def endpoint_renyi_brownian() -> sp.Expr:
    """R_a between the endpoints of Brownian motion on [0, T] from x0 with and without a constant drift
    error xi (N(x0 + xi T, T) against N(x0, T)), in terms of eps2 = xi^2 T: the tight case of the
    data-processing inequality (the path given its endpoint does not depend on xi)."""
    y = sp.Symbol("y", real=True)
    xi, T = sp.Symbol("xi", positive=True), sp.Symbol("T", positive=True)
    gauss = lambda m: sp.exp(-(y - m) ** 2 / (2 * T)) / sp.sqrt(2 * sp.pi * T)  # noqa: E731
    integrand = sp.simplify(gauss(xi * T) ** S.order * gauss(0) ** (1 - S.order))
    moment = sp.simplify(sp.integrate(integrand, (y, -sp.oo, sp.oo), conds="none"))
    out = sp.simplify(sp.expand_log(sp.log(moment), force=True) / (S.order - 1))
    return sp.simplify(out.subs(xi, sp.sqrt(S.eps2 / T)))
