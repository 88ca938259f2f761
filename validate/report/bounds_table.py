"""The accumulated-drift table of `collapse bounds` and `collapse reproduce` (THEORY.md §3 recursion)."""
from __future__ import annotations

import numpy as np

from bounds import accumulated, memory_horizon, steady_state
from bounds.validation import check_generations

COLUMNS = ("alpha", "eps2", "generation", "accumulated", "steady_state", "memory_horizon")


def accumulated_rows(alphas, eps2s, generations: int, D0: float = 0.0) -> list[dict]:
    """Rows of D_N = (1-alpha)^{2N} D0 + eps2 (1 - (1-alpha)^{2N}) / (alpha (2 - alpha)), N = 0..generations.

    THEORY.md §3 (derived), through `bounds.accumulated`.

    Parameters
    ----------
    alphas, eps2s : iterable of float
        Fresh-data fractions and constant errors (every pair).
    generations : int
        Largest N.
    D0 : float
        Initial divergence (default 0).

    Returns
    -------
    list of dict
        One row per (alpha, eps2, N).
    """
    check_generations("generations", generations)
    rows = []
    for a in alphas:
        for e in eps2s:
            values = accumulated(a, e, np.arange(generations + 1), D0)
            steady, horizon = float(steady_state(a, e)), float(memory_horizon(a))
            rows += [dict(alpha=a, eps2=e, generation=g, accumulated=float(v), steady_state=steady,
                          memory_horizon=horizon) for g, v in enumerate(values)]
    return rows
