"""The gaussian_residual parameterization (neural.gaussian_residual): with the correction at zero it is
the exact noise of N(mu, tau^2) at every t (closed form, THEORY.md section 1); far from the data its
score is that Gaussian's, linear in x, whatever the bounded network says; the default eps predictor's
score stays bounded there (the control: the tails THEORY.md section 8 calls infinite in chi2)."""
import math

import pytest
import torch

from neural import VPSDE, make_learner
from neural.devices import cpu_threads
from neural.gaussian_residual import GaussianResidualPredictor
from neural.mlp import ResidualMLP
from neural.training import EpsilonScore


@pytest.fixture(autouse=True)
def one_thread():
    with cpu_threads(1):
        yield


def gaussian_score(x, t, mu, tau):
    a, s2 = math.exp(-t / 2), -math.expm1(-t)
    return -(x - a * mu) / (a * a * tau * tau + s2)


def test_zero_correction_is_the_gaussian_noise_at_every_time():
    mu, tau = 1.5, 0.7
    model = GaussianResidualPredictor(ResidualMLP(1, hidden=8, depth=1), tau, torch.tensor([mu]))  # output starts at 0
    score = EpsilonScore(model, VPSDE())
    x = torch.linspace(-20, 20, 41)[:, None]
    for t in (0.02, 0.3, 1.0, 4.0):
        assert torch.allclose(score(x, t), gaussian_score(x, t, mu, tau), rtol=1e-5, atol=1e-5)
        # control: a wrong tail scale differs
        assert not torch.allclose(score(x, t), gaussian_score(x, t, mu, 0.7 * tau), rtol=1e-3, atol=1e-3)


def test_trained_scores_far_away_linear_for_gaussian_residual_bounded_for_eps():
    x = torch.cat([torch.randn(300, 1) * 0.5 - 3, torch.randn(300, 1) * 0.5 + 3])
    far = torch.tensor([[-200.0], [200.0]])
    slopes = {}
    for p in ("eps", "gaussian_residual"):
        kw = {"tail_scale": 0.5} if p == "gaussian_residual" else {}
        learner = make_learner("mlp", (1,), "cpu", steps=150, hidden=16, depth=1, parameterization=p, **kw)
        score = learner.fit(x, generator=0)
        s = score(far, 0.02)
        slopes[p] = float((s[1] - s[0]) / 400)
    # the Gaussian's slope at t = 0.02: -1 / (a^2 tau^2 + s^2) = -1 / 0.265; the correction is O(1/s_t) / 400
    assert abs(slopes["gaussian_residual"] + 1 / (math.exp(-0.02) * 0.25 - math.expm1(-0.02))) < 0.1
    assert abs(slopes["eps"]) < 0.1   # bounded eps: the score is flat far away


def test_parameterization_options_are_checked():
    with pytest.raises(ValueError, match="parameterization"):
        make_learner("mlp", (1,), "cpu", parameterization="x0")
    with pytest.raises(ValueError, match="tail_scale"):
        make_learner("mlp", (1,), "cpu", tail_scale=0.5)
    with pytest.raises(ValueError, match="tail_scale"):
        GaussianResidualPredictor(ResidualMLP(1, hidden=4, depth=1), 0.0)


def test_train_options_pass_the_parameterization_and_refuse_misuse(tmp_path):
    from validate.cli import main
    from validate.cli.train import add_arguments
    from validate.cli.train_options import train_config
    import argparse
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--target", "gmm1d", "--model", "mlp", "--parameterization", "gaussian_residual",
                              "--tail-scale", "0.6", "--device", "cpu", "--out", str(tmp_path / "run")])
    assert train_config(args).model_kw == {"parameterization": "gaussian_residual", "tail_scale": 0.6}
    for argv in (["--model", "kde", "--parameterization", "gaussian_residual"], ["--model", "mlp", "--tail-scale", "0.5"]):
        assert main(["train", *argv, "--out", str(tmp_path / "refused")]) == 2
    assert not (tmp_path / "refused").exists()
