"""Input conversion shared by the estimators: samples are (n, d) arrays or tensors."""
from __future__ import annotations

import numpy as np
import torch


def as_numpy_2d(x, name: str = "x") -> np.ndarray:
    """Samples as a float64 numpy array of shape (n, d); a 1-D input is n scalar samples."""
    if isinstance(x, torch.Tensor):
        x = x.detach().to("cpu", torch.float64).numpy()
    x = _as_samples(np.asarray(x, dtype=np.float64), name)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite")
    return x


def as_tensor_2d(x, name: str = "x", device=None, dtype=torch.float64) -> torch.Tensor:
    """Samples as a tensor of shape (n, d) on `device` (default: where x already is)."""
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(np.asarray(x))
    return _as_samples(x.to(device=device if device is not None else x.device, dtype=dtype), name)


def _as_samples(x, name: str):
    """A 1-D input as n scalar samples; anything but (n >= 2, d) is a ValueError naming `name`."""
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (n, d), got shape {tuple(x.shape)}")
    if x.shape[0] < 2:
        raise ValueError(f"{name} must hold at least 2 samples, got {x.shape[0]}")
    return x


def check_same_dim(x, y) -> None:
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension, got {x.shape[1]} and {y.shape[1]}")
