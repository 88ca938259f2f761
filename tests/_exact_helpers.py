"""Shared test helpers for gaussian_exact: random SPD matrices and hypothesis strategies."""
import numpy as np
from hypothesis import strategies as st


def random_spd(rng, d, low=0.3, high=2.0):
    """A random SPD matrix with eigenvalues uniform in [low, high] and a random eigenbasis."""
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (q * rng.uniform(low, high, d)) @ q.T


@st.composite
def gaussians(draw, d, low=0.3, high=2.0, mean_scale=1.0):
    from gaussian_exact import Gaussian
    seed = draw(st.integers(0, 2 ** 31 - 1))
    rng = np.random.default_rng(seed)
    return Gaussian(mean_scale * rng.standard_normal(d), random_spd(rng, d, low, high))
