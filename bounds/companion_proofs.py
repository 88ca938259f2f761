"""The proof steps of the companion laws (THEORY.md §8), each as a SymPy check, with controls.

`companion_proofs()` returns rows ``(name, result_id, proved, note, expect)`` in the shape of
`validate.proof_suite` (expect "holds" for a proof, "violated" for a control that SymPy must fail
to prove), so that each becomes a row of kind "proof" via `validate.proof_suite.proof_check(*row)`.
"""
from __future__ import annotations

import functools

import sympy as sp

from . import companions as K
from . import symbols as S
from .catalog import catalog
from .companion_controls import controls

HOLDS, VIOLATED = "holds", "violated"
a = S.alpha


def _step_proved(result, derived) -> bool:
    return K.step_constant_holds(result.upper, derived)


@functools.lru_cache(maxsize=1)
def companion_proofs() -> tuple:
    """(name, result id, proved, note, expect) of every companion proof step and control."""
    cat, bad = catalog(), controls()
    kl = cat["prop3.1"].upper
    tv_acc, hel_acc = cat["tv.accumulation"], cat["hellinger.accumulation"]
    tv_bad = bad["tv.accumulation[(1-alpha)^2]"]
    pointwise = "pointwise for arbitrary positive densities, alpha in [0, 1]"
    tv_step = K.tv_step_bound(kl)
    return (
        ("proof: tv.mix |q - data| = (1-alpha)|p - data|", "tv.mix",
         K.tv_mix_holds(cat["tv.mix"].expression / S.tv), pointwise, HOLDS),
        ("proof: tv.step from Prop 3.1, Pinsker and Bretagnolle-Huber", "tv.step",
         _step_proved(cat["tv.step"], sp.Min(K.pinsker(kl), K.bretagnolle_huber(kl)))
         and bool(sp.diff(K.bretagnolle_huber(S.kl_step) ** 2, S.kl_step).is_positive),
         "TV <= sqrt(KL/2), TV <= sqrt(1 - e^-KL) (increasing in KL) at KL = epshat2/2", HOLDS),
        ("proof: tv.accumulation solves rho_{N+1} = (1-alpha) rho_N + step + b_i", "tv.accumulation",
         K.accumulation_solves(tv_acc.upper, 1 - a, tv_step + S.tv_bias, S.tv0),
         "closed form (rsolve, constant terms) for N <= 6 and the unrolled sum with arbitrary terms; "
         "monotone in rho_N (weight >= 0), so the one-step inequality unrolls", HOLDS),
        ("proof: hellinger.mix (sqrt q - sqrt d)^2 <= (1-alpha)(sqrt p - sqrt d)^2", "hellinger.mix",
         K.hellinger_mix_holds(sp.factor((cat["hellinger.mix"].upper / S.hel) ** 2)),
         pointwise + ", by a certificate (concavity of the square root)", HOLDS),
        ("proof: H^2 <= KL/2 from -2 log(1 - H^2) >= 2 H^2", "hellinger.step", K.h2_below_half_kl(),
         "with KL >= -2 log BC (Jensen), BC = 1 - H^2", HOLDS),
        ("proof: hellinger.step sqrt(epshat2)/2 from H <= sqrt(KL/2) and Prop 3.1", "hellinger.step",
         _step_proved(cat["hellinger.step"], K.hellinger_from_kl(kl)), "at KL = epshat2/2", HOLDS),
        ("proof: hellinger.accumulation solves H_{N+1} = sqrt(1-alpha) H_N + step + c_i", "hellinger.accumulation",
         K.accumulation_solves(hel_acc.upper, sp.sqrt(1 - a), K.hellinger_step_bound(kl) + S.hel_bias, S.hel0),
         "closed form (rsolve) for N <= 6 and the unrolled sum with arbitrary terms", HOLDS),
        ("proof: renyi.time_only = a eps2/2 by integration", "renyi.time_only",
         sp.simplify(K.time_only_renyi_integrated() - cat["renyi.time_only"].expression) == 0,
         "E*[e^{aZ}], Z ~ N(-eps2/2, eps2), integrated over the real line", HOLDS),
        ("proof: renyi a -> 1 is Prop 3.1 (KL = eps2/2)", "renyi.dpi",
         sp.simplify(sp.limit(cat["renyi.time_only"].expression, S.order, 1) - kl.subs(S.epshat2, S.eps2)) == 0,
         "the time-only path Renyi at a -> 1 against Prop 3.1's bound", HOLDS),
        ("proof: renyi.dpi is tight on Brownian motion with a constant drift error", "renyi.dpi",
         sp.simplify(K.endpoint_renyi_brownian() - cat["renyi.time_only"].expression) == 0,
         "endpoint R_a of N(x0 + xi T, T) against N(x0, T) equals the path R_a = a xi^2 T / 2", HOLDS),
        ("control: tv.mix with (1-alpha)^2", "tv.mix", K.tv_mix_holds((1 - a) ** 2), pointwise, VIOLATED),
        ("control: tv.accumulation with the chi2 discount (1-alpha)^2", "tv.accumulation",
         K.accumulation_solves(tv_bad.upper, 1 - a, tv_step + S.tv_bias, S.tv0), "against the TV recursion", VIOLATED),
        ("control: hellinger.mix with (1-alpha)", "hellinger.mix", K.hellinger_mix_holds((1 - a) ** 2),
         pointwise + ": the certificate leaves a negative remainder", VIOLATED),
        ("control: hellinger.step with 49/100", "hellinger.step",
         _step_proved(bad["hellinger.step[49/100]"], K.hellinger_from_kl(kl)), "against the derivation", VIOLATED),
        ("control: tv.step with 49/100", "tv.step",
         _step_proved(bad["tv.step[49/100]"], sp.Min(K.pinsker(kl), K.bretagnolle_huber(kl))),
         "against the derivation", VIOLATED),
        ("control: renyi.time_only with 49/100", "renyi.time_only",
         sp.simplify(K.time_only_renyi_integrated() - bad["renyi.time_only[49/100]"].expression) == 0,
         "against the integral", VIOLATED),
    )
