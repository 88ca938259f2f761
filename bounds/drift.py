"""The drift recursion D_{g+1} = (1-alpha_g)^2 D_g + eps2_g evaluated along given errors (numeric or SymPy).

Source: THEORY.md §3 "Consequences" (derived). `bounds.accumulation` re-exports `drift_path`.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from .validation import as_float_array, check_nonnegative, check_unit_interval, is_symbolic

_BLOCK = 256


def drift_path(eps2, alpha, D0=0.0) -> np.ndarray:
    """D_0, ..., D_G from per-generation errors eps2[..., 0:G] (THEORY.md §3 recursion, numeric).

    alpha broadcasts against eps2, whose last axis is generations: a scalar, a per-run constant of
    shape (B, 1), or a schedule alpha_n of shape (..., G). D0 broadcasts against eps2[..., 0].
    Constant alpha uses a blocked scan (matrix of powers (1-alpha)^{2(k-j)} <= 1: no overflow);
    schedules a loop over generations vectorised across runs.

    Parameters
    ----------
    eps2 : array_like >= 0, shape (..., G), G >= 1
        Per-generation errors, generations on the last axis.
    alpha : float or array_like in [0, 1]
        Scalar, per-run constant of shape (B, 1), or schedule of shape (..., G).
    D0 : float or array_like >= 0
        Initial divergence, broadcast against ``eps2[..., 0]`` (default 0).

    Returns
    -------
    numpy.ndarray, shape (..., G + 1)
        D_0, ..., D_G along the last axis.

    Raises
    ------
    ValueError
        If eps2 is a scalar or has an empty last axis, eps2 or D0 is negative or NaN, alpha is
        outside [0, 1], an argument is not numeric, or the shapes do not broadcast.

    Notes
    -----
    SymPy input (a library symbol in eps2, alpha or D0; eps2 then 1-D, alpha a scalar or one per
    generation): the same recursion in SymPy, returned as a column ``sympy.Matrix`` of D_0..D_G.
    """
    if any(map(is_symbolic, (eps2, alpha, D0))):
        return _symbolic_path(eps2, alpha, D0)
    e = as_float_array("eps2", eps2)
    if e.ndim == 0 or e.shape[-1] == 0:
        raise ValueError(f"eps2 must be an array over generations (last axis, at least one), got shape {e.shape}")
    check_nonnegative("eps2", e)
    a = as_float_array("alpha", alpha)
    check_unit_interval("alpha", a)
    d0 = as_float_array("D0", D0)
    check_nonnegative("D0", d0)
    beta = (1.0 - a) ** 2
    try:
        batch = np.broadcast_shapes(e.shape[:-1], d0.shape, beta.shape[:-1] if beta.ndim else ())
        if beta.size != 1:
            np.broadcast_to(beta, batch + e.shape[-1:])
    except ValueError:
        raise ValueError(f"eps2 {e.shape}, alpha {a.shape} and D0 {d0.shape} must broadcast "
                         "(alpha against eps2, D0 against eps2[..., 0])") from None
    G = e.shape[-1]
    e = np.broadcast_to(e, batch + (G,))
    out = np.empty(batch + (G + 1,))
    out[..., 0] = d0
    if beta.size == 1:
        _blocked_scan(float(beta.reshape(())), e, out)
        return out
    beta = np.broadcast_to(beta, batch + (G,))
    for g in range(G):
        carried = np.where(beta[..., g] == 0, 0.0, beta[..., g] * out[..., g])
        out[..., g + 1] = carried + e[..., g]
    return out


def symbolic_sequence(name: str, value, check) -> list:
    """A 1-D sequence (or scalar) as SymPy terms, its numeric entries range-checked."""
    if np.ndim(np.asarray(value, dtype=object)) > 1:
        raise ValueError(f"{name} must be 1-D (one value per generation) when symbolic, got shape "
                         f"{np.shape(np.asarray(value, dtype=object))}")
    terms = [sp.sympify(v) for v in np.atleast_1d(np.asarray(value, dtype=object))]
    for t in terms:
        if t.is_number:
            check(name, t)
    return terms


def _symbolic_path(eps2, alpha, D0) -> sp.Matrix:
    """drift_path in SymPy: D_{g+1} = (1-alpha_g)^2 D_g + eps2_g."""
    e = symbolic_sequence("eps2", eps2, check_nonnegative)
    a = symbolic_sequence("alpha", alpha, check_unit_interval)
    (d0,) = symbolic_sequence("D0", D0, check_nonnegative) if np.ndim(np.asarray(D0, dtype=object)) == 0 else (None,)
    if d0 is None:
        raise ValueError("D0 must be a single value when the path is symbolic")
    if len(a) not in (1, len(e)):
        raise ValueError(f"alpha must be one value or one per generation ({len(e)}), got {len(a)}")
    path = [d0]
    for g, term in enumerate(e):
        path.append((1 - a[g if len(a) > 1 else 0]) ** 2 * path[-1] + term)
    return sp.Matrix(path)


def _blocked_scan(beta: float, e: np.ndarray, out: np.ndarray) -> None:
    G = e.shape[-1]
    if beta == 0:   # alpha = 1: D_{k+1} = eps2_k exactly (no 0 * inf when D0 is infinite)
        out[..., 1:] = e
        return
    B = min(_BLOCK, G)
    lag = np.subtract.outer(np.arange(B), np.arange(B))
    powers = np.where(lag >= 0, np.power(beta, np.maximum(lag, 0)), 0.0)  # [k, j] = beta^(k-j)
    carry = np.power(beta, np.arange(1, B + 1))  # beta^(k+1)
    for start in range(0, G, B):
        stop = min(start + B, G)
        m = stop - start
        block = e[..., start:stop] @ powers[:m, :m].T
        out[..., start + 1:stop + 1] = block + out[..., start, None] * carry[:m]
