"""Hypothesis strategies for the Gaussian world (in the spirit of torch-adf's tests/strategies.py).

Exported for users' own property tests: dims, vectors, spd_matrices, gaussians, alphas,
small_affine_errors; for runs with exact grid laws (neural retraining on a 1-D target, THEORY.md
section 7): mixtures_1d, grid_learners, injected_errors, grid_run_configs.

Covariances are built as Q diag(lam) Q^T with Q orthogonal (QR of a drawn matrix) and
eigenvalues lam in [min_eig, max_eig], so conditioning is controlled and every draw is SPD.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from gaussian_exact import AffineError, Gaussian
from neural.retraining import RetrainingConfig

_finite = dict(allow_nan=False, allow_infinity=False)


def dims(min_dim: int = 1, max_dim: int = 4):
    """Dimensions in [min_dim, max_dim].

    Parameters
    ----------
    min_dim, max_dim : int
        The range (defaults 1 and 4).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Integers.
    """
    return st.integers(min_value=min_dim, max_value=max_dim)


def vectors(dim: int, scale: float = 1.0):
    """A length-`dim` float vector with entries in [-scale, scale].

    Parameters
    ----------
    dim : int
        Length.
    scale : float
        Largest absolute entry (default 1).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        numpy float vectors.
    """
    return st.lists(st.floats(-scale, scale, **_finite), min_size=dim, max_size=dim).map(
        lambda v: np.asarray(v, dtype=float))


@st.composite
def spd_matrices(draw, dim: int, min_eig: float = 0.2, max_eig: float = 2.0):
    """A symmetric positive-definite `dim x dim` matrix with spectrum in [min_eig, max_eig].

    Parameters
    ----------
    dim : int
        Size.
    min_eig, max_eig : float
        Spectrum range, 0 < min_eig <= max_eig (defaults 0.2 and 2).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        numpy (dim, dim) matrices.

    Raises
    ------
    ValueError
        When drawn, if not 0 < min_eig <= max_eig.
    """
    if not 0 < min_eig <= max_eig:
        raise ValueError(f"need 0 < min_eig <= max_eig, got {min_eig}, {max_eig}")
    raw = np.asarray(draw(st.lists(st.floats(-1, 1, **_finite), min_size=dim * dim, max_size=dim * dim)))
    raw = raw.reshape(dim, dim) + 3.0 * np.eye(dim)  # keeps QR well defined
    q, _ = np.linalg.qr(raw)
    lam = np.asarray(draw(st.lists(st.floats(min_eig, max_eig, **_finite), min_size=dim, max_size=dim)))
    cov = (q * lam) @ q.T
    return 0.5 * (cov + cov.T)


@st.composite
def gaussians(draw, dim: int, mean_scale: float = 1.0, min_eig: float = 0.2, max_eig: float = 2.0):
    """A `gaussian_exact.Gaussian` with a drawn mean and SPD covariance.

    Parameters
    ----------
    dim : int
        Dimension.
    mean_scale : float
        Largest absolute mean entry (default 1).
    min_eig, max_eig : float
        Covariance spectrum range (defaults 0.2 and 2).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        gaussian_exact.Gaussian laws.
    """
    return Gaussian(draw(vectors(dim, mean_scale)), draw(spd_matrices(dim, min_eig, max_eig)))


def alphas(min_alpha: float = 0.0, max_alpha: float = 1.0):
    """A fresh-data fraction in [min_alpha, max_alpha].

    Parameters
    ----------
    min_alpha, max_alpha : float
        The range (defaults 0 and 1).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Floats.
    """
    return st.floats(min_alpha, max_alpha, **_finite)


@st.composite
def small_affine_errors(draw, dim: int, scale: float = 0.1):
    """A constant affine score error e(x, t) = W x + xi with entries of size <= `scale`.

    Parameters
    ----------
    dim : int
        Dimension.
    scale : float
        Largest absolute entry of W and xi (default 0.1).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        gaussian_exact.AffineError values.
    """
    w = np.asarray(draw(st.lists(st.floats(-scale, scale, **_finite), min_size=dim * dim,
                                 max_size=dim * dim))).reshape(dim, dim)
    xi = draw(vectors(dim, scale))
    return AffineError(W=w, xi=xi)


@st.composite
def mixtures_1d(draw, max_components: int = 3, mean_scale: float = 4.0, min_sd: float = 0.4, max_sd: float = 1.0):
    """`make_target("mixture", ...)` keywords of a 1-D Gaussian mixture with 1..max_components
    components: weights >= 0.1 before normalising, means in [-mean_scale, mean_scale], sd in [min_sd, max_sd].

    Parameters
    ----------
    max_components : int
        Most components (default 3).
    mean_scale : float
        Largest absolute mean (default 4).
    min_sd, max_sd : float
        Standard deviation range (defaults 0.4 and 1).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        dicts of weights, means and covs.
    """
    k = draw(st.integers(1, max_components))
    w = np.asarray(draw(st.lists(st.floats(0.1, 1.0, **_finite), min_size=k, max_size=k)))
    means = draw(st.lists(st.floats(-mean_scale, mean_scale, **_finite), min_size=k, max_size=k))
    sds = draw(st.lists(st.floats(min_sd, max_sd, **_finite), min_size=k, max_size=k))
    return {"weights": (w / w.sum()).tolist(), "means": [[m] for m in means], "covs": [s * s for s in sds]}


@st.composite
def grid_learners(draw, min_train_steps: int = 200, max_train_steps: int = 400):
    """(model, model_kw, bandwidth): a KDE with a bandwidth in [0.2, 0.8], or a small MLP (hidden 32 or
    64, depth 1 or 2, min_train_steps..max_train_steps optimizer steps; far fewer leave a score whose
    reverse chain throws mass to ``|x| ~ 30``, beyond any affordable grid).

    Parameters
    ----------
    min_train_steps, max_train_steps : int
        Range of the MLP's optimizer steps (defaults 200 and 400).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        (model, model_kw, bandwidth) tuples.
    """
    if draw(st.booleans()):
        return "kde", {}, draw(st.floats(0.2, 0.8, **_finite))
    kw = {"hidden": draw(st.sampled_from([32, 64])), "depth": draw(st.integers(1, 2)),
          "steps": draw(st.integers(min_train_steps, max_train_steps)), "batch_size": 128}
    return "mlp", kw, 0.6


def injected_errors(max_size: float = 0.3):
    """None, or an injected score error {"type": aligned | random | time_only, "size": w}, ``|w| <= max_size``.

    Parameters
    ----------
    max_size : float
        Largest absolute size (default 0.3).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        None or dicts.
    """
    return st.one_of(st.none(), st.fixed_dictionaries({
        "type": st.sampled_from(["aligned", "random", "time_only"]),
        "size": st.floats(-max_size, max_size, **_finite)}))


@st.composite
def grid_run_configs(draw, generations=(2, 3), steps: int = 20, n_range=(200, 2000)):
    """A `neural.retraining.RetrainingConfig` of a short CPU run with exact grid laws: a 1-D mixture
    target, alpha in [0.05, 0.95], n in n_range, a learner and optionally an injected error.

    Parameters
    ----------
    generations : tuple of int
        Choices of the number of generations (default (2, 3)).
    steps : int
        Euler-Maruyama steps (default 20).
    n_range : tuple of int
        Range of the training set size (default (200, 2000)).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        neural.retraining.RetrainingConfig values.
    """
    model, model_kw, bandwidth = draw(grid_learners())
    return RetrainingConfig(target="mixture", target_kw=draw(mixtures_1d()), model=model, model_kw=model_kw,
                            bandwidth=bandwidth, alpha=draw(alphas(0.05, 0.95)),
                            n=draw(st.integers(*n_range)), generations=draw(st.integers(*generations)),
                            steps=steps, seed=draw(st.integers(0, 2 ** 16)), device="cpu", exact="grid",
                            injected_error=draw(injected_errors()))
