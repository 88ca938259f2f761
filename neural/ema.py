"""Exponential moving average of model weights: ``shadow <- d_k shadow + (1 - d_k) params`` with the
usual warm-up ``d_k = min(decay, (1 + k) / (10 + k))`` at update k (so short runs are not stuck at init)."""
import copy

import torch


def unwrap(model):
    """The module behind ``torch.compile``."""
    return getattr(model, "_orig_mod", model)


class EMA:
    """Holds ``shadow``, a frozen copy of the model updated by ``update(model)`` (buffers are copied).

    Parameters
    ----------
    model : torch.nn.Module
        The model to track (a ``torch.compile`` wrapper is unwrapped).
    decay : float in [0, 1)
        Largest per-update decay (default 0.999).

    Raises
    ------
    ValueError
        If decay is not in [0, 1).
    """

    def __init__(self, model, decay=0.999):
        if not 0 <= decay < 1:
            raise ValueError(f"ema decay must be in [0, 1), got {decay}")
        self.decay = float(decay)
        self.shadow = copy.deepcopy(unwrap(model)).eval().requires_grad_(False)
        self.updates = 0
        self._shadow_params = list(self.shadow.parameters())
        self._shadow_buffers = list(self.shadow.buffers())
        self._tracked = None   # (model, its Parameters, its buffers): listed once, not at every update

    @torch.no_grad()
    def update(self, model):
        """One step ``shadow <- d_k shadow + (1 - d_k) params``; buffers copied.

        Parameters
        ----------
        model : torch.nn.Module
            The trained model (same architecture as the shadow).
        """
        model = unwrap(model)
        if self._tracked is None or self._tracked[0] is not model:
            # the Parameter objects, not detached views: a view would keep the storage of the first
            # update when a weight's .data is replaced later (load, .to())
            self._tracked = (model, list(model.parameters()), list(model.buffers()))
        _, params, buffers = self._tracked
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        self.updates += 1
        torch._foreach_lerp_(self._shadow_params, params, 1.0 - decay)
        for s, b in zip(self._shadow_buffers, buffers):
            s.copy_(b)
