"""Time features for score networks: sinusoidal (Vaswani et al. 2017 / DDPM) and random Fourier
(Tancik et al. 2020) embeddings of the rescaled OU time ``u = t / t_scale``."""
import math

import torch
from torch import nn


class SinusoidalTimeEmbedding(nn.Module):
    """``[sin(1000 u w_i), cos(1000 u w_i)]`` with ``w_i = 10000^(-i / (dim/2))``, i < dim/2."""

    def __init__(self, dim, t_scale=4.0):
        super().__init__()
        if dim < 2 or dim % 2:
            raise ValueError(f"time embedding dim must be an even int >= 2, got {dim}")
        half = dim // 2
        self.register_buffer("freqs", torch.exp(-math.log(10000.0) * torch.arange(half) / half), persistent=False)
        self.t_scale = float(t_scale)

    def forward(self, t):
        arg = (1000.0 / self.t_scale) * t.float()[:, None] * self.freqs[None]
        return torch.cat([torch.sin(arg), torch.cos(arg)], 1)


class FourierTimeEmbedding(nn.Module):
    """``[sin(2 pi u b_i), cos(2 pi u b_i)]`` with fixed random ``b_i ~ N(0, scale^2)``."""

    def __init__(self, dim, t_scale=4.0, scale=16.0, seed=0):
        super().__init__()
        if dim < 2 or dim % 2:
            raise ValueError(f"time embedding dim must be an even int >= 2, got {dim}")
        gen = torch.Generator().manual_seed(seed)
        self.register_buffer("freqs", scale * torch.randn(dim // 2, generator=gen))
        self.t_scale = float(t_scale)

    def forward(self, t):
        arg = (2 * math.pi / self.t_scale) * t.float()[:, None] * self.freqs[None]
        return torch.cat([torch.sin(arg), torch.cos(arg)], 1)


def make_time_embedding(kind, dim, t_scale):
    if kind == "sinusoidal":
        return SinusoidalTimeEmbedding(dim, t_scale)
    if kind == "fourier":
        return FourierTimeEmbedding(dim, t_scale)
    raise ValueError(f"time_features must be 'sinusoidal' or 'fourier', got {kind!r}")
