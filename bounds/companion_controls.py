"""Mutation controls of the companion laws (THEORY.md §8): mutated catalog results that must fail."""
from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import log1p

from . import symbols as S
from .catalog import catalog

a = S.alpha


def controls() -> dict:
    """Mutated companion laws that must fail on cases built for them, by name:

    "tv.accumulation[no b]" (the bias term dropped), "tv.accumulation[(1-alpha)^2]" (the chi2
    discount in the TV law), "tv.step[49/100]" and "hellinger.step[49/100]" (0.49 for the 1/2 of
    sqrt(epshat2)/2), "hellinger.accumulation[no c]", "renyi.time_only[49/100]".
    """
    cat = catalog()
    half = sp.sqrt(S.epshat2) / 2
    low = sp.Rational(49, 100) * sp.sqrt(S.epshat2)
    return {
        "tv.accumulation[no b]": cat["tv.accumulation"].substitute(S.tv_bias, 0, label="b_i dropped"),
        "tv.accumulation[(1-alpha)^2]": cat["tv.accumulation"].substitute(
            log1p(-a), 2 * log1p(-a), label="(1-alpha) -> (1-alpha)^2"),
        "tv.step[49/100]": cat["tv.step"].substitute(half, low, label="1/2 -> 49/100"),
        "hellinger.step[49/100]": cat["hellinger.step"].substitute(half, low, label="1/2 -> 49/100"),
        "hellinger.accumulation[no c]": cat["hellinger.accumulation"].substitute(S.hel_bias, 0, label="c_i dropped"),
        "renyi.time_only[49/100]": cat["renyi.time_only"].substitute(
            S.order * S.eps2 / 2, sp.Rational(49, 100) * S.order * S.eps2, label="1/2 -> 49/100"),
    }
