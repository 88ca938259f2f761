"""Feature maps that need no download, for the Frechet distance and the Gaussian proxies
(THEORY.md §6: no FID package works offline).

* `PCAFeatures(reference, k)`: projection on the top-k principal axes of a reference set,
  `f(x) = (x - mean_ref) V_k` with V_k the leading right singular vectors of the centred
  reference (a linear map, so Gaussian laws stay Gaussian).
* `ClassifierFeatures.fit(x, labels)`: the penultimate-layer activations of a small MLP classifier
  trained here on labelled data the user has (e.g. scikit-learn's digits, or local image files).
"""
from __future__ import annotations

import torch

from ._arrays import as_tensor_2d, check_number


class PCAFeatures:
    """x -> (x - mean) V_k, with V_k the top-k principal axes of `reference` (n, d).

    Parameters
    ----------
    reference : array_like or torch.Tensor, shape (n, d)
        Samples defining the mean and axes.
    k : int in [1, d]
        Number of axes.

    Raises
    ------
    ValueError
        If reference is not a real finite (n, d) array with n >= 2, or k is out of range.
    """

    def __init__(self, reference, k: int):
        ref = as_tensor_2d(reference, "reference")
        k = check_number("k", k, 1, ref.shape[1], integer=True)
        self.mean = ref.mean(0)
        self.axes = torch.linalg.svd(ref - self.mean, full_matrices=False).Vh[:k].T

    def __call__(self, x) -> torch.Tensor:
        x = as_tensor_2d(x, "x", device=self.mean.device)
        return (x.flatten(1) - self.mean) @ self.axes


class ClassifierFeatures:
    """Penultimate-layer features of a small MLP classifier trained on (x, labels).

    Build it with ``ClassifierFeatures.fit``.

    Parameters
    ----------
    body : torch.nn.Module
        The classifier without its last layer.
    shift, scale : torch.Tensor
        Input standardisation (x - shift) / scale.
    """

    def __init__(self, body: torch.nn.Module, shift: torch.Tensor, scale: torch.Tensor):
        self.body, self.shift, self.scale = body.eval(), shift, scale

    @classmethod
    def fit(cls, x, labels, hidden: int = 64, steps: int = 300, lr: float = 1e-2, seed: int = 0):
        """Train a small MLP classifier (two hidden layers, full-batch Adam) on (x, labels); keep its body.

        Parameters
        ----------
        x : array_like or torch.Tensor, shape (n, ...)
            Training inputs (flattened to (n, d)).
        labels : array_like of int, shape (n,)
            Class labels 0 .. C-1.
        hidden : int
            Width of the MLP (default 64).
        steps : int
            Adam steps (default 300).
        lr : float
            Learning rate (default 1e-2).
        seed : int
            Seed of the initialisation (default 0).

        Returns
        -------
        ClassifierFeatures
            The trained feature map.

        Raises
        ------
        ValueError
            If x is not a real finite array of n >= 2 rows, or labels is not of shape (n,).
        """
        x = as_tensor_2d(torch.as_tensor(x).flatten(1), "x", dtype=torch.float32)
        labels = torch.as_tensor(labels, dtype=torch.long, device=x.device)
        if labels.shape != (x.shape[0],):
            raise ValueError(f"labels must have shape ({x.shape[0]},), got {tuple(labels.shape)}")
        n_classes = int(labels.max()) + 1
        shift, scale = x.mean(0), x.std(0).clamp_min(1e-6)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            body = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.SiLU(),
                                       torch.nn.Linear(hidden, hidden), torch.nn.SiLU()).to(x.device)
            head = torch.nn.Linear(hidden, n_classes).to(x.device)
        opt = torch.optim.Adam([*body.parameters(), *head.parameters()], lr=lr)
        z = (x - shift) / scale
        for _ in range(steps):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(head(body(z)), labels).backward()
            opt.step()
        features = cls(body, shift, scale)
        features.train_accuracy = float((head(body(z)).argmax(1) == labels).float().mean())
        return features

    @torch.no_grad()
    def __call__(self, x) -> torch.Tensor:
        x = torch.as_tensor(x).to(self.shift.device, torch.float32).flatten(1)
        return self.body((x - self.shift) / self.scale)
