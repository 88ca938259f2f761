"""The learner interface of the retraining loop (THEORY.md §2, §6): what `neural.Retraining` asks of a
score model, and the check that an object provides it.

A learner fits a score model ``score(x, t) -> grad log p_t(x)`` (THEORY.md §1, OU time) to a training
set, records its last fit as a state dict, and can restore a stored fit. The toolkit's learners
(`neural.learners`: the KDE, the MLP and the U-Net) implement it; a user's learner needs no base
class, only these members (`typing.Protocol`, checked by `check_learner` before any work).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

#: the members `check_learner` demands (methods and attributes)
LEARNER_METHODS = ("fit", "state_dict", "load_state_dict")
LEARNER_ATTRIBUTES = ("name", "reusable", "warm_start", "kernel_bandwidth")


@runtime_checkable
class Learner(Protocol):
    """A score learner of the retraining loop.

    Attributes
    ----------
    name : str
        What config.json and checkpoints record as the model ("kde", "mlp", "unet", or a user's name).
    reusable : bool
        Whether a stored fit (`state_dict` of an earlier run) may stand in for fitting again when the
        fit is the same computation (same training batch, same seeds): true when `fit` depends only
        on its arguments and `load_state_dict` restores it exactly; false for a warm start (the fit
        depends on the previous one) and for learners whose state is their training set.
    warm_start : bool
        Whether `fit` continues from the previous fit; such a run cannot be resumed from disk.
    kernel_bandwidth : float or None
        h when the fitted score is exactly the OU score of the Gaussian KDE
        ``(1/n) sum_j N(x_j, h^2 I)`` of the training set (THEORY.md §4), else None. The loop then
        knows the law of the samples in closed form (`neural.generation_laws.MixtureLaws`).
    """

    name: str
    reusable: bool
    warm_start: bool
    kernel_bandwidth: float | None

    def fit(self, x_train, generator=None, progress: bool = False):
        """Fit on ``x_train`` of shape ``(n,) + shape`` with the random stream `generator` (a torch.Generator);
        return the score model ``score(x, t)``."""

    def state_dict(self) -> dict:
        """The last fit as a dict (saved in each generation's checkpoint)."""

    def load_state_dict(self, state: dict):
        """Restore a fit from `state_dict()`'s output; return its score model."""


def check_learner(learner) -> None:
    """ValueError naming the first member of the `Learner` protocol that `learner` lacks.

    Parameters
    ----------
    learner : object
        A candidate learner.

    Raises
    ------
    ValueError
        If a method of ``LEARNER_METHODS`` is missing or not callable, or an attribute of
        ``LEARNER_ATTRIBUTES`` is missing.
    """
    kind = type(learner).__name__
    for method in LEARNER_METHODS:
        if not callable(getattr(learner, method, None)):
            raise ValueError(f"learner {kind} must have a method {method}() (neural.Learner)")
    for attribute in LEARNER_ATTRIBUTES:
        if not hasattr(learner, attribute):
            raise ValueError(f"learner {kind} must have an attribute {attribute!r} (neural.Learner)")
