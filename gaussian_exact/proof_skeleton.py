"""The skeleton of Prop 3.3 / Thm 3.4, each step an inequality between exactly computable numbers
(THEORY.md section 8, "The skeleton"; RR's reconstruction).

With chi2 = chi2(output_hat || output*) = E*[(R - 1)^2], Zbar = E*[Z | Y_K], Psi = R - 1 - Zbar,
eta eps2 = Var E*[M | Y_K], K = E*<M>^2 / eps2^2 and C' = E*[Psi^2] / eps2^2:

  (a)  R - 1 = Zbar + Psi (Psi's definition); what binds the recursions is its mean, E*[Zbar] = E*[Z] = -eps2/2;
  (b)  chi2 >= E[Zbar^2] / 2 - E[Psi^2]                 (x^2 <= 2 (x + y)^2 + 2 y^2);
  (c)  E[Zbar^2] >= eta eps2 / 2 - K eps2^2 / 4          (the same, x = -E[M|Y], y = -E[<M>|Y]/2, and Jensen);
  (d)  chi2 >= eta eps2 / 4 - (K/8 + C') eps2^2          ((b) and (c));
  (e1) E[Zbar^2] <= E[Z^2]                               (Jensen);
  (e2) E[Z^2] <= 2 eps2 + K eps2^2 / 2                   ((x + y)^2 <= 2 x^2 + 2 y^2, E*M^2 = eps2);
  (e3) chi2 <= 2 E[Zbar^2] + 2 E[Psi^2];
  (e4) chi2 <= 4 eps2 + (K + 2 C') eps2^2                ((e1)-(e3)).

So Thm 3.4's constants for a given run are C = K/8 + C' and c = K + 2 C' (computed, not fitted). Each
row carries a control: one constant mutated in the direction that makes the inequality false in
general (0.49 for 1/2 in an upper bound, 0.24 for 1/4 in a subtracted term, ...); on a case built
for it (one where the step is tight) the control is violated.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .time_grid import keyword_form
from .grid_law import GridLaw
from .grid_path_moments import grid_path_moments

REL_TOL = 1e-9        # a row holds when it fails by at most this share of its larger side (rounding)
EQUALITY_TOL = 1e-7   # an equality row holds to this relative accuracy (the grid's quadrature)


@dataclass
class InequalityRow:
    """One step of the skeleton as data: `lhs relation rhs`, and its mutated control.

    Parameters
    ----------
    name : str
        "(a)", "(b)", ..., "(e4)".
    statement : str
        The inequality in words.
    lhs, rhs : float
        Its two sides.
    relation : str
        ">=", "<=" or "=".
    mutation : str
        The control's mutated constant, e.g. "1/2 -> 0.49".
    control_rhs : float
        The right side with the mutated constant.
    """

    name: str
    statement: str
    lhs: float
    relation: str
    rhs: float
    mutation: str
    control_rhs: float

    def _verdict(self, rhs: float) -> str:
        values = (self.lhs, rhs)
        if not all(math.isfinite(v) for v in values):
            return "vacuous"
        scale = max(abs(self.lhs), abs(rhs), 1e-300)
        if self.relation == "=":
            return "holds" if abs(self.lhs - rhs) <= EQUALITY_TOL * scale + 1e-14 else "violated"
        gap = self.lhs - rhs if self.relation == ">=" else rhs - self.lhs
        return "holds" if gap >= -REL_TOL * scale else "violated"

    @property
    def verdict(self) -> str:
        """"holds", "violated", or "vacuous" (a side infinite or NaN)."""
        return self._verdict(self.rhs)

    @property
    def control_verdict(self) -> str:
        """The verdict of the mutated control (it should read "violated" on a case built for it)."""
        return self._verdict(self.control_rhs)


@dataclass
class ProofSkeleton:
    """The proof's numbers and its steps (a)-(e) for one chain (module docstring).

    Parameters
    ----------
    eps2, chi2, E_Zbar, E_Zbar2, E_Psi2, E_Z2, var_cond_mean, E_qv2 : float
        eps2, chi2(output_hat || output*), E*[Zbar], E*[Zbar^2], E*[Psi^2], E*[Z^2], eta eps2, E*<M>^2.
    rows : list of InequalityRow
        (a), (b), (c), (d), (e1), (e2), (e3), (e4).
    """

    eps2: float
    chi2: float
    E_Zbar: float
    E_Zbar2: float
    E_Psi2: float
    E_Z2: float
    var_cond_mean: float
    E_qv2: float
    rows: list = field(default_factory=list)

    @property
    def eta(self) -> float:
        return self.var_cond_mean / self.eps2 if self.eps2 > 0 else math.nan

    @property
    def K(self) -> float:
        """K = E*<M>^2 / eps2^2."""
        return self.E_qv2 / self.eps2 ** 2 if self.eps2 > 0 else math.nan

    @property
    def C_prime(self) -> float:
        """C' = E*[Psi^2] / eps2^2."""
        return self.E_Psi2 / self.eps2 ** 2 if self.eps2 > 0 else math.nan

    @property
    def C(self) -> float:
        """Thm 3.4's lower constant C = K/8 + C'."""
        return self.K / 8 + self.C_prime

    @property
    def c(self) -> float:
        """Thm 3.4's upper constant c = K + 2 C'."""
        return self.K + 2 * self.C_prime


