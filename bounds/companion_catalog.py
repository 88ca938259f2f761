"""The companion laws of THEORY.md §8 as catalog entries (status "derived"; `bounds.companions`).

Ids: "tv.mix", "tv.step", "tv.accumulation", "hellinger.mix", "hellinger.step",
"hellinger.accumulation", "renyi.dpi", "renyi.time_only". Every expression comes from a derivation
in `bounds.companions` (rsolve, integrate, the catalog's Prop 3.1), none is typed in. The
accumulation laws take epshat2 and the bias (b_i, c_i) per generation as arrays (last axis) and sum
over them; constants give the closed form. Their mutation controls: `bounds.companion_controls`.
"""
from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import log1p

from . import companions as K
from . import symbols as S
from .generation_sum import GenerationSum
from .result import Result

SOURCE = "THEORY.md §8 companion laws (derived; re-derived in SymPy by bounds.companions)"
a = S.alpha
_unit = lambda x: [sp.Le(0, x), sp.Le(x, 1)]  # noqa: E731
_SUM = sp.Symbol("S_N")  # stands for the discounted sum of an accumulation law


def _accumulation(id_, statement, quantity, closed, weight_log, term, initial, sequences, display):
    # the weight as exp(log w), so that a mutated log w (the discount control) changes the sum too
    acc = GenerationSum(_SUM, closed, sp.exp(weight_log), term, initial, S.N, sequences)
    return Result(id=id_, statement=statement, source=SOURCE, status="derived", quantity=quantity, upper=closed,
                  conditions=tuple(_unit(a) + [sp.Ge(S.epshat2, 0)]), generation_sum=acc,
                  display=display, ceiling=1.0)


def companion_results(prop31: Result) -> list[Result]:
    """The §8 companion laws as `Result`s (see the module docstring for the ids), derived from Prop 3.1."""
    kl_bound = prop31.upper  # KL(p^{i+1} || p*^{i+1}) <= epshat2 / 2
    tv_term = K.tv_step_bound(kl_bound) + S.tv_bias
    hel_term = K.hellinger_step_bound(kl_bound) + S.hel_bias
    kl = sp.latex(kl_bound)
    return [
        Result(id="tv.mix", statement="TV(q_i, data) = (1-alpha) rho_i exactly (q_i - data = (1-alpha)(p^i - data))",
               source=SOURCE, status="derived", quantity=S.tv_mix, expression=K.tv_discount() * S.tv,
               conditions=tuple(_unit(a))),
        Result(id="tv.step",
               statement="TV(p^{i+1}, p*^{i+1}) <= min(sqrt(epshat2_i)/2, sqrt(1 - exp(-epshat2_i/2))) "
                         "(Prop 3.1 with Pinsker and Bretagnolle-Huber)",
               source=SOURCE, status="derived", quantity=S.tv_step, upper=K.tv_step_bound(kl_bound),
               conditions=(sp.Ge(S.epshat2, 0),), ceiling=1.0),
        _accumulation(
            "tv.accumulation",
            "rho_N <= (1-alpha)^N rho_0 + sum_{i<N} (1-alpha)^{N-1-i} (min(sqrt(epshat2_i)/2, sqrt(1 - exp(-epshat2_i/2))) + b_i), "
            "b_i = TV(p*^{i+1}, q_i); epshat2, b per generation (arrays) or constant (closed form)",
            S.tv_N, K.tv_accumulation(kl_bound), log1p(-a), tv_term, S.tv0, ("epshat2", "tv_bias"),
            r"\rho_N \le (1-\alpha)^{N} \rho_0 + \sum_{i=0}^{N-1} (1-\alpha)^{N-1-i} \left(\min\left("
            r"\frac{\sqrt{\hat\epsilon^2_i}}{2}, \sqrt{1 - e^{-\hat\epsilon^2_i/2}}\right) + b_i\right)"),
        Result(id="hellinger.mix", statement="H(q_i, data) <= sqrt(1-alpha) H_i (joint convexity of H^2)",
               source=SOURCE, status="derived", quantity=S.hel_mix, upper=K.hellinger_discount() * S.hel,
               conditions=tuple(_unit(a))),
        Result(id="hellinger.step", statement="H(p^{i+1}, p*^{i+1}) <= sqrt(epshat2_i)/2 (H^2 <= KL/2 and Prop 3.1)",
               source=SOURCE, status="derived", quantity=S.hel_step, upper=K.hellinger_step_bound(kl_bound),
               conditions=(sp.Ge(S.epshat2, 0),), display=None, ceiling=1.0),
        _accumulation(
            "hellinger.accumulation",
            "H_N <= (1-alpha)^{N/2} H_0 + sum_{i<N} (1-alpha)^{(N-1-i)/2} (sqrt(epshat2_i)/2 + c_i), c_i = H(p*^{i+1}, q_i); "
            "epshat2, c per generation (arrays) or constant (closed form)",
            S.hel_N, K.hellinger_accumulation(kl_bound), log1p(-a) / 2, hel_term, S.hel0, ("epshat2", "hel_bias"),
            r"H_N \le (1-\alpha)^{N/2} H_0 + \sum_{i=0}^{N-1} (1-\alpha)^{(N-1-i)/2} \left("
            r"\frac{\sqrt{\hat\epsilon^2_i}}{2} + c_i\right)"),
        Result(id="renyi.dpi",
               statement="R_a(p^{i+1} || p*^{i+1}) <= R_a(P^_i || P*_i) for every a > 0 (data processing; a -> 1: Prop 3.1, "
                         f"KL <= {sp.sstr(kl_bound)})",
               source=SOURCE + "; THEORY.md §8 tilted moments", status="derived", quantity=S.renyi_out,
               upper=S.renyi_path, display=rf"R_a(p^{{i+1}}\|p^{{*,i+1}}) \le R_a(\hat P_i\|P^*_i),\ a > 0"
                                            rf"\quad (a \to 1:\ \mathrm{{KL}} \le {kl})"),
        Result(id="renyi.time_only", statement="a time-only error: R_a(P^ || P*) = a eps2 / 2 (Z ~ N(-eps2/2, eps2) under P*)",
               source=SOURCE + "; THEORY.md §8 tilted moments", status="derived", quantity=S.renyi_path,
               expression=K.time_only_renyi()),
    ]
