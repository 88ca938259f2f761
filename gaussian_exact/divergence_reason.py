"""Why a divergence is infinite, as data; the fitted tails that decide it (THEORY.md section 8,
"Tails decide chi2").

chi2(p || q) = int (p - q)^2 / q is infinite as soon as p's tail is heavier than sqrt(q)'s. On a grid
the tails are read from the log densities next to each face of the box: along the outward coordinate
u (u = 0 on the face), log p ~ a u^2 + b u + c is fitted by least squares on the `TAIL_NODES` outermost
nodes (exact for Gaussian tails, and for exponential ones, a = 0). The chi2 integrand beyond the face
is then exp(2 log p - log q) (the -2p + q part is the two laws' mass beyond the box), an exp(quadratic)
that is integrated in closed form when it decays and is infinite when it does not: then a
`DivergenceReason` names the law, the face and both fitted tails.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

TAIL_NODES = 16            # outermost nodes of a face on which the log densities' tails are fitted
FLAT = 1e-7                # a fitted coefficient below this share of the terms it is made of counts as 0


@dataclass(frozen=True)
class TailFit:
    """log density ~ quadratic u^2 + linear u + constant along the outward coordinate u of a face
    (u = 0 on the face).

    Parameters
    ----------
    quadratic, linear, constant : float
    """

    quadratic: float
    linear: float
    constant: float

    def describe(self, name: str, face: str) -> str:
        """'<name> ~ exp(-u^2 / w)' (Gaussian tail), 'exp(-r |x|)' (exponential) or 'grows' at `face`."""
        a, b = self.quadratic, self.linear
        if a < -FLAT * (abs(a) + abs(b)):
            return f"{name} ~ exp(-x^2 / {-1 / a:.3g}) at {face}"
        if b < 0:
            return f"{name} ~ exp(-{-b:.3g} |x|) at {face}"
        return f"{name} does not decay at {face} (log density slope {b:.3g}, curvature {a:.3g})"


@dataclass(frozen=True)
class DivergenceReason:
    """Why a divergence is infinite (module docstring).

    Parameters
    ----------
    law : str
        The law whose tail is too heavy (e.g. "learned law"), or the one that vanishes.
    face : str
        Where: "x -> -inf", "x0 -> +inf", or a direction.
    tail_p, tail_q : str
        The fitted tails of the two laws there.
    text : str
        One sentence for a reader.
    """

    law: str
    face: str
    tail_p: str
    tail_q: str
    text: str

    def as_dict(self) -> dict:
        """The reason as a JSON-ready dict with keys law, face, tail_p, tail_q, text."""
        return {"law": self.law, "face": self.face, "tail_p": self.tail_p, "tail_q": self.tail_q, "text": self.text}


@dataclass(frozen=True)
class DivergenceResult:
    """A divergence with its reason: `value` (+inf when divergent), `reason` (None when finite), and the
    part of a finite value that lies beyond the box (`beyond_box`, from the fitted tails).

    Parameters
    ----------
    value : float
    reason : DivergenceReason or None
    beyond_box : float
    """

    value: float
    reason: DivergenceReason | None = None
    beyond_box: float = 0.0


def log_tail_integral(a: float, b: float, c: float) -> float:
    """log int_0^inf exp(a u^2 + b u + c) du; +inf when the integrand does not decay (a > 0, or a = 0 and
    b >= 0, with the FLAT tolerance)."""
    scale = abs(a) + abs(b) + 1e-300
    if a > FLAT * scale:
        return math.inf
    if abs(a) <= FLAT * scale:
        return math.inf if b >= -FLAT * scale else c - math.log(-b)
    s = -a
    centre = b / (2 * s)
    return c + b * b / (4 * s) + 0.5 * math.log(math.pi / s) + float(special.log_ndtr(centre * math.sqrt(2 * s)))
