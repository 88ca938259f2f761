"""The TV and Hellinger companion laws (THEORY.md section 8) on runs whose distances are estimates.

Kernel learners on a Gaussian-mixture target (`neural.generation_laws.MixtureLaws`, e.g. the 10-D
KDE runs of the paper's protocol) report every distance the laws need (`tv_prev_data`, `tv_p_data`,
`tv_q_data`, `tv_ideal_q`, `tv_p_ideal` and the `hel_*` twins) as Monte Carlo estimates with exact
mixture densities and honest standard errors (`neural.estimators.density_ratio_distances`). The
checks are those of `validate.checks.assumption_suite.companion_checks` (one generation at a time, and
accumulated from the first generation after which alpha stays fixed, seeds pooled), informative:
the laws of a generation's samples are the KDE approximations of neural/retraining.py. The standard
error of a row combines the measured distance's with the bound's, propagated from those of its
estimated inputs (rho_i, epshat2_i, b_i) by the delta method (central differences).

A row whose upper bound is at least 1, the largest TV or Hellinger distance (`bounds.Result.ceiling`),
says nothing and is `vacuous` ("bound >= 1 ..."): with the paper's KDE (epshat2 about 4) that is most
accumulated rows.

Runs whose learned law has no density (networks in high dimension: Gaussian proxies only,
`neural.generation_laws.ProxyLaws`) get one vacuous row per law saying why: TV and Hellinger of a
sampled law have no upper confidence bound from samples alone, and b_i needs the training law's
density.
"""
from __future__ import annotations

import numpy as np

import bounds
from bounds import symbols as S
from validate.checks.assumption_suite import fixed_alpha_from
from validate.checks.check import Check, check
from validate.checks.verdict import VIOLATED, trivial_reason

DISTANCE_KEYS = ("tv_prev_data", "tv_p_data", "tv_q_data", "tv_ideal_q", "tv_p_ideal",
                 "hel_prev_data", "hel_p_data", "hel_q_data", "hel_ideal_q", "hel_p_ideal")
TRIVIAL = trivial_reason(1.0)   # 1 = `bounds.Result.ceiling` of these laws; `check` marks such rows
NOT_COMPUTABLE = ("not computable: this learner's sample law has no density here (Gaussian proxies only), "
                  "TV and Hellinger of a sampled law have no upper confidence bound from samples alone, "
                  "and b_i needs the training law's density")
LAWS = ("tv.step", "tv.accumulation", "hellinger.step", "hellinger.accumulation")


def has_distance_estimates(rows: list[dict]) -> bool:
    """True when every metrics row carries the companion distances and epshat2 with standard errors."""
    return bool(rows) and all(k in r and f"{k}_se" in r for r in rows for k in DISTANCE_KEYS + ("epshat2",))


def bound_stderr(result, part: str, params: dict, stderrs: dict) -> np.ndarray:
    """Standard error of `result`'s bound (`part` "upper"/"lower") propagated from the standard errors of
    its estimated parameters by the delta method, independent errors, central differences."""
    f = result.function(part, validate=False)
    base = np.asarray(f(**params), dtype=float)
    var = np.zeros(base.shape)
    for k, se in stderrs.items():
        x, se = np.asarray(params[k], dtype=float), np.asarray(se, dtype=float)
        if not np.any(se > 0):
            continue
        for idx in np.ndindex(x.shape or ()):
            h = max(1e-7, 1e-4 * abs(float(x[idx])))
            lo, hi = x.copy(), x.copy()
            lo[idx], hi[idx] = max(0.0, float(x[idx]) - h), float(x[idx]) + h
            diff = (np.asarray(f(**{**params, k: hi}), dtype=float) - np.asarray(f(**{**params, k: lo}), dtype=float))
            deriv = diff / (float(hi[idx]) - float(lo[idx]))
            var = var + (deriv * float(np.broadcast_to(se, x.shape)[idx])) ** 2
    return np.sqrt(var)


def _law_check(result, measured, measured_se, params, stderrs, gens, name, z, note=""):
    """`check` of an upper-bound law with the combined standard error (a bound at the law's ceiling,
    `bounds.Result.ceiling` = 1, is vacuous there)."""
    se = np.sqrt(np.asarray(measured_se, dtype=float) ** 2 + bound_stderr(result, "upper", params, stderrs) ** 2)
    return check(result, measured, params, se, generations=gens, binding=False, z=z, name=name,
                 note=note, sources={"measured": "estimate", "bound": "estimate"})


def _merge(checks: list[Check], name: str) -> Check:
    """One check from the per-seed checks of the same law (rows concatenated)."""
    first = checks[0]
    first.rows = [row for c in checks for row in c.rows]
    first.name = name
    return first


