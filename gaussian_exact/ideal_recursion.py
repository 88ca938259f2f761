"""The ideal recursion of recursive training with early stopping and its limit law, exactly
(THEORY.md §5; arXiv 2606.13796; the formulas there are reconstructed, so are these).

With exact scores and exact sampling, one round is `p^{i+1} = P_{t0(i)}(alpha_i data + (1-alpha_i) p^i)`,
P_t the OU semigroup on laws. For Gaussian or Gaussian-mixture data (and start p^0) every iterate is a
finite mixture of smoothed copies (`SmoothedMixture`): with constant alpha, t0,
`p^i = sum_{k<i} alpha (1-alpha)^k P_{(k+1) t0}(data) + (1-alpha)^i P_{i t0}(p^0)`, and the limit is
`p_inf = sum_{k>=0} alpha (1-alpha)^k P_{(k+1) t0}(data)` (THEORY.md §5).

Truncation at a stated tail mass. The series is cut where its terms become negligible, and each
law carries `tail_mass`, a bound on its total-variation distance to the exact law:
* `limit_law`: the terms k < K with (1-alpha)^K <= tail are kept and renormalised, so
  TV(returned, p_inf) <= (1-alpha)^K = `tail_mass`.
* `ideal_recursion`: after each round the smallest terms are dropped (and the rest renormalised)
  while the running bound err_{i+1} = (1-alpha_i) err_i + dropped_{i+1} stays <= tail (one round is
  a (1-alpha)-contraction in TV: mixing with data, then a Markov kernel); `tail_mass` = err_i.
  Rounds before the tail budget is reached are exact (`tail_mass` = 0).
Grid laws (`GridLaw`, THEORY.md §7; 1-D or 2-D, any law): the same rounds on the law's grid,
`data.mix(p, alpha).forward(t0)` (trapezoid Gaussian convolution, accurate to about 5e-9 relative per
round when t0 >= `GridLaw.min_time()`); the limit sums the series term by term,
`P_{(k+1) t0}(data)` each in one convolution, cut at the same K and renormalised; there `tail_mass`
is set on the returned law beside the grid's own `mass_outside` (mass lost past the box).
"""
from __future__ import annotations

import math

from .grid_law import GridLaw
from .schedules import as_schedule
from .smoothed_mixture import SmoothedMixture, as_mixture

DEFAULT_TAIL = 1e-12
_DATA, _START = "data", "p0"


def _check_tail(tail) -> float:
    tail = float(tail)
    if not (0.0 < tail < 1.0):
        raise ValueError(f"tail must be in (0, 1), got {tail}")
    return tail


def ideal_recursion(data, alpha, t0, generations: int, p0=None, tail: float = DEFAULT_TAIL) -> list:
    """The iterates p^0, ..., p^generations of the ideal recursion, exactly (module docstring).

    Parameters
    ----------
    data : Gaussian or GaussianMixture (any dimension), or a GridLaw (d = 1 or 2)
    alpha : number in [0, 1], a sequence of `generations` numbers, or a function i -> alpha_i
    t0 : number >= 0, a sequence, or a function i -> t0(i) (see `gaussian_exact.schedules`)
    generations : int >= 0
    p0 : the start (Gaussian or GaussianMixture of data's dimension; a GridLaw on data's grid for
        GridLaw data); default data (D_0 = 0)
    tail : float in (0, 1), the total-variation budget of the truncation (mixtures only)

    Returns
    -------
    list of generations + 1 laws: `SmoothedMixture` objects (with `.mean()`, `.cov()`, `.tail_mass`),
    or `GridLaw` objects for GridLaw data.

    Raises
    ------
    ValueError naming data, p0, alpha, t0, generations or tail.
    """
    if isinstance(data, GridLaw):
        return _grid_recursion(data, as_schedule(alpha, generations, "alpha"), as_schedule(t0, generations, "t0"),
                               data if p0 is None else p0)
    data_mix = as_mixture(data, "data")
    start = data_mix if p0 is None else as_mixture(p0, "p0")
    if start.dim != data_mix.dim:
        raise ValueError(f"p0 must have data's dimension {data_mix.dim}, got {start.dim}")
    alphas = as_schedule(alpha, generations, "alpha")
    t0s = as_schedule(t0, generations, "t0")
    tail = _check_tail(tail)
    bases = {_DATA: data, _START: data if p0 is None else p0}
    terms = {(_START, 0.0): 1.0}
    err = 0.0
    cache: dict = {}

    def law(terms, err):
        return SmoothedMixture([(w, tau, bases[src]) for (src, tau), w in terms.items()], tail_mass=min(err, 1.0),
                               cache=cache)

    laws = [law(terms, err)]
    for a, t in zip(alphas, t0s):
        new: dict = {}
        for (src, tau), w in terms.items():
            if (1 - a) * w > 0:
                key = (src, tau + t)
                new[key] = new.get(key, 0.0) + (1 - a) * w
        if a > 0:
            new[(_DATA, t)] = new.get((_DATA, t), 0.0) + a
        err = (1 - a) * err
        dropped = 0.0
        for key in sorted(new, key=new.get):  # smallest first
            if len(new) == 1 or err + dropped + new[key] > tail:
                break
            dropped += new.pop(key)
        total = math.fsum(new.values())
        terms = {k: w / total for k, w in new.items()}
        err += dropped
        laws.append(law(terms, err))
    return laws


