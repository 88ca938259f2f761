"""Input conversion shared by the estimators: samples are (n, d) arrays or tensors; scalar options
are checked here too, so that bad input is a ValueError naming the argument (never a TypeError or
a LinAlgError from deep inside numpy or torch)."""
from __future__ import annotations

import math
import numbers

import numpy as np
import torch


def _to_numpy(x, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise ValueError(f"{name} must hold real numbers, got a complex tensor")
        return x.detach().to("cpu", torch.float64).numpy()
    if x is None or isinstance(x, (str, bytes, dict)) or np.iscomplexobj(x):
        raise ValueError(f"{name} must be an (n, d) array of real numbers, got {type(x).__name__}")
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an (n, d) array of real numbers") from None


def as_numpy_2d(x, name: str = "x") -> np.ndarray:
    """Samples as a float64 numpy array of shape (n, d), finite; a 1-D input is n scalar samples."""
    x = _as_samples(_to_numpy(x, name), name)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite")
    return x


def as_tensor_2d(x, name: str = "x", device=None, dtype=torch.float64) -> torch.Tensor:
    """Samples as a finite tensor of shape (n, d) on `device` (default: where x already is)."""
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(_to_numpy(x, name))
    elif x.is_complex():
        raise ValueError(f"{name} must hold real numbers, got a complex tensor")
    x = _as_samples(x.to(device=device if device is not None else x.device, dtype=dtype), name)
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must be finite")
    return x


def _as_samples(x, name: str):
    """A 1-D input as n scalar samples; anything but (n >= 2, d >= 1) is a ValueError naming `name`."""
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (n, d), got shape {tuple(x.shape)}")
    if x.shape[1] < 1:
        raise ValueError(f"{name} must have at least one coordinate, got shape {tuple(x.shape)}")
    if x.shape[0] < 2:
        raise ValueError(f"{name} must hold at least 2 samples, got {x.shape[0]}")
    return x


def check_same_dim(x, y, names: tuple[str, str] = ("x", "y")) -> None:
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"{names[0]} and {names[1]} must have the same dimension, got {x.shape[1]} and {y.shape[1]}")


def check_number(name: str, value, low: float = -math.inf, high: float = math.inf, *, integer: bool = False,
                 low_open: bool = False, high_open: bool = False):
    """A real number (an integer if `integer`) in the interval from low to high, or a ValueError."""
    ok = isinstance(value, (numbers.Real, np.number)) and not isinstance(value, (bool, np.bool_))
    if ok:
        v = float(value)
        ok = not math.isnan(v) and (low < v if low_open else low <= v) and (v < high if high_open else v <= high)
        ok = ok and (not integer or (math.isfinite(v) and int(value) == v))
    if not ok:
        lo, hi = ("(" if low_open else "[") + f"{low:g}", f"{high:g}" + (")" if high_open else "]")
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{name} must be {kind} in {lo}, {hi}, got {value!r}")
    return int(value) if integer else float(value)