def companion_estimate_checks(row_lists: list[list[dict]], tag: str, z: float = 2.0) -> list[Check]:
    """The TV and Hellinger laws on a group of runs (one metrics-row list per seed) with estimated
    distances, informative (module docstring); empty when the rows lack the estimates."""
    row_lists = [rows for rows in row_lists if has_distance_estimates(rows)]
    if not row_lists:
        return []
    cat = bounds.catalog()
    note = "distances by Monte Carlo with exact mixture densities (KDE output laws); bound errors by the delta method"
    found: list[Check] = []
    for rows in row_lists:
        col = lambda k: np.array([float(r[k]) for r in rows])  # noqa: E731
        se = lambda k: np.nan_to_num(np.array([float(r.get(f"{k}_se") or 0.0) for r in rows]))  # noqa: E731
        gens = np.array([int(r["generation"]) for r in rows])
        alpha, eps, eps_se = col("fresh_fraction"), col("epshat2"), se("epshat2")
        one = np.ones(len(rows), dtype=int)
        for d, law, bias, start in (("tv", "tv", "tv_bias", "tv0"), ("hel", "hellinger", "hel_bias", "hel0")):
            found += _mix_check(cat, law, d, col, se, alpha, gens, z)
            found += _law_check(cat[f"{law}.step"], col(f"{d}_p_ideal"), se(f"{d}_p_ideal"), {"epshat2": eps},
                                {"epshat2": eps_se}, gens, f"{law}.step", z, note)
            params = {"alpha": alpha, "epshat2": eps[:, None], bias: col(f"{d}_ideal_q")[:, None],
                      start: col(f"{d}_prev_data"), "N": one}
            found += _law_check(cat[f"{law}.accumulation"], col(f"{d}_p_data"), se(f"{d}_p_data"), params,
                                {"epshat2": eps_se[:, None], bias: se(f"{d}_ideal_q")[:, None], start: se(f"{d}_prev_data")},
                                gens, f"{law}.accumulation, one generation at a time", z, note)
            i0 = fixed_alpha_from(alpha)
            if len(rows) - i0 >= 2:
                params = {"alpha": float(alpha[i0]), "epshat2": eps[i0:], bias: col(f"{d}_ideal_q")[i0:],
                          start: float(col(f"{d}_prev_data")[i0]), "N": np.arange(1, len(rows) - i0 + 1)}
                found += _law_check(cat[f"{law}.accumulation"], col(f"{d}_p_data")[i0:], se(f"{d}_p_data")[i0:], params,
                                    {"epshat2": eps_se[i0:], bias: se(f"{d}_ideal_q")[i0:],
                                     start: float(se(f"{d}_prev_data")[i0])},
                                    gens[i0:], f"{law}.accumulation from generation {i0}", z, note)
    by_name: dict[str, list[Check]] = {}
    for c in found:
        by_name.setdefault(c.name, []).append(c)
    return [_merge(cs, f"{name}{tag}") for name, cs in by_name.items()]


def _mix_check(cat, law, d, col, se, alpha, gens, z) -> list[Check]:
    """`tv.mix` (an identity) or `hellinger.mix` (an upper bound), both sides estimated."""
    result, param = cat[f"{law}.mix"], ("tv" if law == "tv" else "hel")
    params = {"alpha": alpha, param: col(f"{d}_prev_data")}
    part = "expression" if law == "tv" else "upper"
    total = np.sqrt(se(f"{d}_q_data") ** 2 + bound_stderr(result, part, params, {param: se(f"{d}_prev_data")}) ** 2)
    src = {"measured": "estimate", "bound": "estimate"}
    out = check(result, col(f"{d}_q_data"), params, total, generations=gens, binding=False, z=z, atol=1e-12, sources=src)
    rho = col(f"{d}_prev_data")
    keep = (law == "tv") & (rho > 10 * se(f"{d}_prev_data")) & (alpha > 0) & (alpha < 1)
    if np.any(keep):   # the discount of chi2 put on TV: must fail where rho_g is well above its error
        mutated = result.substitute(1 - S.alpha, (1 - S.alpha) ** 2)
        out += check(mutated, col(f"{d}_q_data")[keep], {"alpha": alpha[keep], param: rho[keep]}, total[keep],
                     generations=gens[keep], binding=False, z=z, expect=VIOLATED, sources=src,
                     name="control: tv.mix with (1-alpha)^2")
    return out


def not_computable_checks(tag: str, generations) -> list[Check]:
    """One vacuous row per companion law saying why it cannot be checked on a run without densities."""
    cat = bounds.catalog()
    gens = np.asarray(generations, dtype=int)
    nan = np.full(gens.shape, np.nan)
    out = []
    for law in LAWS:
        params = {"epshat2": nan} if law.endswith("step") else \
            {"alpha": nan, "epshat2": nan[:, None], "tv_bias" if law.startswith("tv") else "hel_bias": nan[:, None],
             "tv0" if law.startswith("tv") else "hel0": nan, "N": np.ones(gens.shape, dtype=int)}
        out += check(cat[law], nan, params, generations=gens, binding=False,
                     vacuous=np.full(gens.shape, NOT_COMPUTABLE, dtype=object), name=f"{law}{tag}",
                     sources={"measured": "estimate", "bound": "estimate"})
    for c in out:
        for row in c.rows:
            row["reason"] = NOT_COMPUTABLE   # the reason itself, not the NaN it leaves on both sides
    return out


__all__ = ["bound_stderr", "companion_estimate_checks", "has_distance_estimates", "not_computable_checks"]
