"""Exact total variation between two Gaussians N(m1, S1), N(m2, S2) in any dimension (THEORY.md §8:
rho_i and b_i of the TV companion law on the exact Gaussian runs).

With L = log p1 - log p2, {p1 > p2} = {L > 0}, so

    TV(p1, p2) = 1/2 int |p1 - p2| = P_1(L > 0) - P_2(L > 0).

Under either law L is a Gaussian quadratic form (a generalised chi-square; `quadratic_form.log_ratio_form`
after one eigendecomposition): L = c + sum_k (lam_k / 2 w_k^2 + beta_k w_k), w ~ N(0, I). Its
probability of being positive is Gil-Pelaez's (Imhof's) inversion of its characteristic function phi:
P(L > 0) = 1/2 + 1/pi int_0^inf Im phi(omega) / omega d omega, so

    TV = 1/pi int_0^inf [Im phi_1(omega) - Im phi_2(omega)] / omega d omega,

with phi_j(omega) = exp(i omega c + sum_k [-1/2 log(1 - i omega lam_k)
                        - omega^2 beta_k^2 / (2 (1 - i omega lam_k))]).
On [0, U], U = 1 / sd(L), the integrand is summed by composite Gauss-Legendre rules
(`quadratic_form.refined_sum`) on panels over which the phases change by about one (`_panel_cuts`),
halved until the 16- vs 8-node error estimate is below 1e-13. The rest, int_U^inf Im phi(omega) / omega,
decays only like omega^(-r/2 - 1) (r quadratic directions) while it oscillates at the rate
c' = c - sum beta_k^2 / (2 lam_k) (Imhof's truncation bound would need U ~ 1e6 / sd(L) for r = 5), so it
is taken, for each law, as the imaginary part of the integral of phi(omega) / omega along the ray
U + t e^(+-i RAY_ANGLE), t >= 0, turned toward the half plane where e^(i omega c') decays (Cauchy: phi is
analytic for Re omega > 0, its branch points -i / lam_k lie on the imaginary axis; RAY_ANGLE < pi/4 keeps
the -omega^2 beta^2 / 2 terms decaying). There the integrand decays exponentially, then algebraically:
16- and 8-node Gauss-Legendre rules on linear, then geometric panels, vectorised (`_ray_tail`; about
6 times faster than scipy.integrate.quad on [0, inf), 5 ms per TV in d = 10). The returned error estimate
is the sum of the rules' differences, their rounding and the remainders beyond the rays' cuts.

Closed forms and special cases (no quadrature):

* identical laws: 0;
* equal covariances: TV = 2 Phi(Delta / 2) - 1 = erf(Delta / (2 sqrt 2)), Delta^2 = (m1 - m2)^T S^-1 (m1 - m2);
* d = 1: {L > 0} is an interval (or its complement) between the roots r1 < r2 of the quadratic L, and
  TV = |[Phi_1(r2) - Phi_1(r1)] - [Phi_2(r2) - Phi_2(r1)]|;
* far apart: 1 - BC <= TV <= 1 (BC = 1 - H^2, the Bhattacharyya coefficient: min(p1, p2) <= sqrt(p1 p2)),
  so where BC < FAR_BC the value is 1 - BC / 2 with error BC / 2;
* at most two quadratic directions and almost no linear part (where the characteristic function decays
  too slowly; every other lam below LAM_ZERO of max(max |lam|, |beta|), the linear directions' sd below
  LINEAR_SHARE of sd(L)): conditioning on the other directions' Gaussian part
  and on the second quadratic direction leaves a one-direction probability in closed
  form (the Gaussian probability outside or between the two roots in w of c + lam/2 w^2 + beta w),
  integrated by scipy.integrate.quad with the kinks as break points.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import integrate, special

from .divergences import log_bhattacharyya
from .gaussian import Gaussian
from .quadratic_form import (GL_NODES, LOG_TAIL, MAX_PANELS, PANEL_PHASE, TARGET_ERROR, QuadraticForm,
                             log_cf_rate, log_ratio_form, refined_sum)

TOLERANCE = 1e-9      # the accuracy `tv` guarantees (absolute); a larger error estimate raises
FAR_BC = 1e-12        # below this Bhattacharyya coefficient TV = 1 - BC/2 +- BC/2
LAM_ZERO = 1e-11      # |lam_k| below this fraction of the form's scale counts as a linear (Gaussian) direction
#                       (eigh's rounding of lam is ~1e-16 of max |lam|; dropping lam_k moves TV by ~|lam_k| / sd(L))
RAY_ANGLE = math.pi / 6   # of the rays that carry the inversion's tails into the complex plane
RAY_NEGLIGIBLE = 1e-16    # a ray is followed until |integrand| t falls below this
MAX_RAY_PANELS = 4096     # linear panels of a ray at most (then the geometric ones, growing by RAY_GROWTH)
RAY_GROWTH = 1.5
LINEAR_SHARE = 0.05        # see `_inversion`
MAX_CONDITIONAL = 3        # quadratic directions the conditional form may nest quadratures over (a fallback)


class TVNotResolved(ArithmeticError):
    """The error estimate of the TV inversion exceeds TOLERANCE (the message gives both numbers)."""


def tv(p: Gaussian, q: Gaussian) -> float:
    """TV(p, q) = 1/2 int ``|p - q|`` between two Gaussians of one dimension, exact to TOLERANCE (1e-9)
    (module docstring: P_p(L > 0) - P_q(L > 0), L = log p - log q, by Imhof's inversion; closed forms
    for equal covariances, d = 1, identical and far-apart laws).

    Parameters
    ----------
    p, q : Gaussian
        Laws of one dimension.

    Returns
    -------
    float
        TV in [0, 1].

    Raises
    ------
    ValueError
        If p or q is not a Gaussian, or their dimensions differ.
    TVNotResolved
        If the error estimate exceeds TOLERANCE.
    """
    value, error = tv_with_error(p, q)
    if not error <= TOLERANCE or not math.isfinite(value):
        raise TVNotResolved(f"TV = {value!r} with error estimate {error:.3g} > {TOLERANCE:g}")
    return value


def tv_with_error(p: Gaussian, q: Gaussian) -> tuple[float, float]:
    """TV(p, q) and an absolute error estimate (module docstring).

    Parameters
    ----------
    p, q : Gaussian
        Laws of one dimension.

    Returns
    -------
    value, error : float
        TV in [0, 1] and the error estimate (quadratures and remainders; 0 for the closed forms); (nan, inf)
        where no method resolved it.

    Raises
    ------
    ValueError
        If p or q is not a Gaussian, or their dimensions differ.
    """
    if not isinstance(p, Gaussian):
        raise ValueError(f"p must be a Gaussian, got {type(p).__name__}")
    if not isinstance(q, Gaussian):
        raise ValueError(f"q must be a Gaussian, got {type(q).__name__}")
    if p.dim != q.dim:
        raise ValueError(f"p and q must have the same dimension, got {p.dim} and {q.dim}")
    same_cov = np.array_equal(p.cov, q.cov)
    if same_cov and np.array_equal(p.mean, q.mean):
        return 0.0, 0.0
    if same_cov:
        return _equal_covariances(p, q), 0.0
    if p.dim == 1:
        return _one_dimension(p, q), 0.0
    bc = math.exp(min(0.0, log_bhattacharyya(p, q)))
    if bc < FAR_BC:
        return 1.0 - 0.5 * bc, 0.5 * bc
    value, error = _inversion(p, q)
    if not math.isfinite(value):
        return math.nan, math.inf
    return min(max(value, 0.0), 1.0), error


def _equal_covariances(p: Gaussian, q: Gaussian) -> float:
    """2 Phi(Delta / 2) - 1 = erf(Delta / (2 sqrt 2)), Delta the Mahalanobis distance."""
    dm = p.mean - q.mean
    delta = math.sqrt(max(0.0, float(dm @ np.linalg.solve(p.cov, dm))))
    return float(special.erf(delta / (2.0 * math.sqrt(2.0))))


def _one_dimension(p: Gaussian, q: Gaussian) -> float:
    """d = 1: L(x) = A x^2 + B x + C; TV from the probabilities of the interval between its roots."""
    m1, m2 = float(p.mean[0]), float(q.mean[0])
    v1, v2 = float(p.cov[0, 0]), float(q.cov[0, 0])
    A = 0.5 * (1.0 / v2 - 1.0 / v1)
    B = m1 / v1 - m2 / v2
    C = 0.5 * (m2 * m2 / v2 - m1 * m1 / v1) - 0.5 * math.log(v1 / v2)
    disc = B * B - 4.0 * A * C   # > 0: distinct laws cross twice when their variances differ
    root = math.sqrt(max(disc, 0.0))
    t = -0.5 * (B + math.copysign(root, B))
    r1, r2 = sorted((t / A, C / t if t != 0.0 else -t / A))
    inside = [special.ndtr((r2 - m) / math.sqrt(v)) - special.ndtr((r1 - m) / math.sqrt(v))
              for m, v in ((m1, v1), (m2, v2))]
    return float(min(1.0, abs(inside[0] - inside[1])))


def _quadratic_directions(form: QuadraticForm) -> np.ndarray:
    """Indices of the lam_k above LAM_ZERO of the form's scale max(max |lam|, |beta|), largest first."""
    lam = np.abs(form.lam)
    order = np.argsort(-lam)
    scale = max(float(lam.max()), float(np.linalg.norm(form.beta)))
    return order[lam[order] > LAM_ZERO * scale]


