"""The toolkit's score learners, implementations of `neural.Learner` (neural/learner.py):
``make_learner(name, shape, device, **kw).fit(x_train, generator)`` returns a score callable ``score(x, t)``.

* "kde": the paper's Gaussian-mixture model (THEORY.md sections 4 and 6): fit stores the points,
  the score is the exact OU score of their Gaussian KDE (bandwidth h, default 0.6).
* "mlp": residual MLP (vectors), "unet": U-Net (images); both predict eps through ``EpsilonPredictor``
  and are trained by denoising score matching (``training.train_denoiser``); score = -eps / s_t.
  Training times are uniform on [t_min, t_max] = [sde.t0, sde.T] by default; for DDPM sampling with
  betas set ``t_max=float(sampling.ddpm_times(betas)[-1])`` and pass ``learner.ema_model`` as eps_model.
  The mlp's ``parameterization``: "eps" (default; ``EpsilonPredictor``: the network's output is the
  noise, bounded far from the data, so the sampled law has exponential tails) or "gaussian_residual"
  (``gaussian_residual.GaussianResidualPredictor``: the noise of N(data mean, tail_scale^2 I) plus
  the network's bounded correction, so the score grows linearly far away and the tails are Gaussian;
  ``tail_scale`` defaults to the data's standard deviation, the moment-matched Gaussian).
"""
import math

import torch

from .devices import make_generator, resolve_device
from .gaussian_residual import GaussianResidualPredictor
from .kde_score import KDEScore
from .mlp import ResidualMLP
from .sde import VPSDE
from .training import EpsilonPredictor, EpsilonScore, train_denoiser
from .unet import UNet

LEARNER_NAMES = ("kde", "mlp", "unet")
PARAMETERIZATIONS = ("eps", "gaussian_residual")
_TRAIN_KEYS = ("steps", "batch_size", "lr", "weight_decay", "grad_clip", "ema_decay", "warmup", "t_min", "t_max",
               "amp", "compile", "t_sampling")


def _check_data(x_train, shape):
    if not torch.is_tensor(x_train) or x_train.ndim < 2 or tuple(x_train.shape[1:]) != tuple(shape):
        raise ValueError(f"x_train must be a tensor of shape (n, {', '.join(map(str, shape))})")
    if x_train.shape[0] < 1:
        raise ValueError("x_train must hold at least one sample")


class KDELearner:
    """fit(x) -> ``KDEScore(x, bandwidth)`` (a `neural.Learner`; its fit is its training set, so a
    stored fit is never reused and the checkpoint records the bandwidth and the point count)."""

    name = "kde"
    reusable = False
    warm_start = False

    def __init__(self, shape, device="cpu", bandwidth=0.6, chunk_size=None, dtype=None):
        self.shape, self.device = tuple(shape), resolve_device(device)
        if not (math.isfinite(float(bandwidth)) and float(bandwidth) > 0):
            raise ValueError(f"bandwidth must be a finite number > 0, got {bandwidth}")
        self.bandwidth, self.chunk_size, self.dtype = float(bandwidth), chunk_size, dtype
        self.n_points = None

    @property
    def kernel_bandwidth(self) -> float:
        """h: the fitted score is the exact OU score of the KDE of the training set (THEORY.md §4)."""
        return self.bandwidth

    def fit(self, x_train, generator=None, progress=False):
        _check_data(x_train, self.shape)
        self.n_points = int(x_train.shape[0])
        return KDEScore(x_train.to(self.device), self.bandwidth, self.chunk_size, self.dtype)

    def state_dict(self) -> dict:
        """{"bandwidth", "n_points", "note"}: the training set itself is in the run's batch files."""
        return {"bandwidth": self.bandwidth, "n_points": self.n_points,
                "note": "the KDE score is determined by the training set: concatenate training_batch files"}

    def load_state_dict(self, state):
        """Refused: the KDE's fit is its training set (ValueError); fit it instead."""
        raise ValueError("a KDE fit cannot be loaded from a state dict: fit the training set")


def eps_predictor(net, data):
    """``EpsilonPredictor(net, sigma_data = data's standard deviation)``."""
    return EpsilonPredictor(net, float(data.std()) if data.numel() > 1 else 1.0)


class GaussianResidualFactory:
    """``GaussianResidualPredictor(net, tail_scale, center = data's mean per coordinate)``; tail_scale
    None: the data's standard deviation (the moment-matched Gaussian)."""

    def __init__(self, tail_scale=None):
        if tail_scale is not None and not (0 < float(tail_scale) < float("inf")):
            raise ValueError(f"tail_scale must be a finite number > 0 or None, got {tail_scale}")
        self.tail_scale = tail_scale

    def __call__(self, net, data):
        flat = data.reshape(data.shape[0], -1)
        tau = self.tail_scale if self.tail_scale is not None else (float(flat.std()) if flat.numel() > 1 else 1.0)
        return GaussianResidualPredictor(net, tau, flat.mean(0).reshape(data.shape[1:]))


