"""The SymPy symbols shared by every result (THEORY.md §2 names them).

Numeric parameters carry the names used by `Result.params` and by keyword arguments of
`Result.holds`: alpha, eps2, epshat2, eta, C, c, c1, c2, C_bias, eta_floor, eps_floor,
D (D_i), D_next (D_{i+1}), I (I_i), J (J_i), cross (<p^i - data, p^{i+1} - q_i>), N,
R (R_N, the right side of Thm 4.2 for per-generation errors).
`n` is the generation index of error schedules (starting at n = 0); `D0` the initial drift.
"""
import sympy as sp

alpha = sp.Symbol("alpha", nonnegative=True)  # fresh-data fraction, in [0, 1]
eps2 = sp.Symbol("epsilon^2", nonnegative=True)  # ideal-path score energy eps2_i
epshat2 = sp.Symbol("epsilonhat^2", nonnegative=True)  # learned-path score energy
eta = sp.Symbol("eta", nonnegative=True)  # observability, in [0, 1]
C = sp.Symbol("C", nonnegative=True)  # second-order constant of the lower bounds
c = sp.Symbol("c", nonnegative=True)  # second-order constant of the upper bound
c1 = sp.Symbol("c_1", positive=True)  # Thm 4.2 lower envelope constant
c2 = sp.Symbol("c_2", positive=True)  # Thm 4.2 upper envelope constant
C_bias = sp.Symbol("C_bias", nonnegative=True)  # Thm 4.2 additive bias
eta_floor = sp.Symbol("eta_floor", nonnegative=True)
eps_floor = sp.Symbol("epsilon_floor", nonnegative=True)
D = sp.Symbol("D_i", nonnegative=True)  # chi2(p^i || data)
D_next = sp.Symbol("D_{i+1}", nonnegative=True)  # chi2(p^{i+1} || data)
I = sp.Symbol("I_i", nonnegative=True)  # chi2(p^{i+1} || q_i)
J = sp.Symbol("J_i", nonnegative=True)  # int (p^{i+1} - q_i)^2 / data
cross = sp.Symbol("X_i", real=True)  # <p^i - data, p^{i+1} - q_i> weighted by 1/data
N = sp.Symbol("N", integer=True, nonnegative=True)  # number of generations
n = sp.Symbol("n", integer=True, nonnegative=True)  # generation index of a schedule
D0 = sp.Symbol("D_0", nonnegative=True)  # initial accumulated divergence
r = sp.Symbol("r", positive=True)  # ratio of a geometric error schedule eps2 r^n
p = sp.Symbol("p", positive=True)  # exponent of a power-law schedule eps2 (n+1)^-p

# Quantities that results bound (the left-hand sides).
kl_step = sp.Symbol(r"\mathrm{KL}(p^{i+1}\|q_i)", nonnegative=True)
chi2_mix = sp.Symbol(r"\chi^2(q_i\|\mathrm{data})", nonnegative=True)
limsup_D = sp.Symbol(r"\limsup_{i\to\infty} D_i", nonnegative=True)
D_after = sp.Symbol("D_{N+1}", nonnegative=True)
R = sp.Symbol("R_N", nonnegative=True)  # Thm 4.2's right side: sum_i (1-alpha)^{2(N-i)} eps2_i + (1-alpha)^{2(N+1)} D_0

#: keyword name -> symbol, for every numeric parameter a result may need.
BY_NAME = {
    "alpha": alpha, "eps2": eps2, "epshat2": epshat2, "eta": eta, "C": C, "c": c,
    "c1": c1, "c2": c2, "C_bias": C_bias, "eta_floor": eta_floor, "eps_floor": eps_floor,
    "D": D, "D_next": D_next, "I": I, "J": J, "cross": cross, "N": N, "D0": D0, "R": R,
}
NAME_OF = {s: k for k, s in BY_NAME.items()}
