"""Residual MLP ``(x, t) -> R^d`` for vector data, conditioned on time features."""
from torch import nn

from .time_features import make_time_embedding


class TimeResidualBlock(nn.Module):
    """``h + W2 drop(SiLU(W1 LN(h) + T(temb)))`` (pre-norm residual block with additive time conditioning)."""

    def __init__(self, hidden, dropout=0.0):
        super().__init__()
        self.norm = nn.LayerNorm(hidden)
        self.fc1 = nn.Linear(hidden, hidden)
        self.time = nn.Linear(hidden, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.drop = nn.Dropout(dropout)

    def forward(self, h, temb):
        return h + self.fc2(self.drop(nn.functional.silu(self.fc1(self.norm(h)) + self.time(temb))))


class ResidualMLP(nn.Module):
    """Residual MLP with sinusoidal or random Fourier time features; output layer starts at zero.

    Parameters
    ----------
    dim : int >= 1
        Data dimension (input and output).
    hidden : int >= 1
        Width (default 256).
    depth : int >= 1
        Number of residual blocks (default 4).
    time_features : {"sinusoidal", "fourier"}
        Time embedding (default "sinusoidal").
    time_dim : int
        Even embedding size >= 2 (default 64).
    t_scale : float
        Time scale of the embedding (default 4, the horizon T).
    dropout : float
        Dropout in the blocks (default 0).

    Raises
    ------
    ValueError
        If dim, hidden or depth is < 1, time_features is not one of the two, or time_dim is not
        an even int >= 2.
    """

    def __init__(self, dim, hidden=256, depth=4, time_features="sinusoidal", time_dim=64, t_scale=4.0,
                 dropout=0.0):
        super().__init__()
        if dim < 1 or hidden < 1 or depth < 1:
            raise ValueError(f"need dim, hidden, depth >= 1, got {dim}, {hidden}, {depth}")
        self.time_embedding = make_time_embedding(time_features, time_dim, t_scale)
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU())
        self.inp = nn.Linear(dim, hidden)
        self.blocks = nn.ModuleList(TimeResidualBlock(hidden, dropout) for _ in range(depth))
        self.out_norm = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x, t):
        """The network's output at (x, t).

        Parameters
        ----------
        x : torch.Tensor, shape (m, dim)
            Inputs.
        t : torch.Tensor, shape (m,)
            Times.

        Returns
        -------
        torch.Tensor, shape (m, dim)
            Output.
        """
        temb = self.time_mlp(self.time_embedding(t))
        h = self.inp(x)
        for block in self.blocks:
            h = block(h, temb)
        return self.out(nn.functional.silu(self.out_norm(h)))
