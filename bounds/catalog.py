"""The catalog: every result of THEORY.md §3 once, as a `Result` keyed by id.

Constants are not typed in where THEORY.md gives a derivation: Prop 3.3 / Thm 3.4 take 1/4 and 4
from `perturbative.derive()`, Prop 3.3's second form its 1/8 from the first form, and the
Prop 4.1 floor comes from `floor.derive_floor` applied to the innovation inequality.
"""
from __future__ import annotations

import dataclasses
import functools

import sympy as sp

from . import symbols as S
from .companion_catalog import companion_results
from .floor import derive_floor
from .generation_sum import GenerationSum
from .limit_catalog import limit_law_results
from .perturbative import derive, second_form_coefficient
from .recursion import stable_constant_error_form
from .result import Result

a = S.alpha
_unit = lambda x: [sp.Le(0, x), sp.Le(x, 1)]  # noqa: E731


def _thm42_rhs() -> sp.Expr:
    """sum_{i=0}^{N} (1-alpha)^{2(N-i)} eps2 + (1-alpha)^{2(N+1)} D_0: D_{N+1} of the recursion,
    constant eps2, in the stable form (alpha = 0 and 1 exact)."""
    return stable_constant_error_form().subs(S.N, S.N + 1).subs(S.D0, S.D)


