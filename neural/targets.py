"""Target laws: ``make_target(name, **kw)``.

Known densities (``.score(x, t)`` exact at every OU time, ``.log_prob(x)``): "gaussian", "gmm"
(THEORY.md section 6: d = 10, 5 equal-weight components, covariance 0.6^2 I; the paper does not give
the means, so we use one at 0 and four at (+-4, +-4, 0, ..., 0), i.e. (4, 4), (4, -4), (-4, 4),
(-4, -4) in the first two coordinates), "gmm1d" and "gmm2d" (that mixture projected on its first
coordinate, 0.2 N(0, 0.36) + 0.4 N(-4, 0.36) + 0.4 N(4, 0.36), and on its first two, five equal
components at (0, 0) and (+-4, +-4) with covariance 0.36 I: the targets with exact grid metrics,
THEORY.md section 7), "mixture" (any ``TorchGaussianMixture(weights, means, covs)`` given as keywords), "ring" (2-D: equal-weight N(r (cos 2 pi k / K, sin 2 pi k / K),
std^2 I), k < K).  Sample-only: "two_moons" (2-D), "digits" (scikit-learn, (1, 8, 8) in [-1, 1]),
"fashion_mnist" ((1, 28, 28)) and "cifar10" ((3, 32, 32)) read from ``data_dir``.
"""
import math

import torch

from .gaussian_mixture import TorchGaussianMixture
from . import image_files

TARGET_NAMES = ("gaussian", "gmm", "gmm1d", "gmm2d", "mixture", "ring", "two_moons", "digits", "fashion_mnist", "cifar10")
PAPER_GMM_MEANS = ((0.0, 0.0), (4.0, 4.0), (4.0, -4.0), (-4.0, 4.0), (-4.0, -4.0))


def _check_count(n):
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an int >= 0, got {n!r}")


class EmpiricalTarget:
    """Uniform draws, with replacement, from a fixed data set.

    Parameters
    ----------
    data : torch.Tensor
        The data set, shape ``(n, *shape)`` with n >= 1.
    name : str, optional
        The target's name (default ``"empirical"``).

    Raises
    ------
    ValueError
        If `data` is not a non-empty tensor of shape (n, ...).
    """

    def __init__(self, data, name="empirical"):
        if not torch.is_tensor(data) or data.ndim < 2 or data.shape[0] < 1:
            raise ValueError("data must be a non-empty tensor of shape (n, ...)")
        self.data, self.name = data, name
        self.shape = tuple(data.shape[1:])

    def __len__(self):
        return self.data.shape[0]

    def __repr__(self):
        return f"EmpiricalTarget({self.name!r}, n={len(self)}, shape={self.shape})"

    def sample(self, n, generator=None, device=None, dtype=torch.float32):
        """n uniform draws with replacement from the data set.

        Parameters
        ----------
        n : int >= 0
            Number of draws.
        generator : torch.Generator or None
            Random source (its device is where the indices are drawn).
        device : torch.device, str or None
            Device of the draws (default: the generator's, else CPU).
        dtype : torch.dtype
            Dtype of the draws (default float32).

        Returns
        -------
        torch.Tensor, shape ``(n, *shape)``
            The draws.

        Raises
        ------
        ValueError
            If n is not an int >= 0.
        """
        _check_count(n)
        gen_device = generator.device if generator is not None else torch.device("cpu")
        index = torch.randint(len(self), (n,), generator=generator, device=gen_device)
        device = device if device is not None else gen_device
        return self.data[index.to(self.data.device)].to(device=device, dtype=dtype)


class TwoMoons:
    """Two interleaved half circles with Gaussian noise (sklearn's make_moons law), centred and scaled.

    ``u ~ U(0, pi)``; upper moon ``(cos u, sin u)``, lower ``(1 - cos u, 1/2 - sin u)``, each with
    probability 1/2, plus ``N(0, noise^2 I)``; then ``x -> 2 (x - (1/2, 1/4))``.  No closed-form score.

    Parameters
    ----------
    noise : float >= 0
        Standard deviation of the added Gaussian noise (default 0.1).

    Raises
    ------
    ValueError
        If noise is negative or NaN.
    """

    shape = (2,)

    def __init__(self, noise=0.1):
        if not noise >= 0:
            raise ValueError(f"noise must be >= 0, got {noise}")
        self.noise = float(noise)

    def sample(self, n, generator=None, device=None, dtype=torch.float32):
        """n draws (computed in float64).

        Parameters
        ----------
        n : int >= 0
            Number of draws.
        generator : torch.Generator or None
            Random source.
        device : torch.device, str or None
            Device of the draws (default: the generator's, else CPU).
        dtype : torch.dtype
            Dtype of the draws (default float32).

        Returns
        -------
        torch.Tensor, shape (n, 2)
            The draws.

        Raises
        ------
        ValueError
            If n is not an int >= 0.
        """
        _check_count(n)
        dev = generator.device if generator is not None else torch.device("cpu")
        u = math.pi * torch.rand(n, generator=generator, device=dev, dtype=torch.float64)
        lower = torch.rand(n, generator=generator, device=dev, dtype=torch.float64) < 0.5
        x = torch.stack([torch.cos(u), torch.sin(u)], 1)
        x = torch.where(lower[:, None], torch.stack([1 - x[:, 0], 0.5 - x[:, 1]], 1), x)
        x = x + self.noise * torch.randn((n, 2), generator=generator, device=dev, dtype=torch.float64)
        x = 2 * (x - torch.tensor([0.5, 0.25], dtype=torch.float64, device=dev))
        return x.to(device=device if device is not None else dev, dtype=dtype)