class NetworkLearner:
    """Trains a fresh (or, with ``warm_start=True``, the previous) eps-network on each ``fit`` (a
    `neural.Learner`: its state dict is the EMA network's); ``predictor(net, data)`` wraps the network
    (default `eps_predictor`)."""

    kernel_bandwidth = None

    def __init__(self, shape, device, build, sde=None, warm_start=False, predictor=eps_predictor, name="network",
                 **train_kw):
        unknown = set(train_kw) - set(_TRAIN_KEYS)
        if unknown:
            raise ValueError(f"unknown learner options {sorted(unknown)}; allowed: {_TRAIN_KEYS}")
        self.shape, self.device = tuple(shape), resolve_device(device)
        self.sde = sde or VPSDE()
        self.build, self.warm_start, self.train_kw = build, warm_start, train_kw
        self.predictor = predictor
        self.name = name
        self.model, self.ema_model, self.losses = None, None, None

    @property
    def reusable(self) -> bool:
        """A stored fit replaces a new one unless each fit continues the previous (warm start)."""
        return not self.warm_start

    def state_dict(self) -> dict:
        """The EMA network's ``state_dict()`` of the last fit (ValueError before any fit)."""
        if self.ema_model is None:
            raise ValueError("the learner has no fit yet: call fit or load_state_dict first")
        return self.ema_model.state_dict()

    def fit(self, x_train, generator=None, progress=False):
        _check_data(x_train, self.shape)
        data = x_train.to(device=self.device, dtype=torch.float32)
        generator = make_generator(generator, self.device)
        if self.model is None or not self.warm_start:
            seed = int(torch.randint(2 ** 62, (1,), generator=generator, device=self.device)) if generator is not None \
                else int(torch.randint(2 ** 62, (1,)))
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                self.model = self.predictor(self.build(), data).to(self.device)
        result = train_denoiser(self.model, data, self.sde, generator=generator, progress=progress, **self.train_kw)
        self.losses = result.losses
        self.ema_model = result.ema_model
        return EpsilonScore(result.ema_model, self.sde)

    def load_state_dict(self, state_dict):
        """The score of a stored fit: an eps-network built as `fit` builds it, with the weights (and
        the ``sigma_data`` buffer) of `state_dict` (a run checkpoint's EMA state), in eval mode;
        ``score(x, t) = -eps(x, t) / s_t`` as after `fit` (THEORY.md section 1).

        Parameters
        ----------
        state_dict : dict
            The ``state_dict()`` of this learner's predictor (``EpsilonPredictor`` or
            ``GaussianResidualPredictor``) around its network.

        Returns
        -------
        EpsilonScore
            The score; ``ema_model`` is the loaded network, ``losses`` None.

        Raises
        ------
        RuntimeError
            If the state does not fit the network (``torch.nn.Module.load_state_dict``).
        """
        placeholder = torch.stack([-torch.ones(self.shape), torch.ones(self.shape)])   # buffers come from state_dict
        model = self.predictor(self.build(), placeholder).to(self.device)
        model.load_state_dict(state_dict)
        self.model = self.ema_model = model.eval().requires_grad_(False)
        self.losses = None
        return EpsilonScore(self.ema_model, self.sde)


def make_learner(name, shape, device="cpu", **kw):
    """A learner by name ("kde", "mlp", "unet"); network options (hidden, depth, time_features, dropout,
    parameterization and tail_scale (mlp, module docstring); base_channels, channel_mults, num_res_blocks)
    and training options (steps, batch_size, lr, ...) in kw.

    Parameters
    ----------
    name : {"kde", "mlp", "unet"}
        The learner.
    shape : sequence of int
        Shape of one sample: (d,) for "mlp", (C, H, W) for "unet".
    device : str or torch.device
        Where it trains and samples (default "cpu").
    **kw
        Network and training options (and ``sde``) of the learner.

    Returns
    -------
    KDELearner or NetworkLearner
        The learner.

    Raises
    ------
    ValueError
        If name is unknown, "mlp" gets a shape other than (d,) or a parameterization not in
        PARAMETERIZATIONS (or tail_scale with "eps"), "unet" a shape other than (C, H, W), or the
        learner rejects an option.
    """
    shape = tuple(int(s) for s in shape)
    if name == "kde":
        return KDELearner(shape, device, **kw)
    if name == "mlp":
        if len(shape) != 1:
            raise ValueError(f"the mlp learner needs vector data, shape (d,), got {shape}")
        net_kw = {k: kw.pop(k) for k in ("hidden", "depth", "time_features", "time_dim", "dropout") if k in kw}
        parameterization = kw.pop("parameterization", "eps")
        if parameterization not in PARAMETERIZATIONS:
            raise ValueError(f"parameterization must be one of {PARAMETERIZATIONS}, got {parameterization!r}")
        tail_scale = kw.pop("tail_scale", None)
        if parameterization == "eps" and tail_scale is not None:
            raise ValueError("tail_scale needs parameterization='gaussian_residual'")
        predictor = eps_predictor if parameterization == "eps" else GaussianResidualFactory(tail_scale)
        sde = kw.pop("sde", None) or VPSDE()
        t_scale = kw.get("t_max") or sde.T
        return NetworkLearner(shape, device, lambda: ResidualMLP(shape[0], t_scale=t_scale, **net_kw), sde=sde,
                              predictor=predictor, name="mlp", **kw)
    if name == "unet":
        if len(shape) != 3:
            raise ValueError(f"the unet learner needs image data, shape (C, H, W), got {shape}")
        net_kw = {k: kw.pop(k) for k in ("base_channels", "channel_mults", "num_res_blocks", "dropout", "groups")
                  if k in kw}
        sde = kw.pop("sde", None) or VPSDE()
        t_scale = kw.get("t_max") or sde.T
        return NetworkLearner(shape, device, lambda: UNet(shape[0], t_scale=t_scale, **net_kw), sde=sde,
                              name="unet", **kw)
    raise ValueError(f"learner must be one of {LEARNER_NAMES}, got {name!r}")
