"""Turning SymPy expressions into vectorised numpy or torch functions (cached)."""
from __future__ import annotations

import functools

import numpy as np
import sympy as sp

BACKENDS = ("numpy", "torch")


@functools.lru_cache(maxsize=1)
def _stable_torch_printer():
    """SymPy's torch printer plus the expm1/log1p it lacks. torch is imported only here and in
    `evaluate` for the torch backend: `bounds` depends on sympy and numpy alone."""
    from sympy.printing.pytorch import TorchPrinter

    class StableTorchPrinter(TorchPrinter):
        def _print_expm1(self, expr):
            return f"torch.expm1({self._print(expr.args[0])})"

        def _print_log1p(self, expr):
            return f"torch.log1p({self._print(expr.args[0])})"

    return StableTorchPrinter


@functools.lru_cache(maxsize=512)
def lambdified(expr: sp.Expr, args: tuple, backend: str = "numpy"):
    """Cached `sympy.lambdify(args, expr)` for backend "numpy" or "torch"."""
    if backend == "numpy":
        return sp.lambdify(args, expr, modules="numpy", cse=True)
    if backend == "torch":
        return sp.lambdify(args, expr, modules="torch", printer=_stable_torch_printer(), cse=True)
    raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")


def evaluate(fn, values: list, backend: str, names=None):
    """Call a lambdified function elementwise-broadcast; constants come back as full arrays.
    Inputs that do not broadcast are a ValueError naming them (`names`, one per value)."""
    if backend == "numpy":
        arrays = [np.asarray(v, dtype=float) for v in values]
        try:
            np.broadcast_shapes(*(a.shape for a in arrays))
        except ValueError:
            labels = names or [f"argument {i}" for i in range(len(arrays))]
            shapes = ", ".join(f"{n} {a.shape}" for n, a in zip(labels, arrays))
            raise ValueError(f"{', '.join(labels)} must broadcast against each other, got shapes {shapes}") from None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = fn(*arrays)
        shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
        out = np.asarray(out, dtype=float)
        if out.shape != shape or any(out is a for a in arrays):  # never hand back an input
            out = np.broadcast_to(out, shape).copy()
        return out
    import torch

    ref = next((v for v in values if torch.is_tensor(v)), None)  # device and dtype follow the first tensor
    device = ref.device if ref is not None else None
    dtype = ref.dtype if ref is not None and ref.is_floating_point() else torch.float64
    tensors = [v if torch.is_tensor(v) else torch.as_tensor(v, dtype=dtype, device=device) for v in values]
    out = fn(*tensors)
    if not torch.is_tensor(out):
        ref = tensors[0] if tensors else torch.tensor(0.0, dtype=torch.float64)
        out = torch.full_like(ref, float(out))
    if tensors:
        out = out.expand(torch.broadcast_shapes(*(t.shape for t in tensors)))
    return out
