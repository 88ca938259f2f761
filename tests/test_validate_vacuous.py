"""issue 20, point 2: a check on an infinite, NaN or absurd number is `vacuous` with its reason,
never passed and never failed, and counted apart; every check row carries its structured fields.

Each test has a control: the same check on finite, sane numbers still reads `holds` (or, for a
control, `violated`), so the vacuous rule cannot pass by making everything vacuous."""
import numpy as np
import pytest

import bounds
from validate.checks.counts import concerns_run, count_rows, counts_line
from validate.checks.check import SCOPES, SOURCES, Check, attribute, check
from validate.checks.verdict import ABSURD, HOLDS, VACUOUS, VIOLATED

CAT = bounds.catalog()


def _lemma(chi2_q, D, alpha=0.5, **kw):
    (c,) = check(CAT["lemmaF.1"], chi2_q, {"alpha": alpha, "D": D}, rtol=1e-7, **kw)
    return c


def test_infinite_chi2_on_both_sides_is_vacuous_not_passed():
    """(1 - alpha)^2 inf = inf 'holds' as an equality but says nothing: vacuous, with its reason."""
    D = np.array([0.4, np.inf, 0.8])
    c = _lemma(0.25 * D, D)
    assert [r["verdict"] for r in c.rows] == [HOLDS, VACUOUS, HOLDS]
    assert c.verdict == VACUOUS and not c.passed and not c.failed and c.vacuous
    assert "inf" in c.reason and "measured" in c.reason
    ok = _lemma(0.25 * D[[0, 2]], D[[0, 2]])  # control: the finite generations alone hold
    assert ok.verdict == HOLDS and ok.passed and ok.reason == ""


def test_box_integral_of_a_divergent_chi2_is_vacuous():
    """issue 20's rows: limsup D = 3.2e278 against a floor of 3.4e-4 'held'; now vacuous."""
    (c,) = check(CAT["prop4.1"], 3.212e278, {"alpha": 0.1, "eta_floor": 0.5, "eps_floor": 0.01})
    assert c.verdict == VACUOUS and not c.passed and "3.212e+278" in c.reason
    (ok,) = check(CAT["prop4.1"], 0.5, {"alpha": 0.1, "eta_floor": 0.5, "eps_floor": 0.01})
    assert ok.verdict == HOLDS and ok.passed


def test_absurd_fitted_constant_makes_every_row_vacuous():
    """Thm 3.4's upper constant fitted to c = 1.5e15 from one wild generation: vacuous (issue 20:
    c = 6.5e246); a sane run fits c = 5 and holds (control)."""
    eps2, eta = np.full(6, 1e-3), np.full(6, 0.5)
    wild = np.full(6, 4e-3)
    wild[1] = 1.5e9  # finite and below 1e12 itself: only the constant gives it away
    (_, upper) = check(CAT["thm3.4"], wild, {"eps2": eps2, "eta": eta}, fit=("C", "c"))
    assert upper.constants["c"]["value"] > ABSURD
    assert all(r["verdict"] == VACUOUS for r in upper.rows)
    assert upper.verdict == VACUOUS and not upper.passed and "fitted constant c" in upper.reason
    steady = 4 * eps2 + 5 * eps2 ** 2
    (_, ok) = check(CAT["thm3.4"], steady, {"eps2": eps2, "eta": eta}, fit=("C", "c"))
    assert ok.verdict == HOLDS and ok.passed


def test_divergent_integral_reason_given_by_the_caller():
    """A finite-looking number from a divergent integral (a box value) is vacuous when the caller
    says why; the row without a reason is judged as usual (control)."""
    D = np.array([0.4, 0.6])
    c = _lemma(0.25 * D, D, vacuous=["", "chi2 diverges: learned law ~ exp(-0.61 |x|), data Gaussian"])
    assert [r["verdict"] for r in c.rows] == [HOLDS, VACUOUS]
    assert "diverges" in c.reason and c.verdict == VACUOUS and not c.passed


