"""neural.estimators.density_ratio_distances against TV and Hellinger computed by quadrature
(independent of the estimator), with the honesty of its standard errors measured over seeds."""
import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from neural.estimators import density_ratio_distances

P, Q = stats.norm(0.0, 1.0), stats.norm(0.7, 1.3)


def _log(law):
    return lambda x: torch.as_tensor(law.logpdf(x.numpy()), dtype=torch.float64)


def _exact():
    tv = integrate.quad(lambda x: abs(P.pdf(x) - Q.pdf(x)) / 2, -30, 30, points=[-3.0, 0.0, 3.0], limit=200)[0]
    bc = integrate.quad(lambda x: math.sqrt(P.pdf(x) * Q.pdf(x)), -30, 30, limit=200)[0]
    return tv, math.sqrt(1 - bc)


def test_unbiased_with_honest_standard_errors():
    tv, hel = _exact()
    z_tv, z_hel = [], []
    for seed in range(200):
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(2000, generator=g, dtype=torch.float64)
        r = density_ratio_distances(x, _log(P), _log(Q))
        z_tv.append((r["tv"] - tv) / r["tv_se"])
        z_hel.append((r["hel"] - hel) / r["hel_se"])
    for z in (np.array(z_tv), np.array(z_hel)):
        assert abs(z.mean()) < 0.25          # bias below a quarter of a standard error (200 seeds: se 0.07)
        assert 0.85 < z.std() < 1.15         # the reported standard error is the actual spread


def test_equal_laws_give_zero():
    x = torch.randn(500, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    r = density_ratio_distances(x, _log(P), _log(P))
    assert r["tv"] == 0.0 and r["tv_se"] == 0.0
    assert abs(r["hel2"]) < 1e-15 and r["hel"] == 0.0


def test_disjoint_support_gives_one():
    x = torch.rand(100, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    r = density_ratio_distances(x, lambda y: torch.zeros_like(y), lambda y: torch.full_like(y, -math.inf))
    assert r["tv"] == 1.0 and r["hel"] == 1.0


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_bad_log_density_is_an_error(bad):
    x = torch.zeros(4, dtype=torch.float64)
    with pytest.raises(ValueError, match="log_p and log_q"):
        density_ratio_distances(x, lambda y: torch.full_like(y, bad), lambda y: torch.zeros_like(y))


def test_needs_two_draws():
    with pytest.raises(ValueError, match="x_p"):
        density_ratio_distances(torch.zeros(1), lambda y: y, lambda y: y)
