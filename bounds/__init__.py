"""The paper's results (arXiv 2602.16601; THEORY.md §3) as derived, printable, lambdified SymPy.

sympy + numpy only; imports no other package of this project.

* `catalog()`: every result as a `Result` keyed by id ("prop3.1", "prop3.3", "prop3.3b", "thm3.4",
  "lemmaF.1", "identity", "innovation", "innovation.J", "prop4.1", "prop4.1.i", "thm4.2").
* accumulation: `accumulated`, `drift_path`, `drift_envelope`, `contributions`, `memory_horizon`,
  `steady_state`, `closed_form_function`; symbolic `recursion.closed_form`, `recursion.limits`.
* `collapse_floor` (Prop 4.1 (ii)), `regime`.
* numeric fallback of unfinished closed forms: `numeric_fallback_note`, `schedule_limit`.
* companion laws of THEORY.md §8 (catalog ids "tv.*", "hellinger.*", "renyi.*"): `discounts`,
  `discount_table`, `companion_controls` (mutations that must fail), `companion_proofs` (proof rows).
* the limit law of THEORY.md §5 (reconstructed; `limit_law`, catalog ids "limit.*"):
  `limit_multipliers`, `hermite_multiplier`, `variance_fixed_point`, `annealed_deviation_bound`,
  `w2_ball_radius`.
* proof checks: `perturbative` (constants 1/4, 4), `proofs` (Lemma F.1, identity, innovation),
  `floor.derive_floor` (innovation -> Prop 4.1 floor).
"""
from . import symbols
from .accumulation import (accumulated, closed_form_function, contributions, drift_envelope,
                           drift_path, memory_horizon, steady_state)
from .catalog import catalog, mutated
from .companion_controls import controls as companion_controls
from .companion_proofs import companion_proofs
from .discounts import discount_table, discounts
from .collapse_floor import collapse_floor
from .numeric_fallback import LimitValue, numeric_fallback_note, schedule_limit
from .limit_law import (annealed_deviation_bound, hermite_multiplier, limit_multipliers, variance_fixed_point,
                        w2_ball_radius)
from .regime import Regime, regime
from .result import Result

__all__ = [
    "Regime", "Result", "accumulated", "catalog", "closed_form_function", "collapse_floor",
    "contributions", "drift_envelope", "drift_path", "memory_horizon", "mutated", "regime",
    "steady_state", "symbols",
]
__all__ += ["LimitValue", "numeric_fallback_note", "schedule_limit"]
__all__ += ["companion_controls", "companion_proofs", "discount_table", "discounts"]  # THEORY.md §8 companion laws  # numeric fallback of unfinished closed forms
__all__ += ["annealed_deviation_bound", "hermite_multiplier", "limit_multipliers", "variance_fixed_point",
            "w2_ball_radius"]  # THEORY.md §5, the limit law (reconstructed)
