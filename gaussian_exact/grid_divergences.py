"""Divergences between laws on one grid, by the trapezoid rule (THEORY.md sections 2 and 7).

* KL(p || q) = int p log(p / q) (terms with p = 0 are 0; +inf where q = 0 < p);
* chi2(p || q) = int (p - q)^2 / q (+inf where q = 0 and p != 0); renyi2 = log(1 + chi2). chi2 is
  tail-sensitive: it is decided from the log densities' tails fitted next to each face
  (divergence_reason.py): +inf, with a `DivergenceReason`, when p's tail is heavier than sqrt(q)'s
  (e.g. N(0, v_p) against N(0, v_q) with 2/v_p <= 1/v_q), else the box integral plus the closed-form
  integral of the fitted tails beyond the box (`chi2_result`); `box=True` gives the integral over the
  box alone (what the algebraic identities between grid integrals hold for); `chi2_good_set` the
  integral over the good set G = {data >= kappa max data} (THEORY.md section 8, a reconstruction of the
  paper's A5) with the mass outside G;
* inner(f, g; r) = int f g / r, the weighted inner product of the one-step identity (THEORY.md
  section 3), for signed differences f, g of laws.
The densities are used as they are on the grid (no renormalisation: each holds 1 - mass_outside).
Where q's density underflows to 0 but its closed-form log density is known (`GridLaw.log_density`,
mixtures and mixes with them), the integrands are evaluated in logs: p log(p/q) = p (log p - log q)
and (p - q)^2 / q = exp(2 log p - log q).
"""
from __future__ import annotations

import math

import numpy as np

from .divergence_reason import (FLAT, TAIL_NODES, DivergenceReason, DivergenceResult, TailFit,
                                log_tail_integral)
from .grid_law import GridLaw, trapezoid_weights


def _pair(p, q) -> None:
    if not isinstance(p, GridLaw) or not isinstance(q, GridLaw):
        raise ValueError("p and q must both be GridLaw instances")
    p.check_same_grid(q, "q")


def grid_kl(p: GridLaw, q: GridLaw) -> float:
    """KL(p || q) in nats on the grid (module docstring)."""
    _pair(p, q)
    a, logq = p.density, q.logp
    pos = a > 0
    if np.any(pos & ~np.isfinite(logq)):
        return math.inf
    val = np.where(pos, a * (np.log(np.where(pos, a, 1.0)) - np.where(pos, logq, 0.0)), 0.0)
    return max(0.0, p.integrate(val))


LOG_LINEAR = math.log(1e-250)   # below this log q the integrand is taken in logs: exp(2 log p - log q)
DEFAULT_KAPPA = 1e-6            # the good set G = {data >= kappa max data} (a reconstruction of the paper's A5)


def grid_chi2(p: GridLaw, q: GridLaw, box: bool = False, region=None) -> float:
    """chi2(p || q) = int (p - q)^2 / q on the grid (module docstring); +inf when it diverges beyond
    the box (decided from the fitted log tails, `chi2_result`) unless box=True. `region` (a boolean
    array of the grid's shape) restricts the box integral to those nodes."""
    return chi2_result(p, q, box=box, region=region).value


