"""How much of a non-negative field on a grid lies beyond the box, from its decay at the faces.

Used by the grid's tilted path moments (grid_path_moments.py) to tell an exact value from a lower
bound: a field that does not decay outward at a face is read as divergent, and one whose estimated
mass beyond the box exceeds TAIL_SHARE of its total makes the value a lower bound.
"""
from __future__ import annotations

import math

import numpy as np

TAIL_SHARE = 1e-6   # a tail beyond the box above this share of the total makes a value a lower bound
FACE_FLOOR = 1e-14  # field values at the faces below this share of its peak are ignored


def beyond_box(f: np.ndarray, axes) -> float:
    """Estimate of int f beyond the box for a non-negative field, assuming exponential decay past
    each face at the rate measured on the last cell: sum over faces of f(face) / decay rate (+inf
    where f does not decay outward). Face values below FACE_FLOOR times the peak of f are ignored
    (rounding noise; a divergence that starts below that level is not detected).

    Parameters
    ----------
    f : numpy.ndarray
        The field on the grid (d = 1 or 2).
    axes : sequence of numpy.ndarray
        The grid's axes.

    Returns
    -------
    float
        The estimated integral beyond the box, or +inf.
    """
    total = 0.0
    floor = FACE_FLOOR * float(np.max(f)) if f.size else 0.0
    for axis in range(f.ndim):
        moved = np.moveaxis(f, axis, 0)
        dx = axes[axis][1] - axes[axis][0]
        other = 1.0 if f.ndim == 1 else (axes[1 - axis][1] - axes[1 - axis][0])
        for edge, inner in ((moved[0], moved[1]), (moved[-1], moved[-2])):
            edge, inner = np.atleast_1d(edge), np.atleast_1d(inner)
            live = edge > max(floor, 1e-300)
            if not np.any(live):
                continue
            if np.any(edge[live] >= inner[live]):
                return math.inf
            rate = (np.log(inner[live]) - np.log(edge[live])) / dx
            total += float(np.sum(edge[live] / rate)) * other
    return total
