"""`TimeGrid`: the one schedule object of the reverse chain (T, t0, steps or explicit times, init).

THEORY.md sections 1 and 7. The reverse process runs in OU time from T down to the early-stopping
time t0; the Euler-Maruyama chain steps along a decreasing grid ``T = t_0 > t_1 > ... > t_K = t0``
(uniform by default, ``t_k = T - k h``, ``h = (T - t0) / K``), started from `init`.

The t0 rule of the whole project: **t0 in [0, T)**. The chain evaluates the score only at the left
end t_k of each step (the last evaluation at t_{K-1} > t0), so t0 = 0 is a well-defined chain, and
in continuous time t0 = 0 is the exact-sampling limit that the annealed schedules of THEORY.md §5
approach; code that divides by s_t at t0 itself (denoising score matching at t = t_min) checks its
own ``t_min > 0`` where it divides. `neural.sde.VPSDE` validates through `check_window`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .validation import count, float_array, real_scalar

MAX_TIME = 1e4       # beyond, the OU process has mixed to N(0, I) to machine precision many times over
MAX_STEPS = 10 ** 6


def check_window(T, t0) -> tuple[float, float]:
    """(T, t0) as floats with 0 < T <= MAX_TIME and t0 in [0, T) (the project's one t0 rule, module
    docstring); ValueError naming T or t0 otherwise."""
    T, t0 = real_scalar("T", T), real_scalar("t0", t0)
    if not math.isfinite(T) or not 0 < T <= MAX_TIME:
        raise ValueError(f"T must be a finite time in (0, {MAX_TIME:g}], got {T}")
    if not math.isfinite(t0) or t0 < 0:
        raise ValueError(f"t0 must be a finite time >= 0 (t0 in [0, T)), got {t0}")
    if t0 >= T:
        raise ValueError(f"t0 must be < T (t0 in [0, T)), got t0={t0}, T={T}")
    return T, t0


def check_init(init):
    """init: "prior", "exact" or a law object (a Gaussian or a GridLaw, checked where it is used)."""
    if isinstance(init, str) and init not in ("prior", "exact"):
        raise ValueError(f"init must be 'prior', 'exact' or a law, got {init!r}")
    if init is None:
        raise ValueError("init must be 'prior', 'exact' or a law, got None")
    return init


@dataclass(frozen=True, eq=False)
class TimeGrid:
    """The reverse chain's time window, step grid and start law, validated once.

    Parameters
    ----------
    T : float
        Horizon, in (0, 1e4] (default 4).
    t0 : float
        Early-stopping time in [0, T) (default 0.02; the project's one t0 rule, module docstring).
    steps : int or None
        K in [1, 1e6] uniform Euler-Maruyama steps; None: continuous time (unless `times` is given).
    init : {"prior", "exact"} or a law
        Law of Y_0: N(0, I), the forward law of the target at T, or that law.
    times : array_like or None
        An explicit strictly decreasing grid t_0 = T > ... > t_K = t0 (K + 1 values); then T, t0 and
        steps are read from it (given T, t0 or steps must agree with it).

    Raises
    ------
    ValueError
        Naming T, t0, steps, init or times when out of range.
    """

    T: float = 4.0
    t0: float = 0.02
    steps: int | None = None
    init: object = "prior"
    times: np.ndarray | None = None

    def __post_init__(self):
        if self.times is not None:
            grid = float_array("times", self.times)
            if grid.ndim != 1 or grid.size < 2 or not np.all(np.isfinite(grid)) or not np.all(np.diff(grid) < 0):
                raise ValueError("times must be a 1-D strictly decreasing grid of at least 2 finite times "
                                 "(T = times[0] > ... > times[-1] = t0)")
            T, t0 = check_window(grid[0], grid[-1])
            if self.steps is not None and count("steps", self.steps, 1, MAX_STEPS) != grid.size - 1:
                raise ValueError(f"steps must equal len(times) - 1 = {grid.size - 1}, got {self.steps}")
            grid = grid.copy()
            grid.flags.writeable = False
            object.__setattr__(self, "times", grid)
            object.__setattr__(self, "steps", grid.size - 1)
        else:
            T, t0 = check_window(self.T, self.t0)
            if self.steps is not None:
                object.__setattr__(self, "steps", count("steps", self.steps, 1, MAX_STEPS))
        object.__setattr__(self, "T", T)
        object.__setattr__(self, "t0", t0)
        check_init(self.init)

    def __repr__(self):
        grid = "" if self.times is None else ", times=[...]"
        return f"TimeGrid(T={self.T}, t0={self.t0}, steps={self.steps}, init={self.init!r}{grid})"

    @property
    def uniform(self) -> bool:
        """True unless an explicit grid was given."""
        return self.times is None

    def grid(self) -> np.ndarray:
        """The K + 1 times t_0 = T > ... > t_K = t0 (uniform: t_k = T - k h, t_K = t0 exactly)."""
        if self.times is not None:
            return np.array(self.times)
        if self.steps is None:
            raise ValueError("steps must be an integer >= 1 for a time grid (continuous time has none)")
        h = (self.T - self.t0) / self.steps
        out = self.T - np.arange(self.steps + 1) * h
        out[-1] = self.t0
        return out

    def replace(self, **changes) -> "TimeGrid":
        """A copy with some fields changed (validated again)."""
        fields = dict(T=self.T, t0=self.t0, steps=self.steps, init=self.init, times=self.times)
        if "times" not in changes and any(k in changes for k in ("T", "t0", "steps")):
            fields["times"] = None
        fields.update(changes)
        return TimeGrid(**fields)


def as_time_grid(schedule=None, T=4.0, t0=0.02, steps=None, init="prior") -> TimeGrid:
    """`schedule` itself when given (a TimeGrid), else TimeGrid(T, t0, steps, init): the one place where
    the keyword form (T=, t0=, steps=, init=) of the exact functions becomes a schedule.

    Parameters
    ----------
    schedule : TimeGrid or None
    T, t0, steps, init
        The keyword form (ignored when schedule is given).

    Returns
    -------
    TimeGrid

    Raises
    ------
    ValueError
        Naming schedule when it is not a TimeGrid, or the field out of range.
    """
    if schedule is None:
        return TimeGrid(T=T, t0=t0, steps=steps, init=init)
    if not isinstance(schedule, TimeGrid):
        raise ValueError(f"schedule must be a TimeGrid or None, got {type(schedule).__name__}")
    return schedule


def keyword_form(schedule, T, t0, steps, init) -> tuple:
    """(T, t0, steps, init) of a uniform `schedule` (a TimeGrid), or the keywords themselves when it is None
    (the exact functions' two forms meet here).

    Raises
    ------
    ValueError
        Naming schedule when it is not a TimeGrid, or has an explicit grid (then give it as a sampler:
        `euler_maruyama(schedule)`).
    """
    if schedule is None:
        return T, t0, steps, init
    if not isinstance(schedule, TimeGrid):
        raise ValueError(f"schedule must be a TimeGrid or None, got {type(schedule).__name__}")
    if not schedule.uniform:
        raise ValueError("schedule has an explicit time grid, which this function's Gaussian closed form does not "
                         "take: pass sampler=euler_maruyama(schedule) where offered, or a GridLaw target")
    return schedule.T, schedule.t0, schedule.steps, schedule.init