def chi2_result(p: GridLaw, q: GridLaw, names=("p", "q"), box: bool = False, region=None) -> DivergenceResult:
    """chi2(p || q) over R^d with its reason when infinite (divergence_reason.py, THEORY.md section 8).

    The box part is the trapezoid sum of (p - q)^2 / q, taken as exp(2 log p - log q) where q's density
    is below 1e-250 (both laws' `logp`: never zeroed where both densities underflow); the part beyond each
    face is the closed-form integral of the fitted exp(2 log p - log q) (minus 2 p plus q, the laws' mass
    there); +inf when that integrand does not decay at some face, when q vanishes where p does not, or
    (d = 2) when the quadratic form fitted to 2 log p - log q on the box's outer ring is not negative
    definite (growth along a diagonal, between two faces).

    Parameters
    ----------
    p, q : GridLaw
        Two laws on one grid.
    names : (str, str)
        How the reason names p and q (e.g. ("learned law", "data")).
    box : bool
        Only the integral over the box (no tails, no reason for them).
    region : boolean array or None
        Restrict the box integral to these nodes (implies box=True).

    Returns
    -------
    DivergenceResult
    """
    _pair(p, q)
    lp, lq = p.logp, q.logp
    a, b = p.density, q.density
    if region is not None:
        box = True
        region = np.asarray(region, dtype=bool)
    else:
        region = np.ones(p.shape, dtype=bool)
    vanish = region & ~np.isfinite(lq) & np.isfinite(lp)
    if np.any(vanish):
        where = _node_text(p, vanish)
        return DivergenceResult(math.inf, DivergenceReason(
            names[1], where, f"{names[0]} > 0", f"{names[1]} = 0",
            f"{names[1]} vanishes at {where} where {names[0]} does not"))
    linear = lq > LOG_LINEAR
    with np.errstate(over="ignore", invalid="ignore"):
        f = np.where(linear, (a - b) ** 2 / np.where(linear, b, 1.0), np.exp(2 * lp - np.where(linear, 0.0, lq)))
    f = np.where(region, np.nan_to_num(f, nan=0.0, posinf=math.inf), 0.0)
    value = p.integrate(f)
    beyond = 0.0
    if not box:
        for axis in range(p.dim):
            for side in (0, 1):
                part = _face_tail(p, lp, lq, axis, side, names)
                if isinstance(part, DivergenceReason):
                    return DivergenceResult(math.inf, part)
                beyond += part
        reason = _diagonal_growth(p, lp, lq, names) if p.dim == 2 else None
        if reason is not None:
            return DivergenceResult(math.inf, reason)
    if not math.isfinite(value):
        return DivergenceResult(math.inf, DivergenceReason(
            names[0], "inside the box", "", "",
            f"the integrand of chi2({names[0]} || {names[1]}) exceeds the float range inside the box"))
    if box:
        return DivergenceResult(max(0.0, value))
    total = value + beyond
    return DivergenceResult(max(0.0, total) if math.isfinite(total) else math.inf, None, beyond)


def _face_name(law: GridLaw, axis: int, side: int) -> str:
    coord = "x" if law.dim == 1 else f"x{axis}"
    return f"{coord} -> {'+' if side else '-'}inf"


def _node_text(law: GridLaw, mask: np.ndarray) -> str:
    i = np.unravel_index(int(np.argmax(mask)), mask.shape)
    return "x = (" + ", ".join(f"{law.axes[c][i[c]]:.4g}" for c in range(law.dim)) + ")"


def _outer(values: np.ndarray, axis: int, side: int) -> np.ndarray:
    """The TAIL_NODES outermost nodes at a face, shape (m, k): ordered inward -> face."""
    moved = np.moveaxis(values, axis, 0)
    m = min(TAIL_NODES, moved.shape[0])
    near = moved[-m:] if side else moved[:m][::-1]
    return near.reshape(m, -1)


def _face_tail(law: GridLaw, lp, lq, axis: int, side: int, names):
    """The chi2 integrand's integral beyond one face (summed along the face in d = 2), or the reason why
    it is infinite."""
    dx = float(law.spacing[axis])
    P, Q = _outer(lp, axis, side), _outer(lq, axis, side)
    m = P.shape[0]
    u = (np.arange(m) - (m - 1)) * dx                      # outward coordinate, 0 on the face
    live = np.all(np.isfinite(P), axis=0)                  # p vanishing next to the face has no tail there
    if not np.any(live):
        return 0.0
    face = _face_name(law, axis, side)
    if not np.all(np.isfinite(Q[:, live])):
        return DivergenceReason(names[1], face, f"{names[0]} > 0", f"{names[1]} = 0",
                                f"{names[1]} vanishes next to {face} where {names[0]} does not")
    cp = np.polyfit(u, P[:, live], 2)
    cq = np.polyfit(u, Q[:, live], 2)
    tang = trapezoid_weights(law.axes[1 - axis])[live] if law.dim == 2 else np.ones(1)
    total = 0.0
    worst = None
    for j in range(cp.shape[1]):
        g = 2 * cp[:, j] - cq[:, j]
        log_int = log_tail_integral(*g)
        if math.isinf(log_int):
            if worst is None or g[2] > worst[0]:
                worst = (g[2], j)
            continue
        log_p, log_q = log_tail_integral(*cp[:, j]), log_tail_integral(*cq[:, j])
        if math.isinf(log_p):
            tp, tq = TailFit(*cp[:, j]), TailFit(*cq[:, j])
            return DivergenceReason(names[0], face, tp.describe(names[0], face), tq.describe(names[1], face),
                                    f"{names[0]} does not decay at {face}")
        mass_q = 0.0 if math.isinf(log_q) else math.exp(log_q)
        total += float(tang[j]) * (math.exp(min(log_int, 700.0)) - 2 * math.exp(log_p) + mass_q)
    if worst is not None:
        j = worst[1]
        where = face if law.dim == 1 else f"{face} (at x{1 - axis} = {law.axes[1 - axis][np.flatnonzero(live)[j]]:.4g})"
        a_p = TailFit(*cp[:, j]).describe(names[0], where)
        a_q = TailFit(*cq[:, j]).describe(names[1], where)
        return DivergenceReason(names[0], where, a_p, a_q,
                                f"chi2({names[0]} || {names[1]}) = inf: {a_p}, {a_q}: {names[0]}'s tail is heavier "
                                f"than the square root of {names[1]}'s, so (p - q)^2 / q does not decay")
    return total


