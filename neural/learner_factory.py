"""A user's learner named on the command line or in a sweep spec: ``"module:factory"``.

``make_learner("mypkg.mymod:make_learner", shape, device, **model_kw)`` imports ``mypkg.mymod`` and
returns ``make_learner(shape, device, **model_kw)``: the factory is called with the shape of one
sample (a tuple of int), the torch device the run uses and the run's ``model_kw`` table, and must
return an object of the `neural.Learner` protocol (checked by `check_learner` before any work).
The module must be importable (installed, or on ``PYTHONPATH``). config.json records the spec
string as ``model`` and ``model_kw`` as the learner's settings (`learner_record` adds the
learner's own name and class).
"""
from __future__ import annotations

import importlib
import re

#: "package.module:attribute" (dotted identifiers on both sides of one colon)
FACTORY_PATTERN = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def is_factory_spec(model) -> bool:
    """Whether `model` names a user's learner factory ("module:factory") rather than a toolkit learner.

    Parameters
    ----------
    model : object
        A `RetrainingConfig.model` value.

    Returns
    -------
    bool
        True for a string of the form ``"package.module:factory"``.
    """
    return isinstance(model, str) and FACTORY_PATTERN.match(model) is not None


def import_factory(spec: str):
    """The callable named by ``"module:factory"`` (imported now).

    Parameters
    ----------
    spec : str
        ``"package.module:factory"``; the factory may be a dotted attribute path (``"mod:Class.make"``).

    Returns
    -------
    callable
        The factory.

    Raises
    ------
    ValueError
        If `spec` is not of that form, the module cannot be imported (the import error's message is
        quoted), it has no such attribute, or the attribute is not callable.
    """
    if not is_factory_spec(spec):
        raise ValueError(f"model must be a toolkit learner name or 'package.module:factory', got {spec!r}")
    module_name, attribute = spec.split(":")
    try:
        found = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"model {spec!r}: cannot import module {module_name!r} ({exc}); install it or put it "
                         "on PYTHONPATH") from exc
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise ValueError(f"model {spec!r}: module {module_name!r} has no attribute {attribute!r}")
        found = getattr(found, part)
    if not callable(found):
        raise ValueError(f"model {spec!r}: {attribute!r} is not callable (a factory "
                         "(shape, device, **model_kw) -> neural.Learner)")
    return found


def learner_record(learner) -> dict:
    """What config.json records of the run's learner besides ``model`` and ``model_kw``: its
    `neural.Learner.name` and its class (``"module.QualName"``).

    Parameters
    ----------
    learner : neural.Learner
        The run's learner.

    Returns
    -------
    dict
        ``{"name": str, "class": str}``.
    """
    kind = type(learner)
    return {"name": str(learner.name), "class": f"{kind.__module__}.{kind.__qualname__}"}
