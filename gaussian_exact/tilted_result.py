"""`TiltedMoment`: the result of a tilted path moment E*[Lambda^a] (THEORY.md section 8), shared by
the Gaussian Riccati recursion (path_moments.py), the grid recursion (grid_path_moments.py) and the
assumption report."""
from __future__ import annotations

import math
from dataclasses import dataclass

from .validation import real_scalar


@dataclass
class TiltedMoment:
    """E*[Lambda^a] of the chain's paths, in logs, and the path Renyi divergence it gives.

    THEORY.md section 8 ("Tilted moments").

    Parameters
    ----------
    a : float
        The order a > 0.
    log_moment : float
        log E*[Lambda^a] (+inf when the moment is infinite).
    reason : str or None
        Why the moment is infinite (the step and the precision or face that broke), or why it is only
        a lower bound (exact=False), else None.
    exact : bool
        False when the grid lost part of the tilted field beyond its box: log_moment is then a lower
        bound (the moment is infinite or the grid too narrow).
    """

    a: float
    log_moment: float
    reason: str | None = None
    exact: bool = True

    @property
    def finite(self) -> bool:
        """True when E*[Lambda^a] is known to be finite (an exact finite value)."""
        return self.exact and math.isfinite(self.log_moment)

    @property
    def infinite(self) -> bool:
        """True when E*[Lambda^a] is known to be infinite."""
        return self.exact and math.isinf(self.log_moment)

    @property
    def moment(self) -> float:
        """E*[Lambda^a] (+inf beyond the float range or when infinite)."""
        return math.inf if self.log_moment > 709.0 else math.exp(self.log_moment)

    @property
    def renyi(self) -> float:
        """R_a = log E*[Lambda^a] / (a - 1) (for a < 1 an infinite moment cannot occur: E*[Lambda^a] <= 1)."""
        if self.a == 1.0:
            raise ValueError("a = 1: the Renyi divergence is the KL limit epshat2 / 2; use path_renyi")
        if not self.exact:
            raise ValueError(f"the tilted moment of order {self.a:g} is only a lower bound: {self.reason}")
        return self.log_moment / (self.a - 1.0)


def check_order(a) -> float:
    """a as a float in (0, inf), or a ValueError naming `a`."""
    a = real_scalar("a", a)
    if not (math.isfinite(a) and a > 0):
        raise ValueError(f"a must be a finite number > 0, got {a}")
    return a
