import numpy as np
import pytest

from validate.checks.bootstrap import bootstrap_mean_ci


def test_interval_covers_the_mean_at_the_promised_rate():
    # 10 runs of N(1, 1) per "generation"; over 400 generations the 90% interval should cover 1
    # about 90% of the time (percentile bootstrap undercovers a little at 10 runs)
    rng = np.random.default_rng(1)
    x = rng.normal(1.0, 1.0, size=(10, 400))
    _, lo, hi = bootstrap_mean_ci(x, level=0.9, n_boot=1000)
    coverage = np.mean((lo <= 1.0) & (1.0 <= hi))
    assert 0.8 <= coverage <= 0.95


def test_width_matches_the_standard_error():
    rng = np.random.default_rng(2)
    x = rng.normal(0.0, 2.0, size=(50, 3))
    mean, lo, hi = bootstrap_mean_ci(x, level=0.9, n_boot=4000)
    se = x.std(axis=0, ddof=1) / np.sqrt(50)
    assert np.allclose(hi - lo, 2 * 1.645 * se, rtol=0.2)
    assert np.allclose(mean, x.mean(axis=0))


def test_one_run_and_bad_level():
    m, lo, hi = bootstrap_mean_ci([[1.0, 2.0]])
    assert np.array_equal(lo, m) and np.array_equal(hi, m)
    with pytest.raises(ValueError, match="level"):
        bootstrap_mean_ci([[1.0]], level=1.5)
