"""Classifier density-ratio estimator of chi2(p || q) and KL(p || q).

A probabilistic classifier is trained to tell samples of p (label 1) from samples of q (label 0).
Its logit f estimates `log(n_p p(x) / (n_q q(x)))`, so the density ratio is
`r(x) = p(x)/q(x) = exp(f(x)) n_q / n_p` (training-set sizes). On held-out samples of p:

    KL(p || q)   = E_p[log r(X)]          chi2(p || q) = E_p[r(X)] - 1

(`E_p[r] = E_q[r^2]`, THEORY.md §2). The standard errors are the held-out sample standard
deviations over sqrt(n). Bias: zero only if the classifier family holds the true log-ratio; the
default `"logistic_quadratic"` (logistic regression on all monomials of degree <= 2 of the
standardized inputs) holds it exactly for two Gaussians, whose log-ratio is quadratic. The
`"mlp"` option is for non-Gaussian laws and carries the approximation and optimization error of
a small network. chi2 through E_p[r] is heavy-tailed when p has mass where q has little.
"""
from __future__ import annotations

import math

import torch

from ._arrays import as_tensor_2d, check_same_dim

MODELS = ("logistic_quadratic", "mlp")


def quadratic_features(z: torch.Tensor) -> torch.Tensor:
    """[z_i, z_i z_j (i <= j)] for each row of z."""
    i, j = torch.triu_indices(z.shape[1], z.shape[1], device=z.device)
    return torch.cat([z, z[:, i] * z[:, j]], dim=1)


def _split(x: torch.Tensor, holdout: float, generator: torch.Generator):
    perm = torch.randperm(x.shape[0], generator=generator).to(x.device)
    n_test = max(1, int(round(holdout * x.shape[0])))
    return x[perm[n_test:]], x[perm[:n_test]]


def _fit_logistic_quadratic(x1, x0, l2):
    shift = torch.cat([x1, x0]).mean(0)
    scale = torch.cat([x1, x0]).std(0).clamp_min(1e-12)
    raw = quadratic_features((torch.cat([x1, x0]) - shift) / scale)
    f_mean, f_std = raw.mean(0), raw.std(0).clamp_min(1e-12)

    def features(x):
        return (quadratic_features((x - shift) / scale) - f_mean) / f_std

    phi = features(torch.cat([x1, x0]))
    labels = torch.cat([torch.ones(len(x1)), torch.zeros(len(x0))]).to(phi)
    w = torch.zeros(phi.shape[1] + 1, dtype=phi.dtype, device=phi.device, requires_grad=True)
    opt = torch.optim.LBFGS([w], lr=1.0, max_iter=500, tolerance_grad=1e-10,
                            tolerance_change=1e-14, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        logits = phi @ w[1:] + w[0]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        loss = loss + l2 * (w[1:] ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    w = w.detach()
    return lambda x: features(x) @ w[1:] + w[0]


def _fit_mlp(x1, x0, l2, generator, hidden=64, steps=500, lr=1e-2):
    shift = torch.cat([x1, x0]).mean(0)
    scale = torch.cat([x1, x0]).std(0).clamp_min(1e-12)
    torch_seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(torch_seed)
        net = torch.nn.Sequential(
            torch.nn.Linear(x1.shape[1], hidden), torch.nn.SiLU(),
            torch.nn.Linear(hidden, hidden), torch.nn.SiLU(), torch.nn.Linear(hidden, 1),
        ).to(device=x1.device, dtype=x1.dtype)
    x = (torch.cat([x1, x0]) - shift) / scale
    labels = torch.cat([torch.ones(len(x1)), torch.zeros(len(x0))]).to(x)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=l2)
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x).squeeze(1), labels)
        loss.backward()
        opt.step()
    net.eval()
    return lambda z: net((z - shift) / scale).squeeze(1).detach()


def classifier_divergences(x_p, x_q, model: str = "logistic_quadratic", holdout: float = 0.5,
                           l2: float = 1e-6, seed: int = 0, mlp_steps: int = 500) -> dict:
    """Estimate chi2(p || q) and KL(p || q) from samples x_p ~ p and x_q ~ q.

    Returns `{"chi2", "chi2_se", "kl", "kl_se", "estimator"}`; a fraction `holdout` of each
    sample set is kept out of training and used for the averages; `mlp_steps` full-batch AdamW
    steps train the `"mlp"` model.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    if not 0.0 < holdout < 1.0:
        raise ValueError(f"holdout must be in (0, 1), got {holdout}")
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, got {l2}")
    x_p, x_q = as_tensor_2d(x_p, "x_p"), as_tensor_2d(x_q, "x_q", device=None)
    x_q = x_q.to(x_p.device)
    check_same_dim(x_p, x_q)
    generator = torch.Generator().manual_seed(seed)
    p_train, p_test = _split(x_p, holdout, generator)
    q_train, _ = _split(x_q, holdout, generator)
    if model == "logistic_quadratic":
        logit = _fit_logistic_quadratic(p_train, q_train, l2)
    else:
        logit = _fit_mlp(p_train, q_train, l2, generator, steps=mlp_steps)
    log_r = logit(p_test) - math.log(len(p_train) / len(q_train))
    r = log_r.exp()
    n = len(p_test)
    return {
        "chi2": float(r.mean() - 1), "chi2_se": float(r.std() / math.sqrt(n)),
        "kl": float(log_r.mean()), "kl_se": float(log_r.std() / math.sqrt(n)),
        "estimator": f"classifier_ratio_{model}",
    }
