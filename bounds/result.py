"""`Result`: one statement of the paper as SymPy expressions, printable and evaluable.

A result bounds (or equals) a `quantity` (its left-hand side) by `lower` and/or `upper`
(inequalities) or by `expression` (equalities), under `conditions` (SymPy relations: the regime
in which it holds). Numeric parameters are passed by the keyword names of `bounds.symbols`.
"""
from __future__ import annotations

import dataclasses
from functools import cached_property

import numpy as np
import sympy as sp

from . import symbols as S
from .generation_sum import GenerationSum
from .lambdify import evaluate, lambdified
from .tolerance import passes
from .validation import as_float_array, check_params, is_symbolic

_ORDER = list(S.BY_NAME)


def _names(*exprs) -> tuple[str, ...]:
    found = set()
    for e in exprs:
        if e is not None:
            found |= {S.NAME_OF[s] for s in e.free_symbols if s in S.NAME_OF}
    return tuple(k for k in _ORDER if k in found)


def _is_tensor(value) -> bool:
    return type(value).__module__.startswith("torch")


@dataclasses.dataclass(frozen=True)
class Result:
    """One result of THEORY.md §3. Build mutated copies with `substitute` / `with_coefficient`.

    Parameters
    ----------
    id : str
        Catalog key, e.g. "thm4.2" (mutated copies append ``[old -> new]``).
    statement : str
        The statement in words.
    source : str
        Where it comes from (THEORY.md section, "stated", "derived" or "reconstructed").
    quantity : sympy.Expr
        The bounded (or equated) left-hand side.
    lower, upper : sympy.Expr or None
        The bounds of an inequality (either may be None).
    expression : sympy.Expr or None
        The right-hand side of an equality.
    conditions : tuple of SymPy relations
        The regime in which the result holds; conditions that are identically true are dropped.
    status : str
        "stated", "derived" or "reconstructed" (default "stated").
    premise, conclusion : sympy.Basic or None
        The two sides of an implication (Prop 4.1 (i)); no numeric form.
    mutation : str or None
        Label of the mutation this copy carries (None for catalog results).
    display : str or None
        LaTeX of the statement when the expressions are not the clearest form.
    generation_sum : GenerationSum or None
        For accumulation laws: the discounted sum over generations that lower/upper contain in
        closed form (terms constant over generations). Its sequence parameters given as arrays
        (last axis: generations) are summed over the sequence, not broadcast against a constant.
    ceiling : float or None
        The largest value the quantity can take (1 for TV and the Hellinger distance): an upper bound at
        or above it is trivially true.
    """

    id: str
    statement: str
    source: str
    quantity: sp.Expr
    lower: sp.Expr | None = None
    upper: sp.Expr | None = None
    expression: sp.Expr | None = None
    conditions: tuple = ()
    status: str = "stated"
    premise: sp.Basic | None = None  # implications only (Prop 4.1 (i))
    conclusion: sp.Basic | None = None
    mutation: str | None = None
    display: str | None = None  # LaTeX of the statement when the expressions are not the clearest form
    generation_sum: GenerationSum | None = None
    ceiling: float | None = None

    def __post_init__(self):  # drop conditions the symbols' assumptions already make true
        object.__setattr__(self, "conditions", tuple(c for c in self.conditions if c is not sp.true))

    @property
    def kind(self) -> str:
        if self.premise is not None:
            return "implication"
        return "equality" if self.expression is not None else "inequality"

    @property
    def params(self) -> tuple[str, ...]:
        """Names of the numeric parameters the bounds (and the quantity, if it is an expression) need."""
        return _names(self.lower, self.upper, self.expression, self.quantity, *self.conditions)

    # ---- printing ---------------------------------------------------------------------------
    def latex(self) -> str:
        """The statement in LaTeX, with its conditions."""
        q = sp.latex(self.quantity)
        if self.display is not None:
            body = self.display
        elif self.kind == "implication":
            body = rf"{sp.latex(self.premise)} \;\Longrightarrow\; {sp.latex(self.conclusion)}"
        elif self.kind == "equality":
            body = rf"{q} = {sp.latex(self.expression)}"
        else:
            parts = ([sp.latex(self.lower), r"\le"] if self.lower is not None else []) + [q]
            if self.upper is not None:
                parts += [r"\le", sp.latex(self.upper)]
            body = " ".join(parts)
        if self.conditions:
            conds = ",\\ ".join(sp.latex(c) for c in self.conditions)
            body += rf" \quad \text{{if }} {conds}"
        return body

    def __str__(self) -> str:
        return f"{self.id}: {self.statement}"

    def _repr_latex_(self) -> str:
        """The statement as LaTeX, for notebooks (IPython's rich display)."""
        return f"${self.latex()}$"

    # ---- numeric forms ----------------------------------------------------------------------
    def function(self, part: str = "lower", backend: str = "numpy", validate: bool = True):
        """Vectorised `part` ("lower", "upper", "expression", "quantity") taking keyword parameters.

        backend "numpy" (float64 arrays) or "torch" (tensors, any device). Extra keywords are ignored,
        so one dict of parameters serves every part. Positional arguments follow `params`.

        Parameters
        ----------
        part : {"lower", "upper", "expression", "quantity"}
            Which expression to compile (default "lower").
        backend : {"numpy", "torch"}
            Array library (default "numpy").
        validate : bool
            Check the numeric (non-tensor) parameters' ranges on each call (default True).

        Returns
        -------
        callable
            ``call(*args, **params)`` evaluating the part; it raises ValueError when a parameter
            the part needs is missing or (with `validate`) out of range. A SymPy expression with
            free symbols among the parameters (e.g. `bounds.symbols.alpha`) gives the SymPy result.

        Raises
        ------
        ValueError
            If the result has no such part (it is None).
        """
        expr = getattr(self, part)
        if expr is None:
            raise ValueError(f"{self.id} has no {part!r} part")
        if self.generation_sum is not None:
            return self._function_with_sequences(part, expr, backend, validate)
        return self._plain_function(part, expr, backend, validate)

    def _plain_function(self, part, expr, backend, validate):
        names = _names(expr)
        fn = lambdified(expr, tuple(S.BY_NAME[k] for k in names), backend)

        def call(*args, **kwargs):
            kwargs.update(zip(self.params, args))
            missing = [k for k in names if k not in kwargs]
            if missing:
                hint = " (or pass value=)" if part == "quantity" else ""
                raise ValueError(f"{self.id}.{part} needs parameter(s) {', '.join(missing)}{hint}")
            if validate:  # tensors are left to the caller (no device sync here)
                check_params({k: kwargs[k] for k in names if not _is_tensor(kwargs[k])})
            if any(is_symbolic(kwargs[k]) for k in names):  # a library symbol given: the SymPy expression
                return expr.subs({S.BY_NAME[k]: sp.sympify(kwargs[k]) for k in names})
            return evaluate(fn, [kwargs[k] for k in names], backend, names)

        call.__name__ = f"{self.id}_{part}"
        call.__doc__ = f"{part} of {self.id}: {sp.sstr(expr)} (parameters {', '.join(names)})"
        return call

    def _function_with_sequences(self, part, expr, backend, validate):
        """`function` of an accumulation law: the closed form for constant terms, the sum over the
        given sequence when a sequence parameter is an array (generations on its last axis)."""
        plain = self._plain_function(part, expr, backend, validate)
        acc = self.generation_sum
        in_sum = expr.subs(acc.closed, acc.symbol)
        needs = tuple(k for k in _names(in_sum) if S.BY_NAME[k] != acc.symbol)
        usable = acc.symbol in in_sum.free_symbols and not set(needs) & set(acc.sequences)

        def call(*args, **kwargs):
            kwargs.update(zip(self.params, args))
            seq = acc.given_per_generation(kwargs)
            if not seq or part == "quantity":
                return plain(**kwargs)
            where = f"{self.id}.{part}"
            if not usable:
                raise ValueError(f"{where} cannot sum {', '.join(seq)} over generations (the sum is not separable "
                                 f"in this part); pass {', '.join(seq)} as one number per generation-constant law")
            if backend != "numpy" or any(_is_tensor(v) for v in kwargs.values()):
                raise ValueError(f"{where}: {', '.join(seq)} given per generation needs the numpy backend")
            missing = [k for k in set(needs) | set(acc.names()) if k not in kwargs]
            if missing:
                raise ValueError(f"{where} needs parameter(s) {', '.join(sorted(missing))}")
            if validate:
                check_params({k: kwargs[k] for k in set(needs) | set(acc.names())})
            total = acc.evaluate(kwargs)
            fn = lambdified(in_sum, (acc.symbol,) + tuple(S.BY_NAME[k] for k in needs), "numpy")
            return evaluate(fn, [total] + [kwargs[k] for k in needs], "numpy", (str(acc.symbol),) + needs)

        call.__name__ = f"{self.id}_{part}"
        call.__doc__ = (f"{part} of {self.id}: {sp.sstr(expr)} (parameters {', '.join(_names(expr))}); "
                        f"{', '.join(acc.sequences)} may be given per generation (last axis), then summed")
        return call

    def parameter_shapes(self, params: dict) -> list[tuple]:
        """Broadcast shapes of the parameters (a sequence given per generation loses its last axis)."""
        seq = self.generation_sum.given_per_generation(params) if self.generation_sum is not None else []
        return [np.shape(v)[:-1] if k in seq else np.shape(v) for k, v in params.items()]

    @cached_property
    def lower_fn(self):
        return self.function("lower")

    @cached_property
    def upper_fn(self):
        return self.function("upper")

    @cached_property
    def expression_fn(self):
        return self.function("expression")

    def in_regime(self, **params) -> np.ndarray:
        """Boolean array: do the parameters satisfy every condition of the result?

        Parameters
        ----------
        **params : float or array_like
            Values of the parameters the conditions name, by `bounds.symbols` keyword names.

        Returns
        -------
        numpy.ndarray of bool
            True where every condition holds (broadcast over the parameters).

        Raises
        ------
        ValueError
            If a parameter a condition needs is missing.
        """
        out = np.asarray(True)
        for cond in self.conditions:
            names = _names(cond)
            fn = lambdified(cond, tuple(S.BY_NAME[k] for k in names), "numpy")
            missing = [k for k in names if k not in params]
            if missing:
                raise ValueError(f"{self.id} conditions need parameter(s) {', '.join(missing)}")
            vals = [np.asarray(params[k], dtype=float) for k in names]
            with np.errstate(divide="ignore", invalid="ignore"):
                out = out & np.asarray(fn(*vals), dtype=bool)
        return out

    def holds(self, value=None, rtol: float = 1e-9, atol: float = 0.0, **params) -> np.ndarray:
        """Boolean array: does `value` (the quantity) satisfy the result for these parameters?

        Every side passes within the slack `rtol * max(|value|, |bound|) + atol` of
        `bounds.tolerance` (the rule `validate.checks.verdict` uses too). With value=None the
        quantity is computed from the parameters (when it is an expression in them). The regime
        conditions are not applied here: combine with `in_regime(**params)`.

        Parameters
        ----------
        value : float, array_like or None
            The measured quantity; None computes it from the parameters.
        rtol, atol : float
            Relative and absolute slack (defaults 1e-9 and 0).
        **params : float or array_like
            The result's parameters, by `bounds.symbols` keyword names.

        Returns
        -------
        numpy.ndarray of bool
            True where every side of the result holds within the slack.

        Raises
        ------
        TypeError
            If the result is an implication (no numeric check).
        ValueError
            If a parameter is out of range or missing, value is None while the quantity is not an
            expression in the parameters, value is not numeric, or value and the parameters do not
            broadcast.
        """
        if self.kind == "implication":
            raise TypeError(f"{self.id} is an implication about infinite sums; it has no numeric check")
        check_params(params)
        if value is None:
            if not self.quantity.free_symbols <= set(S.NAME_OF):
                raise ValueError(f"{self.id}: pass value= (the measured {self.quantity})")
            value = self.function("quantity")(**params)
        value = as_float_array("value", value)
        try:
            ok = np.ones(np.broadcast_shapes(value.shape, *self.parameter_shapes(params)), bool)
        except ValueError:
            shapes = {"value": value.shape, **dict(zip(params, self.parameter_shapes(params)))}
            raise ValueError(f"value and the parameters must broadcast, got shapes {shapes}") from None
        if self.kind == "equality":
            return ok & passes(value, self.function("expression")(**params), "equal", rtol, atol)
        if self.lower is not None:
            ok &= passes(value, self.function("lower")(**params), "lower", rtol, atol)
        if self.upper is not None:
            ok &= passes(value, self.function("upper")(**params), "upper", rtol, atol)
        return ok

    # ---- mutation ---------------------------------------------------------------------------
    def substitute(self, old, new, label: str | None = None) -> "Result":
        """A copy with `old` replaced by `new` in lower/upper/expression (a mutation control).

        Raises ValueError when `old` does not occur, so a control cannot silently test nothing.

        Parameters
        ----------
        old, new : SymPy expression, number or str
            What to replace and its replacement (sympified).
        label : str or None
            Mutation label; default ``"old -> new"``.

        Returns
        -------
        Result
            The mutated copy, id ``"<id>[<label>]"``.

        Raises
        ------
        ValueError
            If `old` occurs in none of lower, upper and expression.
        """
        old, new = sp.sympify(old), sp.sympify(new)
        changed = {}
        for part in ("lower", "upper", "expression"):
            expr = getattr(self, part)
            if expr is not None:
                mutated = expr.subs(old, new)
                if mutated != expr:
                    changed[part] = mutated
        if not changed:
            raise ValueError(f"{old} does not occur in {self.id}; nothing to mutate")
        if self.generation_sum is not None:
            changed["generation_sum"] = self.generation_sum.substitute(old, new)
        tag = label or f"{old} -> {new}"
        return dataclasses.replace(self, **changed, mutation=tag, id=f"{self.id}[{tag}]")

    def with_coefficient(self, old, new) -> "Result":
        """Alias of `substitute` for numeric coefficients: `with_coefficient("1/2", "49/100")`.

        Parameters
        ----------
        old, new : str or number
            Coefficients; strings are read as exact rationals.

        Returns
        -------
        Result
            The mutated copy.

        Raises
        ------
        ValueError
            If `old` does not occur (as `substitute`).
        """
        return self.substitute(sp.Rational(old) if isinstance(old, str) else old,
                               sp.Rational(new) if isinstance(new, str) else new)
