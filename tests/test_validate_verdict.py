import numpy as np
import pytest

from validate.checks.verdict import ABSURD, HOLDS, INCONCLUSIVE, VACUOUS, VIOLATED, overall, vacuous_reasons, verdicts


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


def test_nan_is_vacuous_and_overall():
    v, _ = verdicts([np.nan, 1.0], 2.0, "upper")
    assert list(v) == [VACUOUS, HOLDS]  # control: the finite row still holds
    assert overall(v) == VACUOUS
    assert overall([HOLDS, INCONCLUSIVE]) == INCONCLUSIVE
    assert overall([HOLDS, VIOLATED, INCONCLUSIVE, VACUOUS]) == VIOLATED
    assert overall([HOLDS, INCONCLUSIVE, VACUOUS]) == VACUOUS
    assert overall([HOLDS, HOLDS]) == HOLDS


def test_bad_side():
    with pytest.raises(ValueError, match="side"):
        verdicts(1.0, 1.0, "sideways")


def test_infinite_on_either_side_is_vacuous_never_holds():
    """issue 20: inf == inf (an infinite chi2 on both sides) and inf against a finite bound say nothing."""
    v, _ = verdicts([np.inf, np.inf, 1.0], [np.inf, 1.0, np.inf], "equal")
    assert list(v) == [VACUOUS] * 3
    v, _ = verdicts([np.inf, 1.0, -np.inf], [1.0, 2.0, 0.0], "upper")
    assert list(v) == [VACUOUS, HOLDS, VACUOUS]


@pytest.mark.parametrize("side", ["upper", "lower", "equal"])
def test_absurd_magnitudes_are_vacuous_and_the_threshold_is_sharp(side):
    """|x| > 1e12 on either side is vacuous (the grid's box integral of a divergent chi2, 3.2e278,
    against a bound of 3.4e-4); just below the threshold the ordinary rule decides (control)."""
    big, fine = 3.2e278, 0.999 * ABSURD
    v, _ = verdicts([big, 1.0, -big, fine], [3.4e-4, big, 0.0, fine], side)
    assert list(v[:3]) == [VACUOUS] * 3
    assert v[3] == HOLDS  # fine == fine: sane numbers, the ordinary rule


def test_vacuous_reasons_name_the_side_and_value():
    r = vacuous_reasons([np.inf, 1.0, 2e13, 1.0], [1.0, np.nan, 1.0, 2.0])
    assert "measured" in r[0] and "inf" in r[0]
    assert "bound" in r[1] and "nan" in r[1]
    assert "measured" in r[2] and "2e+13" in r[2]
    assert r[3] == ""
