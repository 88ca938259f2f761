"""Exact moment propagation of the reverse process with an affine score (THEORY.md sections 1 and 4).

Target N(m, S); its OU marginal at physical time t has covariance Sig_t = a_t^2 S + s_t^2 I. The
learned score is score_t(x) + e(x, t), e = W(t) x + xi(t). In reverse time tau = T - t the drift
+1/2 y + score_hat(y, t) is affine, B(t) y + b(t), with (SDE)

    B(t) = 1/2 I - Sig_t^-1 + W(t),       b(t) = a_t Sig_t^-1 m + xi(t),

and for the probability-flow ODE (drift 1/2 y + 1/2 score_hat) B = 1/2 I + 1/2 (W - Sig_t^-1),
b = 1/2 (a_t Sig_t^-1 m + xi). The "ideal" path uses e = 0 in the drift.

Euler-Maruyama chain (K = steps, h = (T - t0)/K, t_k = T - k h, k = 0..K-1, output Y_K at t0):
    Y_{k+1} = Y_k + h (B(t_k) Y_k + b(t_k)) + sqrt(h) Z_k
    m_{k+1} = F_k m_k + h b_k,  C_{k+1} = F_k C_k F_k^T + h I,  F_k = I + h B(t_k).
Continuous time: dm/dtau = B m + b, dC/dtau = B C + C B^T + I (no I for the ODE), solved by
DOP853 with rtol 1e-10, atol 1e-12; on the commuting path every equation is scalar and linear per
eigen-coordinate, so it is solved through its integrating factor exp(int B) with the integrals by
Chebyshev interpolation in tau (degrees 48, 96, ... until two agree to 1e-11; DOP853 otherwise),
about 10x faster than the ODE solver and more accurate.

Alongside, on request: the path energy int E|e|^2 (chain: sum_k h E|e(Y_k, t_k)|^2, with
E|W y + xi|^2 = tr(W C W^T) + |W m + xi|^2), and for the observability eta the accumulators
    S_{k+1} = F_k S_k F_k^T + h F_k C_k W_k^T,   l_{k+1} = F_k l_k + h (W_k m_k + xi_k)
(continuous: dS = B S + S B^T + C W^T, dl = B l + W m + xi); see observability.py.

When W is None or isotropic (or diagonal with a diagonal target), every matrix is diagonal in the
eigenbasis of S and the recursion costs O(d) per step (the commuting fast path). There the eigenbasis
is computed once per target (cached on the Gaussian) and the chain runs in blocks of steps: the
coefficients of a block are tabulated as (steps, d) arrays, the moment recursion is one vector update
per step, and energy / eta accumulators are reductions over the block (`_diagonal_chain`);
`propagate_learned_and_ideal` runs the learned and the ideal path through one such pass. The output
law carries its eigendecomposition, so divergences between laws of one basis are O(d^2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import chebyshev
from scipy import fft, linalg
from scipy.integrate import solve_ivp

from .affine_error import AffineError
from .gaussian import Gaussian
from .time_grid import MAX_STEPS, MAX_TIME, TimeGrid  # noqa: F401 (re-exported)
from .ou import REVERSE_DRIFT_SLOPE, noise_variance, signal_scale

ODE_RTOL, ODE_ATOL = 1e-10, 1e-12


def check_schedule(T: float, t0: float, steps) -> tuple[float, float, int | None]:
    """Validate the time window and the step count through `TimeGrid` (the one t0 rule, time_grid.py);
    ValueError naming the argument. T may also be a TimeGrid (then t0 and steps are read from it)."""
    grid = T if isinstance(T, TimeGrid) else TimeGrid(T=T, t0=t0, steps=steps)
    return grid.T, grid.t0, grid.steps


def check_error(error, d: int) -> AffineError:
    if error is None:
        return AffineError()
    if not isinstance(error, AffineError):
        raise ValueError(f"error must be an AffineError or None, got {type(error).__name__}")
    error.check_dim(d)
    return error


@dataclass
class Propagation:
    """Output law and accumulators of one propagation (internal frame: see `basis`)."""

    out: Gaussian
    energy: float
    S: np.ndarray | None        # eta accumulator (frame coordinates; vector if diagonal mode)
    l: np.ndarray | None        # eta accumulator (frame coordinates)
    C: np.ndarray               # output covariance in frame coordinates (vector if diagonal mode)
    diagonal: bool              # True in the commuting (diagonal) mode


class _Frame:
    """Coordinates in which the computation runs: the eigenbasis U of S (diagonal mode) or the
    original coordinates (full mode, U used only to form Sig_t^-1)."""

    def __init__(self, target: Gaussian, error: AffineError, init):
        self.target = target
        self.error = error
        self.lam, self.U = target.eigh()
        init_ok = not isinstance(init, Gaussian) or (init.is_diagonal and self.U is None)
        self.diagonal = init_ok and (
            error.kind in ("none", "isotropic") or (error.kind == "diagonal" and self.U is None))
        self.m = target.mean if (self.U is None or not self.diagonal) else self.U.T @ target.mean

    def rot(self, v):
        return v if (v is None or self.U is None or not self.diagonal) else self.U.T @ v

    def drift(self, t: float, learned: bool, ode: bool):
        """B(t), b(t), W(t), xi(t) in frame coordinates (module docstring)."""
        a, s2 = signal_scale(t), noise_variance(t)
        inv = 1.0 / (a * a * self.lam + s2)
        W = self.error.W(t)
        xi = self.rot(self.error.xi(t))
        c = 0.5 if ode else 1.0
        if self.diagonal:
            w = 0.0 if W is None else W
            B = REVERSE_DRIFT_SLOPE + c * ((w if learned else 0.0) - inv)
            b = c * (a * inv * self.m + (xi if (learned and xi is not None) else 0.0))
            return B, b, w, xi
        d = self.m.shape[0]
        Sinv = inv if self.U is None else (self.U * inv) @ self.U.T
        Sinv = np.diag(Sinv) if Sinv.ndim == 1 else Sinv
        Wm = None if W is None else (W * np.eye(d) if W.ndim == 0 else (np.diag(W) if W.ndim == 1 else W))
        B = REVERSE_DRIFT_SLOPE * np.eye(d) + c * (((Wm if (learned and Wm is not None) else 0.0)) - Sinv)
        b = c * (a * Sinv @ self.m + (xi if (learned and xi is not None) else 0.0))
        return B, b, (np.zeros((d, d)) if Wm is None else Wm), xi

    def initial(self, init, T: float):
        d = self.m.shape[0]
        if isinstance(init, Gaussian):
            if init.dim != d:
                raise ValueError(f"init must have dimension {d}, got {init.dim}")
            return init.mean.copy(), (init.var.copy() if self.diagonal else init.cov.copy())
        if init == "prior":
            return np.zeros(d), (np.ones(d) if self.diagonal else np.eye(d))
        if init == "exact":
            a, s2 = signal_scale(T), noise_variance(T)
            if self.diagonal:
                return a * self.m, a * a * self.lam + s2
            return a * self.m, a * a * self.target.cov + s2 * np.eye(d)
        raise ValueError(f"init must be 'prior', 'exact' or a Gaussian, got {init!r}")

    def output(self, m, C) -> Gaussian:
        if not self.diagonal:
            return Gaussian(m, 0.5 * (C + C.T))
        if self.U is None:
            return Gaussian(m, C)
        return Gaussian.from_eigh(self.U @ m, C, self.U)


def _energy_rate(diagonal: bool, w, xi, m, C) -> float:
    """E|W y + xi|^2 = tr(W C W^T) + |W m + xi|^2 for y ~ N(m, C)."""
    if diagonal:
        em = w * m + (0.0 if xi is None else xi)
        return float(np.sum(w * w * C) + np.sum(em * em))
    em = w @ m + (0.0 if xi is None else xi)
    return float(np.sum((w @ C) * w) + em @ em)


def _mean_error(diagonal: bool, w, xi, m):
    em = (w * m) if diagonal else (w @ m)
    return em + (0.0 if xi is None else xi)


def _prepare(target, error, T, t0, steps, init):
    if not isinstance(target, Gaussian):
        raise ValueError(f"target must be a Gaussian, got {type(target).__name__}")
    T, t0, steps = check_schedule(T, t0, steps)
    frame = _Frame(target, check_error(error, target.dim), init)
    m, C = frame.initial(init, T)
    return frame, m, C, T, t0, steps


def propagate(target: Gaussian, error, T: float, t0: float, steps, init="prior", ode: bool = False,
              path: str = "learned", track: bool = False, with_energy: bool = True) -> Propagation:
    """Exact law of the reverse process's output plus energy / eta accumulators (module docstring).
    with_energy=False skips the path energy (then NaN) on the chain."""
    if path not in ("ideal", "learned"):
        raise ValueError(f"path must be 'ideal' or 'learned', got {path!r}")
    frame, m, C, T, t0, steps = _prepare(target, error, T, t0, steps, init)
    learned = path == "learned"
    noise = 0.0 if ode else 1.0
    if steps is None:
        return _continuous(frame, m, C, T, t0, learned, ode, noise, track)
    if frame.diagonal:
        return _diagonal_chain(frame, m, C, T, (T - t0) / steps, steps, [(learned, track)], ode, noise, with_energy)[0]
    return _full_chain(frame, m, C, T, (T - t0) / steps, steps, learned, ode, noise, track, with_energy)


def propagate_learned_and_ideal(target: Gaussian, error, T: float, t0: float, steps, init="prior",
                                ode: bool = False, track_ideal: bool = False) -> tuple[Propagation, Propagation]:
    """(propagate(..., path="learned"), propagate(..., path="ideal", track=track_ideal)); on the commuting
    chain both paths run in one pass that shares the coefficient tables and the loop over the grid."""
    frame, m, C, T, t0, steps = _prepare(target, error, T, t0, steps, init)
    if steps is None and frame.diagonal:  # both paths from one coefficient table
        fast = _spectral_diagonal(frame, m, C, T, t0, [(True, False), (False, track_ideal)], ode, 0.0 if ode else 1.0)
        if fast is not None:
            return fast[0], fast[1]
    if steps is None or not frame.diagonal:
        return (propagate(target, error, T, t0, steps, init=init, ode=ode, path="learned"),
                propagate(target, error, T, t0, steps, init=init, ode=ode, path="ideal", track=track_ideal))
    runs = [(True, False), (False, track_ideal)]
    learned, ideal = _diagonal_chain(frame, m, C, T, (T - t0) / steps, steps, runs, ode, 0.0 if ode else 1.0, True)
    return learned, ideal


BLOCK_ELEMENTS = 8192   # steps x dimension per block of the commuting chain: the block's arrays stay in cache


def _diagonal_chain(frame: _Frame, m, C, T, h, steps, runs, ode, noise, with_energy) -> list:
    """The commuting chain in the eigenbasis of S, in blocks of steps, for each run (learned, track) at
    once. Per block the coefficients are tabulated ((steps, d) arrays), the mean and covariance
    recursions of all runs cost one vector update per step, and the energy and eta accumulators are
    reductions over the block's trajectory:
    energy += h sum_k [sum_i w_ki^2 C_ki + |w_k m_k + xi_k|^2] (W_k = diag(w_k) in the eigenbasis),
    S <- P^2 S + h sum_k Phi_k^2 F_k C_k w_k, l <- P l + h sum_k Phi_k (w_k m_k + xi_k), with
    P = F_last ... F_first and Phi_k = F_last ... F_{k+1} over the block (F = 1 + h B)."""
    d, r = m.shape[0], len(runs)
    ch = (0.5 if ode else 1.0) * h
    size = max(1, min(steps, BLOCK_ELEMENTS // d))
    energy = [0.0] * r
    S = [np.zeros(d) if track else None for _, track in runs]
    l = [np.zeros(d) if track else None for _, track in runs]
    X = np.empty((size + 1, 2 * r, d))                  # rows j: (m, C) of each run after j steps of the block
    gain, shift = np.empty((size, 2 * r, d)), np.empty((size, 2 * r, d))
    shift[:, 1::2] = h * noise
    X[0] = [m, C] * r
    t_grid = T - np.arange(steps) * h
    a_grid, s2_grid = signal_scale(t_grid), noise_variance(t_grid)
    W_grid, xi_grid = frame.error.W_on(t_grid), frame.error.xi_on(t_grid)
    if W_grid is not None and W_grid.ndim == 1:
        W_grid = W_grid[:, None]                        # isotropic: a column of scalars
    if xi_grid is not None and frame.U is not None:
        xi_grid = xi_grid @ frame.U                     # rows U^T xi(t_k)
    for k0 in range(0, steps, size):
        n = min(size, steps - k0)
        block = slice(k0, k0 + n)
        a = a_grid[block]
        inv = np.multiply.outer(a * a, frame.lam)
        inv += s2_grid[block, None]
        np.divide(1.0, inv, out=inv)                    # Sig_t^-1, per eigenvalue
        W = None if W_grid is None else (W_grid if len(W_grid) == 1 else W_grid[block])
        w = 0.0 if W is None else W
        xi = None if xi_grid is None else (xi_grid if len(xi_grid) == 1 else xi_grid[block])
        # X_{j+1} = (F_j, F_j^2) X_j + (h b_j, h noise): F = 1 + h/2 + c h W - c h Sig^-1, h b = c h (a Sig^-1 m + xi)
        for i, (learned, _) in enumerate(runs):
            F = gain[:n, 2 * i]
            np.multiply(inv, -ch, out=F)
            F += (1.0 + REVERSE_DRIFT_SLOPE * h) + (ch * w if learned else 0.0)
            np.multiply(F, F, out=gain[:n, 2 * i + 1])
            hb = shift[:n, 2 * i]
            np.multiply(inv, (ch * a)[:, None], out=hb)
            hb *= frame.m
            if learned and xi is not None:
                hb += ch * xi
        for j in range(n):
            np.multiply(gain[j], X[j], out=X[j + 1])
            X[j + 1] += shift[j]
        for i, (_, track) in enumerate(runs):
            if not (with_energy or track):
                continue
            F, ms, Cs = gain[:n, 2 * i], X[:n, 2 * i], X[:n, 2 * i + 1]
            err = None if (W is None and xi is None) else (w * ms if xi is None else _mean_error(True, w, xi, ms))
            if with_energy:
                rate = 0.0 if err is None else np.einsum("kd,kd->", err, err)
                if W is not None:
                    ww = w * w
                    rate += np.sum(ww * Cs) if ww.shape[1] > 1 else np.sum(ww[:, 0] * Cs.sum(axis=1))
                energy[i] += h * float(rate)
            if track:
                phi = np.empty((n, d))
                phi[n - 1] = 1.0
                for j in range(n - 2, -1, -1):
                    np.multiply(phi[j + 1], F[j + 1], out=phi[j])
                P = phi[0] * F[0]
                S[i] *= P * P
                l[i] *= P
                if W is not None:
                    S[i] += h * np.sum(phi * phi * F * Cs * w, axis=0)
                if err is not None:
                    l[i] += h * np.sum(phi * err, axis=0)
        X[0] = X[n]
    out = []
    for i in range(r):
        m, C = X[0, 2 * i].copy(), X[0, 2 * i + 1].copy()
        out.append(Propagation(frame.output(m, C), energy[i] if with_energy else math.nan, S[i], l[i], C, True))
    return out


def _full_chain(frame: _Frame, m, C, T, h, steps, learned, ode, noise, track, with_energy) -> Propagation:
    """The chain in the original coordinates, O(d^3) per step (module docstring)."""
    energy = 0.0 if with_energy else math.nan
    S = np.zeros_like(C) if track else None
    l = np.zeros_like(m) if track else None
    eye = np.eye(m.shape[0])
    for k in range(steps):
        t = T - k * h
        B, b, w, xi = frame.drift(t, learned, ode)
        if with_energy:
            energy += h * _energy_rate(False, w, xi, m, C)
        F = eye + h * B
        FC = F @ C
        if track:
            S = F @ S @ F.T + h * (FC @ w.T)
            l = F @ l + h * _mean_error(False, w, xi, m)
        m = F @ m + h * b
        C = FC @ F.T + (h * noise) * eye
        C = 0.5 * (C + C.T)
    return Propagation(frame.output(m, C), energy, S, l, C, False)


SPECTRAL_NODES = (48, 96, 192, 384)   # Chebyshev degrees tried in turn by the commuting continuous path
SPECTRAL_RTOL = 1e-11                  # accepted when two successive degrees agree this closely


_CUMINT = {}  # N -> the (N+1, N+1) matrix of `_cheb_cumint` on [-1, 1]


def _cumint_matrix(N: int) -> np.ndarray:
    """Q with (Q f)_j = int_{-1}^{x_j} p_f, p_f the degree-N Chebyshev interpolant of f at the Lobatto
    nodes x_j = cos(pi j / N) (coefficients by a type-I DCT; computed once per N)."""
    if N not in _CUMINT:
        coef = fft.dct(np.eye(N + 1), type=1, axis=0) / N
        coef[0] /= 2
        coef[N] /= 2
        integral = chebyshev.chebint(coef, lbnd=-1, axis=0)
        _CUMINT[N] = chebyshev.chebvander(np.cos(np.pi * np.arange(N + 1) / N), N + 1) @ integral
    return _CUMINT[N]


def _cheb_cumint(values: np.ndarray, half_length: float) -> np.ndarray:
    """int_0^tau f at the Chebyshev-Lobatto nodes tau_j = L (1 + cos(pi j / N)) / 2 (j = 0..N, so
    tau_0 = L), from f at those nodes (first axis), by the degree-N Chebyshev interpolant."""
    return half_length * (_cumint_matrix(values.shape[0] - 1) @ values)


def _spectral_diagonal_once(frame: _Frame, m0, C0, T, t0, runs, ode, noise, N):
    """The commuting continuous-time moment ODEs (module docstring) for each run (learned, track), solved
    through their integrating factors: every equation is y' = k B y + f per eigen-coordinate, so
    y(tau) = Phi^k (y0 + int Phi^-k f) with Phi = exp(int_0^tau B), the integrals by Chebyshev
    interpolation of degree N in tau. Returns [(m, C, energy, S, l)] at tau = T - t0."""
    L = T - t0
    tau = 0.5 * L * (1.0 + np.cos(np.pi * np.arange(N + 1) / N))
    t = T - tau
    a, s2 = np.exp(-0.5 * t), -np.expm1(-t)
    inv = 1.0 / (np.multiply.outer(a * a, frame.lam) + s2[:, None])   # (N+1, d): Sig_t^-1 per eigenvalue
    W, xi = frame.error.W_on(t), frame.error.xi_on(t)
    w = 0.0 if W is None else (W[:, None] if W.ndim == 1 else W)
    if xi is not None and frame.U is not None:
        xi = xi @ frame.U
    c = 0.5 if ode else 1.0
    half = 0.5 * L
    out = []
    for learned, track in runs:
        B = 0.5 + c * ((w if learned else 0.0) - inv)
        b = c * (a[:, None] * inv * frame.m + (xi if (learned and xi is not None) else 0.0))
        IB = _cheb_cumint(B * np.ones_like(inv), half)
        phi, phi2 = np.exp(IB), np.exp(2 * IB)
        m = phi * (m0 + _cheb_cumint(b / phi, half))
        C = phi2 * (C0 + _cheb_cumint(noise / phi2 * np.ones_like(inv), half))
        err = None if (W is None and xi is None) else _mean_error(True, w, xi, m)
        rate = np.zeros(N + 1)
        if err is not None:
            rate += np.einsum("kd,kd->k", err, err)
        if W is not None:
            rate += np.sum(w * w * C, axis=1)
        energy = float(_cheb_cumint(rate, half)[0])
        S = l = None
        if track:
            S = phi2[0] * (_cheb_cumint(C * w / phi2, half)[0] if W is not None else 0.0) * np.ones(len(m0))
            l = phi[0] * (_cheb_cumint(err / phi, half)[0] if err is not None else 0.0) * np.ones(len(m0))
        out.append((m[0], C[0], energy, S, l))
    return out


def _spectral_diagonal(frame: _Frame, m0, C0, T, t0, runs, ode, noise) -> list | None:
    """`_spectral_diagonal_once` at increasing degrees until two agree to SPECTRAL_RTOL (relative to
    each quantity's scale); [Propagation] per run, or None when they never do (then the caller falls
    back to DOP853)."""
    previous = None
    for N in SPECTRAL_NODES:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            current = _spectral_diagonal_once(frame, m0, C0, T, t0, runs, ode, noise, N)
        values = [np.atleast_1d(v) for r in current for v in r if v is not None]
        if not all(np.all(np.isfinite(v)) for v in values):
            return None
        if previous is not None and all(
                float(np.max(np.abs(v - u))) <= SPECTRAL_RTOL * max(float(np.max(np.abs(v))), 1e-300)
                for v, u in zip(values, previous)):
            return [Propagation(frame.output(m, C), energy, S, l, C, True) for m, C, energy, S, l in current]
        previous = values
    return None


def _continuous(frame: _Frame, m0, C0, T, t0, learned, ode, noise, track) -> Propagation:
    if frame.diagonal:
        fast = _spectral_diagonal(frame, m0, C0, T, t0, [(learned, track)], ode, noise)
        if fast is not None:
            return fast[0]
    return _continuous_dop853(frame, m0, C0, T, t0, learned, ode, noise, track)


def _continuous_dop853(frame: _Frame, m0, C0, T, t0, learned, ode, noise, track) -> Propagation:
    d = m0.shape[0]
    diag = frame.diagonal
    n_c = d if diag else d * d
    sizes = [d, n_c, 1] + ([n_c, d] if track else [])
    cuts = np.cumsum(sizes)[:-1]

    def rhs(tau, y):
        parts = np.split(y, cuts)
        m, C = parts[0], parts[1] if diag else parts[1].reshape(d, d)
        B, b, w, xi = frame.drift(T - tau, learned, ode)
        out = [None] * len(sizes)
        out[0] = (B * m if diag else B @ m) + b
        if diag:
            out[1] = 2 * B * C + noise
        else:
            BC = B @ C
            out[1] = (BC + BC.T + noise * np.eye(d)).ravel()
        out[2] = np.array([_energy_rate(diag, w, xi, m, C)])
        if track:
            S = parts[3] if diag else parts[3].reshape(d, d)
            l = parts[4]
            if diag:
                out[3] = 2 * B * S + C * w
            else:
                BS = B @ S
                out[3] = (BS + S @ B.T + C @ w.T).ravel()
            out[4] = (B * l if diag else B @ l) + _mean_error(diag, w, xi, m)
        return np.concatenate([np.atleast_1d(o) for o in out])

    y0 = np.concatenate([m0, C0.ravel(), [0.0]] + ([np.zeros(n_c), np.zeros(d)] if track else []))
    sol = solve_ivp(rhs, (0.0, T - t0), y0, method="DOP853", rtol=ODE_RTOL, atol=ODE_ATOL)
    if not sol.success:
        raise ValueError(f"T, t0: the moment ODE on [t0, T] = [{t0:g}, {T:g}] failed ({sol.message})")
    parts = np.split(sol.y[:, -1], cuts)
    m = parts[0]
    C = parts[1] if diag else parts[1].reshape(d, d)
    C = C if diag else 0.5 * (C + C.T)
    S = l = None
    if track:
        S = parts[3] if diag else parts[3].reshape(d, d)
        l = parts[4]
    return Propagation(frame.output(m, C), float(parts[2][0]), S, l, C, diag)


def endpoint_variance_of_conditional_mean(p: Propagation) -> float:
    """Var(E[M | Y_end]) = 2 tr(Q P Q P) + l^T P l, Q = sym(S), P = C_end^-1 (observability.py)."""
    if p.diagonal:
        return float(2 * np.sum((p.S / p.C) ** 2) + np.sum(p.l * p.l / p.C))
    Q = 0.5 * (p.S + p.S.T)
    L = linalg.cholesky(p.C, lower=True)
    X = linalg.cho_solve((L, True), Q)
    y = linalg.solve_triangular(L, p.l, lower=True)
    return float(2 * np.sum(X * X.T) + y @ y)
