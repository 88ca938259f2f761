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

# --- THEORY.md §5: the limit law of recursive training (arXiv 2606.13796; reconstructed) -------------
t0 = sp.Symbol("t_0", nonnegative=True)  # early-stopping time of one round (t0(i) for a schedule)
mode = sp.Symbol("|n|", integer=True, nonnegative=True)  # Hermite order (total degree of a multi-index)
s2 = sp.Symbol("s^2", positive=True)  # variance of mean-zero data
v = sp.Symbol("v_i", nonnegative=True)  # variance of p^i
rho = sp.Symbol("rho", positive=True)  # ratio of a geometric truncation schedule t0(i) = t0 rho^i
dev0 = sp.Symbol("delta_0", nonnegative=True)  # |c_n^0 / c_n^data - 1|, the initial relative deviation of a mode
delta_w2 = sp.Symbol("delta_W2", nonnegative=True)  # per-round W2 error of a sampler to its ideal round
w2_0 = sp.Symbol("W_0", nonnegative=True)  # W2(p^0, ideal p^0), the initial distance
dev = sp.Symbol("delta_i", real=True)  # c_n^i / c_n^data - 1 (signed)
hermite_ratio = sp.Symbol(r"c_n(P_{t_0} q) / c_n(q)", positive=True)  # one-round multiplier of mode n
limit_ratio = sp.Symbol(r"c_n(p_\infty) / c_n(\mathrm{data})", nonnegative=True)  # m_n
gap_ratio = sp.Symbol(r"(c_n^{i+1} - c_n^\infty) / (c_n^i - c_n^\infty)", real=True)
tv_ratio = sp.Symbol(r"\mathrm{TV}(p^{i+1}, p_\infty) / \mathrm{TV}(p^i, p_\infty)", nonnegative=True)
l2_ratio = sp.Symbol(r"\|p^{i+1} - p_\infty\|_{1/\gamma} / \|p^i - p_\infty\|_{1/\gamma}", nonnegative=True)
v_next = sp.Symbol("v_{i+1}", nonnegative=True)
v_inf = sp.Symbol(r"v_{\infty}", nonnegative=True)
dev_next = sp.Symbol(r"\delta_{i+1}", real=True)
dev_N = sp.Symbol(r"\left|\delta_{N}\right|", nonnegative=True)  # |c_n^N / c_n^data - 1| after N annealed rounds
dev_N_signed = sp.Symbol(r"\delta_{N}", real=True)
w2_N = sp.Symbol(r"W_{2}(p^{N}, p^{N}_{\star})", nonnegative=True)  # distance of the model to the ideal recursion
w2_limsup = sp.Symbol(r"\limsup_{N} W_{2}(p^{N}, p_{\infty})", nonnegative=True)

BY_NAME.update({"t0": t0, "mode": mode, "s2": s2, "v": v, "rho": rho, "dev0": dev0, "dev": dev,
                "delta_w2": delta_w2, "w2_0": w2_0})
NAME_OF = {s: k for k, s in BY_NAME.items()}

# --- THEORY.md §8: companion laws that stay finite (TV, Hellinger, path Renyi) -------------------------
tv = sp.Symbol("rho_i", nonnegative=True)  # TV(p^i, data)
tv0 = sp.Symbol("rho_0", nonnegative=True)  # TV(p^0, data)
tv_bias = sp.Symbol("b_i", nonnegative=True)  # TV(p*^{i+1}, q_i): early-stopping and discretisation bias
hel = sp.Symbol("H_i", nonnegative=True)  # H(p^i, data), H^2 = 1/2 int (sqrt p - sqrt q)^2
hel0 = sp.Symbol("H_0", nonnegative=True)  # H(p^0, data)
hel_bias = sp.Symbol("c_i", nonnegative=True)  # H(p*^{i+1}, q_i)
order = sp.Symbol("a", positive=True)  # order of a Renyi divergence / tilted moment
renyi_path = sp.Symbol(r"R_a(\hat P_i\|P^*_i)", nonnegative=True)  # path Renyi divergence
tv_mix = sp.Symbol(r"\mathrm{TV}(q_i, \mathrm{data})", nonnegative=True)
tv_step = sp.Symbol(r"\mathrm{TV}(p^{i+1}, p^{*,i+1})", nonnegative=True)
tv_N = sp.Symbol(r"\rho_N", nonnegative=True)
hel_mix = sp.Symbol(r"H(q_i, \mathrm{data})", nonnegative=True)
hel_step = sp.Symbol(r"H(p^{i+1}, p^{*,i+1})", nonnegative=True)
hel_N = sp.Symbol("H_N", nonnegative=True)
renyi_out = sp.Symbol(r"R_a(p^{i+1}\|p^{*,i+1})", nonnegative=True)  # Renyi of the learned to the ideal output

BY_NAME.update({"tv": tv, "tv0": tv0, "tv_bias": tv_bias, "hel": hel, "hel0": hel0, "hel_bias": hel_bias,
                "order": order, "renyi_path": renyi_path})
NAME_OF = {s: k for k, s in BY_NAME.items()}
