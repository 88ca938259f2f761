"""Tilted path moments, Novikov's moment, the moments of <M> and the proof's conditional quantities,
exactly on a grid (d = 1, 2; THEORY.md section 8, on the chain of section 7).

Chain (section 7): y_{k+1} ~ N(mu*_k(y_k), h I) under P* (ideal drift y/2 + s_q), mean mu*_k + d_k under
P_hat with d_k = h e_k; write a_k = |d_k|^2 / h = h |e_k|^2, so <M> = sum_k a_k(Y_k). Along one pass
over the K steps, all by the trapezoid transition K_k (grid_transition.py):

* tilted moments, for each order a: u_0 = p_0, u_{k+1} = K^{(a)}_k [u_k exp(a (a - 1) a_k / 2)] with the
  mean mu*_k + a d_k, E*[Lambda^a] = int u_K (kept as a mantissa field rescaled to max 1 and a log
  scale, so the factor never overflows; +inf with the reason when u_k, before or after a transition,
  grows toward the box faces; a lower bound, exact=False, when the shares of its mass deposited beyond
  the box sum to more than TAIL_SHARE). In d = 1 the field runs in logs on a box open at its faces and
  its divergence is decided from its fitted log tails (tilted_log_field.py): near the largest finite
  order a* the value is exact, +inf with the reason, or flagged not exact (its tails beyond the box
  extrapolated), never a wrong finite value marked exact. In d = 2 a divergence that starts beyond the
  box can still be missed (compare with the Gaussian Riccati recursion of path_moments.py);
* Novikov (A2): n_{k+1} = K_k [n_k exp(a_k / 2)], E* exp(<M>/2) = int n_K (same scaling);
* moments of <M> (A4): m^{(j)}_k(y) dy = E*[<M>_k^j; Y_k in dy], m^{(0)} = p*,
  m^{(j)}_{k+1} = K_k [sum_{i <= j} binom(j, i) a_k^{j-i} m^{(i)}_k], E*<M>^j = int m^{(j)}_K
  (j = 1: w_K of section 8, j = 2: w2_K);
* g_{k+1} = K_k g_k + div K_k[p_k d_k] (E*[M; Y_K in dy] = g_K), and c_k = E*[M_k <M>_k; Y_k in dy]:
  c_{k+1} = K_k [c_k + a_k g_k] + div K_k[(w_k + a_k p_k) d_k] (M_{k+1} <M>_{k+1} = (M_k + dM)(<M>_k + a_k),
  dM = -d_k . z_k / sqrt(h), and E[-d . z / sqrt(h) f(Y_k); Y_{k+1} in dy'] = div K[f d](y'));
* the learned chain's law p_hat_k.
Hence (section 8) Zbar = E*[Z | Y_K] = -g_K / p_K - w_K / (2 p_K), R = p_hat_K / p_K, Psi = R - 1 - Zbar,
E*[Z^2] = E*[M^2] + E*[M <M>] + E*[<M>^2] / 4 = eps2 + int c_K + int w2_K / 4 (E*[M^2] = E*<M> = eps2),
eta eps2 = int g_K^2 / p_K. The skeleton's inequalities are evaluated by proof_skeleton.py.
Any Gaussian-transition sampler (`sampler=`, gaussian_sampler.py; THEORY.md §8) runs through the same pass:
the step variance v_k replaces h, d_k = mu_hat_k - mu*_k replaces h e_k (a_k = |d_k|^2 / v_k), and the
tilted transition has the mean mu*_k + a d_k.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .grid_chain import StepFields, chain_start, evaluate_field, mean_difference, output_law, resolve_sampler
from .box_tails import TAIL_SHARE, beyond_box
from .grid_law import GridLaw
from .grid_transition import check_spacing, transition_1d, transition_2d
from .tilted_log_field import LogTiltedField
from .tilted_result import TiltedMoment, check_order


@dataclass
class ConditionalPathQuantities:
    """The proof's conditional quantities at the chain's output (THEORY.md section 8), on the grid.

    Arrays have the grid's shape; Zbar, R and Psi are 0 where the ideal output density p*_K is 0.

    Parameters
    ----------
    p_ideal, p_learned : numpy.ndarray
        p*_K and p_hat_K.
    g, w, w2 : numpy.ndarray
        E*[M; Y_K in dy], E*[<M>; Y_K in dy], E*[<M>^2; Y_K in dy] (densities).
    Zbar, R, Psi : numpy.ndarray
        -g/p* - w/(2 p*), p_hat/p*, R - 1 - Zbar.
    chi2 : float
        chi2(output_hat || output*) = E*[(R - 1)^2] (+inf when the integrand grows toward the faces, or
        where p*_K underflows to 0 while p_hat_K or g, w do not: no log chain runs here, so on boxes
        wide enough for p*_K to underflow compare with grid_chi2 of run_grid_chain's laws).
    E_Zbar, E_Zbar2, E_Psi, E_Psi2, E_Z2 : float
        E*[Zbar], E*[Zbar^2], E*[Psi], E*[Psi^2], E*[Z^2] (Z = log Lambda).
    var_cond_mean : float
        eta eps2 = Var E*[M | Y_K] = int g^2 / p*.
    """

    p_ideal: np.ndarray
    p_learned: np.ndarray
    g: np.ndarray
    w: np.ndarray
    w2: np.ndarray
    Zbar: np.ndarray
    R: np.ndarray
    Psi: np.ndarray
    chi2: float
    E_Zbar: float
    E_Zbar2: float
    E_Psi: float
    E_Psi2: float
    E_Z2: float
    var_cond_mean: float


@dataclass
class GridPathMoments:
    """One pass of grid_path_moments (module docstring).

    Parameters
    ----------
    tilted : list of TiltedMoment
        E*[Lambda^a] for each requested order, in the order given.
    novikov : TiltedMoment
        log E* exp(<M>/2) as `log_moment` (a = 1/2 is only a label here: `renyi` is meaningless).
    qv_moments : list of float
        E*[<M>^j] for j = 0..max_moment (j = 0: the ideal chain's mass on the grid, about 1).
    eps2, epshat2 : float
        Path energies (ideal, learned).
    conditional : ConditionalPathQuantities or None
        The proof's conditional quantities (None when not requested).
    ideal, learned : GridLaw or None
        The two chains' output laws (None when not requested).
    steps : int
    h : float
    """

    tilted: list
    novikov: TiltedMoment
    qv_moments: list
    eps2: float
    epshat2: float
    conditional: ConditionalPathQuantities | None
    ideal: GridLaw | None
    learned: GridLaw | None
    steps: int
    h: float


def _step(law: GridLaw, delta: np.ndarray, h: float, plain: list, fields: list) -> tuple[list, list]:
    """K[F] for F in plain, and for each vector field f in fields (a list of d arrays, one per
    coordinate, already times the trapezoid weights) h div K[f] (grid_transition.py)."""
    if law.dim == 1:
        out = transition_1d(float(law.spacing[0]), delta[:, 0], h, plain, [f[0] for f in fields])
        return out[:len(plain)], out[len(plain):]
    out = transition_2d(law.spacing, delta[..., 0], delta[..., 1], h, plain, [f[0] for f in fields],
                        [f[1] for f in fields])
    n, m = len(plain), len(fields)
    return out[:n], [out[n + i] + out[n + m + i] for i in range(m)]


class _Scaled:
    """A non-negative field kept as mantissa (max 1) times exp(log_scale); `reason` once it diverges."""

    def __init__(self, density: np.ndarray, weights: np.ndarray):
        self._weights = weights
        top = float(np.max(density))
        self.field = density / top
        self.log_scale = math.log(top)
        self.reason = None
        self.lost = 0.0           # the shares of the field's mass deposited beyond the box, summed over the steps
        self._before = 0.0

    def tilt(self, log_factor: np.ndarray, axes, k: int, check: bool = True) -> np.ndarray:
        """The mantissa of field exp(log_factor), rescaled to max 1 (the scale absorbs the rest); with
        `check`, notes the divergence when the tilted field grows toward the box faces (a field that
        grows after a transition still does so at the next tilt, whose factor is >= 1, or at the end)."""
        with np.errstate(divide="ignore"):
            lf = np.log(self.field) + log_factor
        top = float(np.max(lf))
        self.log_scale += top
        out = np.exp(lf - top)
        self._before = float(np.sum(out * self._weights))
        if check and self.reason is None and math.isinf(beyond_box(out, axes)):
            self.reason = (f"step {k}: the tilted field u_k exp(a (a - 1) a_k / 2) grows toward the box faces "
                           f"(its integral diverges beyond the grid)")
        return out

    def set(self, new: np.ndarray, axes, k: int) -> None:
        new = np.clip(new, 0.0, None)
        after = float(np.sum(new * self._weights))
        if self._before > 0:
            self.lost += max(0.0, 1.0 - after / self._before)
        top = float(np.max(new))
        if top <= 0:
            self.reason = self.reason or f"step {k}: the tilted field vanished on the grid"
            return
        self.field = new / top
        self.log_scale += math.log(top)

    def log_integral(self, law: GridLaw) -> float:
        return self.log_scale + math.log(law.integrate(self.field))


def grid_path_moments(law: GridLaw, error=None, a_values=(), T: float = 4.0, t0: float = 0.02, steps=None,
                      init="prior", score=None, max_moment: int = 2, conditional: bool = False,
                      laws: bool = False, *, schedule=None, sampler=None,
                      step_fields: StepFields | None = None) -> GridPathMoments:
    """Tilted moments E*[Lambda^a] (each a in a_values), E* exp(<M>/2), E*<M>^j (j <= max_moment),
    the path energies and, with conditional=True, the proof's conditional quantities, in one pass
    over the chain (module docstring; THEORY.md section 8).

    Parameters
    ----------
    law : GridLaw
        The training law q (d = 1, 2).
    error, score : callable or None
        e(x, t) (the learned score minus s_q) or the learned score itself (not both).
    a_values : sequence of float > 0
        Orders of the tilted moments.
    T, t0, steps, init
        As in `reverse`; steps is required.
    max_moment : int >= 2
        Highest moment of <M> to propagate.
    conditional : bool
        Also compute Zbar, R, Psi and their moments (runs the learned chain).
    laws : bool
        Also return both output laws (runs the learned chain).
    schedule, sampler : TimeGrid, GaussianSampler, optional
        As in `run_grid_chain`: one schedule object, or any Gaussian-transition sampler (THEORY.md §8:
        step variance v_k, ``d_k = mu_hat_k - mu*_k``, ``a_k = |d_k|^2 / v_k``, tilted mean ``mu*_k + a d_k``).
    step_fields : StepFields, optional
        The exact and learned scores kept by an earlier pass over the same chain (`run_grid_chain`
        with the same `step_fields`), replayed instead of computed again; the results are the same.

    Returns
    -------
    GridPathMoments
        ``h`` is the largest step variance (the EM step on a uniform grid).

    Raises
    ------
    ValueError
        Naming law, a_values, max_moment, steps, init, error or score when out of range, or when an
        output law (or a finite tilted field) leaves more than law.mass_tol (TAIL_SHARE) beyond the box.
    """
    if not isinstance(law, GridLaw):
        raise ValueError(f"law must be a GridLaw, got {type(law).__name__}")
    a_values = [check_order(a) for a in a_values]
    if isinstance(max_moment, bool) or int(max_moment) != max_moment or max_moment < 2:
        raise ValueError(f"max_moment must be an integer >= 2, got {max_moment!r}")
    chain = resolve_sampler(schedule, sampler, T, t0, steps, init)
    T, t0, steps, init = chain.schedule.T, chain.schedule.t0, chain.steps, chain.schedule.init
    if error is not None and score is not None:
        raise ValueError("give error or score, not both")
    for name, f in (("error", error), ("score", score)):
        if f is not None and not callable(f):
            raise ValueError(f"{name} must be a callable f(x, t) or None, got {type(f).__name__}")
    h = float(np.max(chain.variance))
    check_spacing(law.spacing, float(np.min(chain.variance)))
    times = None if (chain.name == "euler_maruyama" and chain.schedule.uniform) else chain.times
    start = chain_start(law, init, T)
    d, shape, X, wts = law.dim, law.shape, law.points, law.weights
    Xg = X.reshape(shape + (d,))
    run_learned = conditional or laws
    p = start.density.copy()
    moments = [p] + [np.zeros(shape) for _ in range(max_moment)]
    g = np.zeros(shape)
    c = np.zeros(shape) if conditional else None
    p_hat = start.density.copy() if run_learned else None
    if d == 1:   # in logs on a box open at its faces, divergence decided from the fitted log tails
        tilted = [LogTiltedField(start.logp, float(law.spacing[0])) for _ in a_values]
        novikov = LogTiltedField(start.logp, float(law.spacing[0]))
    else:
        tilted = [_Scaled(start.density, wts) for _ in a_values]
        novikov = _Scaled(start.density, wts)
    eps2 = 0.0
    epshat2 = 0.0 if run_learned else math.nan
    binom = [[math.comb(j, i) for i in range(j + 1)] for j in range(max_moment + 1)]
    kept = StepFields(None) if step_fields is None else step_fields   # StepFields(None) keeps nothing
    forward = kept.forward(law, T, t0, steps, times)
    for k, s_q in enumerate(forward):
        t = T - k * h if times is None else float(times[k])
        v = float(chain.variance[k])
        if score is not None:
            learned_score = kept.score(score, law, X, t)
            e = learned_score.reshape(shape + (d,)) - s_q
        elif error is not None:
            e = evaluate_field(error, X, t, "error").reshape(shape + (d,))
        else:
            e = np.zeros(shape + (d,))
        delta_id = chain.displacement(k, Xg, s_q)
        delta_le = chain.displacement(k, Xg, s_q, e)
        d_over_v, e2, weight = mean_difference(chain, k, e, delta_id, delta_le)
        ak = weight * e2                                      # |d_k|^2 / v_k
        eps2 += float(np.sum(p * wts * ak))
        # ideal chain: p, g, the moments of <M>, c, Novikov
        new_moments = [sum(binom[j][i] * ak ** (j - i) * moments[i] for i in range(j + 1)) for j in range(max_moment + 1)]
        plain = [mo * wts for mo in new_moments] + [g * wts]
        if d == 1:
            novikov.step(0.5 * ak, delta_id[:, 0], v, k)
        else:
            plain.append(novikov.tilt(0.5 * ak, law.axes, k) * wts)
        fields = [[p * wts * d_over_v[..., i] for i in range(d)]]
        if conditional:
            plain.append((c + ak * g) * wts)
            fields.append([(moments[1] + ak * p) * wts * d_over_v[..., i] for i in range(d)])
        outs, divs = _step(law, delta_id, v, plain, fields)
        n = max_moment + 1
        moments = outs[:n]
        g = outs[n] + divs[0]
        if d != 1:
            novikov.set(outs[n + 1], law.axes, k)
        if conditional:
            c = outs[n + 1 + (d != 1)] + divs[1]
        p = moments[0]
        if run_learned:
            epshat2 += weight * float(np.sum(p_hat * wts * e2))
            p_hat = _step(law, delta_le, v, [p_hat * wts], [])[0][0]
        for a, u in zip(a_values, tilted):
            if d != 1 and u.reason is not None:
                continue
            shifted = (chain.displacement(k, Xg, s_q, a * e) if chain.affine
                       else delta_id + a * (delta_le - delta_id))       # the mean mu*_k + a d_k
            if d == 1:
                u.step(0.5 * a * (a - 1.0) * ak, shifted[:, 0], v, k, check=a > 1)
            else:
                tilted_field = u.tilt(0.5 * a * (a - 1.0) * ak, law.axes, k, check=a > 1)
                u.set(_step(law, shifted, v, [tilted_field * wts], [])[0][0], law.axes, k)
    ideal_law = output_law(law, p, start, "ideal") if (laws or conditional) else None
    learned_law = output_law(law, p_hat, start, "learned") if run_learned else None
    results = [_finish(law, a, u) for a, u in zip(a_values, tilted)]
    nov = _finish(law, 0.5, novikov)
    qv = [law.integrate(mo) for mo in moments]
    cond = _conditional(law, p, p_hat, g, moments[1], moments[2], c, eps2) if conditional else None
    return GridPathMoments(results, nov, qv, eps2, epshat2, cond, ideal_law if laws else None,
                           learned_law if laws else None, steps, h)


def _finish(law: GridLaw, a: float, u) -> TiltedMoment:
    if isinstance(u, LogTiltedField):
        return u.finish(a, law.weights)
    if u.reason is not None:
        return TiltedMoment(a, math.inf, u.reason)
    tail = beyond_box(u.field, law.axes)
    if math.isinf(tail):
        return TiltedMoment(a, math.inf, "the final tilted field u_K grows toward the box faces (its integral "
                                         "diverges beyond the grid)")
    share = max(u.lost, tail / max(law.integrate(u.field), 1e-300))
    if share > TAIL_SHARE:
        return TiltedMoment(a, u.log_integral(law), (
            f"the tilted field left the box (shares summing to {share:.3g} of its mass over the steps or at the end): "
            f"the value is a lower bound; E*[Lambda^a] is infinite or the grid too narrow (widen the bounds)"),
            exact=False)
    return TiltedMoment(a, u.log_integral(law), None)


def _conditional(law: GridLaw, p, p_hat, g, w, w2, c, eps2) -> ConditionalPathQuantities:
    pos = p > 0
    safe = np.where(pos, p, 1.0)
    num = g + 0.5 * w                                  # -Zbar p*
    Zbar = np.where(pos, -num / safe, 0.0)
    with np.errstate(over="ignore"):
        R = np.where(pos, p_hat / safe, 0.0)
    Psi = np.where(pos, R - 1.0 - Zbar, 0.0)
    lost = ~pos & ((p_hat != 0) | (num != 0))
    chi2_f = np.where(pos, (p_hat - p) ** 2 / safe, 0.0)
    chi2 = math.inf if np.any(lost) else law.integrate(chi2_f)
    if math.isfinite(chi2) and beyond_box(chi2_f, law.axes) > TAIL_SHARE * max(chi2, 1e-300):
        chi2 = math.inf
    E_Zbar2 = law.integrate(np.where(pos, num * num / safe, 0.0))
    psi_num = p_hat - p + num                          # Psi p*
    E_Psi2 = law.integrate(np.where(pos, psi_num * psi_num / safe, 0.0))
    E_Z2 = eps2 + law.integrate(c) + 0.25 * law.integrate(w2)
    vcm = law.integrate(np.where(pos, g * g / safe, 0.0))
    return ConditionalPathQuantities(p, p_hat, g, w, w2, Zbar, R, Psi, chi2, -law.integrate(num), E_Zbar2,
                                     law.integrate(psi_num), E_Psi2, E_Z2, vcm)


def combine_tilted(blocks) -> TiltedMoment:
    """E*[Lambda^a] of a product of independent blocks (grid_products.py): the paths are independent,
    so Lambda = prod_f Lambda_f and log E*[Lambda^a] adds over blocks (THEORY.md sections 7, 8).

    Parameters
    ----------
    blocks : iterable of TiltedMoment or (TiltedMoment, multiplicity)
        The blocks' moments, all of one order a.

    Returns
    -------
    TiltedMoment
        The product's moment (infinite when a block's is, with its reason; a lower bound when a block's is).

    Raises
    ------
    ValueError
        When blocks is empty, the orders differ, or a multiplicity is not an integer >= 1.
    """
    items = [(b, 1) if isinstance(b, TiltedMoment) else tuple(b) for b in blocks]
    if not items:
        raise ValueError("blocks must hold at least one TiltedMoment")
    a = items[0][0].a
    total, reasons, exact = 0.0, [], True
    for tm, mult in items:
        if tm.a != a:
            raise ValueError(f"blocks must share one order a, got {a:g} and {tm.a:g}")
        if isinstance(mult, bool) or int(mult) != mult or mult < 1:
            raise ValueError(f"multiplicity must be an integer >= 1, got {mult!r}")
        total += int(mult) * tm.log_moment
        exact = exact and tm.exact
        if tm.reason:
            reasons.append(tm.reason)
    return TiltedMoment(a, total, "; ".join(reasons) or None, exact)
