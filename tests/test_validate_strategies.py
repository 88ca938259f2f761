import numpy as np
from hypothesis import given, strategies as st

from validate.testing.strategies import alphas, spd_matrices, vectors


@given(st.integers(1, 5).flatmap(lambda d: spd_matrices(d, 0.3, 1.7)))
def test_spd_matrices_have_the_promised_spectrum(cov):
    eig = np.linalg.eigvalsh(cov)
    assert np.allclose(cov, cov.T)
    assert eig.min() >= 0.3 - 1e-9
    assert eig.max() <= 1.7 + 1e-9


@given(vectors(3, 2.0), alphas(0.1, 0.9))
def test_vectors_and_alphas_in_range(v, a):
    assert v.shape == (3,) and np.all(np.abs(v) <= 2.0)
    assert 0.1 <= a <= 0.9
