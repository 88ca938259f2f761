"""The exact law of the Euler-Maruyama reverse chain for ANY score, on a grid (THEORY.md section 7).

Chain (THEORY.md sections 1 and 7): h = (T - t0)/K, t_k = T - k h (k = 0..K-1),
    y_{k+1} = mu_k(y_k) + sqrt(h) z_k,   mu_k(y) = y + h b_k(y),
ideal drift b_k = y/2 + s_q(y, t_k) (s_q the exact score of the training law q pushed forward to
t_k), learned drift b_k + e_k, with e_k = learned score - s_q. Its marginals are propagated exactly up
to quadrature, p_{k+1} = K_k p_k (grid_transition.py), and alongside:
* path energies eps2 = sum_k h int p_k |e_k|^2 over the ideal chain's marginals, epshat2 the same
  over the learned chain's (discrete Girsanov: KL(learned chain || ideal chain) = epshat2 / 2);
* the eta recursion g_0 = 0, g_{k+1} = K_k g_k + h div K_k[p_k e_k] along the ideal chain, so that
  E[M | Y_K = y] = g_K(y) / p_K(y) and eta = (int g_K^2 / p_K) / eps2, M = -sum_k sqrt(h) e_k . z_k.
In d = 1 the two chains' densities are also propagated in logs (log-sum-exp over the same
trapezoid sums), so that the output laws carry finite log densities where the densities underflow
below 1e-308 and KL, chi2 against them stay finite there (their values at such e^-700 levels are only
as good as the scores computed there). The exact score s_q at the K step times is Tweedie's formula on the grid, taken from q directly at
each time in log space over the full kernel (grid_scores.py): exact in the far tails, where a kernel
cut at a fixed number of standard deviations, or a semigroup iterated on the box, is not.

Grid laws need a step count: the continuous limit is reached by increasing `steps` (the chain's law
converges to the continuous-time output at rate O(h)), refining the grid with it so that the spacing
stays below sqrt(h) (`check_spacing`); `bench/bench_grid.py` tabulates both.

An error or a score is any callable f(x, t), x of shape (m, d) float64 (the grid nodes in C order) and
t a float, returning (m, d); `AffineError` is one. It is evaluated once per step on the whole grid.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .grid_law import GridLaw
from .grid_scores import log_forward_and_score
from .grid_transition import (KERNEL_REACH, check_spacing, extrapolate_faces, transition_1d, transition_1d_log_open,
                              transition_2d)
from .final_step_law import FinalStepLaw
from .gaussian_sampler import GaussianSampler, euler_maruyama
from .time_grid import TimeGrid, as_time_grid


@dataclass
class GridChainResult:
    """Laws and path quantities of one run of the chain on a grid (NaN / None where not computed).

    THEORY.md section 7.

    Parameters
    ----------
    learned : GridLaw or None
        Law of the learned chain's output Y_K.
    ideal : GridLaw or None
        Law of the ideal chain's output.
    eps2 : float
        Ideal-path energy sum_k h E_{P*} abs(e_k)^2.
    epshat2 : float
        Learned-path energy.
    eta : float
        Var E[M | Y_K] / eps2 (ideal path).
    var_cond_mean : float
        Var E[M | Y_K].
    steps : int
        Number of chain steps K.
    h : float
        Step size (T - t0) / K.
    learned_x0, ideal_x0 : FinalStepLaw or None
        DDPM samplers only: the law of the sampler's actual output x_0 = clip(m(x_1)), its last noiseless
        step applied to `learned` / `ideal` (final_step_law.py; atoms where clipping is active). `learned`
        and `ideal` stay the laws of x_1 (the chain's last Gaussian transition), on which the
        divergences and path quantities are computed. None for Euler-Maruyama or final_step=False.
    """

    learned: GridLaw | None       # law of the learned chain's output Y_K
    ideal: GridLaw | None         # law of the ideal chain's output
    eps2: float                   # ideal-path energy sum_k h E_{P*}|e_k|^2
    epshat2: float                # learned-path energy
    eta: float                    # Var E[M | Y_K] / eps2 (ideal path)
    var_cond_mean: float          # Var E[M | Y_K]
    steps: int
    h: float
    learned_x0: FinalStepLaw | None = None   # DDPM: law of x_0 = clip(m(x_1)), the sampler's real output
    ideal_x0: FinalStepLaw | None = None


def evaluate_field(f, points: np.ndarray, t: float, name: str) -> np.ndarray:
    """f(points, t) as a finite (m, d) float64 array.

    Raises
    ------
    ValueError
        Naming `name` when f returns the wrong shape, or NaN / inf.
    """
    out = np.asarray(f(points, float(t)), dtype=float)
    if out.shape != points.shape:
        raise ValueError(f"{name} must return shape {points.shape} for x of shape {points.shape} (an (m, d) array), "
                         f"got {out.shape} at t={t:.6g}")
    if not np.all(np.isfinite(out)):
        bad = int(np.sum(~np.isfinite(out)))
        raise ValueError(f"{name} returned {bad} NaN or infinite values at t={t:.6g}")
    return out


class ForwardScores:
    """Exact scores s_q(., t) on the grid at the chain's step times t_k = T - k h, in the order k = 0..K-1
    (module docstring): each from q directly, in log space over the full kernel (grid_scores.py), so that
    they are exact in the far tails too; one grid of scores in memory at a time.

    Parameters
    ----------
    law : GridLaw
        The law q (its `logp` is used: the closed-form log density where the law carries one).
    T, t0 : float
        The chain's time window.
    steps : int
        K.
    """

    def __init__(self, law: GridLaw, T: float, t0: float, steps: int, times=None):
        self.law = law
        self.K = steps
        self.h = (T - t0) / steps
        self.T = T
        self.tau0 = t0 + self.h
        self.log_density = law.logp
        self.times = times

    def at(self, t: float) -> np.ndarray:
        """s_q(., t) at the grid nodes, shape `shape + (d,)`."""
        return log_forward_and_score(self.law.axes, self.log_density, t)[1]

    def __iter__(self):
        for k in range(self.K):
            yield self.at(self.T - k * self.h if self.times is None else float(self.times[k]))


class StepFields:
    """The per-step fields of one chain on one grid, computed on the first pass over it and replayed on
    the next: the exact scores s_q(., t_k) (`ForwardScores`) and the learned score at the grid nodes.
    Two passes over the same chain (`run_grid_chain`, then `grid_path_moments`, as neural.grid_exact
    runs them per generation) then evaluate each once; the values are the same arrays, so the results
    are bit for bit those of two separate passes. Arrays are kept read-only; memory: 2 K arrays of
    the grid's size times d.

    Parameters
    ----------
    law : GridLaw or None
        The law q whose chain is run (passes for another law do not use the kept fields; None: a
        pass-through that keeps nothing).
    """

    def __init__(self, law: GridLaw):
        self.law = law
        self._key, self._scores = None, None
        self._learned, self._learned_of = {}, None

    def forward(self, law: GridLaw, T: float, t0: float, steps: int, times=None):
        """s_q(., t_k) for k = 0..K-1, as `ForwardScores(law, T, t0, steps, times)` yields them; kept
        after a complete first pass for the same law and schedule, replayed after."""
        key = (float(T), float(t0), int(steps), None if times is None else tuple(np.asarray(times, float)))
        if law is not self.law:
            yield from ForwardScores(law, T, t0, steps, times)
            return
        if self._key == key:
            yield from self._scores
            return
        kept = []
        for s_q in ForwardScores(law, T, t0, steps, times):
            s_q.setflags(write=False)
            kept.append(s_q)
            yield s_q
        self._key, self._scores = key, kept

    def score(self, score, law: GridLaw, points: np.ndarray, t: float) -> np.ndarray:
        """`evaluate_field(score, points, t, "score")` at the nodes `points` of `law`; kept per t for
        this score when `law` is the fields' law."""
        if law is not self.law:
            return evaluate_field(score, points, t, "score")
        if score is not self._learned_of:
            self._learned, self._learned_of = {}, score
        out = self._learned.get(float(t))
        if out is None:
            out = evaluate_field(score, points, t, "score")
            out.setflags(write=False)
            self._learned[float(t)] = out
        return out


def chain_start(law: GridLaw, init, T: float) -> GridLaw:
    """The chain's start Y_0 on the grid of `law`: "prior" N(0, I), "exact" the forward law at T, or a
    GridLaw on that grid (ValueError naming init otherwise)."""
    if isinstance(init, GridLaw):
        law.check_same_grid(init, "init")
        return init
    if init == "prior":
        return GridLaw.standard_normal(law)
    if init == "exact":
        return law.forward(T)
    raise ValueError(f"init must be 'prior', 'exact' or a GridLaw on the law's grid, got {init!r}")


def resolve_sampler(schedule=None, sampler=None, T=4.0, t0=0.02, steps=None, init="prior") -> GaussianSampler:
    """The sampler of a grid run: `sampler` itself (a GaussianSampler, its schedule carrying init), else the
    Euler-Maruyama chain on `schedule` or on TimeGrid(T, t0, steps, init) (the keyword form).

    Raises
    ------
    ValueError
        Naming sampler, schedule, T, t0, steps (None: a grid chain needs steps) or init.
    """
    if sampler is not None:
        if schedule is not None:
            raise ValueError("give sampler or schedule, not both (a sampler carries its schedule)")
        if not isinstance(sampler, GaussianSampler):
            raise ValueError(f"sampler must be a GaussianSampler or None, got {type(sampler).__name__}")
        return sampler
    grid = as_time_grid(schedule, T, t0, steps, init)
    if grid.steps is None:
        raise ValueError("steps must be an integer >= 1 for a GridLaw target (the exact law is that of the "
                         "K-step Euler-Maruyama chain; the continuous limit is reached by raising steps with "
                         "the grid spacing below sqrt(h))")
    return euler_maruyama(grid)


def mean_difference(chain: GaussianSampler, k: int, e: np.ndarray, delta_id: np.ndarray, delta_le: np.ndarray):
    """(d_k / v_k, r, weight) of step k with ``|d_k|^2 / v_k = weight r`` (THEORY.md §8), d_k = mu_hat_k - mu*_k
    from the two chains' displacements. Without clipping d = gain e, so ``r = |e|^2`` and weight = gain (gain / v)
    (EM: ``h |e|^2`` and d / v = e, bit for bit as before samplers were general)."""
    v = float(chain.variance[k])
    if chain.affine:
        ratio = float(chain.gain[k]) / v
        return (e if ratio == 1.0 else ratio * e), np.sum(e * e, axis=-1), float(chain.gain[k]) * ratio
    dk = delta_le - delta_id
    return dk / v, np.sum(dk * dk, axis=-1), 1.0 / v


def run_grid_chain(law: GridLaw, error=None, T: float = 4.0, t0: float = 0.02, steps=None, init="prior",
                   score=None, learned: bool = True, ideal: bool = True, track_eta: bool = False, *,
                   schedule: TimeGrid | None = None, sampler: GaussianSampler | None = None,
                   final_step: bool = True, step_fields: StepFields | None = None) -> GridChainResult:
    """Run the ideal and/or the learned chain on the grid of `law` (module docstring), for the
    Euler-Maruyama chain or any Gaussian-transition `sampler` (THEORY.md §8; gaussian_sampler.py).

    For a sampler ``y_{k+1} ~ N(mu_k(y_k), v_k I)`` the law follows the same transitions with variance v_k,
    the path energies are ``sum_k E |d_k|^2 / v_k`` (d_k = mu_hat_k - mu*_k; EM: ``sum_k h_k E|e_k|^2``) and
    eta's recursion is ``g_{k+1} = K_k g_k + v_k div K_k[p_k d_k / v_k]``.

    Parameters
    ----------
    law : GridLaw
        The training law q (its exact forward score drives the ideal chain).
    error : callable or None
        e(x, t), the learned score minus s_q; None and score None: no error.
    score : callable or None
        The learned score itself (then e = score - s_q); give error or score, not both.
    T, t0, steps, init
        As in `reverse` (the keyword form of `schedule`); steps is required (an integer >= 1).
    learned, ideal, track_eta : bool
        Which chains to run; track_eta runs the ideal chain's g recursion (eta).
    schedule : TimeGrid, optional
        The EM chain's schedule (any decreasing grid), instead of T, t0, steps, init.
    sampler : GaussianSampler, optional
        Any Gaussian-transition sampler (e.g. `ddpm_ancestral`), instead of the EM chain.
    final_step : bool
        DDPM samplers: also give the law of x_0 after the last noiseless step (``learned_x0``,
        ``ideal_x0``; `FinalStepLaw`: the scores at t_1 computed here, its splines lazily). Ignored for
        Euler-Maruyama.
    step_fields : StepFields, optional
        Keeps the exact and learned scores of this pass for a later pass over the same chain (or
        replays those of an earlier one); the results are the same.

    Returns
    -------
    GridChainResult
        ``h`` is the largest step variance (the EM step on a uniform grid). ``learned`` and ``ideal`` are
        the laws of the chain's output y_K (DDPM: x_1 at OU time t_1); ``learned_x0`` and ``ideal_x0``
        those of DDPM's x_0.

    Raises
    ------
    ValueError
        Naming steps (None, or too many for the grid's spacing), init, error/score (both given; wrong
        shape or NaN returned), sampler/schedule, or when an output law leaves more than law.mass_tol
        outside the grid.
    """
    if not isinstance(law, GridLaw):
        raise ValueError(f"law must be a GridLaw, got {type(law).__name__}")
    chain = resolve_sampler(schedule, sampler, T, t0, steps, init)
    grid = chain.schedule
    T, t0, steps = grid.T, grid.t0, chain.steps
    if error is not None and score is not None:
        raise ValueError("give error or score, not both")
    if error is not None and not callable(error):
        raise ValueError(f"error must be a callable f(x, t) or None, got {type(error).__name__}")
    if score is not None and not callable(score):
        raise ValueError(f"score must be a callable f(x, t) or None, got {type(score).__name__}")
    variances = chain.variance
    h = float(np.max(variances))
    check_spacing(law.spacing, float(np.min(variances)))
    ideal = ideal or track_eta
    start = chain_start(law, grid.init, T)
    d, shape = law.dim, law.shape
    X = law.points
    Xg = X.reshape(shape + (d,))
    w = law.weights
    p_id = start.density.copy() if ideal else None
    p_le = start.density.copy() if learned else None
    # d = 1: the densities also run in logs, so that tails far below 1e-308 keep exact log values
    log_id = start.logp.copy() if (ideal and d == 1) else None
    log_le = start.logp.copy() if (learned and d == 1) else None
    g = np.zeros(shape) if track_eta else None
    eps2 = 0.0 if ideal else math.nan
    epshat2 = 0.0 if learned else math.nan
    times = None if (chain.name == "euler_maruyama" and grid.uniform) else chain.times
    kept = StepFields(None) if step_fields is None else step_fields   # StepFields(None) keeps nothing
    forward = kept.forward(law, T, t0, steps, times)
    for k, s_q in enumerate(forward):
        t = T - k * h if times is None else float(times[k])
        v = float(variances[k])
        if score is not None:
            learned_score = kept.score(score, law, X, t)
            e = learned_score.reshape(shape + (d,)) - s_q
        elif error is not None:
            e = evaluate_field(error, X, t, "error").reshape(shape + (d,))
        else:
            e = None
        delta_id = chain.displacement(k, Xg, s_q)
        delta_le = delta_id if e is None else chain.displacement(k, Xg, s_q, e)
        d_over_v, e2, weight = (None, None, None) if e is None else mean_difference(chain, k, e, delta_id, delta_le)
        if ideal:
            pw = p_id * w
            if e is not None:
                eps2 += weight * float(np.sum(pw * e2))
            plain = [pw] + ([g * w] if track_eta else [])
            fields = [pw * d_over_v[..., c] for c in range(d)] if (track_eta and e is not None) else []
            if log_id is None or track_eta:
                new = _transition(law, delta_id, v, plain, fields)
                p_id = new[0]
            if log_id is not None:   # d = 1: the density from the log chain
                log_id = transition_1d_log_open(float(law.spacing[0]), delta_id[:, 0], v, log_id)
                p_id = np.exp(log_id)
            if track_eta:
                g = new[1] + (sum(new[2:]) if fields else 0.0)
        if learned:
            pw = p_le * w
            if e is not None:
                epshat2 += weight * float(np.sum(pw * e2))
            if log_le is not None:   # d = 1: the log chain alone (its exponential is the density)
                log_le = transition_1d_log_open(float(law.spacing[0]), delta_le[:, 0], v, log_le)
                p_le = np.exp(log_le)
            else:
                p_le = _transition(law, delta_le, v, [pw], [])[0]
    out_id = output_law(law, p_id, start, "ideal", log_id) if ideal else None
    out_le = output_law(law, p_le, start, "learned", log_le) if learned else None
    x0_id = x0_le = None
    if final_step and chain.abar is not None:   # DDPM's last, noiseless step at t_1 (final_step_law.py)
        t1 = grid.t0
        exact_needed = out_id is not None or (out_le is not None and score is None)   # not for a learned score alone
        s_q1 = log_forward_and_score(law.axes, law.logp, t1)[1] if exact_needed else None
        if out_id is not None:
            x0_id = FinalStepLaw(out_id, chain, s_q1)
        if out_le is not None:
            if score is not None:
                s_le1 = evaluate_field(score, X, t1, "score")
            elif error is not None:
                s_le1 = s_q1.reshape(X.shape) + evaluate_field(error, X, t1, "error")
            else:
                s_le1 = s_q1
            x0_le = FinalStepLaw(out_le, chain, s_le1)
    eta = vcm = math.nan
    if track_eta:
        pos = p_id > 0
        vcm = float(np.sum(np.where(pos, g * g / np.where(pos, p_id, 1.0), 0.0) * w))
        eta = vcm / eps2 if eps2 > 0 else math.nan
        if eps2 > 0 and -1e-9 < eta < 1 + 1e-9:
            eta = float(min(max(eta, 0.0), 1.0))
    return GridChainResult(out_le, out_id, eps2, epshat2, eta, vcm, steps, h, x0_le, x0_id)


def _transition(law: GridLaw, delta: np.ndarray, h: float, plain: list, fields: list) -> list:
    """One step: K[F] for F in plain, then h div K[(f_0, .., f_{d-1})] summed into one term per
    coordinate (returned after the plain outputs, one per coordinate). d = 2: the box is open at its
    faces (`_open_2d`)."""
    if law.dim == 1:
        return transition_1d(float(law.spacing[0]), delta[:, 0], h, plain, fields)
    return _open_2d(law, delta, h, plain, fields)


def _open_2d(law: GridLaw, delta: np.ndarray, h: float, plain: list, fields: list) -> list:
    """transition_2d on the grid extended beyond each face by the band's reach: there the density's log
    is continued by the quadratic and the displacements by the straight lines fitted next to the face
    (`extrapolate_faces`, along each axis in turn; exact for a Gaussian law under an affine drift), the
    other fields by 0; the outputs are cropped to the box. The mass that left the box comes back to the
    nodes next to the faces instead of being lost (which would deplete them)."""
    dx = law.spacing
    n0, n1 = law.shape
    reach = float(np.max(np.abs(delta), initial=0.0)) + KERNEL_REACH[2] * math.sqrt(h)
    e0, e1 = (int(min(n, math.ceil(reach / float(dx[c])))) for c, n in enumerate((n0, n1)))

    def grow(F, degree):
        falling = degree == 2    # the log density; the displacements (degree 1) are continued as they are
        return extrapolate_faces(extrapolate_faces(F, e0, degree, falling).T, e1, degree, falling).T

    with np.errstate(divide="ignore"):
        logp = np.log(plain[0] / law.weights)
    ext = [np.exp(grow(logp, 2)) * float(dx[0] * dx[1])]
    ext += [np.pad(F, ((e0, e0), (e1, e1))) for F in plain[1:] + fields]
    d0, d1 = grow(delta[..., 0], 1), grow(delta[..., 1], 1)
    k = len(plain)
    out = transition_2d(dx, d0, d1, h, ext[:k], ext[k:k + 1], ext[k + 1:k + 2])
    return [o[e0:e0 + n0, e1:e1 + n1] for o in out]


def output_law(law: GridLaw, dens: np.ndarray, start: GridLaw, which: str, log_density=None) -> GridLaw:
    """The output Y_K of the `which` chain as a GridLaw (from its log density where given); ValueError when
    more than law.mass_tol of it lies outside the grid."""
    dens = np.clip(dens, 0.0, None) if log_density is None else np.exp(log_density)   # d = 1: the log chain
    total = float(np.sum(dens * law.weights))
    outside = min(1.0, max(0.0, 1.0 - total))
    if outside > law.mass_tol:
        raise ValueError(
            f"the grid cannot hold the {which} chain's output: mass outside {outside:.3g} > mass_tol "
            f"{law.mass_tol:.3g} (the start held {1 - start.mass_outside:.6g}); widen the law's bounds")
    return GridLaw(law.axes, dens, mass_outside=outside, mass_tol=law.mass_tol, log_density=log_density)


def grid_reverse(law: GridLaw, error=None, T: float = 4.0, t0: float = 0.02, steps=None, init="prior",
                 score=None, final_step: bool = True, **chain):
    """Exact law of the learned chain's output (see run_grid_chain; `chain`: schedule= or sampler=): a GridLaw
    (y_K), or for a DDPM sampler with final_step the `FinalStepLaw` of its x_0 (final_step=False: x_1's GridLaw)."""
    r = run_grid_chain(law, error, T, t0, steps, init, score, learned=True, ideal=False, final_step=final_step, **chain)
    return r.learned if r.learned_x0 is None else r.learned_x0


def grid_path_energy(law: GridLaw, error=None, T: float = 4.0, t0: float = 0.02, path: str = "ideal",
                     steps=None, init="prior", score=None, **chain) -> float:
    """eps2 (path="ideal") or epshat2 (path="learned") on the chain (module docstring; `chain`: schedule=
    or sampler=)."""
    if path not in ("ideal", "learned"):
        raise ValueError(f"path must be 'ideal' or 'learned', got {path!r}")
    r = run_grid_chain(law, error, T, t0, steps, init, score, learned=path == "learned", ideal=path == "ideal",
                       final_step=False, **chain)
    return r.eps2 if path == "ideal" else r.epshat2


def grid_observability(law: GridLaw, error=None, T: float = 4.0, t0: float = 0.02, steps=None, init="prior",
                       score=None, **chain) -> float:
    """Exact eta of the chain (module docstring; `chain`: schedule= or sampler=); NaN when eps2 = 0."""
    return run_grid_chain(law, error, T, t0, steps, init, score, learned=False, ideal=True, track_eta=True,
                          final_step=False, **chain).eta
