"""Percentile bootstrap intervals across independent runs (seeds).

For values x[s, g] (run s, generation g), the interval for the mean over runs at each g is the
(1-level)/2 and (1+level)/2 quantiles of the means of `n_boot` resamples of the runs with
replacement (Efron's percentile bootstrap). With one run the interval is the point itself.
"""
from __future__ import annotations

import warnings

import numpy as np

#: fewer seeds than this give an interval too rough to draw: figures omit it, tables label it
MIN_SEEDS_FOR_INTERVAL = 5


def bootstrap_mean_ci(values, level: float = 0.9, n_boot: int = 2000, seed: int = 0):
    """(mean, lower, upper) arrays over the last axis for x of shape (runs, generations).

    Parameters
    ----------
    values : array_like, shape (runs, generations)
        Values per run (NaN ignored; 1-D: one run).
    level : float in (0, 1)
        Confidence level (default 0.9).
    n_boot : int >= 1
        Bootstrap resamples of the runs (default 2000).
    seed : int
        Seed of the resampling (default 0).

    Returns
    -------
    mean, lower, upper : numpy.ndarray, shape (generations,)
        The mean over runs and the percentile interval (all equal for one run).

    Raises
    ------
    ValueError
        If level is not in (0, 1) or n_boot < 1.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    x = np.atleast_2d(np.asarray(values, dtype=float))
    with warnings.catch_warnings():  # columns with no finite value give NaN, which is the answer
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=0)
        if x.shape[0] == 1:
            return mean, mean.copy(), mean.copy()
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, x.shape[0], size=(n_boot, x.shape[0]))
        means = np.nanmean(x[idx], axis=1)  # (n_boot, generations)
        lo, hi = np.nanquantile(means, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return mean, lo, hi
