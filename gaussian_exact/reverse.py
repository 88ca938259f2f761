"""`reverse`: the exact law of the reverse-diffusion output with an affine score error.

THEORY.md sections 1 and 4. The reverse process runs in reverse time tau = T - t from T down to
t0 with drift **+1/2 y + score_hat(y, t)** (the sign a public reproduction got wrong, giving a
standard deviation of about 26 on a N(0, 0.6^2) target), score_hat = exact OU score of `target`
plus `error`. The output is Gaussian; see linear_sde.py for the moment recursions.
"""
from __future__ import annotations

from .gaussian import Gaussian
from .linear_sde import propagate


def reverse(target: Gaussian, error=None, T: float = 4.0, t0: float = 0.02, steps=None,
            init="prior", ode: bool = False) -> Gaussian:
    """Exact law of the reverse process's output (a Gaussian).

    * steps=None: continuous time (moment ODEs, DOP853, rtol 1e-10 / atol 1e-12).
    * steps=K: the Euler-Maruyama chain, exactly: h = (T - t0)/K, grid t_k = T - k h for
      k = 0..K-1, Y_{k+1} = Y_k + h (Y_k/2 + score_hat(Y_k, t_k)) + sqrt(h) Z_k, output Y_K
      (at t_K = t0). The score is evaluated at the *left* end t_k of each step (the time the
      step starts from); the first evaluation is at t = T, the last at t0 + h.
    * init="prior": Y_0 ~ N(0, I); init="exact": Y_0 ~ forward(target, T); a Gaussian: that law.
    * ode=True: the probability-flow ODE (drift 1/2 y + 1/2 score_hat, no noise).
    Error-free, init="exact", steps=None: the output is forward(target, t0) (exact sampling).
    """
    return propagate(target, error, T, t0, steps, init=init, ode=ode, path="learned", with_energy=False).out
