"""Two JSON-like values compared within a relative tolerance, difference by difference.

Numbers a and b agree when ``|a - b| <= atol + rtol * max(|a|, |b|)`` (numpy's `isclose` made
symmetric); two NaNs agree, an infinity agrees only with the same infinity. Their relative
difference is ``|a - b| / max(|a|, |b|)`` (0 when equal, inf when one is NaN or infinite and the
other is not). Booleans and strings must be equal, except that two strings with the same words and
numbers within the tolerance agree ("C = 1.2345" and "C = 1.2345000001" at rtol 1e-9). Dicts are
compared key by key, lists element by element; `where` names the place of each difference as a
path ("rows[3].margin").
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from bounds.tolerance import passes

#: a number inside a text (decimal or scientific, or inf / nan)
NUMBER_IN_TEXT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?\binf\b|\bnan\b")


def is_number(value) -> bool:
    """True for an int or float that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def relative_difference(a: float, b: float) -> float:
    """``|a - b| / max(|a|, |b|)``: 0 when equal (two NaNs or the same infinity included), inf when
    either is NaN or infinite and they are not equal (1 when they differ and one is 0).

    Parameters
    ----------
    a, b : float
        The numbers.

    Returns
    -------
    float
        The relative difference, in [0, 2] or inf.
    """
    a, b = float(a), float(b)
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / max(abs(a), abs(b))


@dataclass
class ValueComparison:
    """Compares values within ``atol + rtol * max(|a|, |b|)`` and keeps the largest relative
    difference among the numbers it compared (also those within the tolerance).

    Parameters
    ----------
    rtol : float
        Relative tolerance, finite and >= 0.
    atol : float
        Absolute tolerance, finite and >= 0 (default 0).
    ignored : frozenset of str
        Dict keys left out everywhere (timings); those seen are collected in `ignored_seen`.
    ignored_suffix : str
        Dict keys ending with it are left out too (default "_seconds").

    Raises
    ------
    ValueError
        If rtol or atol is negative, infinite or NaN.
    """

    rtol: float
    atol: float = 0.0
    ignored: frozenset = frozenset()
    ignored_suffix: str = "_seconds"
    numbers: int = 0
    max_relative: float = 0.0
    ignored_seen: set = field(default_factory=set)

    def __post_init__(self):
        for name in ("rtol", "atol"):
            value = getattr(self, name)
            if not (is_number(value) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")

    def is_ignored(self, key) -> bool:
        """True when the dict key `key` is left out (and records that it was seen)."""
        out = key in self.ignored or (self.ignored_suffix and str(key).endswith(self.ignored_suffix))
        if out:
            self.ignored_seen.add(str(key))
        return bool(out)

    def numbers_agree(self, a: float, b: float) -> bool:
        """True when a and b agree within the tolerance (module docstring); counts the comparison."""
        self.numbers += 1
        rel = relative_difference(a, b)
        self.max_relative = max(self.max_relative, rel)
        return rel == 0.0 or bool(passes(a, b, "equal", self.rtol, self.atol))   # the one tolerance rule

    def texts_agree(self, a: str, b: str) -> bool:
        """True when a == b, or when they differ only in numbers that agree within the tolerance."""
        if a == b:
            return True
        if NUMBER_IN_TEXT.sub("#", a) != NUMBER_IN_TEXT.sub("#", b):
            return False
        pairs = zip(NUMBER_IN_TEXT.findall(a), NUMBER_IN_TEXT.findall(b))
        return all(self.numbers_agree(float(x), float(y)) for x, y in pairs)

    def differences(self, a, b, where: str = "") -> list[dict]:
        """Every difference between a and b beyond the tolerance.

        Parameters
        ----------
        a, b : JSON-like
            None, bool, int, float, str, list or dict, nested.
        where : str
            Path of a and b in their document (prefix of the reported places).

        Returns
        -------
        list of dict
            One dict per difference: "where", "a", "b" (the two values; a missing key is reported
            with the value of the side that has it and "only_in": "a" or "b"), and "relative" (the
            relative difference of two numbers, else None).
        """
        if is_number(a) and is_number(b):
            if self.numbers_agree(a, b):
                return []
            return [{"where": where, "a": a, "b": b, "relative": relative_difference(a, b)}]
        if isinstance(a, dict) and isinstance(b, dict):
            out = []
            for key in list(a) + [k for k in b if k not in a]:
                if self.is_ignored(key):
                    continue
                place = f"{where}.{key}" if where else str(key)
                if key not in b:
                    out.append({"where": place, "a": a[key], "b": None, "relative": None, "only_in": "a"})
                elif key not in a:
                    out.append({"where": place, "a": None, "b": b[key], "relative": None, "only_in": "b"})
                else:
                    out.extend(self.differences(a[key], b[key], place))
            return out
        if isinstance(a, list) and isinstance(b, list):
            out = [d for i, (x, y) in enumerate(zip(a, b)) for d in self.differences(x, y, f"{where}[{i}]")]
            if len(a) != len(b):
                out.append({"where": f"{where} (length)", "a": len(a), "b": len(b), "relative": None})
            return out
        if isinstance(a, str) and isinstance(b, str) and self.texts_agree(a, b):
            return []
        if type(a) is type(b) and a == b:
            return []
        return [{"where": where, "a": a, "b": b, "relative": None}]
