"""Gaussian mixtures with exact scores at every OU time (THEORY.md sections 1 and 4).

``p = sum_k w_k N(mu_k, S_k)``; under the forward process component k at time t is
``N(a_t mu_k, a_t^2 S_k + s_t^2 I)``, so ``score_t(x) = sum_k r_k(x) (-(a_t^2 S_k + s_t^2 I)^{-1} (x - a_t mu_k))``
with r the posterior responsibilities.  Covariances: isotropic (k,), diagonal (k, d) or full (k, d, d).
Isotropic mixtures (any number of components, e.g. a KDE) use the streamed kernel of ``mixture_kernel``;
diagonal and full ones are evaluated over all components at once (meant for few components).
"""
import math

import torch

from .mixture_kernel import isotropic_mixture_stream
from .sde import VPSDE, per_row_times

_KINDS = ("isotropic", "diagonal", "full")


def _as_float64(value, name):
    try:
        return torch.as_tensor(value, dtype=torch.float64).cpu()
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"{name} must be numeric array-like: {error}") from None


class TorchGaussianMixture:
    """``sum_k w_k N(mu_k, S_k)`` with exact ``score(x, t)``, ``log_prob(x, t)`` and ``sample``.

    THEORY.md sections 1 and 4.

    Parameters
    ----------
    weights : array_like, shape (k,)
        Non-negative weights with a positive sum (normalised here).
    means : array_like, shape (k, d)
        Component means, k >= 1.
    covs : float or array_like of shape (k,), (k, d) or (k, d, d)
        Isotropic variances, diagonals or full (symmetrised) covariances; finite and positive
        definite.

    Raises
    ------
    ValueError
        If an argument is not numeric, means is not (k, d) with k >= 1, weights is not k
        non-negative numbers with a positive sum, covs has another shape, or covs is not finite
        and positive definite.
    """

    def __init__(self, weights, means, covs):
        means = _as_float64(means, "means")
        if means.ndim != 2 or means.shape[0] < 1:
            raise ValueError(f"means must have shape (k, d) with k >= 1, got {tuple(means.shape)}")
        k, d = means.shape
        weights = _as_float64(weights, "weights")
        if weights.shape != (k,) or not bool((weights >= 0).all()) or float(weights.sum()) <= 0:
            raise ValueError(f"weights must be {k} non-negative numbers with a positive sum")
        covs = _as_float64(covs, "covs")
        if covs.ndim == 0:
            covs = covs.expand(k).clone()
        if covs.shape == (k,):
            kind = "isotropic"
        elif covs.shape == (k, d):
            kind = "diagonal"
        elif covs.shape == (k, d, d):
            kind = "full"
            covs = 0.5 * (covs + covs.transpose(1, 2))
        else:
            raise ValueError(f"covs must be a float or have shape ({k},), ({k}, {d}) or ({k}, {d}, {d}); "
                             f"got {tuple(covs.shape)}")
        if kind == "full":
            eigvals, eigvecs = torch.linalg.eigh(covs)
        else:
            eigvals, eigvecs = covs, None
        if not bool(torch.isfinite(eigvals).all()) or not bool((eigvals > 0).all()):
            raise ValueError("covs must be finite and positive definite")
        self.weights = weights / weights.sum()
        self.means, self.covs, self.kind = means, covs, kind
        self._eigvals = eigvals if kind != "isotropic" else None
        self._eigvecs = eigvecs
        self._cache = {}

    # ----- description -------------------------------------------------------------------------
    @property
    def dim(self):
        return self.means.shape[1]

    @property
    def shape(self):
        return (self.dim,)

    @property
    def n_components(self):
        return self.means.shape[0]

    def __repr__(self):
        return f"TorchGaussianMixture(k={self.n_components}, d={self.dim}, covs={self.kind})"

    def full_covs(self):
        """Covariances as (k, d, d) float64."""
        if self.kind == "full":
            return self.covs
        diag = self.covs[:, None].expand(-1, self.dim) if self.kind == "isotropic" else self.covs
        return torch.diag_embed(diag)

    def mean(self):
        """``sum_k w_k mu_k``."""
        return self.weights @ self.means

    def covariance(self):
        """``sum_k w_k (S_k + mu_k mu_k^T) - m m^T``."""
        m = self.mean()
        centred = self.means - m
        return torch.einsum("k,kij->ij", self.weights, self.full_covs()) + \
            torch.einsum("k,ki,kj->ij", self.weights, centred, centred)

    # ----- algebra of laws ---------------------------------------------------------------------
    def _covs_as(self, kind):
        if kind == self.kind:
            return self.covs
        if kind == "diagonal":
            return self.covs[:, None].expand(-1, self.dim).clone()
        return self.full_covs()

    def mix(self, other, alpha):
        """``alpha * self + (1 - alpha) * other`` (THEORY.md section 2, ``q_i = alpha data + (1-alpha) p^i``).

        Parameters
        ----------
        other : TorchGaussianMixture
            A mixture of the same dimension.
        alpha : float in [0, 1]
            Weight of self.

        Returns
        -------
        TorchGaussianMixture
            The mixture (covariances of the more general kind of the two).

        Raises
        ------
        ValueError
            If alpha is outside [0, 1] or other is not a TorchGaussianMixture of this dimension.
        """
        alpha = float(alpha)
        if not 0 <= alpha <= 1:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        if not isinstance(other, TorchGaussianMixture) or other.dim != self.dim:
            raise ValueError(f"other must be a TorchGaussianMixture of dimension {self.dim}")
        kind = _KINDS[max(_KINDS.index(self.kind), _KINDS.index(other.kind))]
        return TorchGaussianMixture(torch.cat([alpha * self.weights, (1 - alpha) * other.weights]),
                               torch.cat([self.means, other.means]),
                               torch.cat([self._covs_as(kind), other._covs_as(kind)]))

    def convolve(self, variance):
        """The law of ``X + N(0, variance I)``: each covariance plus ``variance I`` (a KDE step, section 4).

        Parameters
        ----------
        variance : float >= 0
            Added isotropic variance.

        Returns
        -------
        TorchGaussianMixture
            The convolved mixture.

        Raises
        ------
        ValueError
            If variance is negative or NaN.
        """
        variance = float(variance)
        if not variance >= 0:
            raise ValueError(f"variance must be >= 0, got {variance}")
        covs = self.covs + variance * (torch.eye(self.dim, dtype=torch.float64) if self.kind == "full" else 1.0)
        return TorchGaussianMixture(self.weights, self.means, covs)

    def forward(self, t):
        """The OU marginal at time t (float): components ``N(a_t mu_k, a_t^2 S_k + s_t^2 I)``.

        THEORY.md section 4.

        Parameters
        ----------
        t : float >= 0
            OU time.

        Returns
        -------
        TorchGaussianMixture
            The marginal.

        Raises
        ------
        ValueError
            If t is negative or NaN.
        """
        t = float(t)
        if not t >= 0:
            raise ValueError(f"t must be >= 0, got {t}")
        a, s2 = VPSDE.mean_coef(t), VPSDE.var(t)
        covs = a * a * self.covs + s2 * (torch.eye(self.dim, dtype=torch.float64) if self.kind == "full" else 1.0)
        return TorchGaussianMixture(self.weights, a * self.means, covs)

    @classmethod
    def from_points(cls, points, bandwidth):
        """The Gaussian KDE ``(1/n) sum_j N(x_j, h^2 I)`` of points (n, d).

        Parameters
        ----------
        points : array_like, shape (n, d)
            Kernel centres.
        bandwidth : float > 0
            Kernel standard deviation h.

        Returns
        -------
        TorchGaussianMixture
            The isotropic KDE mixture.

        Raises
        ------
        ValueError
            If points is not numeric or not of shape (n, d), or bandwidth is 0.
        ZeroDivisionError
            If points has no rows (n = 0).
        """
        points = _as_float64(points, "points")
        n = points.shape[0]
        return cls(torch.full((n,), 1.0 / n, dtype=torch.float64), points,
                   torch.full((n,), float(bandwidth) ** 2, dtype=torch.float64))

    # ----- evaluation --------------------------------------------------------------------------
    def _params(self, device, dtype):
        key = (str(device), dtype)
        if key not in self._cache:
            def cast(v):
                return None if v is None else v.to(device=device, dtype=dtype)
            self._cache[key] = (cast(self.weights.log()), cast(self.means), cast(self.covs),
                                cast(self._eigvals), cast(self._eigvecs))
        return self._cache[key]

    def _check_x(self, x):
        if not torch.is_tensor(x) or x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must be a tensor of shape (m, {self.dim})")

    def _evaluate(self, x, t, with_log_density=True):
        self._check_x(x)
        log_w, means, covs, eigvals, eigvecs = self._params(x.device, x.dtype)
        if self.kind == "isotropic":
            return isotropic_mixture_stream(x, t, means, covs, log_w, with_log_density=with_log_density)
        m = x.shape[0]
        block = max(1, (1 << 24) // (self.n_components * self.dim))
        scores, logps = [], []
        for i in range(0, m, block):
            tt = t[i:i + block] if torch.is_tensor(t) and t.ndim == 1 else t
            s, lp = self._evaluate_block(x[i:i + block], tt, log_w, means, eigvals, eigvecs)
            scores.append(s)
            logps.append(lp)
        return torch.cat(scores), torch.cat(logps)

    @staticmethod
    def _evaluate_block(x, t, log_w, means, eigvals, eigvecs):
        tt = per_row_times(t, x.shape[0], x)
        a, s2 = VPSDE.mean_coef(tt)[:, None, None], VPSDE.var(tt)[:, None, None]
        z = x[:, None, :] - a * means[None]                         # (m, k, d)
        if eigvecs is not None:                                     # principal axes of S_k
            z = torch.einsum("kji,mkj->mki", eigvecs, z)
        vt = a * a * eigvals[None] + s2                             # (m, k, d)
        logits = log_w[None] - 0.5 * (z * z / vt).sum(2) - 0.5 * torch.log(2 * math.pi * vt).sum(2)
        resp = torch.softmax(logits, 1)
        component_scores = -z / vt
        if eigvecs is not None:
            component_scores = torch.einsum("kij,mkj->mki", eigvecs, component_scores)
        return (resp[:, :, None] * component_scores).sum(1), torch.logsumexp(logits, 1)

    def score(self, x, t=0.0):
        """Exact score of the mixture pushed to OU time t (t a float or shape (m,); t = 0: the law).

        Parameters
        ----------
        x : torch.Tensor, shape (m, d)
            Points.
        t : float or torch.Tensor of shape (m,)
            OU time(s) (default 0).

        Returns
        -------
        torch.Tensor, shape (m, d)
            The score, on x's device and dtype.

        Raises
        ------
        ValueError
            If x is not a tensor of shape (m, d).
        """
        return self._evaluate(x, t, with_log_density=False)[0]

    def log_prob(self, x, t=0.0):
        """Exact log-density at OU time t.

        Parameters
        ----------
        x : torch.Tensor, shape (m, d)
            Points.
        t : float or torch.Tensor of shape (m,)
            OU time(s) (default 0).

        Returns
        -------
        torch.Tensor, shape (m,)
            Log densities.

        Raises
        ------
        ValueError
            If x is not a tensor of shape (m, d).
        """
        return self._evaluate(x, t)[1]

    def sample(self, n, generator=None, device=None, dtype=torch.float32):
        """n draws (float32 by default) on ``device`` (default: the generator's device, else CPU).

        Parameters
        ----------
        n : int >= 0
            Number of draws.
        generator : torch.Generator or None
            Random source.
        device : torch.device, str or None
            Device of the draws.
        dtype : torch.dtype
            Dtype of the draws (default float32).

        Returns
        -------
        torch.Tensor, shape (n, d)
            The draws.

        Raises
        ------
        ValueError
            If n is not an int >= 0 (bools refused).
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be an int >= 0, got {n!r}")
        device = torch.device(device) if device is not None else (generator.device if generator is not None
                                                                  else torch.device("cpu"))
        weights = self.weights.to(device)
        index = torch.multinomial(weights, n, replacement=True, generator=generator) if n else \
            torch.zeros(0, dtype=torch.long, device=device)
        z = torch.randn((n, self.dim), generator=generator, device=device, dtype=torch.float64)
        means = self.means.to(device)[index]
        if self.kind == "isotropic":
            x = means + self.covs.to(device)[index, None].sqrt() * z
        elif self.kind == "diagonal":
            x = means + self.covs.to(device)[index].sqrt() * z
        else:
            root = self._eigvecs.to(device) * self._eigvals.to(device).sqrt()[:, None, :]
            x = means + torch.einsum("nij,nj->ni", root[index], z)
        return x.to(dtype)
