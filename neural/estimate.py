"""One result type for an estimated quantity, and its one serialisation into a metrics line.

An `Estimate` is a value with its standard error (None when the estimator gives none, e.g. a
Gaussian proxy or an exact quadrature), the number of draws or paths it averages (None when not a
sample mean) and the estimator's name (what it estimates and how, e.g.
"mc_ideal_paths_riemann_K50_vs_exact_training_mixture"). In a metrics line (neural.run_store) the
estimate of quantity ``name`` is the three keys ``name``, ``name_se``, ``name_estimator``
(`metric_fields`), which the report code reads.
"""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Estimate:
    """An estimate of one quantity.

    Attributes
    ----------
    value : float
        The estimate (``inf`` where the quantity is infinite).
    se : float or None
        Its standard error, or None when the estimator has none.
    n : int or None
        Draws or paths averaged, or None.
    estimator : str
        The estimator's name.
    """

    value: float
    se: float | None
    n: int | None
    estimator: str

    def named(self, estimator: str) -> Estimate:
        """The same estimate under another estimator name (e.g. with the reference law appended)."""
        return replace(self, estimator=estimator)


def metric_fields(estimates: dict) -> dict:
    """The metrics-line keys of named estimates: ``{name: value, name_se: se, name_estimator: estimator}``.

    Parameters
    ----------
    estimates : dict of str to Estimate
        The estimates by quantity name (e.g. "eps2", "D_kl").

    Returns
    -------
    dict
        Three keys per estimate, in the order of `estimates`.
    """
    out = {}
    for name, est in estimates.items():
        out[name], out[f"{name}_se"], out[f"{name}_estimator"] = est.value, est.se, est.estimator
    return out