def _grid_forward(q: GridLaw, t: float, i: int) -> GridLaw:
    if 0 < t < q.min_time():
        raise ValueError(f"t0 must be 0 or >= {q.min_time():.4g} on this grid (the smoothing kernel must be wider "
                         f"than the spacing), got t0 = {t:g} at generation {i}; use a finer grid")
    return q.forward(t)


def _grid_recursion(data: GridLaw, alphas, t0s, p0) -> list:
    if not isinstance(p0, GridLaw) or not data.same_grid(p0):
        raise ValueError("p0 must be a GridLaw on data's grid")
    laws = [p0]
    for i, (a, t) in enumerate(zip(alphas, t0s)):
        laws.append(_grid_forward(data.mix(laws[-1], a), t, i))
    return laws


def _grid_limit(data: GridLaw, alpha: float, t0: float, tail: float) -> GridLaw:
    K = series_length(alpha, tail)
    weights = [alpha * (1 - alpha) ** k for k in range(K)]
    total = math.fsum(weights)
    dens, outside = 0.0, 0.0
    for k, w in enumerate(weights):
        term = _grid_forward(data, (k + 1) * t0, k)
        dens = dens + (w / total) * term.density
        outside += (w / total) * term.mass_outside
    law = data.with_density(dens, mass_outside=min(1.0, outside))
    law.tail_mass = (1 - alpha) ** K
    return law


def series_length(alpha: float, tail: float = DEFAULT_TAIL) -> int:
    """K = the number of terms of the limit series kept: the smallest K >= 1 with (1-alpha)^K <= tail."""
    if alpha >= 1:
        return 1
    return max(1, math.ceil(math.log(tail) / math.log1p(-alpha)))


def limit_law(data, alpha: float, t0: float, tail: float = DEFAULT_TAIL) -> SmoothedMixture:
    """The limit p_inf = sum_k alpha (1-alpha)^k P_{(k+1) t0}(data) of the ideal recursion.

    Parameters
    ----------
    data : Gaussian or GaussianMixture, or a GridLaw (d = 1 or 2)
    alpha : float in [0, 1]; alpha = 0 with t0 > 0 gives N(0, I) (everything is forgotten)
    t0 : float >= 0; t0 = 0 gives data itself (nothing moves)
    tail : float in (0, 1); the series is cut at K = `series_length(alpha, tail)` terms and
        renormalised, TV(returned, p_inf) <= (1-alpha)^K = `.tail_mass`

    Returns
    -------
    SmoothedMixture with `.mean()`, `.cov()`, `.tail_mass`; a GridLaw (with `.tail_mass` set) for GridLaw data.

    Raises
    ------
    ValueError naming data, alpha, t0 or tail; alpha = t0 = 0 (every law is then a fixed point); t0 below
    a grid's `min_time`.
    """
    if not isinstance(data, GridLaw):
        as_mixture(data, "data")
    (alpha,) = as_schedule(alpha, 1, "alpha")
    (t0,) = as_schedule(t0, 1, "t0")
    tail = _check_tail(tail)
    if alpha == 0 and t0 == 0:
        raise ValueError("alpha and t0 must not both be 0: every law is then a fixed point (no unique limit)")
    if isinstance(data, GridLaw):
        if t0 == 0:
            return data
        if alpha == 0:
            return GridLaw.standard_normal(data)
        return _grid_limit(data, alpha, t0, tail)
    if t0 == 0:
        return SmoothedMixture([(1.0, 0.0, data)])
    if alpha == 0:
        return SmoothedMixture([(1.0, math.inf, data)])
    K = series_length(alpha, tail)
    weights = [alpha * (1 - alpha) ** k for k in range(K)]
    total = math.fsum(weights)
    return SmoothedMixture([(w / total, (k + 1) * t0, data) for k, w in enumerate(weights)],
                           tail_mass=(1 - alpha) ** K)
