"""Exact forward scores of a grid law, in log space over the full kernel (THEORY.md section 7).

The OU marginal of a law q held on a grid is p_t(x) = int N(x; a_t y, s_t^2 I) q(y) dy (THEORY.md
section 1) and its score is Tweedie's formula
    grad log p_t(x) = (a_t E[y | x] - x) / s_t^2,   E[y | x] under the posterior ~ N(x; a_t y, s_t^2) q(y).
Both are taken by the trapezoid rule over y directly from q at every time t (no semigroup iteration,
so nothing is lost at the box's faces between steps) and in logs: the sum over y is a
log-sum-exp of T(x, y) = -|x - a_t y|^2 / (2 s_t^2) + log q(y) + log w(y), so that far tails, where the
posterior sits many kernel widths away from x and the densities lie far below 1e-308, keep exact
values (a kernel cut at a fixed number of standard deviations drops exactly those terms).

Only the terms within `WINDOW_NATS` of each row's largest term are summed (the rest are below
e^-40 ~ 4e-18 of it). They are found without forming the full matrix: T has increasing differences
in (x, y) (d^2 T / dx dy = a_t / s_t^2 > 0), so for rows x_1 < x < x_2 every source left of the window
of x_1 (and of its argmax) and every source right of the window of x_2 is out of the window of x too;
a block of rows therefore needs only the columns between its first row's first kept column and its
last row's last kept column.

d = 2: the kernel factors over the axes, so the sum is taken in two passes of the same 1-D sums:
over y_0 for every column y_1 (giving log A(x_0, y_1) and E[a y_0 | x_0, y_1]), then over y_1.
Memory is bounded by `MAX_ELEMENTS` per batch of row blocks.
"""
from __future__ import annotations

import math

import numpy as np

from .grid_transition import extrapolate_faces
from .ou import noise_variance, signal_scale

WINDOW_NATS = 40.0          # terms below e^-40 of a row's largest are left out of its sum
ROW_BLOCK = 32              # target rows per block sharing one window of source columns
MAX_ELEMENTS = 4_000_000    # largest batch of kernel terms formed at once
SOURCE_EXTENSION = 0.25     # the source grid runs this share of the box's width beyond each face
GAIN_NATS = 250.0           # largest |log G| of the block product (see log_gaussian_sums)


