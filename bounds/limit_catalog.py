"""The limit-law results of THEORY.md §5 as catalog entries (status "reconstructed").

`limit_law_results()` returns them as `Result`s; `bounds.catalog()` extends itself with this list
(ids "limit.*"). Every expression comes from a derivation in `bounds.limit_law` (SymPy: integrate,
dsolve, rsolve, summation, limits), none is typed in. Source: arXiv 2606.13796 (the follow-up by
the same authors) as summarised in THEORY.md §5; the formulas there are reconstructed, so is every
entry here.
"""
from __future__ import annotations

import sympy as sp

from . import limit_law as L
from . import symbols as S
from .generation_sum import GenerationSum
from .result import Result

SOURCE = "arXiv 2606.13796; THEORY.md §5 (reconstructed; derived in SymPy by bounds.limit_law)"
STATUS = "reconstructed"
#: the mutation behind the control of the multiplier checks: e^{-|n| t0/2} -> e^{-|n| t0}
MULTIPLIER_CONTROL = (S.t0, 2 * S.t0, "e^{-n t0/2} -> e^{-n t0}")

a = S.alpha
_unit = [sp.Le(0, a), sp.Le(a, 1)]


def limit_law_results() -> list[Result]:
    """The §5 results: "limit.hermite_step", "limit.multiplier", "limit.mode_rate", "limit.rate",
    "limit.rate.hermite", "limit.variance", "limit.variance.fixed", "limit.annealed",
    "limit.annealed.geometric", "limit.annealed.alpha0", "limit.annealed.return", "limit.w2",
    "limit.w2.radius". Parameters: alpha, t0 (t0(i) in the annealed step), mode (|n|), s2, v, rho,
    dev (delta_i), dev0 (|delta_0|), delta_w2, w2_0, N."""
    contraction, variance, annealed, ball = L.contraction(), L.variance_recursion(), L.annealed(), L.w2_ball()
    premise, conclusion = L.annealed_return()
    rho_range = [sp.Le(S.rho, 1)]

    def entry(**kw) -> Result:
        return Result(source=SOURCE, status=STATUS, **kw)

    return [
        entry(id="limit.hermite_step",
              statement="one round P_t0 multiplies the order-|n| Hermite coefficient of the density ratio to N(0, I) by e^{-|n| t0/2}",
              quantity=S.hermite_ratio, expression=L.hermite_step()),
        entry(id="limit.multiplier",
              statement="limit law: c_n(p_inf) = m_n c_n(data), m_n = alpha e^{-|n| t0/2} / (1 - (1-alpha) e^{-|n| t0/2}) (a low-pass filter)",
              quantity=S.limit_ratio, expression=L.limit_multiplier(), conditions=tuple(_unit),
              display=f"{sp.latex(S.limit_ratio)} = {sp.latex(L.limit_multiplier_display())}"),
        entry(id="limit.mode_rate",
              statement="c_n^{i+1} - c_n^inf = (1-alpha) e^{-|n| t0/2} (c_n^i - c_n^inf): each mode reaches the limit geometrically",
              quantity=S.gap_ratio, expression=contraction["mode"], conditions=tuple(_unit)),
        entry(id="limit.rate",
              statement="TV(p^{i+1}, p_inf) <= (1-alpha) TV(p^i, p_inf) (p^{i+1} - p_inf = (1-alpha) P_t0 (p^i - p_inf))",
              quantity=S.tv_ratio, upper=contraction["tv"], conditions=tuple(_unit)),
        entry(id="limit.rate.hermite",
              statement="||p^{i+1} - p_inf||_{1/gamma} <= (1-alpha) e^{-t0/2} ||p^i - p_inf||_{1/gamma} (slowest mode |n| = 1)",
              quantity=S.l2_ratio, upper=contraction["hermite"], conditions=tuple(_unit)),
        entry(id="limit.variance",
              statement="mean-zero data of variance s^2: v_{i+1} = e^{-t0} (alpha s^2 + (1-alpha) v_i) + 1 - e^{-t0}, exact for any law",
              quantity=S.v_next, expression=variance["step"], conditions=tuple(_unit)),
        entry(id="limit.variance.fixed",
              statement="variance of the limit: v_inf = (alpha s^2 e^{-t0} + 1 - e^{-t0}) / (1 - (1-alpha) e^{-t0})",
              quantity=S.v_inf, expression=variance["fixed_point"],
              conditions=tuple(_unit + [sp.Gt(a + S.t0, 0)])),
        entry(id="limit.annealed",
              statement="schedule t0(i): delta_{i+1} = e^{-|n| t0(i)/2} ((1-alpha) delta_i + 1) - 1, delta_i = c_n^i / c_n^data - 1",
              quantity=S.dev_next, expression=annealed["step"], conditions=tuple(_unit)),
        entry(id="limit.annealed.geometric",
              statement="t0(i) = t0 rho^i: |delta_N| <= (1-alpha)^N |delta_0| + |n| t0 ((1-alpha)^N - rho^N) / (2 ((1-alpha) - rho)) -> 0 iff rho < 1",
              quantity=S.dev_N, upper=annealed["bound"], conditions=tuple(_unit + rho_range)),
        entry(id="limit.annealed.alpha0",
              statement="alpha = 0, t0(i) = t0 rho^i, started at data: delta_N = exp(-|n| t0 (1 - rho^N) / (2 (1 - rho))) - 1, never back to data",
              quantity=S.dev_N_signed, expression=annealed["alpha0"], conditions=tuple(rho_range)),
        entry(id="limit.annealed.return",
              statement="alpha > 0: every Hermite mode returns to data (c_n^i -> c_n^data) iff t0(i) -> 0",
              quantity=conclusion.lhs, premise=premise, conclusion=conclusion),
        entry(id="limit.w2",
              statement="a sampler within delta_W2 (W2) of the ideal round per round: W2(p^N, p*^N) <= kappa^N W_0 + delta_W2 (1 - kappa^N) / (1 - kappa), kappa = sqrt(1-alpha) e^{-t0/2}",
              quantity=S.w2_N, upper=ball["distance"], conditions=tuple(_unit),
              # delta_w2 given per round (an array, last axis) is summed with weights kappa^{N-1-i}
              generation_sum=GenerationSum(sp.Symbol("S_N"), ball["distance"], ball["kappa"], S.delta_w2, S.w2_0,
                                           S.N, ("delta_w2",))),
        entry(id="limit.w2.radius",
              statement="the model stays in the W2 ball of radius delta_W2 / (1 - sqrt(1-alpha) e^{-t0/2}) around the ideal limit",
              quantity=S.w2_limsup, upper=ball["radius"], conditions=tuple(_unit)),
    ]


def multiplier_control(result: Result) -> Result:
    """`result` (a "limit.*" entry in t0) with e^{-|n| t0/2} replaced by e^{-|n| t0}: the control."""
    old, new, label = MULTIPLIER_CONTROL
    return result.substitute(old, new, label=label)