def _panel_cuts(forms, upper: float) -> np.ndarray | None:
    """Equal panels on [0, U], about PANEL_PHASE / rate each, rate the bound of `quadratic_form.log_cf_rate`
    on [0, U] summed over both laws (the phase of each changes at most that fast); None: over MAX_PANELS."""
    n = max(4, math.ceil(upper * sum(log_cf_rate(f, 0.0, upper) for f in forms) / PANEL_PHASE))
    return np.linspace(0.0, upper, n + 1) if n <= MAX_PANELS else None


def _log_cf_complex(form: QuadraticForm, omega: np.ndarray) -> np.ndarray:
    """log phi(omega) = i omega c + sum_k [-1/2 log(1 - i omega lam_k) - omega^2 beta_k^2 / (2 (1 - i omega lam_k))]
    for complex omega (any shape) with Re omega > 0 (1 - i omega lam never meets the principal branch cut there)."""
    omega = np.asarray(omega, dtype=complex)
    w = omega[..., None]
    z = 1.0 - 1j * w * form.lam
    return 1j * omega * form.c + np.sum(-0.5 * np.log(z) - 0.5 * w * w * form.beta ** 2 / z, axis=-1)


def _ray_tail(form: QuadraticForm, start: float) -> tuple[float, float]:
    """int_start^inf Im phi(omega) / omega d omega = Im int over the ray start + t e^(i sigma RAY_ANGLE), t >= 0
    (module docstring), sigma the sign of the asymptotic phase rate c' = c - sum beta_k^2 / (2 lam_k): composite
    16- and 8-node Gauss-Legendre rules on panels of width PANEL_PHASE over the phase rate at the start
    (`quadratic_form.log_cf_rate`) up to t = LOG_TAIL / (|c'| sin RAY_ANGLE), where e^(i omega c') has decayed
    by e^-LOG_TAIL, then growing geometrically (the algebraic part), cut where |integrand| t < RAY_NEGLIGIBLE;
    the panels are halved while the rules differ by more than TARGET_ERROR. Value and error estimate (the
    rules' difference plus the remainder |integrand| t at the cut)."""
    dirs = _quadratic_directions(form)
    c_inf = form.c - float(np.sum(form.beta[dirs] ** 2 / (2.0 * form.lam[dirs])))
    e = complex(math.cos(RAY_ANGLE), math.copysign(math.sin(RAY_ANGLE), c_inf))
    width = PANEL_PHASE / (log_cf_rate(form, start, start) + 1.0 / start)
    linear_end = min(LOG_TAIL / max(abs(c_inf) * math.sin(RAY_ANGLE), 1e-300), MAX_RAY_PANELS * width)
    linear = np.arange(0.0, linear_end + width, width)
    geometric = linear[-1] + max(width, start) * (RAY_GROWTH ** np.arange(1, 200) - 1.0) / (RAY_GROWTH - 1.0)
    edges = np.concatenate([linear, geometric])
    omega = start + edges * e
    with np.errstate(over="ignore", invalid="ignore"):
        size = np.exp(_log_cf_complex(form, omega).real) * edges / np.abs(omega)
    if not np.all(np.isfinite(size)):   # the ray met growth: no estimate along it
        return math.nan, math.inf
    below = np.flatnonzero(size < RAY_NEGLIGIBLE)
    end = int(below[below > 0][0]) if np.any(below > 0) else len(edges) - 1
    cuts, remainder = edges[:end + 1], float(size[end])

    def f(t):
        omega = start + t * e
        with np.errstate(over="ignore", invalid="ignore"):
            return (np.exp(_log_cf_complex(form, omega)) / omega * e).imag

    while True:
        sums = {}
        for n in (16, 8):
            z, w = GL_NODES[n]
            mid, half = 0.5 * (cuts[1:] + cuts[:-1]), 0.5 * (cuts[1:] - cuts[:-1])
            sums[n] = float(np.sum(half[:, None] * w * f(mid[:, None] + half[:, None] * z)))
        error = abs(sums[16] - sums[8])
        if error <= TARGET_ERROR or 2 * len(cuts) > 4 * MAX_RAY_PANELS:
            return sums[16], error + remainder
        cuts = np.insert(cuts, np.arange(1, len(cuts)), 0.5 * (cuts[:-1] + cuts[1:]))