def skeleton_from_moments(eps2: float, chi2: float, E_Zbar: float, E_Zbar2: float, E_Psi2: float, E_Z2: float,
                          var_cond_mean: float, E_qv2: float) -> ProofSkeleton:
    """The rows (a)-(e4) of the module docstring from the proof's scalar quantities.

    Parameters
    ----------
    eps2 : float
        E*<M> (the ideal-path energy).
    chi2 : float
        E*[(R - 1)^2].
    E_Zbar, E_Zbar2, E_Psi2, E_Z2 : float
        E*[Zbar], E*[Zbar^2], E*[Psi^2], E*[Z^2].
    var_cond_mean : float
        eta eps2 = Var E*[M | Y_K].
    E_qv2 : float
        E*<M>^2 (= K eps2^2).

    Returns
    -------
    ProofSkeleton
    """
    e, v, q, z2, s2 = eps2, var_cond_mean, E_qv2, E_Zbar2, E_Psi2
    rows = [
        InequalityRow("(a)", "R - 1 = Zbar + Psi; its mean: E*[Zbar] = -eps2/2", E_Zbar, "=", -e / 2,
                      "1/2 -> 0.49", -0.49 * e),
        InequalityRow("(b)", "chi2 >= E[Zbar^2]/2 - E[Psi^2]", chi2, ">=", z2 / 2 - s2, "1/2 -> 0.51", 0.51 * z2 - s2),
        InequalityRow("(c)", "E[Zbar^2] >= eta eps2/2 - K eps2^2/4", z2, ">=", v / 2 - q / 4, "1/4 -> 0.24",
                      v / 2 - 0.24 * q),
        InequalityRow("(d)", "chi2 >= eta eps2/4 - (K/8 + C') eps2^2", chi2, ">=", v / 4 - q / 8 - s2,
                      "1/8 -> 0.12", v / 4 - 0.12 * q - s2),
        InequalityRow("(e1)", "E[Zbar^2] <= E[Z^2]", z2, "<=", E_Z2, "1 -> 0.98", 0.98 * E_Z2),
        InequalityRow("(e2)", "E[Z^2] <= 2 eps2 + K eps2^2/2", E_Z2, "<=", 2 * e + q / 2, "1/2 -> 0.49",
                      2 * e + 0.49 * q),
        InequalityRow("(e3)", "chi2 <= 2 E[Zbar^2] + 2 E[Psi^2]", chi2, "<=", 2 * z2 + 2 * s2, "2 -> 1.96",
                      1.96 * (z2 + s2)),
        InequalityRow("(e4)", "chi2 <= 4 eps2 + (K + 2 C') eps2^2", chi2, "<=", 4 * e + q + 2 * s2, "4 -> 3.92",
                      3.92 * e + q + 2 * s2),
    ]
    return ProofSkeleton(eps2, chi2, E_Zbar, E_Zbar2, E_Psi2, E_Z2, var_cond_mean, E_qv2, rows)


def proof_skeleton(target, error=None, T: float = 4.0, t0: float = 0.02, steps=None, init="prior",
                   score=None, *, schedule=None) -> ProofSkeleton:
    """The proof's quantities and its steps (a)-(e4) exactly on a grid (THEORY.md section 8).

    Runs grid_path_moments(..., conditional=True): w_K, g_K, w2_K, Zbar = -g_K/p_K - w_K/(2 p_K),
    R = p_hat_K / p*_K, Psi = R - 1 - Zbar and their moments, then `skeleton_from_moments`.

    Parameters
    ----------
    target : GridLaw
        The training law (d = 1, 2).
    error, score : callable or None
        The score error e(x, t), or the learned score (not both).
    T, t0, steps, init
        As in `reverse` (steps required).
    schedule : TimeGrid, optional
        T, t0, steps and init as one object (a uniform grid; time_grid.py), instead of the keywords.

    Returns
    -------
    ProofSkeleton
        The numbers, the constants (`K`, `C_prime`, `C`, `c`) and the rows.

    Raises
    ------
    ValueError
        Naming target when it is not a GridLaw, or as grid_path_moments.
    """
    T, t0, steps, init = keyword_form(schedule, T, t0, steps, init)
    if not isinstance(target, GridLaw):
        raise ValueError(f"target must be a GridLaw (the conditional quantities are exact on grids), "
                         f"got {type(target).__name__}")
    r = grid_path_moments(target, error, (), T, t0, steps, init, score, conditional=True)
    c = r.conditional
    return skeleton_from_moments(r.eps2, c.chi2, c.E_Zbar, c.E_Zbar2, c.E_Psi2, c.E_Z2, c.var_cond_mean,
                                 r.qv_moments[2])
