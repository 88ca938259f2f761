"""A user's learner, written against the `neural.Learner` protocol only (no toolkit import): the
moment-matched Gaussian N(m, v I) of the training set (v inflated by `inflate`), whose OU score is
closed form: at time t the law is N(m e^{-t}, (v e^{-2t} + 1 - e^{-2t}) I)."""
import math

import torch


class GaussianFitScore:
    """score(x, t) = -(x - m e^{-t}) / (v e^{-2t} + 1 - e^{-2t})."""

    def __init__(self, mean, var):
        self.mean, self.var = mean, var

    def __call__(self, x, t):
        t = torch.as_tensor(t, dtype=x.dtype, device=x.device)
        if t.ndim > 0:
            t = t.reshape(-1, *([1] * (x.ndim - 1)))
        decay = torch.exp(-t)
        mean = self.mean.to(x.device, x.dtype)
        return -(x - mean * decay) / (self.var * decay ** 2 + 1 - decay ** 2)


class GaussianFitLearner:
    """Fits N(mean, inflate * variance) to the training set."""

    name = "user_gaussian"
    reusable = True
    warm_start = False
    kernel_bandwidth = None

    def __init__(self, shape, device="cpu", inflate=1.0):
        if not (isinstance(inflate, (int, float)) and math.isfinite(inflate) and inflate > 0):
            raise ValueError(f"inflate must be a finite number > 0, got {inflate!r}")
        self.shape, self.device, self.inflate = tuple(shape), device, float(inflate)
        self.mean = self.var = None

    @property
    def settings(self):
        return {"inflate": self.inflate}

    def fit(self, x_train, generator=None, progress=False):
        flat = x_train.reshape(x_train.shape[0], -1).double()
        self.mean = flat.mean(0).reshape(self.shape)
        self.var = float(flat.var(0).mean()) * self.inflate
        return GaussianFitScore(self.mean, self.var)

    def state_dict(self):
        return {"mean": self.mean.cpu().tolist(), "var": self.var}

    def load_state_dict(self, state):
        self.mean, self.var = torch.tensor(state["mean"], dtype=torch.float64), float(state["var"])
        return GaussianFitScore(self.mean, self.var)


def make(shape, device="cpu", **settings):
    """The factory `collapse train --model user_learner_pkg.learners:make` calls."""
    return GaussianFitLearner(shape, device, **settings)


class NoFit:
    """A learner lacking `fit`: refused before any work."""

    name, reusable, warm_start, kernel_bandwidth = "broken", False, False, None

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        return None


def make_broken(shape, device="cpu", **settings):
    return NoFit()
