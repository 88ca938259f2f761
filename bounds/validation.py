"""Input checks shared by every entry point: a ValueError naming the argument and its range."""
from __future__ import annotations

import numbers

import numpy as np
import sympy as sp


def _numeric(value, name: str = "value"):
    """Return a float array for numeric input, None for symbolic input (not checked)."""
    if isinstance(value, sp.Basic):
        if not value.is_number:
            return None
        try:
            return np.asarray(float(value))
        except TypeError:   # a complex or otherwise non-real SymPy number
            raise ValueError(f"{name} must be a real number, got {value}") from None
    return as_float_array(name, value)


def as_float_array(name: str, value) -> np.ndarray:
    """value as a float64 array; anything else (strings, dicts, None, complex, ragged lists) is a
    ValueError naming `name`."""
    if value is None or isinstance(value, (str, bytes, dict)) or np.iscomplexobj(value):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from None


def check_unit_interval(name: str, value):
    """alpha, eta and similar fractions must lie in [0, 1]."""
    arr = _numeric(value, name)
    if arr is not None:
        _raise_where(np.isnan(arr) | (arr < 0) | (arr > 1), arr, f"{name} must be in [0, 1]")
    return value


def check_nonnegative(name: str, value):
    """Energies, divergences and constants must be >= 0 (inf allowed)."""
    arr = _numeric(value, name)
    if arr is not None:
        _raise_where(np.isnan(arr) | (arr < 0), arr, f"{name} must be >= 0")
    return value


def check_generations(name: str, value):
    """Generation counts must be non-negative integers (integral floats accepted)."""
    if isinstance(value, sp.Basic) and not value.is_number:
        return value
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    arr = _numeric(value, name)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.floor(arr))
    _raise_where(bad, arr, f"{name} must be a non-negative integer")
    return value


def _raise_where(bad: np.ndarray, arr: np.ndarray, message: str) -> None:
    if not np.any(bad):
        return
    first = float(np.asarray(arr)[bad].ravel()[0])
    where = "" if arr.ndim == 0 else f" (in an array of shape {arr.shape})"
    raise ValueError(f"{message}, got {first:g}{where}")


#: parameter name -> checker, used by Result.holds and the numeric entry points.
CHECKS = {
    "alpha": check_unit_interval, "eta": check_unit_interval, "eta_floor": check_unit_interval,
    "eps2": check_nonnegative, "epshat2": check_nonnegative, "eps_floor": check_nonnegative,
    "C": check_nonnegative, "c": check_nonnegative, "c1": check_nonnegative,
    "c2": check_nonnegative, "C_bias": check_nonnegative, "D": check_nonnegative,
    "D_next": check_nonnegative, "I": check_nonnegative, "J": check_nonnegative,
    "D0": check_nonnegative, "R": check_nonnegative, "N": check_generations,
}


def check_params(params: dict) -> None:
    for name, value in params.items():
        checker = CHECKS.get(name)
        if checker is not None:
            checker(name, value)


def is_symbolic(value) -> bool:
    """True for a SymPy expression with free symbols (a library symbol such as `bounds.symbols.alpha`),
    or a list, tuple or object array holding one: every public function then answers in SymPy."""
    if isinstance(value, sp.Basic):
        return not value.is_number
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.dtype == object):
        return any(is_symbolic(v) for v in np.asarray(value, dtype=object).ravel())
    return False


def is_number(value) -> bool:
    return isinstance(value, numbers.Number) or (isinstance(value, sp.Basic) and value.is_number)


# --- THEORY.md §5 parameters (the limit law; issue 11) ------------------------------------------------
def check_ratio(name: str, value):
    """A geometric schedule ratio rho must lie in (0, 1] (1: constant schedule)."""
    arr = _numeric(value)
    if arr is not None:
        _raise_where(np.isnan(arr) | (arr <= 0) | (arr > 1), arr, f"{name} must be in (0, 1]")
    return value


def check_real(name: str, value):
    """A signed quantity: any real number except NaN (inf allowed)."""
    arr = _numeric(value)
    if arr is not None:
        _raise_where(np.isnan(arr), arr, f"{name} must be a real number (not NaN)")
    return value


CHECKS.update({"t0": check_nonnegative, "mode": check_generations, "s2": check_nonnegative,
               "v": check_nonnegative, "rho": check_ratio, "dev0": check_nonnegative, "dev": check_real,
               "delta_w2": check_nonnegative, "w2_0": check_nonnegative})


# --- THEORY.md §8 parameters (companion laws) ---------------------------------------------------------
def check_positive(name: str, value):
    """An order a of a Renyi divergence must be > 0 (inf allowed)."""
    arr = _numeric(value, name)
    if arr is not None:
        _raise_where(np.isnan(arr) | (arr <= 0), arr, f"{name} must be > 0")
    return value


CHECKS.update({"tv": check_unit_interval, "tv0": check_unit_interval, "tv_bias": check_unit_interval,
               "hel": check_unit_interval, "hel0": check_unit_interval, "hel_bias": check_unit_interval,
               "order": check_positive, "renyi_path": check_nonnegative})
