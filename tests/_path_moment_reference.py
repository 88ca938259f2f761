"""A referee's independent references for the tilted path moments and the proof's conditional
quantities of the Euler-Maruyama chain in one dimension (THEORY.md sections 1, 7, 8).

Written from THEORY.md section 8 alone, without reading the implementation under test; it shares no
code with the packages (the OU coefficients and the chain are restated here).

Chain: h = (T - t0)/K, t_k = T - k h (k = 0..K-1), y_{k+1} = mu*_k(y_k) + sqrt(h) z_k along the ideal
path, mu*_k(y) = y + h (y/2 + s_q(y, t_k)); the learned chain adds d_k(y) = h e(y, t_k). Then
l_k = d_k (y_{k+1} - mu*_k)/h - d_k^2/(2h) = d_k z_k / sqrt(h) - d_k^2/(2h), Z = sum_k l_k,
M = -sum_k d_k z_k / sqrt(h), <M> = sum_k d_k^2 / h (so Z = -M - <M>/2).

Two methods that share nothing but the chain's definition:

* `GaussianPath` (Gaussian target N(m, s2), affine error e(y, t) = W(t) y + xi(t)): the whole path
  is an affine function of x = (x_0, z_0, ..., z_{K-1}) ~ N(0, I_{K+1}), so Z, M and <M> are
  quadratic forms 1/2 x^T Q x + b.x + c in a standard Gaussian vector:
  E exp(a Z) = det(I - a Q)^{-1/2} exp(a c + a^2 b^T (I - a Q)^{-1} b / 2) when I - a Q is positive
  definite, +inf otherwise; conditional expectations given Y_K = F.x + f are quadratics in
  s = (y - f)/|F|: E[q | s] = 1/2 (s^2 u^T Q u + tr Q - u^T Q u) + s b.u + c, u = F/|F|.
* `DenseChain` (any analytic ideal score, any error, 1-D): the recursions of THEORY.md section 8 with
  dense transition matrices on a uniform grid (trapezoid weights, analytic kernel derivative):
  u_{k+1} = K^(a)_k[u_k exp(a (a-1) d_k^2/(2h))], w_{k+1} = K_k[w_k + p_k d_k^2/h],
  g_{k+1} = K_k g_k + d/dy' K_k[p_k d_k], and Zbar = -g_K/p_K - w_K/(2 p_K), R = p_hat_K/p*_K,
  Psi = R - 1 - Zbar.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import integrate


def ou(t: float) -> tuple[float, float]:
    """(a_t, s_t^2) of the OU process dX = -X/2 dt + dB."""
    return math.exp(-t / 2), -math.expm1(-t)


def _as_function(v):
    return v if callable(v) else (lambda t, _v=float(v): _v)


class GaussianPath:
    """The EM chain for the target N(m, s2) with the affine error W(t) y + xi(t) (1-D), as an affine
    map of a standard Gaussian vector x of length K + 1 (module docstring)."""

    def __init__(self, m, s2, W=0.0, xi=0.0, T=4.0, t0=0.02, K=50, init="prior"):
        self.K, self.h = K, (T - t0) / K
        W, xi = _as_function(W), _as_function(xi)
        n = K + 1
        h = self.h
        F = np.zeros(n)
        if init == "prior":
            F[0], f = 1.0, 0.0
        elif init == "exact":
            aT, sT2 = ou(T)
            F[0], f = math.sqrt(aT ** 2 * s2 + sT2), aT * m
        else:
            raise ValueError(init)
        fl, Fl = f, F.copy()          # the learned chain, same start
        Q = np.zeros((n, n))
        b = np.zeros(n)
        c = 0.0
        Qm, bm, cm = np.zeros((n, n)), np.zeros(n), 0.0          # M
        Qq, bq, cq = np.zeros((n, n)), np.zeros(n), 0.0          # <M>
        for k in range(K):
            t = T - k * h
            a, v2 = ou(t)
            V = a * a * s2 + v2
            A, ck = 1.0 + h * (0.5 - 1.0 / V), h * a * m / V
            G = h * W(t) * F
            g = h * (W(t) * f + xi(t))
            e = np.zeros(n)
            e[k + 1] = 1.0
            cross = (np.outer(G, e) + np.outer(e, G)) / math.sqrt(h)   # x^T Q x / 2 = (G.x) z_k / sqrt(h)
            Q += cross - np.outer(G, G) / h
            b += g * e / math.sqrt(h) - g * G / h
            c += -g * g / (2 * h)
            Qm -= cross
            bm -= g * e / math.sqrt(h)
            Qq += 2 * np.outer(G, G) / h
            bq += 2 * g * G / h
            cq += g * g / h
            F = A * F + math.sqrt(h) * e
            f = A * f + ck
            Fl = (A + h * W(t)) * Fl + math.sqrt(h) * e
            fl = (A + h * W(t)) * fl + ck + h * xi(t)
        self.F, self.f, self.Fl, self.fl = F, f, Fl, fl
        self.Z, self.M, self.QV = (Q, b, c), (Qm, bm, cm), (Qq, bq, cq)

    # laws of the outputs
    def ideal_output(self):
        """(mean, variance) of Y_K under the ideal chain."""
        return self.f, float(self.F @ self.F)

    def learned_output(self):
        """(mean, variance) of Y_K under the learned chain."""
        return self.fl, float(self.Fl @ self.Fl)

    # path moments
    @staticmethod
    def _mgf(form, a):
        Q, b, c = form
        B = np.eye(len(b)) - a * Q
        lam = np.linalg.eigvalsh(B)
        if lam.min() <= 0:
            return math.inf
        sol = np.linalg.solve(B, b)
        return math.exp(a * c + 0.5 * a * a * b @ sol - 0.5 * np.sum(np.log(lam)))

    def tilted_moment(self, a: float) -> float:
        """E*[Lambda^a] = E* exp(a Z)."""
        return self._mgf(self.Z, a)

    def path_renyi(self, a: float) -> float:
        """R_a(P_hat || P*) = log E*[Lambda^a] / (a - 1)."""
        return math.log(self.tilted_moment(a)) / (a - 1)

    def novikov(self) -> float:
        """E* exp(<M>/2)."""
        return self._mgf(self.QV, 0.5)

    def eps2(self) -> float:
        """E* <M>."""
        Q, b, c = self.QV
        return 0.5 * np.trace(Q) + c

    def qv_second_moment(self) -> float:
        """E* <M>^2 for <M> = 1/2 x^T Q x + b.x + c: (mean)^2 + tr(Q^2)/2 + |b|^2."""
        Q, b, c = self.QV
        mean = 0.5 * np.trace(Q) + c
        return mean * mean + 0.5 * np.trace(Q @ Q) + b @ b

    # conditional quantities given Y_K (quadratics in s = (y - f)/|F|, s ~ N(0, 1) under P*)
    def _conditional(self, form):
        Q, b, c = form
        u = self.F / math.sqrt(self.F @ self.F)
        uQu = u @ Q @ u
        return 0.5 * uQu, b @ u, 0.5 * (np.trace(Q) - uQu) + c   # alpha s^2 + beta s + gamma

    def zbar(self, y):
        """E*[Z | Y_K = y]."""
        al, be, ga = self._conditional(self.Z)
        s = (np.asarray(y, float) - self.f) / math.sqrt(self.F @ self.F)
        return al * s * s + be * s + ga

    def cond_M(self, y):
        """E*[M | Y_K = y]."""
        al, be, ga = self._conditional(self.M)
        s = (np.asarray(y, float) - self.f) / math.sqrt(self.F @ self.F)
        return al * s * s + be * s + ga

    def eta(self) -> float:
        """Var E*[M | Y_K] / eps2 (E M = 0): 2 alpha^2 + beta^2 over eps2."""
        al, be, _ = self._conditional(self.M)
        return (2 * al * al + be * be) / self.eps2()

    def zbar_second_moment(self) -> float:
        """E*[Zbar^2] = 3 alpha^2 + beta^2 + gamma^2 + 2 alpha gamma."""
        al, be, ga = self._conditional(self.Z)
        return 3 * al * al + be * be + ga * ga + 2 * al * ga

    def ratio(self, y):
        """R(y) = p_hat_K(y) / p*_K(y) (both Gaussian)."""
        (m1, v1), (m0, v0) = self.learned_output(), self.ideal_output()
        y = np.asarray(y, float)
        return np.sqrt(v0 / v1) * np.exp(-(y - m1) ** 2 / (2 * v1) + (y - m0) ** 2 / (2 * v0))

    def psi_second_moment(self) -> float:
        """E*[Psi^2], Psi = R - 1 - Zbar, by adaptive quadrature over y."""
        m0, v0 = self.ideal_output()
        sd = math.sqrt(v0)

        def f(y):
            p = math.exp(-(y - m0) ** 2 / (2 * v0)) / math.sqrt(2 * math.pi * v0)
            return p * (float(self.ratio(y)) - 1.0 - float(self.zbar(y))) ** 2

        val, _ = integrate.quad(f, m0 - 40 * sd, m0 + 40 * sd, limit=400, epsabs=0, epsrel=1e-12, points=[m0])
        return val

    def output_chi2(self) -> float:
        """chi2(p_hat_K || p*_K) (Gaussian closed form)."""
        (m1, v1), (m0, v0) = self.learned_output(), self.ideal_output()
        if 2 * v0 - v1 <= 0:
            return math.inf
        return v0 / math.sqrt(v1 * (2 * v0 - v1)) * math.exp((m1 - m0) ** 2 / (2 * v0 - v1)) - 1.0


class DenseChain:
    """The recursions of THEORY.md section 8 with dense trapezoid transition matrices on a uniform
    1-D grid, for analytic callables ideal_score(y, t) and error(y, t) (vectorised over y)."""

    def __init__(self, ideal_score, error, start_density, lo, hi, n, T=4.0, t0=0.02, K=50):
        self.y = np.linspace(lo, hi, n)
        dy = self.y[1] - self.y[0]
        self.w = np.full(n, dy)
        self.w[[0, -1]] = dy / 2
        self.K, self.h, self.T = K, (T - t0) / K, T
        self.score, self.error = ideal_score, error
        self.p0 = start_density(self.y)

    def _kernel(self, mean):
        """N(y'_j; mean_i, h) as an (n, n) matrix [i, j]."""
        h = self.h
        diff = self.y[None, :] - mean[:, None]
        return np.exp(-diff * diff / (2 * h)) / math.sqrt(2 * math.pi * h), diff

    def _drifts(self, k):
        t = self.T - k * self.h
        mu = self.y + self.h * (0.5 * self.y + self.score(self.y, t))
        d = self.h * self.error(self.y, t)
        return mu, d

    def tilted_moment(self, a: float) -> float:
        """E*[Lambda^a] = int u_K."""
        h, u = self.h, self.p0.copy()
        for k in range(self.K):
            mu, d = self._drifts(k)
            N, _ = self._kernel(mu + a * d)
            u = (self.w * u * np.exp(a * (a - 1) * d * d / (2 * h))) @ N
        return float(np.sum(self.w * u))

    def run(self):
        """p*_K, p_hat_K, w_K, g_K, w2_K and eps2 on the grid (THEORY.md section 8)."""
        h = self.h
        p, ph = self.p0.copy(), self.p0.copy()
        w, g, w2 = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
        eps2 = 0.0
        for k in range(self.K):
            mu, d = self._drifts(k)
            N, diff = self._kernel(mu)
            a_k = d * d / h
            eps2 += float(np.sum(self.w * p * a_k))
            dN = N * diff / h               # d/dy' N(y'; mu, h) = -(y' - mu)/h N, sign: diff = y' - mu
            g_new = (self.w * g) @ N - (self.w * p * d) @ dN
            w2_new = (self.w * (w2 + 2 * a_k * w + a_k * a_k * p)) @ N
            w_new = (self.w * (w + p * a_k)) @ N
            Nh, _ = self._kernel(mu + d)
            ph = (self.w * ph) @ Nh
            p = (self.w * p) @ N
            w, g, w2 = w_new, g_new, w2_new
        return dict(p=p, p_hat=ph, w=w, g=g, w2=w2, eps2=eps2)

    def proof_quantities(self) -> dict:
        """Zbar, Psi and the moments of THEORY.md section 8 on the grid."""
        r = self.run()
        p = r["p"]
        pos = p > 1e-300
        safe = np.where(pos, p, 1.0)
        zbar = np.where(pos, -r["g"] / safe - r["w"] / (2 * safe), 0.0)
        R = np.where(pos, r["p_hat"] / safe, 0.0)
        psi = R - 1.0 - zbar
        E = lambda f: float(np.sum(self.w * p * f))   # noqa: E731
        cond_M = np.where(pos, r["g"] / safe, 0.0)
        eps2 = r["eps2"]
        return dict(eps2=eps2, zbar2=E(zbar * zbar), psi2=E(psi * psi), chi2=E((R - 1) ** 2),
                    qv2=float(np.sum(self.w * r["w2"])), eta=E(cond_M * cond_M) / eps2,
                    zbar=zbar, grid=self.y, p=p)