@functools.lru_cache(maxsize=1)
def catalog() -> dict[str, Result]:
    """Results keyed "prop3.1", "prop3.3", "prop3.3b", "thm3.4", "lemmaF.1", "identity",
    "innovation", "innovation.J", "prop4.1", "prop4.1.i", "thm4.2.R", "thm4.2".

    "prop3.3b" is Prop 3.3's second form, "innovation.J" the first half of the innovation row,
    "prop4.1.i" Prop 4.1 (i) (an implication: no numeric form). The limit law of THEORY.md §5 adds
    the "limit.*" entries of `bounds.limit_catalog.limit_law_results` (all reconstructed). In "thm4.2"
    the parameter D is D_{i0} with i0 = 0 and eps2 constant (closed form); "thm4.2.R" is the same
    statement with R_N a parameter, for per-generation errors (R_N from `bounds.drift_path`;
    `bounds.drift_envelope`); given eps2 as an array over generations (last axis), "thm4.2" sums
    over it. The companion laws of THEORY.md §8 add "tv.mix", "tv.step", "tv.accumulation",
    "hellinger.mix", "hellinger.step", "hellinger.accumulation", "renyi.dpi", "renyi.time_only"
    (`bounds.companion_catalog`, derived).

    Returns
    -------
    dict of str to Result
        The results of THEORY.md §3 and §5 by id, each carrying its source line.
    """
    pert = derive()
    quarter, four = pert.lower_linear, pert.upper_linear
    first_form = quarter * S.eta * S.eps2 - S.C * S.eps2**2
    small = [sp.Le(S.eps2, 1)] + _unit(S.eta)
    innovation = Result(
        id="innovation",
        statement="D_{i+1} + (1-alpha)^2 D_i >= alpha/2 I_i (from alpha I_i <= J_i and the one-step identity)",
        source="THEORY.md §3 innovation (derived)", status="derived",
        quantity=S.D_next + (1 - a) ** 2 * S.D, lower=a / 2 * S.I, conditions=tuple(_unit(a)))
    second = second_form_coefficient(first_form) * S.eta * S.eps2
    thm42_source = ("arXiv 2602.16601 Thm 4.2; THEORY.md §3 (stated as D + C_bias ≍ R; split into two additive "
                    "bounds: reconstructed).")
    thm42_per_generation = Result(
        id="thm4.2.R", statement="c1 R_N - C_bias <= D_{N+1} <= c2 R_N + C_bias, R_N given (per-generation errors)",
        source=thm42_source + " R_N = bounds.drift_path(eps2_i, alpha_i, D_0)[N+1]", status="reconstructed",
        quantity=S.D_after, lower=S.c1 * S.R - S.C_bias, upper=S.c2 * S.R + S.C_bias, conditions=tuple(_unit(a)))
    results = [
        Result(
            id="prop3.1", statement="KL(p^{i+1} || q_i) <= KL(P^_i || P*_i) = 1/2 epshat2_i (Girsanov, data processing)",
            source="arXiv 2602.16601 Prop 3.1; THEORY.md §3 (stated)",
            quantity=S.kl_step, upper=S.epshat2 / 2, conditions=(sp.Ge(S.epshat2, 0),)),
        Result(
            id="prop3.3", statement="chi2(p^{i+1} || q_i) >= 1/4 eta_i eps2_i - C eps2_i^2 if eps2_i <= 1",
            source="arXiv 2602.16601 Prop 3.3 (first form); THEORY.md §3 (stated; 1/4 derived from the reconstructed skeleton)",
            quantity=S.I, lower=first_form, conditions=tuple(small)),
        Result(
            id="prop3.3b", statement="chi2(p^{i+1} || q_i) >= 1/8 eta_i eps2_i if eps2_i <= min(1, eta_i/(8C))",
            source="arXiv 2602.16601 Prop 3.3 (second form); THEORY.md §3 (stated; 1/8 derived from the first form)",
            quantity=S.I, lower=second,
            conditions=tuple(small + [sp.Le(S.eps2, S.eta / (8 * S.C))])),
        Result(
            id="thm3.4", statement="1/4 eta_i eps2_i - C eps2_i^2 <= I_i <= 4 eps2_i + c eps2_i^2",
            source="arXiv 2602.16601 Thm 3.4; THEORY.md §3 (stated; 1/4 and 4 derived from the reconstructed skeleton)",
            quantity=S.I, lower=first_form, upper=four * S.eps2 + S.c * S.eps2**2, conditions=tuple(small)),
        Result(
            id="lemmaF.1", statement="chi2(q_i || data) = (1-alpha)^2 D_i, exactly (q_i - data = (1-alpha)(p^i - data))",
            source="arXiv 2602.16601 Lemma F.1; THEORY.md §3 (derived)", status="derived",
            quantity=S.chi2_mix, expression=(1 - a) ** 2 * S.D, conditions=tuple(_unit(a))),
        Result(
            id="identity", statement="D_{i+1} = (1-alpha)^2 D_i + 2(1-alpha) <p^i - data, p^{i+1} - q_i> + J_i",
            source="THEORY.md §3 one-step identity (derived)", status="derived",
            quantity=S.D_next, expression=(1 - a) ** 2 * S.D + 2 * (1 - a) * S.cross + S.J,
            conditions=tuple(_unit(a))),
        innovation,
        Result(
            id="innovation.J", statement="alpha I_i <= J_i (q_i >= alpha data)",
            source="THEORY.md §3 innovation (derived)", status="derived",
            quantity=S.J, lower=a * S.I, conditions=tuple(_unit(a))),
        Result(
            id="prop4.1", statement="eventually eps2_i >= eps_floor, eta_i >= eta_floor (in Prop 3.3b's small-error regime "
                                    "eps2_i <= min(1, eta_i/(8C))): limsup D_i >= alpha eta_floor eps_floor / (16 (1 + (1-alpha)^2))",
            source="arXiv 2602.16601 v2 Prop 4.1 (ii); THEORY.md §3 (stated; floor derived from the innovation inequality and Prop 3.3b)",
            quantity=S.limsup_D, lower=derive_floor(innovation.quantity, innovation.lower, second),
            # the derivation applies Prop 3.3b at every late generation i, so its conditions on
            # (eps2_i, eta_i, C) come along; eps2, eta here are a late generation's values
            conditions=tuple(_unit(a) + _unit(S.eta_floor) + [sp.Ge(S.eps_floor, 0)] + small
                             + [sp.Le(S.eps2, S.eta / (8 * S.C)), sp.Ge(S.eps2, S.eps_floor), sp.Ge(S.eta, S.eta_floor)])),
        Result(
            id="prop4.1.i", statement="sum_i eps2_i = inf implies sum_i D_i = inf",
            source="arXiv 2602.16601 v2 Prop 4.1 (i); THEORY.md §3 (stated)",
            quantity=sp.Sum(sp.Indexed("D", S.n), (S.n, 0, sp.oo)),
            premise=sp.Eq(sp.Sum(sp.Indexed(r"\epsilon^2", S.n), (S.n, 0, sp.oo)), sp.oo),
            conclusion=sp.Eq(sp.Sum(sp.Indexed("D", S.n), (S.n, 0, sp.oo)), sp.oo)),
        thm42_per_generation,
        dataclasses.replace(
            thm42_per_generation, id="thm4.2",
            statement="c1 R_N - C_bias <= D_{N+1} <= c2 R_N + C_bias, R_N = sum_{i<=N} (1-alpha)^{2(N-i)} eps2 + (1-alpha)^{2(N+1)} D_0",
            source=thm42_source + " Constant eps2 here (closed form); per-generation errors: thm4.2.R",
            display=(r"c_{1} R_N - C_{bias} \le D_{N+1} \le c_{2} R_N + C_{bias},\ "
                     r"R_N = \sum_{i=0}^{N} (1-\alpha)^{2(N-i)} \epsilon^{2}_i + (1-\alpha)^{2(N+1)} D_{0}"),
            # eps2 given per generation (an array, last axis i = 0..N) is summed: R_N of that sequence
            generation_sum=GenerationSum(S.R, _thm42_rhs(), (1 - a) ** 2, S.eps2, S.D, S.N + 1, ("eps2",)),
            lower=thm42_per_generation.lower.subs(S.R, _thm42_rhs()),
            upper=thm42_per_generation.upper.subs(S.R, _thm42_rhs()),
            conditions=tuple(_unit(a) + [sp.Ge(S.eps2, 0)])),
    ]
    results += limit_law_results()  # THEORY.md §5, ids "limit.*" (reconstructed; bounds.limit_catalog)
    results += companion_results(next(r for r in results if r.id == "prop3.1"))  # THEORY.md §8 from Prop 3.1: ids "tv.*", "hellinger.*", "renyi.*"
    return {r.id: r for r in results}


def mutated(result_id: str, old, new) -> Result:
    """A catalog result with `old` replaced by `new` (mutation controls; see Result.substitute).

    Parameters
    ----------
    result_id : str
        Key of `catalog()`.
    old, new : SymPy expression, number or str
        What to replace and its replacement.

    Returns
    -------
    Result
        The mutated copy.

    Raises
    ------
    KeyError
        If `result_id` is not a catalog key.
    ValueError
        If `old` does not occur in the result.
    """
    return catalog()[result_id].substitute(sp.sympify(old), sp.sympify(new))
