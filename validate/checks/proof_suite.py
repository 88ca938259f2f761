"""The symbolic proof checks as verdict rows (kind "proof"), beside the numeric checks of a run.

Each row is a statement proved (or refuted) by SymPy for arbitrary densities or symbolic
parameters, from `bounds.proofs`, `bounds.perturbative` and `bounds.floor` (THEORY.md §3):

* Lemma F.1 and the one-step identity: pointwise for arbitrary positive densities, and integrated
  on three non-Gaussian densities on [0, 1];
* the innovation inequalities (alpha I <= J, D_{i+1} + (1-alpha)^2 D_i >= alpha/2 I): pointwise,
  by a machine-checked certificate of nonnegative terms;
* the constants the paper states, derived: 1/4 and 4 from the proof skeleton, 1/8 from the first
  form of Prop 3.3, the Prop 4.1 floor alpha eta eps / (16 (1 + (1-alpha)^2)) from the innovation
  inequality.

Controls (must be refuted): Lemma F.1 with (1-alpha), the identity without its factor 2, the
innovation with alpha I for alpha/2 I, Thm 3.4 with 26/100 for 1/4, a floor with 15 for 16.
"""
from __future__ import annotations

import functools

import sympy as sp

import bounds
from bounds import symbols as S
from bounds.floor import derive_floor
from bounds.perturbative import derive, matches_skeleton, second_form_coefficient
from bounds.proofs import equality_holds, integrated_equality_holds, lower_bound_holds
from validate.checks.check import Check, verdict_rows
from validate.checks.verdict import HOLDS, VIOLATED

#: Prop 4.1 (ii) as the paper states it (THEORY.md §3), against which the derivation is checked
STATED_FLOOR = S.alpha * S.eta_floor * S.eps_floor / (16 * (1 + (1 - S.alpha) ** 2))


def proof_check(name: str, result_id: str, proved: bool, note: str, expect: str = HOLDS) -> Check:
    """One proof as a Check: measured 1 when SymPy proves the statement, 0 when it does not.

    Parameters
    ----------
    name : str
        Label of the proof.
    result_id : str
        The catalog id it proves.
    proved : bool
        Whether SymPy proved the statement.
    note : str
        Free text.
    expect : str
        "holds" for a proof, "violated" for its control (default "holds").

    Returns
    -------
    validate.checks.check.Check
        A check of kind "proof" with one row.
    """
    rows = verdict_rows([0], [1.0 if proved else 0.0], 0.0, [1.0], [0.0 if proved else -1.0],
             [HOLDS if proved else VIOLATED])
    return Check(name, result_id, "equal", rows, expect=expect, note=note, proof=True,
                 sources={"measured": "symbolic", "bound": "symbolic"})


def _floor_matches(stated) -> bool:
    cat = bounds.catalog()
    inn = cat["innovation"]
    derived = derive_floor(inn.quantity, inn.lower, cat["prop3.3b"].lower)
    return sp.simplify(derived - stated) == 0


def proof_checks() -> list[Check]:
    """Every symbolic proof and its control (see the module docstring), as fresh checks.

    Returns
    -------
    list of Check
        One row of kind "proof" per statement and per control, in a fixed order; SymPy runs once
        per process, each call returns new `Check` objects.
    """
    return [proof_check(*args) for args in _proofs() + bounds.companion_proofs()]


@functools.lru_cache(maxsize=1)
def _proofs() -> tuple:
    """(name, result id, proved, note, expect) of every proof; SymPy runs once per process."""
    cat = bounds.catalog()
    pert = derive()
    first_form = pert.lower_linear * S.eta * S.eps2 - S.C * S.eps2 ** 2
    a = S.alpha
    lemma_bad = cat["lemmaF.1"].substitute((1 - a) ** 2, 1 - a)
    ident_bad = cat["identity"].substitute(2 * (1 - a) * S.cross, (1 - a) * S.cross)
    innov_bad = cat["innovation"].substitute(a / 2 * S.I, a * S.I)
    thm_bad = cat["thm3.4"].with_coefficient("1/4", "26/100")
    pointwise = "pointwise for arbitrary positive densities"
    integrated = "integrated over [0, 1] on three non-Gaussian densities"
    return (
        ("proof: lemmaF.1", "lemmaF.1", equality_holds(cat["lemmaF.1"]), pointwise, HOLDS),
        ("proof: lemmaF.1 integrated", "lemmaF.1", integrated_equality_holds(cat["lemmaF.1"]), integrated, HOLDS),
        ("proof: identity", "identity", equality_holds(cat["identity"]), pointwise, HOLDS),
        ("proof: identity integrated", "identity", integrated_equality_holds(cat["identity"]), integrated, HOLDS),
        ("proof: innovation (alpha I <= J)", "innovation.J", lower_bound_holds(cat["innovation.J"]),
         pointwise + ", by a certificate of nonnegative terms", HOLDS),
        ("proof: innovation", "innovation", lower_bound_holds(cat["innovation"]),
         pointwise + ", by a certificate of nonnegative terms", HOLDS),
        ("proof: 1/4 and 4 from the skeleton", "thm3.4",
         pert.lower_linear == sp.Rational(1, 4) and pert.upper_linear == 4
         and matches_skeleton(cat["thm3.4"]) and matches_skeleton(cat["prop3.3"]),
         "derived from (a+b)^2 >= a^2/2 - b^2, (a+b)^2 <= 2a^2 + 2b^2 and the moment bounds", HOLDS),
        ("proof: 1/8 from Prop 3.3's first form", "prop3.3b",
         second_form_coefficient(first_form) == sp.Rational(1, 8), "worst case C = eta / (8 eps2)", HOLDS),
        ("proof: Prop 4.1 floor", "prop4.1", _floor_matches(STATED_FLOOR),
         "from the innovation inequality and Prop 3.3b, limsup then delta -> 0", HOLDS),
        ("control: lemmaF.1 with (1-alpha)", "lemmaF.1", equality_holds(lemma_bad), pointwise, VIOLATED),
        ("control: identity with (1-alpha) cross term", "identity", equality_holds(ident_bad), pointwise, VIOLATED),
        ("control: innovation with alpha I", "innovation", lower_bound_holds(innov_bad), pointwise, VIOLATED),
        ("control: thm3.4 with 26/100", "thm3.4", matches_skeleton(thm_bad),
         "against the skeleton's derivation", VIOLATED),
        ("control: Prop 4.1 floor with 15", "prop4.1", _floor_matches(STATED_FLOOR * 16 / 15),
         "against the derivation", VIOLATED),
    )
