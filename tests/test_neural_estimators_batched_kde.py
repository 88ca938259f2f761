"""The batched KDE score equals the single-run KDE score of each run (neural.kde_score.KDEScore)
and the brute-force formula, with both kernels (attention, blocked)."""
import math

import pytest
import torch

from neural.kde_score import BatchedKDEScore
from neural.kde_score import KDEScore


@pytest.mark.parametrize("kernel", ["attention", "blocked"])
@pytest.mark.parametrize("t", [0.02, 0.7, 4.0])
def test_batched_kde_score_equals_each_runs_kde_score(t, kernel):
    gen = torch.Generator().manual_seed(0)
    points = torch.randn(3, 50, 4, generator=gen, dtype=torch.float64) * 2
    y = torch.randn(3, 33, 4, generator=gen, dtype=torch.float64)
    got = BatchedKDEScore(points, 0.6, chunk_size=7, kernel=kernel)(y, t)
    for b in range(3):
        assert torch.allclose(got[b], KDEScore(points[b], 0.6)(y[b], t), atol=1e-10)
    a, v = math.exp(-t / 2), math.exp(-t) * 0.36 - math.expm1(-t)
    w = torch.softmax(-((y[0][:, None] - a * points[0][None]) ** 2).sum(-1) / (2 * v), dim=1)
    assert torch.allclose(got[0], (a * w @ points[0] - y[0]) / v, atol=1e-10)


def test_batched_kde_score_rejects_bad_shapes():
    with pytest.raises(ValueError, match="points must"):
        BatchedKDEScore(torch.zeros(4, 3), 0.5)
    with pytest.raises(ValueError, match="y must"):
        BatchedKDEScore(torch.zeros(2, 4, 3), 0.5)(torch.zeros(3, 4, 3), 1.0)
