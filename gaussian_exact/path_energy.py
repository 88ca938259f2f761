"""Path energies of an affine score error (THEORY.md sections 2 and 4; Prop 3.1).

eps2   = E_{P*} int_{t0}^{T} |e(Y_t, t)|^2 dt   (path="ideal": the reverse path with exact score),
epshat2 = the same under the learned path P^ (path="learned"),
closed form through the Gaussian marginals: E|W y + xi|^2 = tr(W C W^T) + |W m + xi|^2.
On the Euler-Maruyama chain (steps=K) it is the Riemann sum sum_k h E|e(Y_k, t_k)|^2, for which the
discrete Girsanov identity KL(learned chain path || ideal chain path) = 1/2 sum_k h E_learned|e_k|^2
is exact (each step is N(mean, h I) with means differing by h e_k).
"""
from __future__ import annotations

from .gaussian_chain import affine_chain, gaussian_chain
from .grid_chain import grid_path_energy
from .time_grid import keyword_form
from .grid_law import GridLaw
from .linear_sde import propagate


def path_energy(target, error=None, T: float = 4.0, t0: float = 0.02, path: str = "ideal",
                steps=None, init="prior", score=None, *, schedule=None, sampler=None) -> float:
    """eps2 (path="ideal") or epshat2 (path="learned") of `error` on the reverse path of `target`.
    A GridLaw target takes any callable error (or score=) and needs steps (grid_chain.py).

    THEORY.md sections 2 and 4 (Prop 3.1).

    Parameters
    ----------
    target : Gaussian or GridLaw
        The law whose reverse path is followed.
    error : AffineError, callable or None
        The score error (any callable e(y, t) for a GridLaw target).
    T : float in (0, MAX_TIME]
        Horizon (default 4).
    t0 : float in [0, T)
        Early-stopping time (default 0.02).
    path : {"ideal", "learned"}
        Energy along the ideal path (eps2) or the learned path (epshat2).
    steps : int or None
        None: continuous time (Gaussian targets only); K >= 1: the exact K-step chain.
    init : "prior", "exact" or a law
        Initial law of the reverse path (default "prior").
    score : callable or None
        For a GridLaw target only: the learner's score, instead of `error`.
    schedule, sampler : TimeGrid, GaussianSampler, optional
        As in `reverse` (one schedule object; any Gaussian-transition sampler, whose energy is
        ``sum_k E |d_k|^2 / v_k``, THEORY.md §8).

    Returns
    -------
    float
        The path energy (>= 0).

    Raises
    ------
    ValueError
        If score is given with a Gaussian target, path is not "ideal" or "learned", or T, t0,
        steps, error or init is out of range or of the wrong kind for the target.
    """
    if isinstance(target, GridLaw):
        return grid_path_energy(target, error, T, t0, path, steps, init, score, schedule=schedule, sampler=sampler)
    if score is not None:
        raise ValueError("score= is for GridLaw targets; for a Gaussian target give an AffineError")
    if path not in ("ideal", "learned"):
        raise ValueError(f"path must be 'ideal' or 'learned', got {path!r}")
    chain = affine_chain(schedule, sampler)
    if chain is not None:
        return gaussian_chain(target, chain, error, path=path).energy
    T, t0, steps, init = keyword_form(schedule, T, t0, steps, init)
    return propagate(target, error, T, t0, steps, init=init, path=path).energy