def _linear_share(form: QuadraticForm) -> float:
    """sd of the form's linear (Gaussian) directions over its sd: their factor e^(-omega^2 s^2 / 2) of phi."""
    rest = np.setdiff1d(np.arange(form.lam.size), _quadratic_directions(form))
    return math.sqrt(float(np.sum(form.beta[rest] ** 2)) / form.var) if form.var > 0 else 0.0


def _inversion(p: Gaussian, q: Gaussian) -> tuple[float, float]:
    """TV = 1/pi int_0^inf [Im phi_p - Im phi_q] / omega (module docstring): Gauss-Legendre panels on
    [0, U], U = 1 / sd(L), and each law's rest along a ray into the half plane where its phase decays;
    the conditional form for at most two quadratic directions unless both laws' linear directions carry
    LINEAR_SHARE of sd(L) (their Gaussian factor then makes the inversion fast)."""
    forms = (log_ratio_form(p, q, p), log_ratio_form(q, q, p))   # L = log p - log q under p, under q
    rank = max(len(_quadratic_directions(f)) for f in forms)
    if rank <= 2 and min(_linear_share(f) for f in forms) < LINEAR_SHARE:
        return _conditional(forms)
    upper = 1.0 / math.sqrt(max(f.var for f in forms))
    cuts = _panel_cuts(forms, upper)
    if cuts is None:
        return math.nan, math.inf

    def integrand(omega, log_phi_p):
        return (np.exp(log_phi_p).imag - np.exp(forms[1].log_cf(omega)).imag) / omega

    value, error = refined_sum(integrand, forms[0], cuts)
    (tail_p, err_p), (tail_q, err_q) = (_ray_tail(f, upper) for f in forms)
    value, error = (value + tail_p - tail_q) / math.pi, (error + err_p + err_q) / math.pi
    if not (math.isfinite(value) and error <= TOLERANCE) and rank <= MAX_CONDITIONAL:
        return _conditional(forms)
    return (value, error) if math.isfinite(value) and math.isfinite(error) else (math.nan, math.inf)


