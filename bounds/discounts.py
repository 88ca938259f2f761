"""The discount per generation of each divergence side by side (THEORY.md §8): (1-alpha)^2 for chi2
(Lemma F.1), 1 - alpha for TV, sqrt(1 - alpha) for Hellinger, each derived, for the report's row."""
from __future__ import annotations

import functools

import sympy as sp

from . import symbols as S
from .catalog import catalog
from .companions import hellinger_discount, tv_discount
from .lambdify import evaluate, lambdified
from .validation import check_unit_interval, is_symbolic


@functools.lru_cache(maxsize=1)
def discounts() -> dict:
    """The discount per generation of each divergence, derived: {"chi2": (1-alpha)^2 (Lemma F.1),
    "tv": 1 - alpha, "hellinger": sqrt(1 - alpha)}."""
    lemma = catalog()["lemmaF.1"]
    return {"chi2": sp.factor(lemma.expression / S.D), "tv": tv_discount(), "hellinger": hellinger_discount()}


def discount_table(alpha) -> dict:
    """`discounts()` at `alpha`: {"chi2": (1-alpha)^2, "tv": 1-alpha, "hellinger": sqrt(1-alpha)}, per
    generation, for the report's side-by-side row. Numbers (or arrays) in: float64 out; SymPy in: SymPy.

    Raises
    ------
    ValueError
        If a numeric alpha is outside [0, 1] or NaN.
    """
    check_unit_interval("alpha", alpha)
    if is_symbolic(alpha):
        return {k: v.subs(S.alpha, alpha) for k, v in discounts().items()}
    out = {}
    for k, v in discounts().items():
        value = evaluate(lambdified(v, (S.alpha,), "numpy"), [alpha], "numpy", ("alpha",))
        out[k] = value[()] if value.ndim == 0 else value
    return out
