"""Input conversion shared by gaussian_exact's entry points: a ValueError naming the argument (never
a TypeError from deep inside numpy) for strings, dicts, None, complex numbers and ragged lists."""
from __future__ import annotations

import math
import numbers

import numpy as np

from bounds.validation import as_float_array as float_array  # one input rule for both packages


def real_scalar(name: str, value) -> float:
    """value as one real float (NaN and inf kept for the caller to judge), or a ValueError."""
    arr = float_array(name, value)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a single number, got an array of shape {arr.shape}")
    return float(arr)


def count(name: str, value, low: int = 1, high: int = 10 ** 6) -> int:
    """An integer in [low, high] (integral floats accepted; bool rejected), or a ValueError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)) \
            or not math.isfinite(float(value)) or int(value) != value or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return int(value)
