"""A tilted path field in 1-D kept in logs on a box open at its faces, its divergence decided from its
fitted log tails (THEORY.md section 8, "Tilted moments": divergence shows as growth toward the faces).

The grid's tilted moments E*[Lambda^a] = int u_K, u_{k+1} = K^{(a)}_k [u_k exp(a (a - 1) a_k / 2)]
(grid_path_moments.py) are, near the largest finite order a*, carried by fields far wider than any
box: a transition on a closed box then loses their mass beyond the faces, the nodes next to a face
are depleted, and the field looks as if it decayed when it grows. Here, in d = 1:

* the field is propagated in logs by `transition_1d_log_open`: beyond each face log u is continued by
  the quadratic fitted next to the face (exact for the exp(quadratic) fields of a Gaussian target with
  an affine error), so mass that left the box comes back;
* before every transition and at the end, log u is fitted by a quadratic a u^2 + b u + c on the
  `TAIL_NODES` outermost nodes of each face (u outward, 0 on the face; divergence_reason.py, as for
  chi2): when one does not decay (`log_tail_integral` infinite) the moment is +inf, with the step and
  the fitted tail as the reason;
* the final moment is the box's trapezoid sum plus the closed-form integrals of the fitted tails beyond
  the faces; when those tails hold more than TAIL_SHARE of the total the value rests on the quadratic
  extrapolation (exact for Gaussian tails only): it is returned with exact=False and that share in the
  reason, never as an exact number.
"""
from __future__ import annotations

import math

import numpy as np

from .box_tails import TAIL_SHARE
from .divergence_reason import TAIL_NODES, TailFit, log_tail_integral
from .grid_transition import transition_1d_log_open
from .tilted_result import TiltedMoment


def fitted_log_tails(log_field: np.ndarray, spacing: float) -> list:
    """For each face of a 1-D box (the lower, then the upper): the fitted tail (a `TailFit` of log f along
    the outward coordinate) and log int_face^inf f (+inf when it does not decay; -inf when f vanishes
    next to the face).

    Parameters
    ----------
    log_field : (n,) array
        log f at the nodes (-inf allowed).
    spacing : float

    Returns
    -------
    list of (TailFit or None, float)
    """
    n = log_field.shape[0]
    m = min(TAIL_NODES, n)
    u = (np.arange(m) - (m - 1)) * spacing
    out = []
    for near in (log_field[:m][::-1], log_field[n - m:]):   # ordered inward -> face
        if not np.all(np.isfinite(near)):
            out.append((None, -math.inf))
            continue
        top = float(np.max(near))
        coef = np.polyfit(u, near - top, 2)
        out.append((TailFit(*coef), log_tail_integral(*coef) + top))
    return out


class LogTiltedField:
    """u_k in logs on a 1-D box open at its faces (module docstring).

    Parameters
    ----------
    log_start : (n,) array
        log p_0 at the nodes.
    spacing : float
    """

    def __init__(self, log_start: np.ndarray, spacing: float):
        self.log_u = np.array(log_start, dtype=float)
        self.spacing = float(spacing)
        self.reason = None

    def _diverges(self, log_field: np.ndarray, where: str) -> bool:
        for side, (fit, log_tail) in zip(("x -> -inf", "x -> +inf"), fitted_log_tails(log_field, self.spacing)):
            if math.isinf(log_tail) and log_tail > 0:
                self.reason = (f"{where}: the tilted field does not decay at {side} (log u ~ {fit.quadratic:.3g} x^2 "
                               f"+ {fit.linear:.3g} x along the outward coordinate x, fitted on the {TAIL_NODES} "
                               f"outermost nodes)")
                return True
        return False

    def step(self, log_factor: np.ndarray, delta: np.ndarray, h: float, k: int, check: bool = True) -> None:
        """u <- K[u exp(log_factor)], K with displacements `delta` (mu(y) - y) and variance h; the moment
        is marked infinite when, with `check`, the tilted field's fitted tails do not decay."""
        if self.reason is not None:
            return
        tilted = self.log_u + log_factor
        if check and self._diverges(tilted, f"step {k}"):
            return
        # the plain quadratic continuation: a tilted field may rise toward a face (its peak beyond the box)
        self.log_u = transition_1d_log_open(self.spacing, delta, h, tilted, never_rising=False)

    def finish(self, a: float, weights: np.ndarray) -> TiltedMoment:
        """E*[Lambda^a] = int u_K: box sum plus the fitted tails (module docstring)."""
        if self.reason is not None:
            return TiltedMoment(a, math.inf, self.reason)
        if self._diverges(self.log_u, "the final field u_K"):
            return TiltedMoment(a, math.inf, self.reason)
        finite = np.isfinite(self.log_u)
        if not np.any(finite):
            return TiltedMoment(a, -math.inf, "the tilted field vanished on the grid", exact=False)
        terms = self.log_u[finite] + np.log(weights[finite])
        top = float(np.max(terms))
        log_box = top + math.log(float(np.sum(np.exp(terms - top))))
        tails = [lt for _, lt in fitted_log_tails(self.log_u, self.spacing) if math.isfinite(lt)]
        beyond = float(sum(math.exp(lt - log_box) for lt in tails))   # the tails' share relative to the box
        value = log_box + math.log1p(beyond)
        share = beyond / (1.0 + beyond)
        if share > TAIL_SHARE:
            return TiltedMoment(a, value, (
                f"the fitted tails beyond the box hold {share:.3g} of int u_K: the value extrapolates them "
                f"(exact for Gaussian tails only); E*[Lambda^a] may be infinite or the grid too narrow "
                f"(widen the bounds)"), exact=False)
        return TiltedMoment(a, value, None)