def _diagonal_growth(law: GridLaw, lp, lq, names):
    """d = 2: the reason when the quadratic form of 2 log p - log q fitted on the box's outer ring
    (TAIL_NODES deep) has a direction of growth, else None."""
    n0, n1 = law.shape
    m = min(TAIL_NODES, n0 // 2, n1 // 2)
    ring = np.zeros(law.shape, dtype=bool)
    ring[:m] = True
    ring[-m:] = True
    ring[:, :m] = True
    ring[:, -m:] = True
    g = 2 * lp - lq
    ok = ring & np.isfinite(g)
    if np.sum(ok) < 12:
        return None
    X = law.points[ok.ravel()]
    x0, x1 = X[:, 0], X[:, 1]
    A = np.column_stack([x0 * x0, x0 * x1, x1 * x1, x0, x1, np.ones_like(x0)])
    coef, *_ = np.linalg.lstsq(A, g[ok], rcond=None)
    M = np.array([[coef[0], coef[1] / 2], [coef[1] / 2, coef[2]]])
    vals, vecs = np.linalg.eigh(M)
    if vals[-1] <= FLAT * (abs(vals[0]) + abs(vals[-1])):
        return None
    v = vecs[:, -1]
    where = f"direction ({v[0]:.3g}, {v[1]:.3g})"
    return DivergenceReason(names[0], where, f"2 log {names[0]} - log {names[1]} ~ +{vals[-1]:.3g} |x|^2 along {where}",
                            f"fitted on the box's outer ring ({m} nodes deep)",
                            f"chi2({names[0]} || {names[1]}) = inf: (p - q)^2 / q grows along {where} "
                            f"(fitted quadratic form of 2 log p - log q has eigenvalue {vals[-1]:.3g} > 0)")


def good_set(data: GridLaw, kappa: float = DEFAULT_KAPPA) -> np.ndarray:
    """G = {data >= kappa max data} on the grid (boolean array): the good set of THEORY.md section 8, a
    reconstruction of the paper's A5 (its exact form is not public).

    Raises
    ------
    ValueError
        Naming kappa outside (0, 1).
    """
    kappa = float(kappa)
    if not (0.0 < kappa < 1.0):
        raise ValueError(f"kappa must be in (0, 1), got {kappa}")
    return data.density >= kappa * float(np.max(data.density))


def chi2_good_set(p: GridLaw, data: GridLaw, kappa: float = DEFAULT_KAPPA) -> tuple:
    """chi2_G(p || data) = int_G (p - data)^2 / data over G = {data >= kappa max data} (THEORY.md section 8,
    a reconstruction of the paper's A5), and p's mass outside G (its mass beyond the box included).

    Returns
    -------
    (chi2_G, mass_outside_G) : floats
    """
    _pair(p, data)
    G = good_set(data, kappa)
    value = chi2_result(p, data, region=G).value
    inside = p.integrate(np.where(G, p.density, 0.0))
    return value, float(min(1.0, max(0.0, 1.0 - inside)))


def grid_renyi2(p: GridLaw, q: GridLaw) -> float:
    """log(1 + chi2(p || q))."""
    return math.log1p(grid_chi2(p, q))


def grid_inner(f: np.ndarray, g: np.ndarray, r: GridLaw, region=None) -> float:
    """int f g / r on r's grid for arrays f, g of its shape (e.g. p^i - data, p^{i+1} - q_i), over the
    nodes in `region` (default all)."""
    f, g = np.asarray(f, dtype=float), np.asarray(g, dtype=float)
    if region is not None:
        f, g = np.where(region, f, 0.0), np.where(region, g, 0.0)
    if f.shape != r.shape or g.shape != r.shape:
        raise ValueError(f"f and g must have the grid's shape {r.shape}, got {f.shape} and {g.shape}")
    nz = (f * g) != 0
    if np.any(nz & (r.density <= 0)):
        return math.inf
    pos = r.density > 0
    return r.integrate(np.where(pos, f * g / np.where(pos, r.density, 1.0), 0.0))
