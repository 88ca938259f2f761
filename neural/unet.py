"""A small DDPM-style U-Net (Ho et al. 2020): residual blocks, group norm, SiLU, sinusoidal time
embedding, dropout (THEORY.md section 6: the paper's Fashion-MNIST/CIFAR-10 network family)."""
import torch
from torch import nn

from .time_features import SinusoidalTimeEmbedding


def _groups(channels, groups):
    g = min(groups, channels)
    while channels % g:
        g -= 1
    return g


class ResBlock(nn.Module):
    """``skip(x) + conv(drop(SiLU(GN(conv(SiLU(GN(x))) + W temb))))``."""

    def __init__(self, in_ch, out_ch, temb_dim, dropout, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(in_ch, groups), in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.time = nn.Linear(temb_dim, out_ch)
        self.norm2 = nn.GroupNorm(_groups(out_ch, groups), out_ch)
        self.drop = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(nn.functional.silu(self.norm1(x)))
        h = h + self.time(temb)[:, :, None, None]
        h = self.conv2(self.drop(nn.functional.silu(self.norm2(h))))
        return self.skip(x) + h


class UNet(nn.Module):
    """U-Net ``(x, t) -> tensor like x``; ``len(channel_mults) - 1`` halvings of the resolution.

    Parameters
    ----------
    in_channels : int >= 1
        Image channels (default 1).
    base_channels : int >= 1
        Channels at full resolution (default 32).
    channel_mults : sequence of int, non-empty
        Channel multiplier of each resolution level (default (1, 2)).
    num_res_blocks : int >= 1
        Residual blocks per level (default 1).
    dropout : float
        Dropout in the residual blocks (default 0.1).
    groups : int
        GroupNorm groups (reduced to a divisor of the channels; default 8).
    t_scale : float
        Time scale of the sinusoidal embedding (default 4).

    Raises
    ------
    ValueError
        If in_channels, base_channels or num_res_blocks is < 1, or channel_mults is empty.
    """

    def __init__(self, in_channels=1, base_channels=32, channel_mults=(1, 2), num_res_blocks=1, dropout=0.1,
                 groups=8, t_scale=4.0):
        super().__init__()
        if in_channels < 1 or base_channels < 1 or num_res_blocks < 1 or not channel_mults:
            raise ValueError("need in_channels, base_channels, num_res_blocks >= 1 and non-empty channel_mults")
        self.levels = len(channel_mults)
        temb_dim = 4 * base_channels
        self.time = nn.Sequential(SinusoidalTimeEmbedding(base_channels, t_scale), nn.Linear(base_channels, temb_dim),
                                  nn.SiLU(), nn.Linear(temb_dim, temb_dim))
        self.conv_in = nn.Conv2d(in_channels, base_channels, 3, padding=1)
        self.down = nn.ModuleList()
        skips, ch = [base_channels], base_channels
        for level, mult in enumerate(channel_mults):
            for _ in range(num_res_blocks):
                self.down.append(ResBlock(ch, base_channels * mult, temb_dim, dropout, groups))
                ch = base_channels * mult
                skips.append(ch)
            if level < self.levels - 1:
                self.down.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
                skips.append(ch)
        self.mid = nn.ModuleList([ResBlock(ch, ch, temb_dim, dropout, groups), ResBlock(ch, ch, temb_dim, dropout, groups)])
        self.up = nn.ModuleList()
        for level, mult in reversed(list(enumerate(channel_mults))):
            for _ in range(num_res_blocks + 1):
                self.up.append(ResBlock(ch + skips.pop(), base_channels * mult, temb_dim, dropout, groups))
                ch = base_channels * mult
            if level > 0:
                self.up.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(ch, ch, 3, padding=1)))
        self.norm_out = nn.GroupNorm(_groups(ch, groups), ch)
        self.conv_out = nn.Conv2d(ch, in_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, x, t):
        """The network's output at (x, t).

        Parameters
        ----------
        x : torch.Tensor, shape (m, C, H, W)
            Images; H and W divisible by ``2 ** (len(channel_mults) - 1)``.
        t : torch.Tensor, shape (m,)
            Times.

        Returns
        -------
        torch.Tensor
            Output of x's shape.

        Raises
        ------
        ValueError
            If H or W is not divisible by the downsampling factor.
        """
        factor = 2 ** (self.levels - 1)
        if x.shape[-1] % factor or x.shape[-2] % factor:
            raise ValueError(f"image height and width must be divisible by {factor}, got {tuple(x.shape[-2:])}")
        temb = self.time(t)
        h = self.conv_in(x)
        hs = [h]
        for layer in self.down:
            h = layer(h, temb) if isinstance(layer, ResBlock) else layer(h)
            hs.append(h)
        for layer in self.mid:
            h = layer(h, temb)
        for layer in self.up:
            h = layer(torch.cat([h, hs.pop()], 1), temb) if isinstance(layer, ResBlock) else layer(h)
        return self.conv_out(nn.functional.silu(self.norm_out(h)))
