"""Shared test helpers for gaussian_exact: random SPD matrices, hypothesis strategies, a KS test against a
law with atoms."""
import numpy as np
from hypothesis import strategies as st
from scipy import stats


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


def ks_p_with_atoms(samples, law, direction=None):
    """Kolmogorov-Smirnov p-value of `samples` against `law` (anything with ``cdf`` and ``cdf_left``, such as
    gaussian_exact.FinalStepLaw, atoms allowed: DDPM's clipped x_0): D = sup |F_n - F| over both one-sided
    limits at each distinct sample value (ties at an atom count together); p from the distribution of D
    under a continuous law (conservative where F jumps)."""
    x = np.sort(np.asarray(samples, float))
    n = x.size
    values, first = np.unique(x, return_index=True)
    last = np.append(first[1:], n)
    right = np.abs(last / n - law.cdf(values, direction))
    left = np.abs(first / n - law.cdf_left(values, direction))
    return float(stats.kstwo.sf(max(right.max(), left.max()), n))
