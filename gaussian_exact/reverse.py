"""`reverse`: the exact law of the reverse-diffusion output with an affine score error.

THEORY.md sections 1 and 4. The reverse process runs in reverse time tau = T - t from T down to
t0 with drift **+1/2 y + score_hat(y, t)** (the sign a public reproduction got wrong, giving a
standard deviation of about 26 on a N(0, 0.6^2) target), score_hat = exact OU score of `target`
plus `error`. The output is Gaussian; see linear_sde.py for the moment recursions.
"""
from __future__ import annotations

from .final_step_law import final_step_gaussian
from .gaussian_chain import affine_chain, gaussian_chain
from .grid_chain import grid_reverse
from .time_grid import keyword_form
from .grid_law import GridLaw
from .linear_sde import propagate


def reverse(target, error=None, T: float = 4.0, t0: float = 0.02, steps=None,
            init="prior", ode: bool = False, score=None, *, schedule=None, sampler=None, final_step: bool = True):
    """Exact law of the reverse process's output (a Gaussian; a GridLaw for a GridLaw target).

    The reverse SDE of THEORY.md section 1, ``dY = [+1/2 Y + score_hat(Y, T - tau)] dtau + dW``,
    ``score_hat`` = the target's score + `error`:

    * steps=None: continuous time (moment ODEs, DOP853, rtol 1e-10 / atol 1e-12).
    * steps=K: the Euler-Maruyama chain, exactly: h = (T - t0)/K, grid t_k = T - k h for
      k = 0..K-1, Y_{k+1} = Y_k + h (Y_k/2 + score_hat(Y_k, t_k)) + sqrt(h) Z_k, output Y_K
      (at t_K = t0). The score is evaluated at the *left* end t_k of each step (the time the
      step starts from); the first evaluation is at t = T, the last at t0 + h.
    * init="prior": Y_0 ~ N(0, I); init="exact": Y_0 ~ forward(target, T); a Gaussian: that law.
    * ode=True: the probability-flow ODE (drift 1/2 y + 1/2 score_hat, no noise).
    * target a GridLaw (d = 1, 2; THEORY.md section 7): `error` (or `score=`, the learned score
      itself) is any callable f(x, t), x (m, d) -> (m, d); the result is the exact law, on the
      target's grid, of the K-step chain (steps required; init may also be a GridLaw on that grid;
      ode=True is refused: the probability-flow chain has no Gaussian transition). See grid_chain.py.

    Error-free, init="exact", steps=None: the output is forward(target, t0) (exact sampling).

    Parameters
    ----------
    target : Gaussian or GridLaw
        The law the reverse process should produce.
    error : AffineError or callable, optional
        The score error (an `AffineError` for a Gaussian target; any f(x, t) for a GridLaw target);
        None: the exact score.
    T, t0 : float
        The time window, 0 <= t0 < T.
    steps : int, optional
        K >= 1 Euler-Maruyama steps; None: continuous time (Gaussian targets only).
    init : {"prior", "exact"}, Gaussian or GridLaw
        The law of Y_0 (see above).
    ode : bool
        Run the probability-flow ODE instead of the SDE (Gaussian targets only).
    score : callable, optional
        For a GridLaw target, the learned score itself, instead of `error`.
    schedule : TimeGrid, optional
        T, t0, steps (or an explicit decreasing grid) and init as one object (time_grid.py), instead
        of the keywords.
    sampler : GaussianSampler, optional
        Any Gaussian-transition sampler (gaussian_sampler.py: EM on any grid, DDPM ancestral), instead of
        the uniform EM chain: its exact law on a GridLaw target, or on a Gaussian target (no clipping;
        gaussian_chain.py).
    final_step : bool
        DDPM sampler: return the law of DDPM's actual output x_0 = clip(m(x_1)) after its last noiseless
        step (GridLaw target: a `FinalStepLaw`; Gaussian target, no clipping: a Gaussian,
        `final_step_gaussian`); False: the law of x_1 (a GridLaw or a Gaussian).

    Returns
    -------
    Gaussian, GridLaw or FinalStepLaw
        The exact law of the output Y_K (or Y at t0 in continuous time); for a DDPM sampler that of x_0
        (a FinalStepLaw for a GridLaw target) unless final_step=False.

    Raises
    ------
    ValueError
        Naming T, t0, steps, init, error, ode (a GridLaw target) or score (a Gaussian target) when
        out of range.
    """
    if isinstance(target, GridLaw):
        if ode:
            raise ValueError("ode must be False for a GridLaw target (the exact grid chain needs the SDE's "
                             "Gaussian transitions)")
        return grid_reverse(target, error, T, t0, steps, init, score, final_step, schedule=schedule, sampler=sampler)
    if score is not None:
        raise ValueError("score= is for GridLaw targets; for a Gaussian target give an AffineError")
    chain = affine_chain(schedule, sampler, ode)
    if chain is not None:
        out = gaussian_chain(target, chain, error, path="learned").out
        if final_step and chain.abar is not None:   # DDPM: its last, noiseless step (affine here)
            return final_step_gaussian(out, target, chain, error)
        return out
    T, t0, steps, init = keyword_form(schedule, T, t0, steps, init)
    return propagate(target, error, T, t0, steps, init=init, ode=ode, path="learned", with_energy=False).out