def _conditional(forms) -> tuple[float, float]:
    """P_p(L > 0) - P_q(L > 0) by conditioning on all but one direction (module docstring)."""
    probs, errors = [], []
    for form in forms:
        dirs = _quadratic_directions(form)
        rest = np.setdiff1d(np.arange(form.lam.size), dirs)
        s = math.sqrt(float(np.sum(form.beta[rest] ** 2)))   # the linear directions' N(0, s^2) part
        value, err = _positive_probability(form.lam[dirs], form.beta[dirs], form.c, s)
        probs.append(value)
        errors.append(err)
    return float(min(max(probs[0] - probs[1], 0.0), 1.0)), float(sum(errors))


def _one_direction(lam: float, beta: float, c: float) -> float:
    """P(c + lam/2 w^2 + beta w > 0), w ~ N(0, 1), lam != 0: the probability outside (lam > 0) or between
    (lam < 0) the roots r1 <= r2 of the quadratic (the stable formula: q = -(beta + sign(beta) sqrt(disc)) / 2,
    roots q / (lam/2) and c / q, accurate for lam small against beta); no real root: 1 or 0."""
    a = 0.5 * lam
    disc = beta * beta - 4.0 * a * c
    if disc <= 0.0:
        return 1.0 if lam > 0 else 0.0
    q = -0.5 * (beta + math.copysign(math.sqrt(disc), beta))
    r1, r2 = sorted((q / a, c / q))
    if lam > 0:
        return float(special.ndtr(r1) + special.ndtr(-r2))
    return float(max(0.0, special.ndtr(r2) - special.ndtr(r1) if r2 <= 0 else special.ndtr(-r1) - special.ndtr(-r2)))


