import numpy as np
import pytest

from validate.checks.verdict import HOLDS, INCONCLUSIVE, VIOLATED, overall, verdicts


def test_upper_bound_three_outcomes():
    v, m = verdicts([1.0, 1.9, 3.0], 2.0, "upper", stderr=0.2)
    assert list(v) == [HOLDS, INCONCLUSIVE, VIOLATED]
    assert np.allclose(m, [1.0, 0.1, -1.0])


def test_lower_bound_mirrors_upper():
    v, _ = verdicts([3.0, 2.1, 1.0], 2.0, "lower", stderr=0.2)
    assert list(v) == [HOLDS, INCONCLUSIVE, VIOLATED]


def test_exact_measurement_is_never_inconclusive():
    v, _ = verdicts([1.0, 2.0 + 1e-13, 2.5], 2.0, "upper")
    assert list(v) == [HOLDS, HOLDS, VIOLATED]


def test_equality_with_tolerance():
    v, _ = verdicts([1.0, 1.0 + 1e-12, 1.1], 1.0, "equal")
    assert list(v) == [HOLDS, HOLDS, VIOLATED]


def test_nan_is_inconclusive_and_overall():
    v, _ = verdicts([np.nan, 1.0], 2.0, "upper")
    assert v[0] == INCONCLUSIVE
    assert overall(v) == INCONCLUSIVE
    assert overall([HOLDS, VIOLATED, INCONCLUSIVE]) == VIOLATED
    assert overall([HOLDS, HOLDS]) == HOLDS


def test_bad_side():
    with pytest.raises(ValueError, match="side"):
        verdicts(1.0, 1.0, "sideways")


def test_infinite_on_both_sides_is_equal_and_inf_vs_finite_is_not():
    v, _ = verdicts([np.inf, np.inf], [np.inf, 1.0], "equal")
    assert list(v) == [HOLDS, VIOLATED]
    v, _ = verdicts([np.inf], [1.0], "upper")
    assert list(v) == [VIOLATED]
