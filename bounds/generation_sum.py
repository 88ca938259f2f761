"""A discounted sum over generations, the shape of every accumulation law of this package.

S = w^m x_0 + sum_{i<m} w^{m-1-i} g_i (THEORY.md §3 Thm 4.2 with w = (1-alpha)^2, m = N + 1;
§5 W2 ball with w = sqrt(1-alpha) e^{-t0/2}; §8 TV and Hellinger laws with w = 1-alpha and
sqrt(1-alpha)). A catalog `Result` states the law in closed form for per-generation terms held
constant (`closed`); given the terms as arrays over generations (last axis), the same law is
evaluated as the sum over the given sequence (`evaluate`), never elementwise against a constant.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import sympy as sp

from . import symbols as S
from .lambdify import lambdified


@dataclasses.dataclass(frozen=True)
class GenerationSum:
    """S = weight^count initial + sum_{i<count} weight^{count-1-i} term_i.

    Parameters
    ----------
    symbol : sympy.Symbol
        Stands for S where a result's bound is written in terms of it (not a parameter name).
    closed : sympy.Expr
        S in closed form when every parameter of `term` is constant over generations; the
        catalog result's lower/upper contain exactly this expression.
    weight, term, initial, count : sympy.Expr
        The discount per generation, the per-generation term g_i (in the parameters of
        `sequences` and constants), the initial value x_0 and the number m of terms.
    sequences : tuple of str
        Parameter names (bounds.symbols keywords) that may be given per generation: an array whose
        last axis runs over generations i = 0, 1, ... (at least `count` of them).
    """

    symbol: sp.Symbol
    closed: sp.Expr
    weight: sp.Expr
    term: sp.Expr
    initial: sp.Expr
    count: sp.Expr
    sequences: tuple

    def substitute(self, old, new) -> "GenerationSum":
        """The same sum with `old` replaced by `new` everywhere (a mutation control follows it)."""
        fields = ("closed", "weight", "term", "initial", "count")
        return dataclasses.replace(self, **{f: getattr(self, f).subs(old, new) for f in fields})

    def given_per_generation(self, params: dict) -> list[str]:
        """Names of the sequence parameters given as arrays (numpy-like, not SymPy)."""
        return [k for k in self.sequences if k in params and not isinstance(params[k], sp.Basic)
                and np.ndim(params[k]) > 0]

    def names(self) -> tuple[str, ...]:
        found = set()
        for e in (self.weight, self.term, self.initial, self.count):
            found |= {S.NAME_OF[s] for s in e.free_symbols if s in S.NAME_OF}
        return tuple(k for k in S.BY_NAME if k in found)

    def evaluate(self, params: dict) -> np.ndarray:
        """S for the given parameters, the sequence parameters' last axis running over generations.

        Leading axes (and every other parameter) broadcast; `count` may differ per element.

        Raises
        ------
        ValueError
            If a sequence has fewer generations than `count`, or the shapes do not broadcast.
        """
        seq = self.given_per_generation(params)
        G = min(np.shape(params[k])[-1] for k in seq)
        per_gen = {k: (np.asarray(params[k], dtype=float) if k in seq
                       else np.asarray(params[k], dtype=float)[..., None]) for k in self.names()}
        per_gen = {k: (v[..., :G] if k in seq else v) for k, v in per_gen.items()}
        scalars = {k: np.asarray(params[k], dtype=float) for k in self.names() if k not in seq}
        try:
            terms = _call(self.term, per_gen)
            weight, initial, count = (_call(e, scalars) for e in (self.weight, self.initial, self.count))
            batch = np.broadcast_shapes(terms.shape[:-1], weight.shape, initial.shape, count.shape)
        except ValueError as exc:
            raise ValueError(f"{', '.join(seq)} (per generation, last axis) and the other parameters must "
                             f"broadcast: {exc}") from None
        count = np.broadcast_to(count, batch)
        if np.any(count > G):
            raise ValueError(f"{', '.join(seq)} must list at least {int(count.max())} generations "
                             f"({sp.sstr(self.count)} terms) on the last axis, got {G}")
        path = discounted_path(np.broadcast_to(terms, batch + terms.shape[-1:]), weight, initial)
        return np.take_along_axis(path, count.astype(int)[..., None], axis=-1)[..., 0]


def _call(expr: sp.Expr, values: dict) -> np.ndarray:
    names = tuple(k for k in S.BY_NAME if S.BY_NAME[k] in expr.free_symbols)
    fn = lambdified(expr, tuple(S.BY_NAME[k] for k in names), "numpy")
    arrays = [values[k] for k in names]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.asarray(fn(*arrays), dtype=float)
    shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
    return np.broadcast_to(out, np.broadcast_shapes(out.shape, shape))


def discounted_path(terms: np.ndarray, weight, initial) -> np.ndarray:
    """x_0, ..., x_G with x_{i+1} = weight x_i + terms[..., i] (weight = 0: nothing carries over,
    also when x_i is infinite).

    Parameters
    ----------
    terms : ndarray, shape (..., G)
    weight, initial : array_like, broadcast against ``terms[..., 0]``

    Returns
    -------
    ndarray, shape (..., G + 1)
    """
    batch = terms.shape[:-1]
    w = np.broadcast_to(np.asarray(weight, dtype=float), batch)
    out = np.empty(batch + (terms.shape[-1] + 1,))
    out[..., 0] = initial
    for g in range(terms.shape[-1]):
        with np.errstate(invalid="ignore"):
            out[..., g + 1] = np.where(w == 0, 0.0, w * out[..., g]) + terms[..., g]
    return out
