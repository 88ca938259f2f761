"""Products of blocks (THEORY.md section 7): a 3-D Gaussian that factors as a 1-D block times a 2-D block,
with an error that keeps the factoring, against the closed-form 3-D Gaussian engine run as one law."""
import numpy as np
import pytest

from gaussian_exact import (AffineError, BlockResult, Gaussian, GridLaw, block_result, chi2, combine_blocks, kl,
                            observability, path_energy, reverse)

T, T0, K = 4.0, 0.02, 100


def test_one_by_two_block_product_matches_the_three_dimensional_closed_form():
    S2 = np.array([[0.36, 0.08], [0.08, 0.5]])
    m1, m2 = np.array([0.2]), np.array([0.3, -0.2])
    W1, W2 = np.array([[-0.15]]), np.array([[-0.1, 0.05], [0.02, 0.08]])
    xi1, xi2 = np.array([0.05]), np.array([-0.04, 0.03])
    b1 = block_result(GridLaw.mixture([1.0], [m1], [0.5]), AffineError(W=W1, xi=xi1), T, T0, K)
    b2 = block_result(GridLaw.mixture([1.0], [m2], [S2], points=76, bounds=(-6.5, 6.5)),
                      AffineError(W=W2, xi=xi2), T, T0, K)
    total = combine_blocks([b1, b2])
    S = np.zeros((3, 3)); S[0, 0] = 0.5; S[1:, 1:] = S2
    W = np.zeros((3, 3)); W[0, 0] = W1[0, 0]; W[1:, 1:] = W2
    g, err = Gaussian(np.concatenate([m1, m2]), S), AffineError(W=W, xi=np.concatenate([xi1, xi2]))
    learned, ideal = reverse(g, err, T, T0, K), reverse(g, None, T, T0, K)
    exact = {"kl": kl(learned, ideal), "chi2": chi2(learned, ideal),
             "eps2": path_energy(g, err, T, T0, "ideal", K), "epshat2": path_energy(g, err, T, T0, "learned", K),
             "eta": observability(g, err, T, T0, K)}
    for name, value in exact.items():
        assert abs(getattr(total, name) - value) <= 1e-4 * abs(value), name
    # control: adding chi2 instead of multiplying 1 + chi2 is measurably wrong here
    assert abs((b1.chi2 + b2.chi2) - exact["chi2"]) > 1e-3 * exact["chi2"]


def test_gaussian_blocks_and_multiplicity():
    g = Gaussian([0.0], [0.36])
    err = AffineError(W=-0.1)
    one = block_result(g, err, T, T0, K)
    eight = combine_blocks([BlockResult(one.kl, one.chi2, one.eps2, one.epshat2, one.eta, 8)])
    listed = combine_blocks([one] * 8)
    for name in ("kl", "chi2", "eps2", "epshat2", "eta"):
        assert getattr(eight, name) == pytest.approx(getattr(listed, name), rel=1e-13)
    assert eight.kl == pytest.approx(8 * one.kl) and eight.eta == pytest.approx(one.eta)
    assert 1 + eight.chi2 == pytest.approx((1 + one.chi2) ** 8)
    with pytest.raises(ValueError, match="multiplicity"):
        block_result(g, err, T, T0, K, multiplicity=0)
    with pytest.raises(ValueError, match="at least one"):
        combine_blocks([])