def test_a_vacuous_control_neither_passes_nor_fails():
    mutated = CAT["lemmaF.1"].substitute((1 - bounds.symbols.alpha) ** 2, 1 - bounds.symbols.alpha)
    (bad,) = check(mutated, [np.inf], {"alpha": 0.5, "D": [np.inf]}, expect=VIOLATED)
    assert bad.verdict == VACUOUS and not bad.passed and not bad.failed
    (good,) = check(mutated, [0.1], {"alpha": 0.5, "D": [0.4]}, expect=VIOLATED)  # control
    assert good.verdict == VIOLATED and good.passed


def test_a_real_violation_outweighs_vacuous_rows():
    D = np.array([0.4, np.inf, 0.8])
    c = _lemma(np.array([0.1, np.inf, 0.3]), D)  # generation 2: 0.3 != 0.2
    assert c.verdict == VIOLATED and c.failed


def test_counts_keep_vacuous_proof_and_example_rows_apart():
    D = np.array([0.4, 0.8])
    run = attribute([_lemma(0.25 * D, D), _lemma([0.1, np.inf], [0.4, np.inf])], scope="run",
                    run={"directory": "RUN", "learner": "mlp", "target": "gmm1d"})
    example = attribute([_lemma(0.1, 0.4)], scope="example")
    proof = [Check("proof: x", "lemmaF.1", "equal", _lemma(0.1, 0.4).rows, proof=True)]
    counts = count_rows([c.summary_row() for c in run + example + proof])
    assert counts["run_binding"] == {"passed": 1, "failed": 0, "inconclusive": 0, "vacuous": 1}
    assert counts["proof"] == {"passed": 1, "total": 1} and counts["example"] == {"passed": 1, "total": 1}
    assert concerns_run(counts)
    line = counts_line(counts)
    assert "1 passed" in line and "vacuous: 1 (measured not finite: 1)" in line and "proof rows: 1/1" in line
    only_vacuous = count_rows([c.summary_row() for c in run[1:] + example + proof])
    assert only_vacuous["run_binding"]["passed"] == 0 and not concerns_run(only_vacuous)


def test_structured_fields_and_their_validation():
    (c,) = check(CAT["prop3.1"], [0.01, 0.02], {"epshat2": [0.1, 0.1]}, stderr=[0.001, 0.001],
                 generations=[3, 4])
    attribute([c], run={"directory": "/r", "learner": "kde", "target": "gmm"})
    row = c.summary_row()
    assert row["scope"] == "run" and row["run"] == "/r" and row["learner"] == "kde" and row["target"] == "gmm"
    assert row["generations"] == [3, 4]
    assert row["sources"] == {"measured": "estimate", "bound": "exact"}
    assert set(row["sources"].values()) <= set(SOURCES) and row["scope"] in SCOPES
    with pytest.raises(ValueError, match="scope"):
        attribute([c], scope="everything")
    with pytest.raises(ValueError, match="sources"):
        Check("x", "prop3.1", "upper", sources={"measured": "guessed"})
    assert Check("p", "lemmaF.1", "equal", proof=True).scope == "proof"


def test_a_control_violated_on_sane_rows_but_vacuous_on_others_is_not_passed():
    """Its violation on the sane rows is real, but a pass must not rest on a check holding an
    infinite number: it is counted vacuous."""
    mutated = CAT["lemmaF.1"].substitute((1 - bounds.symbols.alpha) ** 2, 1 - bounds.symbols.alpha)
    (c,) = check(mutated, [0.1, np.inf], {"alpha": 0.5, "D": [0.4, np.inf]}, expect=VIOLATED)
    assert c.verdict == VIOLATED and not c.passed and not c.failed and c.vacuous_rows == 1
    assert count_rows([c.summary_row()])["run_binding"]["vacuous"] == 1


def test_reason_kinds_group_without_numbers_or_row_counts():
    from validate.checks.verdict import reason_kind, summarize_reasons

    joined = summarize_reasons(["measured = 6.8e+283 (above 1e+12)", "measured = 2.5e+284 (above 1e+12)", ""])
    assert joined == "measured = 6.8e+283 (above 1e+12) [2 rows]"
    assert reason_kind(joined) == reason_kind("measured = 1e+13 (above 1e+12)") == "measured above 1e+12"
    assert reason_kind("measured = inf (not finite)") != reason_kind("bound = inf (not finite)")  # control
