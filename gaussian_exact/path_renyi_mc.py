"""Monte Carlo estimator of the tilted path moment E*[Lambda^a] and the path Renyi divergence, on
sampled paths of the ideal chain (THEORY.md section 8; any dimension, any score and error callables).

Along the ideal Euler-Maruyama chain y_{k+1} = y_k + h (y_k/2 + s(y_k, t_k)) + sqrt(h) z_k the log
likelihood ratio of the learned chain's path is (section 8, d_k = h e_k, v_k = h)

    Z = log Lambda = sum_k [ sqrt(h) e_k(y_k) . z_k - h |e_k(y_k)|^2 / 2 ],

and the estimator of E*[Lambda^a] is the sample mean of exp(a Z) over n independent paths, with
standard error std / sqrt(n). That error is honest only when Var exp(a Z) = E*[Lambda^{2a}] - ... is
finite; on heavy-tailed weights it is not, and the estimator flags it: the Hill estimate xi of the
tail index of the weights over their largest k = max(20, sqrt(n)) values (moments of order < 1/xi
exist; xi >= 1/2 means no variance, PSIS's rule) and the effective sample size (sum w)^2 / sum w^2.
For a = 1 the Renyi divergence is the KL limit, estimated by the mean of Lambda Z.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .time_grid import keyword_form
from .gaussian import Gaussian
from .grid_law import GridLaw
from .linear_sde import check_schedule
from .ou import forward
from .tilted_result import check_order
from .validation import count

HEAVY_TAIL_XI = 0.5   # Hill tail index at or above which the weights have no finite variance


@dataclass
class PathMomentEstimate:
    """Monte Carlo estimate of E*[Lambda^a] and R_a(P_hat || P*) (module docstring).

    Parameters
    ----------
    a : float
        The order.
    log_moment : float
        log of the sample mean of Lambda^a (0 for a = 1).
    moment_rel_se : float
        Standard error of the sample mean divided by the mean.
    renyi : float
        log_moment / (a - 1) (a = 1: the mean of Lambda log Lambda, the KL).
    renyi_se : float
        Its standard error (delta method: moment_rel_se / abs(a - 1); a = 1: the sample SE).
    ess : float
        Effective sample size (sum w)^2 / sum w^2 of the weights w = Lambda^a.
    tail_xi : float
        Hill estimate of the weights' tail index xi (moments of order < 1/xi finite).
    se_honest : bool
        False when tail_xi >= HEAVY_TAIL_XI: the variance of the weights looks infinite, so the
        standard errors are not honest.
    n_paths : int
    """

    a: float
    log_moment: float
    moment_rel_se: float
    renyi: float
    renyi_se: float
    ess: float
    tail_xi: float
    se_honest: bool
    n_paths: int

    @property
    def moment(self) -> float:
        """The sample mean of Lambda^a."""
        return math.inf if self.log_moment > 709 else math.exp(self.log_moment)

    @property
    def moment_se(self) -> float:
        """The standard error of the sample mean of Lambda^a."""
        return self.moment * self.moment_rel_se


def hill_tail_index(weights: np.ndarray) -> float:
    """Hill estimate of xi over the largest k = max(20, sqrt(n)) of the positive weights (module docstring)."""
    w = np.sort(np.asarray(weights, dtype=float))
    n = w.shape[0]
    k = min(n - 1, max(20, int(math.sqrt(n))))
    top = np.log(w[n - k:])
    return float(np.mean(top) - math.log(w[n - k - 1])) if w[n - k - 1] > 0 else math.inf


def _score_field(score):
    if isinstance(score, Gaussian):
        return lambda y, t: forward(score, t).score(y), score.dim
    if isinstance(score, GridLaw):
        return lambda y, t: score.score(y, t), score.dim
    if callable(score):
        return score, None
    raise ValueError(f"score must be a callable s(y, t), a Gaussian or a GridLaw, got {type(score).__name__}")


def _initial(init, n: int, dim, rng, T: float) -> np.ndarray:
    if isinstance(init, str) and init == "prior":
        if dim is None:
            raise ValueError("dim must be given (an integer >= 1) for init='prior' with a callable score")
        return rng.standard_normal((n, dim))
    if isinstance(init, Gaussian):
        return init.sample(n, rng)
    if isinstance(init, GridLaw):
        return init.sample(n, rng)
    arr = np.asarray(init, dtype=float)
    if arr.ndim == 2 and arr.shape[0] == n and np.all(np.isfinite(arr)):
        return arr.copy()
    raise ValueError(f"init must be 'prior', a Gaussian, a GridLaw or a finite ({n}, d) array, got {init!r}")


def path_renyi_mc(score, error, a, T: float = 4.0, t0: float = 0.02, steps: int = 500, n_paths: int = 20000,
                  rng=0, init="prior", dim=None, *, schedule=None) -> PathMomentEstimate:
    """Estimate E*[Lambda^a] and R_a(P_hat || P*) from n_paths sampled ideal chains (module docstring).

    ``E*[Lambda^a] ~ mean exp(a Z)``, ``Z = sum_k [sqrt(h) e_k . z_k - h |e_k|^2 / 2]``,
    ``R_a = log E*[Lambda^a] / (a - 1)`` (THEORY.md section 8). Unbiased for the moment (the log and
    the Renyi divergence carry the usual O(1/n) delta-method bias); the standard error is honest
    only when `se_honest` (finite variance of the weights).

    Parameters
    ----------
    score : callable, Gaussian or GridLaw
        The ideal (exact) score s(y, t), y of shape (n, d); a law: its exact OU score.
    error : callable
        The score error e(y, t) -> (n, d) (an AffineError works).
    a : float > 0
        The order.
    T, t0 : float
        The time window, 0 <= t0 < T.
    steps : int
        K >= 1 chain steps.
    n_paths : int >= 100
        Number of independent paths.
    rng : int or numpy.random.Generator
    init : "prior", Gaussian, GridLaw or (n_paths, d) array
        The start of the chain ("prior": N(0, I)).
    dim : int, optional
        The dimension, needed only for init="prior" with a callable score.
    schedule : TimeGrid, optional
        T, t0, steps and init as one object (a uniform grid; time_grid.py), instead of the keywords.

    Returns
    -------
    PathMomentEstimate

    Raises
    ------
    ValueError
        Naming a, T, t0, steps, n_paths, score, init, dim, or error (wrong shape or non-finite values).
    """
    T, t0, steps, init = keyword_form(schedule, T, t0, steps, init)
    a = check_order(a)
    T, t0, steps = check_schedule(T, t0, steps)
    if steps is None:
        raise ValueError("steps must be an integer >= 1 for the Monte Carlo estimator, got None")
    n = count("n_paths", n_paths, 100, 10 ** 8)
    if not callable(error):
        raise ValueError(f"error must be a callable e(y, t), got {type(error).__name__}")
    field, law_dim = _score_field(score)
    if dim is not None:
        dim = count("dim", dim, 1, 10 ** 6)
    rng = np.random.default_rng(rng)
    y = _initial(init, n, law_dim or dim, rng, T)
    h = (T - t0) / steps
    Z = np.zeros(n)
    for k in range(steps):
        t = T - k * h
        e = np.asarray(error(y, t), dtype=float)
        if e.shape != y.shape or not np.all(np.isfinite(e)):
            raise ValueError(f"error must return finite values of shape {y.shape} at t={t:.6g}")
        z = rng.standard_normal(y.shape)
        Z += math.sqrt(h) * np.sum(e * z, axis=1) - 0.5 * h * np.sum(e * e, axis=1)
        y = y + h * (0.5 * y + np.asarray(field(y, t), dtype=float)) + math.sqrt(h) * z
    logw = a * Z
    top = float(np.max(logw))
    w = np.exp(logw - top)
    mean = float(np.mean(w))
    rel_se = float(np.std(w, ddof=1)) / (mean * math.sqrt(n))
    ess = float(np.sum(w) ** 2 / np.sum(w * w))
    xi = hill_tail_index(w)
    log_moment = top + math.log(mean)
    if a == 1.0:
        lz = np.exp(Z - top) * Z                       # Lambda log Lambda, scaled by e^-top
        renyi = float(np.mean(lz)) * math.exp(top)
        renyi_se = float(np.std(lz, ddof=1)) * math.exp(top) / math.sqrt(n)
    else:
        renyi, renyi_se = log_moment / (a - 1.0), rel_se / abs(a - 1.0)
    return PathMomentEstimate(a, log_moment, rel_se, renyi, renyi_se, ess, xi, xi < HEAVY_TAIL_XI, n)
