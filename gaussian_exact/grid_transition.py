"""One Euler-Maruyama transition of a density on a uniform grid, by the trapezoid rule (THEORY.md section 7).

The step y' = mu(y) + sqrt(h) z, mu(y) = y + delta(y), maps a density p to
    (K p)(y') = int p(y) N(y'; mu(y), h I) dy,
and a vector field f to the divergence term of the eta recursion
    h div_{y'} K[f](y') = - int f(y) . (y' - mu(y)) N(y'; mu(y), h I) dy
(`(y' - mu) N = -h grad_{y'} N`). Both integrals over y are taken by the trapezoid rule on the grid
itself (the caller multiplies its fields by the trapezoid weights): exact up to the aliasing error
2 exp(-2 pi^2 h / dx^2) per step for fields smooth on the scale sqrt(h) (Poisson summation), which
is why the spacing must stay below sqrt(h) (`check_spacing`). Repeated linear-interpolation deposits
would instead add up to dx^2/4 of numerical variance per step.

The Gaussian kernel is truncated at `KERNEL_REACH` standard deviations beyond the largest
displacement |delta| of any source carrying mass (relative tail below 1e-15 in d = 1, 1e-9 in
d = 2); sources with less than `RELEVANT` (1e-25, 1e-16) of the largest weight may lose their far
deposits (counted as mass lost). Kernel values on the
band come from two exponentials per source ("Gaussian gridding": exp(-(o dx - delta)^2 / 2h) =
exp(-delta^2/2h) (e^{dx delta/h})^o e^{-o^2 dx^2/2h}).

d = 1: the band is (2r + 1) x n and deposits are summed by `np.bincount`. d = 2: the kernel factors
over the two coordinates for each source, N(y'; mu, hI) = N(y'_0; mu_0, h) N(y'_1; mu_1, h), so for
each source row i the deposits are a matrix product (band in y'_0) x (band in y'_1), computed by
batched BLAS products over column blocks.
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

KERNEL_REACH = {1: 8.5, 2: 6.5}   # kernel truncation in standard deviations sqrt(h): tails < 1e-15 (d = 1), < 1e-9 (d = 2)
RELEVANT = {1: 1e-25, 2: 1e-16}   # sources below this fraction of the largest weight do not set the band
SPACING_RATIO = 0.9           # largest dx / sqrt(h) accepted (aliasing <= 2 exp(-2 pi^2 / 0.81) ~ 5e-11 per step;
                              # at 1.0 it was 5e-9 per step, 1e-5 to 2e-4 in chi2 at K = 1000)
ROWS_PER_CHUNK = 16           # d = 2: source rows per batched product
COLUMN_BLOCK = 64             # d = 2: source columns per block of the product


def check_spacing(spacing, h: float) -> None:
    """ValueError when the grid is too coarse for the step: dx_max must be <= SPACING_RATIO sqrt(h)."""
    dx = float(np.max(spacing))
    if dx > SPACING_RATIO * math.sqrt(h):
        need = SPACING_RATIO * math.sqrt(h)
        raise ValueError(
            f"steps too many for this grid: the spacing {dx:.4g} must be <= {SPACING_RATIO:g} sqrt(h) = {need:.4g} "
            f"(h = (T - t0)/steps); rebuild the law with more points (spacing <= {need:.4g}) or use fewer steps")


def _radius(delta: np.ndarray, weight: np.ndarray, dx: float, h: float, n: int) -> int:
    d = weight.ndim
    top = float(np.max(weight))
    relevant = weight > RELEVANT[d] * top if top > 0 else np.ones(weight.shape, bool)
    shift = float(np.max(np.abs(delta[relevant]))) if np.any(relevant) else 0.0
    return int(min(n, math.ceil((shift + KERNEL_REACH[d] * math.sqrt(h)) / dx)))


def band(delta: np.ndarray, r: int, dx: float, h: float) -> np.ndarray:
    """N(o dx; delta, h) for o = -r..r, shape (2r + 1,) + delta.shape (module docstring)."""
    o = np.arange(-r, r + 1)
    shape = (2 * r + 1,) + (1,) * delta.ndim
    G = (np.exp(-0.5 * (o * dx) ** 2 / h) / math.sqrt(2 * math.pi * h)).reshape(shape)
    if dx * float(np.max(np.abs(delta), initial=0.0)) * r / h < 600:
        out = np.empty((2 * r + 1,) + delta.shape)
        out[r] = np.exp(-0.5 * delta * delta / h)
        up = np.exp(dx * delta / h)
        down = 1.0 / up
        for k in range(1, r + 1):
            np.multiply(out[r + k - 1], up, out=out[r + k])
            np.multiply(out[r - k + 1], down, out=out[r - k])
        out *= G
        return out
    diff = o.reshape(shape) * dx - delta
    return np.exp(-0.5 * diff * diff / h) / math.sqrt(2 * math.pi * h)


def _slope(delta: np.ndarray, r: int, dx: float) -> np.ndarray:
    """-(y' - mu) = delta - o dx on the band, shape (2r + 1,) + delta.shape."""
    o = np.arange(-r, r + 1).reshape((2 * r + 1,) + (1,) * delta.ndim)
    return delta - o * dx


_SHEAR_CACHE: dict = {}


def _shear_sum(VF: np.ndarray, r: int) -> np.ndarray:
    """out[f, i + o - r] = sum_o VF[f, o, i] for targets on the grid: the band's columns placed on
    their shifted diagonals of a reused zero buffer (written through a strided view) and summed."""
    F, R, n = VF.shape
    key = (F, R, n)
    Z = _SHEAR_CACHE.get(key)
    if Z is None:
        Z = np.zeros((F, R, n + R))
        _SHEAR_CACHE.clear()
        _SHEAR_CACHE[key] = Z
    s = Z.strides
    as_strided(Z, shape=(F, R, n), strides=(s[0], s[1] + s[2], s[2]))[...] = VF
    return Z.sum(axis=1)[:, r:r + n]


def transition_1d(spacing: float, delta: np.ndarray, h: float, plain, deriv) -> list:
    """K[F] for each F in `plain` and h div K[F] for each F in `deriv` on a 1-D grid.

    Parameters
    ----------
    spacing : float
    delta : (n,) array
        Displacements mu(y) - y at the nodes.
    h : float
        Step (noise variance per step).
    plain, deriv : lists of (n,) arrays
        Fields already multiplied by the trapezoid weights; `plain[0]` must be the density's (it sets
        the band).

    Returns
    -------
    list of (n,) arrays: the plain outputs, then the derivative outputs.
    """
    n = delta.shape[0]
    r = _radius(delta, np.abs(plain[0]), spacing, h, n)
    V = band(delta, r, spacing, h)                                    # (2r+1, n): source i -> target i + o
    parts = [V * F for F in plain]
    if deriv:
        D = V * _slope(delta, r, spacing)
        parts += [D * F for F in deriv]
    return list(_shear_sum(np.stack(parts), r))


_LOG_SHEAR_CACHE: dict = {}


def transition_1d_log(spacing: float, delta: np.ndarray, h: float, log_field: np.ndarray) -> np.ndarray:
    """log K[F] on a 1-D grid from log F (F = density times trapezoid weights): the same trapezoid sum
    taken in logs (log-sum-exp over the band), so that far tails far below 1e-308 keep their exact
    log values. The band covers every source's displacement (no relevance cut)."""
    n = delta.shape[0]
    r = int(min(n, math.ceil((float(np.max(np.abs(delta))) + KERNEL_REACH[1] * math.sqrt(h)) / spacing)))
    R = 2 * r + 1
    o = np.arange(-r, r + 1)[:, None]
    terms = -0.5 * (o * spacing - delta[None, :]) ** 2 / h - 0.5 * math.log(2 * math.pi * h) + log_field[None, :]
    key = (R, n)
    Z = _LOG_SHEAR_CACHE.get(key)
    if Z is None:
        Z = np.full((R, n + R), -np.inf)
        _LOG_SHEAR_CACHE.clear()
        _LOG_SHEAR_CACHE[key] = Z
    s = Z.strides
    as_strided(Z, shape=(R, n), strides=(s[0] + s[1], s[1]))[...] = terms
    top = np.max(Z, axis=0)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        out = safe + np.log(np.sum(np.exp(Z - safe), axis=0))
    out = np.where(np.isfinite(top), out, -np.inf)
    return out[r:r + n]


TAIL_FIT_NODES = 8             # nodes next to a face on which log p (quadratic) and delta (linear) are fitted


def extrapolate_faces(values: np.ndarray, extra: int, degree: int, never_rising: bool = False) -> np.ndarray:
    """`values` (n,) or (n, m) extended along axis 0 by `extra` nodes beyond each face with the polynomial
    of `degree` fitted (least squares, in node units, column by column) on the TAIL_FIT_NODES nodes next
    to that face; a column whose fitted nodes are not all finite is extended with its face value (-inf
    for a log density that is 0 there). never_rising (for log densities): the continuation never rises
    above the face value nor turns up outward (a mixture's log tail is not one quadratic, and a fit that
    turns up would put bogus mass beyond the box; falling Gaussian tails are unchanged)."""
    if extra <= 0:
        return values
    flat = values.reshape(values.shape[0], -1)
    n, k = flat.shape
    m = min(TAIL_FIT_NODES, n)
    out = np.empty((n + 2 * extra, k))
    out[extra:extra + n] = flat
    P = _continuation(m, extra, degree)                                  # (extra, m)
    for side in (0, 1):
        near = flat[:m][::-1] if side == 0 else flat[n - m:]          # ordered towards the face, face last
        ok = np.all(np.isfinite(near), axis=0)
        ext = np.broadcast_to(near[-1], (extra, k)).copy()
        if np.all(ok):
            ext = P @ near
        elif np.any(ok):
            ext[:, ok] = P @ near[:, ok]
        if never_rising:
            ext = np.minimum.accumulate(np.minimum(ext, near[-1]), axis=0)
        if side == 0:
            out[:extra] = ext[::-1]
        else:
            out[extra + n:] = ext
    return out.reshape((n + 2 * extra,) + values.shape[1:])


_CONTINUATION_CACHE: dict = {}


def _continuation(m: int, extra: int, degree: int) -> np.ndarray:
    """The (extra, m) matrix taking m values at nodes 0..m-1 to their least-squares polynomial of
    `degree` at nodes m..m+extra-1."""
    key = (m, extra, degree)
    P = _CONTINUATION_CACHE.get(key)
    if P is None:
        deg = min(degree, m - 1)
        fit = np.linalg.pinv(np.vander(np.arange(m, dtype=float), deg + 1))
        P = np.vander(np.arange(m, m + extra, dtype=float), deg + 1) @ fit
        if len(_CONTINUATION_CACHE) > 64:
            _CONTINUATION_CACHE.clear()
        _CONTINUATION_CACHE[key] = P
    return P


def transition_1d_log_open(spacing: float, delta: np.ndarray, h: float, log_density: np.ndarray,
                           never_rising: bool = True) -> np.ndarray:
    """log K[p] on a 1-D box open at its faces: as `transition_1d_log`, with sources also beyond each face
    (as many nodes as the band reaches), where log p is continued by the quadratic and the displacement by
    the straight line fitted next to the face (`extrapolate_faces`; exact for a Gaussian law under an affine
    drift). The mass that left the box earlier thus comes back to the nodes next to the faces instead of
    being lost, which would deplete them. `log_density` is log p itself (no trapezoid weights).

    Parameters
    ----------
    spacing : float
    delta : (n,) array
        Displacements mu(y) - y at the nodes.
    h : float
    log_density : (n,) array
        log p at the nodes (-inf allowed).

    Returns
    -------
    (n,) array: log K[p] at the nodes.
    """
    n = delta.shape[0]
    extra = int(min(n, math.ceil((float(np.max(np.abs(delta))) + KERNEL_REACH[1] * math.sqrt(h)) / spacing)))
    log_field = extrapolate_faces(log_density, extra, 2, never_rising=never_rising) + math.log(spacing)
    log_field[0] -= math.log(2.0)
    log_field[-1] -= math.log(2.0)
    out = transition_1d_log(spacing, extrapolate_faces(delta, extra, 1), h, log_field)
    return out[extra:extra + n]


def transition_2d(spacing, delta0: np.ndarray, delta1: np.ndarray, h: float, plain, deriv0=(), deriv1=()) -> list:
    """K[F] for F in `plain`, and h div terms -int F (y'_c - mu_c) N dy for F in `deriv0` (c = 0) and
    `deriv1` (c = 1), on a 2-D grid (module docstring).

    For a chunk of source rows i and a block J of source columns j (width bJ), the deposits are
    out[i + o0, J bJ + jj'] += sum_jj L[i, J, (f, o0), jj] Bt[i, J, jj, jj'], L = band in y'_0 times the
    field, Bt = band in y'_1 placed on the block's shifted diagonals (zero elsewhere): one batched
    BLAS product per chunk and kind of kernel.

    Parameters
    ----------
    spacing : (2,) array
    delta0, delta1 : (n1, n2) arrays
        Displacements mu_c(y) - y_c at the nodes.
    h : float
    plain, deriv0, deriv1 : lists of (n1, n2) arrays
        Fields already multiplied by the trapezoid weights; `plain[0]` is the density's.

    Returns
    -------
    list of (n1, n2) arrays in the order plain + deriv0 + deriv1.
    """
    n1, n2 = delta0.shape
    dx0, dx1 = float(spacing[0]), float(spacing[1])
    weight = np.abs(plain[0])
    r0 = _radius(delta0, weight, dx0, h, n1)
    r1 = _radius(delta1, weight, dx1, h, n2)
    R0, R1 = 2 * r0 + 1, 2 * r1 + 1
    nJ = max(1, n2 // max(COLUMN_BLOCK, 2 * r1))
    bJ = -(-n2 // nJ)                                                  # >= max(COLUMN_BLOCK, 2 r1) when nJ > 1
    bJ = max(bJ, 2 * r1)
    n2p = nJ * bJ
    W = bJ + 2 * r1
    width = (nJ + 1) * bJ
    pad = (lambda a: a) if n2p == n2 else (lambda a: np.pad(a, ((0, 0), (0, n2p - n2))))
    d0, d1 = pad(delta0), pad(delta1)
    groups = [([pad(F) for F in plain], [pad(F) for F in deriv0]), ([pad(F) for F in deriv1], [])]
    counts = [len(plain) + len(deriv0), len(deriv1)]
    outs = [np.zeros((k, n1 + 2 * r0, width)) if k else None for k in counts]
    rows = min(ROWS_PER_CHUNK, n1)
    Bt = [np.zeros((rows, nJ, bJ, W)) if k else None for k in counts]
    views = [None if b is None else as_strided(
        b, shape=(rows, nJ, bJ, R1), strides=(b.strides[0], b.strides[1], b.strides[2] + b.strides[3], b.strides[3]))
        for b in Bt]
    L = [np.empty((rows, nJ, k * R0, bJ)) if k else None for k in counts]
    for i0 in range(0, n1, rows):
        c = min(rows, n1 - i0)
        sl = slice(i0, i0 + c)
        A_band = band(d0[sl], r0, dx0, h)                              # (R0, c, n2p)
        A = _blocked(A_band, nJ, bJ)                                   # (c, nJ, R0, bJ)
        Ad = _blocked(A_band * _slope(d0[sl], r0, dx0), nJ, bJ) if deriv0 else None
        B = band(d1[sl], r1, dx1, h)                                   # (R1, c, n2p)
        for g, (fields_a, fields_ad) in enumerate(groups):
            if not counts[g]:
                continue
            kern = B if g == 0 else B * _slope(d1[sl], r1, dx1)
            views[g][:c] = np.moveaxis(kern, 0, -1).reshape(c, nJ, bJ, R1)
            Lg = L[g][:c]
            for f, F in enumerate(fields_a + fields_ad):
                Fb = F[sl].reshape(c, nJ, 1, bJ)
                np.multiply(A if f < len(fields_a) else Ad, Fb, out=Lg[:, :, f * R0:(f + 1) * R0])
            M = np.matmul(Lg, Bt[g][:c])                                # (c, nJ, k R0, W)
            _accumulate(M, outs[g], i0, R0, r1, bJ, nJ)
    result = []
    for o in outs:
        if o is not None:
            result += list(o[:, r0:r0 + n1, r1:r1 + n2])
    return result


def _blocked(V: np.ndarray, nJ: int, bJ: int) -> np.ndarray:
    """(R, c, nJ bJ) band -> (c, nJ, R, bJ), contiguous."""
    R, c, _ = V.shape
    return np.ascontiguousarray(V.reshape(R, c, nJ, bJ).transpose(1, 2, 0, 3))


def _accumulate(M: np.ndarray, out: np.ndarray, i0: int, R0: int, r1: int, bJ: int, nJ: int) -> None:
    """Add the block products M (c, nJ, k R0, bJ + 2r1) into the padded outputs out (k, rows, width):
    column j' + r1 = J bJ + jj', row i' + r0 = i + o."""
    c = M.shape[0]
    k = M.shape[2] // R0
    M = M.reshape(c, nJ, k, R0, bJ + 2 * r1)
    for o in range(R0):
        rows = out[:, i0 + o:i0 + o + c]                              # (k, c, width)
        part = M[:, :, :, o].transpose(2, 0, 1, 3)                     # (k, c, nJ, bJ + 2 r1)
        rows[:, :, :nJ * bJ].reshape(k, c, nJ, bJ)[...] += part[..., :bJ]
        if r1 > 0:
            rows[:, :, bJ:].reshape(k, c, nJ, bJ)[..., :2 * r1] += part[..., bJ:]