def gaussian_target(dim=2, mean=None, cov=None, std=1.0):
    """N(mean, cov) (default N(0, std^2 I)) as a one-component ``TorchGaussianMixture``."""
    dim = _positive_int(dim, "dim")
    mean = torch.zeros(dim, dtype=torch.float64) if mean is None else torch.as_tensor(mean, dtype=torch.float64)
    if mean.shape != (dim,):
        raise ValueError(f"mean must have shape ({dim},), got {tuple(mean.shape)}")
    if cov is None:
        if not std > 0:
            raise ValueError(f"std must be > 0, got {std}")
        return TorchGaussianMixture([1.0], mean[None], [float(std) ** 2])
    cov = torch.as_tensor(cov, dtype=torch.float64)
    if cov.shape != (dim, dim):
        raise ValueError(f"cov must have shape ({dim}, {dim}), got {tuple(cov.shape)}")
    return TorchGaussianMixture([1.0], mean[None], cov[None])


def paper_gmm(dim=10, std=0.6, means=None):
    """The paper's mixture (THEORY.md section 6): 5 equal weights, covariance std^2 I, ``PAPER_GMM_MEANS``
    in the first two coordinates (our choice; the paper gives none), zeros elsewhere."""
    dim = _positive_int(dim, "dim")
    if means is None:
        if dim < 2:
            raise ValueError(f"dim must be >= 2 for the default means, got {dim}")
        means = torch.zeros(len(PAPER_GMM_MEANS), dim, dtype=torch.float64)
        means[:, :2] = torch.tensor(PAPER_GMM_MEANS, dtype=torch.float64)
    means = torch.as_tensor(means, dtype=torch.float64)
    if means.ndim != 2 or means.shape[1] != dim:
        raise ValueError(f"means must have shape (k, {dim}), got {tuple(means.shape)}")
    if not std > 0:
        raise ValueError(f"std must be > 0, got {std}")
    k = means.shape[0]
    return TorchGaussianMixture(torch.full((k,), 1.0 / k), means, torch.full((k,), float(std) ** 2))


def paper_gmm_projection(dim=1, std=0.6):
    """The paper's mixture (``paper_gmm``) projected on its first ``dim`` in {1, 2} coordinates:
    dim = 1: ``0.2 N(0, std^2) + 0.4 N(-4, std^2) + 0.4 N(4, std^2)`` (the five means' first
    coordinates 0, 4, 4, -4, -4 merged); dim = 2: five equal components at ``PAPER_GMM_MEANS``."""
    if dim not in (1, 2):
        raise ValueError(f"dim must be 1 or 2, got {dim!r}")
    if not std > 0:
        raise ValueError(f"std must be > 0, got {std}")
    if dim == 2:
        return paper_gmm(dim=2, std=std)
    return TorchGaussianMixture(torch.tensor([0.2, 0.4, 0.4], dtype=torch.float64),
                           torch.tensor([[0.0], [-4.0], [4.0]], dtype=torch.float64),
                           torch.full((3,), float(std) ** 2))


def ring_target(n_components=8, radius=3.0, std=0.3):
    """Equal-weight mixture of ``N(radius (cos 2 pi k/K, sin 2 pi k/K), std^2 I)`` in 2-D."""
    K = _positive_int(n_components, "n_components")
    if not (radius >= 0 and std > 0):
        raise ValueError(f"need radius >= 0 and std > 0, got {radius}, {std}")
    angle = 2 * math.pi * torch.arange(K, dtype=torch.float64) / K
    means = float(radius) * torch.stack([torch.cos(angle), torch.sin(angle)], 1)
    return TorchGaussianMixture(torch.full((K,), 1.0 / K), means, torch.full((K,), float(std) ** 2))


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value


def make_target(name, **kw):
    """A target by name (see module docstring); keyword arguments go to its constructor/loader.

    Parameters
    ----------
    name : str
        One of ``TARGET_NAMES``.
    **kw
        Keyword arguments of the target's constructor or loader ("mixture" needs weights, means
        and covs; the image sets take data_dir).

    Returns
    -------
    TorchGaussianMixture, TwoMoons or EmpiricalTarget
        The target.

    Raises
    ------
    ValueError
        If name is not a known target, or its constructor or loader rejects the arguments.
    KeyError
        If "mixture" is missing weights, means or covs.
    """
    if name == "gaussian":
        return gaussian_target(**kw)
    if name == "gmm":
        return paper_gmm(**kw)
    if name == "gmm1d":
        return paper_gmm_projection(1, **kw)
    if name == "gmm2d":
        return paper_gmm_projection(2, **kw)
    if name == "mixture":
        return TorchGaussianMixture(kw["weights"], kw["means"], kw["covs"])
    if name == "ring":
        return ring_target(**kw)
    if name == "two_moons":
        return TwoMoons(**kw)
    if name == "digits":
        return EmpiricalTarget(image_files.load_digits_images(), "digits")
    if name == "fashion_mnist":
        return EmpiricalTarget(image_files.load_fashion_mnist(kw.pop("data_dir", None), **kw), "fashion_mnist")
    if name == "cifar10":
        return EmpiricalTarget(image_files.load_cifar10(kw.pop("data_dir", None), **kw), "cifar10")
    raise ValueError(f"target must be one of {TARGET_NAMES}, got {name!r}")