def _expectation_over(inner, lam, beta, c: float, a: float, b: float) -> tuple[float, float]:
    """E inner(c + a x^2 + b x), x ~ N(0, 1), by scipy.integrate.quad on [-40, 40] (the rest is below
    e^-800), `inner(shifted_c) = _positive_probability(lam, beta, shifted_c, 0)`; where one quadratic
    direction is left, its closed form has a kink where c + a x^2 + b x = beta_0^2 / (2 lam_0): those
    x are passed to quad as break points. Returns the value and quad's error plus the largest inner error."""
    points = [0.0]
    if len(lam) == 1:
        roots = np.roots([a, b, c - 0.5 * beta[0] ** 2 / lam[0]]) if a != 0 else \
            np.array([-(c - 0.5 * beta[0] ** 2 / lam[0]) / b]) if b != 0 else np.array([])
        points += [float(r.real) for r in roots if abs(r.imag) < 1e-12 and abs(r.real) < 40]
    errs = [0.0]

    def f(x):
        v, e = inner(c + a * x * x + b * x)
        errs.append(e)
        return v * math.exp(-0.5 * x * x)

    v, e = integrate.quad(f, -40.0, 40.0, epsabs=1e-12, epsrel=1e-12, limit=400, points=sorted(set(points)))
    return v / math.sqrt(2 * math.pi), e / math.sqrt(2 * math.pi) + max(errs)


def _positive_probability(lam, beta, c: float, s: float) -> tuple[float, float]:
    """P(c + sum_k (lam_k/2 w_k^2 + beta_k w_k) + s g > 0): closed form in w_0, quadrature over g and the
    other w_k (nested), with the quadratures' error estimates summed along the nesting."""
    if len(lam) == 0:
        return (float(special.ndtr(c / s)) if s > 0 else float(c > 0)), 0.0
    if s > 0:
        return _expectation_over(lambda shifted: _positive_probability(lam, beta, shifted, 0.0), lam, beta, c, 0.0, s)
    if len(lam) == 1:
        return _one_direction(float(lam[0]), float(beta[0]), c), 0.0
    rest, rest_beta = lam[:-1], beta[:-1]
    return _expectation_over(lambda shifted: _positive_probability(rest, rest_beta, shifted, 0.0), rest, rest_beta, c,
                             0.5 * lam[-1], beta[-1])