def log_gaussian_sums(x: np.ndarray, y: np.ndarray, a: float, s2: float, L: np.ndarray, values) -> tuple:
    """For every target x_i and column l: log S_il = log sum_j exp(T_ijl) with
    T_ijl = -(x_i - a y_j)^2 / (2 s2) + L_jl, and the weighted means sum_j exp(T_ijl) V_jl / S_il of each
    V in `values` (module docstring).

    Within a block of rows x_i = x_r + (i - r) dx around its reference row r, T_ijl = T_rjl + alpha_i +
    b (x_i - x_r)(y_j - y_c) (b = a / s2, y_c the window's centre), so the block's sums are one matrix
    product G v with G_ij = exp(b dx dy (i - r)(j - c)), the same for every block, and
    v_jl = exp(T_rjl - max_j T_rjl). Blocks are kept small enough that |log G| <= GAIN_NATS, so that
    terms of v that underflow are below e^-(745 - 2 GAIN_NATS) of every row's largest.

    Parameters
    ----------
    x : (nt,) uniform increasing array
    y : (ns,) uniform increasing array
    a, s2 : float
        Kernel scale and variance (a > 0, s2 > 0).
    L : (ns, m) array
        Log weights (-inf allowed), one column per independent sum.
    values : list of (ns, m) arrays

    Returns
    -------
    (logS, means): logS (nt, m) (-inf where a column has no weight), means a list of (nt, m) arrays
    (0 where logS = -inf).
    """
    nt, (ns, m) = x.shape[0], L.shape
    dxt = float(x[1] - x[0]) if nt > 1 else 1.0
    dys = float(y[1] - y[0])
    b = a / s2
    finite_col = np.any(np.isfinite(L), axis=0)
    Ls = np.where(finite_col[None, :], L, 0.0)          # empty columns: any finite stand-in, masked at the end
    B = min(ROW_BLOCK, nt)
    for _ in range(2):   # the window width depends on the block size, the block size on the window
        nb = -(-nt // B)
        xs = (x[0] + dxt * np.arange(nb * B)).reshape(nb, B)           # the last block runs past x[-1]
        starts = np.append(xs[:, 0], xs[-1, -1])       # the next block's first row bounds this block's last
        lo_all, hi_all = _edges(starts, y, a, s2, Ls)
        lo, hi = lo_all[:-1], np.maximum(hi_all[1:], lo_all[:-1])
        width = int(np.max(hi - lo)) + 1
        fit = int(GAIN_NATS / max(b * dxt * dys * 0.25 * width, 1e-300))
        if fit >= B:
            break
        B = max(1, fit)
    r, c = B // 2, width // 2
    G = np.exp(b * dxt * dys * np.outer(np.arange(B) - r, np.arange(width) - c))     # (B, W)
    off = np.arange(width)
    logS = np.empty((nb, B, m))
    means = [np.empty((nb, B, m)) for _ in values]
    step = max(1, MAX_ELEMENTS // (width * m * (1 + len(values))))
    xr = xs[:, r]                                                      # reference rows (nb,)
    for b0 in range(0, nb, step):
        sl = slice(b0, min(nb, b0 + step))
        idx = lo[sl, None] + off[None, :]                                   # (k, W)
        valid = idx <= hi[sl, None]
        idx = np.minimum(idx, ns - 1)
        z = xr[sl, None] - a * y[idx]
        T = np.where(valid[..., None], (-0.5 / s2) * (z * z)[..., None] + Ls[idx], -np.inf)   # (k, W, m)
        top = np.max(T, axis=1, keepdims=True)                               # finite: the window holds a kept term
        v = np.exp(T - top)
        S = np.matmul(G, v)                                                 # (k, B, m)
        xi = xs[sl]                                                         # (k, B)
        dxr = xi - xr[sl, None]
        alpha = -(xi * xi - (xr[sl] ** 2)[:, None]) / (2 * s2) + b * dxr * y[idx[:, c]][:, None]
        with np.errstate(divide="ignore"):
            logS[sl] = top[:, 0, None, :] + alpha[..., None] + np.log(S)
        safe = np.where(S > 0, S, 1.0)
        for V, out in zip(values, means):
            out[sl] = np.matmul(G, v * V[idx]) / safe
    logS = logS.reshape(nb * B, m)[:nt]
    logS[:, ~finite_col] = -np.inf
    means = [np.where(np.isfinite(logS), o.reshape(nb * B, m)[:nt], 0.0) for o in means]
    return logS, means


def _edges(xe: np.ndarray, y: np.ndarray, a: float, s2: float, L: np.ndarray) -> tuple:
    """First and last source indices whose terms are within WINDOW_NATS of their row's largest, for the
    rows xe, over all columns together."""
    lo = np.empty(xe.shape[0], dtype=int)
    hi = np.empty(xe.shape[0], dtype=int)
    ns, m = L.shape
    step = max(1, MAX_ELEMENTS // max(1, ns * m))
    for i0 in range(0, xe.shape[0], step):
        z = xe[i0:i0 + step, None] - a * y[None, :]
        T = (-0.5 / s2) * (z * z)[:, :, None] + L[None]            # (c, ns, m)
        keep = np.any(T >= np.max(T, axis=1, keepdims=True) - WINDOW_NATS, axis=2)   # (c, ns)
        lo[i0:i0 + step] = np.argmax(keep, axis=1)
        hi[i0:i0 + step] = ns - 1 - np.argmax(keep[:, ::-1], axis=1)
    return lo, hi


def log_forward_and_score(axes, log_density: np.ndarray, t: float) -> tuple:
    """log p_t and the score grad log p_t at the grid nodes (module docstring).

    The box is open: log q is continued beyond each face by `SOURCE_EXTENSION` of the box's width with
    the quadratic fitted next to the face (`grid_transition.extrapolate_faces`; exact for Gaussian
    tails), so that the posterior of a node next to a face is not cut by the face.

    Parameters
    ----------
    axes : sequence of 1 or 2 uniform increasing arrays
        The grid (targets and sources alike).
    log_density : array of the grid's shape
        log q at the nodes (-inf where q = 0).
    t : float > 0
        The OU time.

    Returns
    -------
    (log p_t, score): arrays of shapes `shape` and `shape + (d,)`.
    """
    a, s2 = signal_scale(t), noise_variance(t)
    ext = [max(1, int(SOURCE_EXTENSION * (x.size - 1))) for x in axes]
    ys = [_extended_axis(x, e) for x, e in zip(axes, ext)]
    logw = [np.log(np.full(y.size, y[1] - y[0])) for y in ys]
    if len(axes) == 1:
        x, y = axes[0], ys[0]
        L = (extrapolate_faces(log_density, ext[0], 2, never_rising=True) + logw[0])[:, None]
        logp, (ybar,) = log_gaussian_sums(x, y, a, s2, L, [y[:, None]])
        logp = logp[:, 0] - 0.5 * math.log(2 * math.pi * s2)
        return logp, ((a * ybar[:, 0] - x) / s2)[:, None]
    (x0, x1), (y0, y1) = axes, ys
    L = extrapolate_faces(extrapolate_faces(log_density, ext[0], 2, True).T, ext[1], 2, True).T     # (m0, m1)
    L = L + logw[0][:, None] + logw[1][None, :]
    # pass 1, over y_0 for every column y_1: log A(x_0, y_1), E[y_0 | x_0, y_1]
    logA, (m0,) = log_gaussian_sums(x0, y0, a, s2, L, [np.broadcast_to(y0[:, None], L.shape)])
    # pass 2, over y_1 for every row x_0
    logS, (e0, e1) = log_gaussian_sums(x1, y1, a, s2, logA.T, [m0.T, np.broadcast_to(y1[:, None], (y1.size, x0.size))])
    logp = logS.T - math.log(2 * math.pi * s2)
    score = np.stack([(a * e0.T - x0[:, None]) / s2, (a * e1.T - x1[None, :]) / s2], axis=-1)
    return logp, score


def _extended_axis(x: np.ndarray, extra: int) -> np.ndarray:
    dx = x[1] - x[0]
    return np.concatenate([x[0] - dx * np.arange(extra, 0, -1), x, x[-1] + dx * np.arange(1, extra + 1)])
