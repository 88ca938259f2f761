"""A Gaussian quadratic form X = c + sum_k (lam_k / 2 w_k^2 + beta_k w_k), w ~ N(0, I_d), and
expectations of logistic functions of it through its characteristic function.

This is what makes chi2 and KL from a Gaussian to a two-component Gaussian mixture exact in any
dimension (`mixture.py`): the log-ratio l(x) = log g2(x) - log g1(x) of two Gaussian densities is a
quadratic in x, so under a Gaussian x it is such an X (after one eigendecomposition), and the
integrands of chi2 and KL depend on x through l alone.

* Characteristic function (w ~ N(0, 1): E exp(s (lam/2 w^2 + beta w)) = (1 - s lam)^(-1/2)
  exp(s^2 beta^2 / (2 (1 - s lam))) at s = i omega; Re(1 - i omega lam) = 1, so the principal
  branches are continuous):
  log phi(omega) = i omega c + sum_k [-1/2 log(1 - i omega lam_k) - omega^2 beta_k^2 / (2 (1 - i omega lam_k))].
* E log(2 cosh(X / 2)) = log 2 + int_0^inf (1 - Re phi(omega)) / (omega sinh(pi omega)) d omega
  (the second derivative of log 2 cosh(x/2) is the logistic density, with transform
  pi omega / sinh(pi omega); for X = x0 the integral is log cosh(x0 / 2)).
* E e^(tau X) / (1 + e^X) = int_0^inf Re[phi(omega) / sin(pi (tau - i omega))] d omega for
  tau in (0, 1) (the transform of e^(tau x) / (1 + e^x) is pi / sin(pi (tau - i omega)), the
  Beta integral; for X = 0, tau = 1/2: int_0^inf d omega / cosh(pi omega) = 1/2). At the ends,
  1 / (1 + e^x) = 1/2 - tanh(x / 2) / 2 and int_0^inf sin(omega x) / sinh(pi omega) d omega
  = tanh(x / 2) / 2 give E 1 / (1 + e^X) = 1/2 - int_0^inf Im phi(omega) / sinh(pi omega) d omega
  (tau = 0) and E e^X / (1 + e^X) = 1/2 + the same integral (tau = 1).
The integrands are smooth on (0, inf) with finite limits at 0; beyond the point where |phi| (which
is non-increasing in omega) is negligible, the first is 1 / (omega sinh(pi omega)) (integrated in
closed form through E1) and the others are below |phi| / sinh(pi omega). They are integrated by
composite Gauss-Legendre rules on graded panels: each panel is short enough that the integrand's
log changes by at most about one over it, by a bound on |d log phi / d omega| (module function
`log_cf_rate`: |c| + sum |lam| / (2 s) + 5/4 omega beta^2 / s, s = (1 + omega^2 lam^2)^(1/2)) plus
that of the kernel (pi + 1 / distance to its nearest pole). Near omega = 0 this is the width
1 / (|E X| + sd X) scale; where lam is large the panels grow geometrically (phi of a wide chi-square
form varies on the scale 1 / |lam| near 0 and slowly beyond), so the count stays small near the
finiteness boundary of chi2. The error estimate is the difference between the 16- and 8-node rules
on the same panels, plus the rounding of the sum (a unit roundoff of sum |weight f| times
16 + |log phi| at each node: the phase omega c can be large), plus the neglected tail (bounded by
its e^(-pi omega) envelope); the panels are halved until the estimate is small or MAX_PANELS is
reached. More than MAX_PANELS panels needed at the start: the error estimate is inf (unresolved).
Memory: the nodes are evaluated in chunks of CHUNK_PANELS panels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from .gaussian import Gaussian

LOG_TAIL = 40.0          # the integrand is dropped where it is below e^-40 of its scale
MAX_PANELS = 2 ** 16     # refinement stops here (the error estimate then says how good it is)
CHUNK_PANELS = 2 ** 12   # panels evaluated at once (bounds the memory of the node arrays)
PANEL_PHASE = 1.0        # the bound on the change of the integrand's log over one panel
TARGET_ERROR = 1e-13     # absolute error aimed at for the expectations (of functions of size <= 1)


@dataclass(frozen=True)
class QuadraticForm:
    """X = c + sum_k (lam_k / 2 w_k^2 + beta_k w_k) with w ~ N(0, I).

    Parameters
    ----------
    lam, beta : numpy.ndarray, shape (d,)
        Eigenvalues of the quadratic part and the linear coefficients in the same basis.
    c : float
        The constant (the value at w = 0).
    """

    lam: np.ndarray
    beta: np.ndarray
    c: float

    @property
    def mean(self) -> float:
        """E X = c + sum lam / 2."""
        return float(self.c + 0.5 * self.lam.sum())

    @property
    def var(self) -> float:
        """Var X = sum (lam^2 / 2 + beta^2)."""
        return float(0.5 * np.sum(self.lam ** 2) + np.sum(self.beta ** 2))

    def shifted(self, s: float) -> "QuadraticForm":
        """X + s."""
        return QuadraticForm(self.lam, self.beta, self.c + float(s))

    def log_cf(self, omega: np.ndarray) -> np.ndarray:
        """log E exp(i omega X) (module docstring), for real omega of any shape."""
        omega = np.asarray(omega, dtype=float)
        flat = omega.reshape(-1, 1)
        # in real arithmetic: -1/2 log(1 - i u) = -1/4 log(1 + u^2) + i/2 arctan(u), u = omega lam,
        # and 1 / (1 - i u) = (1 + i u) / (1 + u^2)
        u = flat * self.lam
        s = 1.0 + u * u
        b2 = 0.5 * (flat * self.beta) ** 2 / s
        real = -0.25 * np.log1p(u * u).sum(axis=1) - b2.sum(axis=1)
        imag = flat[:, 0] * self.c + (0.5 * np.arctan(u) - b2 * u).sum(axis=1)
        return (real + 1j * imag).reshape(omega.shape)

    def log_abs_cf(self, omega: float) -> float:
        """log |phi(omega)| = -1/4 sum log(1 + omega^2 lam^2) - omega^2 / 2 sum beta^2 / (1 + omega^2 lam^2)."""
        s = 1.0 + (omega * self.lam) ** 2
        return float(-0.25 * np.sum(np.log(s)) - 0.5 * omega ** 2 * np.sum(self.beta ** 2 / s))


def log_ratio_form(under: Gaussian, g1: Gaussian, g2: Gaussian) -> QuadraticForm:
    """The law of l(x) = log g2(x) - log g1(x) for x ~ `under`, as a QuadraticForm.

    With x = m + L z (L L^T = the covariance of `under`), D = S1^-1 - S2^-1 and the gradient
    b = S1^-1 (m - m1) - S2^-1 (m - m2) of l at m: l = l(m) + (L^T b)^T z + 1/2 z^T (L^T D L) z;
    L^T D L = V diag(lam) V^T gives lam and beta = V^T L^T b.

    Parameters
    ----------
    under : Gaussian
        The law of x.
    g1, g2 : Gaussian
        The two laws of the log-ratio (same dimension).

    Returns
    -------
    QuadraticForm
        The form (c = l(m)).
    """
    m = under.mean
    L = under.chol
    P1, P2 = g1.as_full().precision, g2.as_full().precision
    if under.is_diagonal:
        L = np.diag(L)
    D = P1 - P2
    B = L.T @ D @ L
    lam, V = np.linalg.eigh(0.5 * (B + B.T))
    b = P1 @ (m - g1.mean) - P2 @ (m - g2.mean)
    beta = V.T @ (L.T @ b)
    c = float(g2.logpdf(m) - g1.logpdf(m))
    return QuadraticForm(lam, beta, c)


#: the 8- and 16-node Gauss-Legendre rules on [-1, 1] (nodes, weights) of every composite sum here
GL_NODES = {n: np.polynomial.legendre.leggauss(n) for n in (8, 16)}


def _negligible_from(form: QuadraticForm) -> float:
    """The least omega <= LOG_TAIL / pi beyond which |phi| < e^-LOG_TAIL (|phi| is non-increasing)."""
    upper = LOG_TAIL / math.pi
    if form.log_abs_cf(upper) > -LOG_TAIL:
        return upper
    lo, hi = 0.0, upper
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if form.log_abs_cf(mid) > -LOG_TAIL else (lo, mid)
    return hi


def log_cf_rate(form: QuadraticForm, left: float, right: float) -> float:
    """A bound on |d log phi / d omega| over [left, right] (module docstring): the lam terms
    decrease in omega (taken at `left`), the beta terms increase (taken at `right`)."""
    lam, b2 = np.abs(form.lam), form.beta ** 2
    s_left = np.sqrt(1.0 + (left * lam) ** 2)
    s_right = np.sqrt(1.0 + (right * lam) ** 2)
    return float(abs(form.c) + np.sum(0.5 * lam / s_left) + 1.25 * right * np.sum(b2 / s_right))


def _panel_cuts(form: QuadraticForm, upper: float, pole: float) -> np.ndarray | None:
    """Cuts 0 = w_0 < ... < w_n = upper with PANEL_PHASE / (rate over the panel) per panel, the rate
    being `log_cf_rate` plus pi + 1 / sqrt(pole^2 + w^2) for a kernel with a pole at distance `pole`
    from 0 (None: more than MAX_PANELS panels are needed)."""
    cuts = [0.0]
    w = 0.0
    while w < upper:
        if len(cuts) > MAX_PANELS:
            return None
        kernel = math.pi + 1.0 / math.hypot(pole, w)
        h = PANEL_PHASE / (log_cf_rate(form, w, w) + kernel)
        h = PANEL_PHASE / (log_cf_rate(form, w, min(w + h, upper)) + kernel)   # <= the first step
        w = min(w + h, upper)
        cuts.append(w)
    return np.array(cuts)


def rule_sums(f, form: QuadraticForm, cuts: np.ndarray) -> tuple[float, float, float]:
    """The 16- and 8-node composite sums on the panels of `cuts` and the rounding bound of the first
    (module docstring), evaluated CHUNK_PANELS panels at a time."""
    sums = {16: 0.0, 8: 0.0}
    rounding = 0.0
    for i in range(0, len(cuts) - 1, CHUNK_PANELS):
        chunk = cuts[i:i + CHUNK_PANELS + 1]
        a, b = chunk[:-1], chunk[1:]
        for n in (16, 8):
            z, w = GL_NODES[n]
            omega = 0.5 * (a[:, None] + b[:, None]) + 0.5 * (b - a)[:, None] * z
            log_phi = form.log_cf(omega)
            terms = 0.5 * (b - a)[:, None] * w * f(omega, log_phi)
            sums[n] += float(np.sum(terms))
            if n == 16:
                rounding += float(np.sum(np.abs(terms) * (16.0 + np.abs(log_phi))))
    return sums[16], sums[8], np.finfo(float).eps * rounding


def _integrate(f, form: QuadraticForm, upper: float, pole: float) -> tuple[float, float]:
    """int_0^upper f(omega, log phi(omega)) d omega by composite Gauss-Legendre on graded panels
    (`_panel_cuts`; `pole`: the distance of the kernel's nearest pole from 0): value and error
    estimate (16- vs 8-node difference plus rounding), the panels halved until the estimate is
    below TARGET_ERROR or MAX_PANELS is reached; (nan, inf) when the start needs more panels."""
    cuts = _panel_cuts(form, upper, pole)
    if cuts is None:
        return math.nan, math.inf
    return refined_sum(f, form, cuts)


def refined_sum(f, form: QuadraticForm, cuts: np.ndarray) -> tuple[float, float]:
    """`rule_sums` on the panels of `cuts`, each panel halved until the error estimate (16- vs 8-node
    difference plus rounding) is below TARGET_ERROR or the panels would exceed MAX_PANELS: the 16-node
    value and that estimate."""
    while True:
        fine, coarse, rounding = rule_sums(f, form, cuts)
        error = abs(fine - coarse) + rounding
        if error <= TARGET_ERROR or 2 * (len(cuts) - 1) > MAX_PANELS:
            return fine, error
        mid = 0.5 * (cuts[:-1] + cuts[1:])
        cuts = np.insert(cuts, np.arange(1, len(cuts)), mid)


def _tail_of_inverse_sinh(upper: float) -> float:
    """int_upper^inf d omega / sinh(pi omega) = log(coth(pi upper / 2)) / pi."""
    return -math.log(math.tanh(0.5 * math.pi * upper)) / math.pi


def _tail_of_inverse_omega_sinh(upper: float) -> float:
    """int_upper^inf d omega / (omega sinh(pi omega)) = 2 sum_k E1((2k + 1) pi upper)
    (1 / sinh y = 2 sum_k e^-(2k+1) y), summed until the terms are below 1e-17 of the total."""
    k = np.arange(max(1, math.ceil(0.5 * (45.0 / (math.pi * upper) - 1.0)) + 1))
    return float(2.0 * np.sum(special.exp1((2 * k + 1) * math.pi * upper)))


def expect_log_cosh_half(form: QuadraticForm) -> tuple[float, float]:
    """E log cosh(X / 2) = int_0^inf (1 - Re phi(omega)) / (omega sinh(pi omega)) d omega, and its
    error estimate (1 - Re phi = -Re expm1(log phi), without cancellation at small omega).

    Parameters
    ----------
    form : QuadraticForm
        X.

    Returns
    -------
    value, error : float
        The expectation (>= 0) and an error estimate.
    """
    def f(omega, log_phi):
        return -np.expm1(log_phi).real / (omega * np.sinh(math.pi * omega))

    upper = _negligible_from(form)
    value, error = _integrate(f, form, upper, pole=1.0)
    # beyond `upper`: 1 - Re phi = 1 up to |phi| <= |phi(upper)|; the 1 is integrated exactly
    tail = _tail_of_inverse_omega_sinh(upper)
    return max(value + tail, 0.0), error + math.exp(form.log_abs_cf(upper)) * tail


def expect_logistic_power(form: QuadraticForm, tau: float) -> tuple[float, float]:
    """E e^(tau X) / (1 + e^X) and its error estimate: int_0^inf Re[phi(omega) / sin(pi (tau - i omega))]
    d omega for tau in (0, 1), 1/2 -+ int_0^inf Im phi(omega) / sinh(pi omega) d omega at tau = 0, 1
    (module docstring).

    Parameters
    ----------
    form : QuadraticForm
        X.
    tau : float in [0, 1]
        The power.

    Returns
    -------
    value, error : float
        The expectation (in [0, 1]) and an error estimate (inf when the quadrature needed more than
        MAX_PANELS panels; the value is then nan).

    Raises
    ------
    ValueError
        If tau is not in [0, 1].
    """
    if not 0.0 <= tau <= 1.0:
        raise ValueError(f"tau must be in [0, 1], got {tau!r}")
    if tau in (0.0, 1.0):
        def f(omega, log_phi):
            return np.exp(log_phi).imag / np.sinh(math.pi * omega)

        pole = 1.0   # Im phi vanishes at 0, where 1 / sinh has its pole; the next are at +-i
    else:
        def f(omega, log_phi):
            return (np.exp(log_phi) / np.sin(math.pi * (tau - 1j * omega))).real

        pole = min(tau, 1.0 - tau)   # sin(pi (tau - i omega)) = 0 at omega = i tau, -i (1 - tau)

    upper = _negligible_from(form)
    value, error = _integrate(f, form, upper, pole)
    # beyond `upper`: |sin(pi (tau - i omega))| >= sinh(pi omega)
    error += math.exp(form.log_abs_cf(upper)) * _tail_of_inverse_sinh(upper)
    if tau in (0.0, 1.0):
        value = 0.5 - value if tau == 0.0 else 0.5 + value
    return min(max(value, 0.0), 1.0), error
