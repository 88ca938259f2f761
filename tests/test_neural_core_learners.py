"""Learners: KDE, a residual MLP trained by denoising score matching, and a U-Net on digits."""
import math

import pytest
import torch

from neural import VPSDE, euler_maruyama, make_learner, time_grid, make_target, KDEScore, ResidualMLP, UNet
from neural.devices import cpu_threads
from neural.training import EpsilonPredictor, train_denoiser, cosine_with_warmup


@pytest.fixture(autouse=True)
def one_thread():  # small tensors on a shared 2-core machine: one thread avoids oversubscription
    with cpu_threads(1):
        yield


def relative_score_error(score, exact, x0, t, gen):
    x_t = VPSDE().perturb(x0, t, torch.randn(x0.shape, generator=gen))
    reference = exact(x_t.double(), t)
    return float(((score(x_t, t).double() - reference) ** 2).sum(1).mean() / (reference ** 2).sum(1).mean())


def test_mlp_learner_recovers_a_gaussian_score():
    target = make_target("gaussian", dim=2, mean=[1.0, -1.0], cov=[[0.5, 0.2], [0.2, 0.3]])
    x = target.sample(4000, generator=torch.Generator().manual_seed(0))
    learner = make_learner("mlp", (2,), "cpu", steps=400, batch_size=256, lr=2e-3, hidden=64, depth=2)
    score = learner.fit(x, generator=1)
    assert learner.losses.shape == (400,) and torch.isfinite(learner.losses).all()
    assert float(learner.losses[-50:].mean()) < 0.5 * float(learner.losses[:10].mean())
    gen = torch.Generator().manual_seed(2)
    probe = target.sample(3000, generator=gen)
    prior = make_target("gaussian", dim=2)  # control: the N(0, I) score must be rejected by the same check
    for t in (0.1, 0.5, 2.0):
        assert relative_score_error(score, target.score, probe, t, gen) < 0.05
        assert relative_score_error(lambda y, s: prior.score(y.double(), s), target.score, probe, t, gen) > 0.05
    out = euler_maruyama(score, torch.randn(500, 2, generator=gen), time_grid(50), generator=gen)
    assert out.shape == (500, 2) and abs(float(out.mean(0)[0]) - 1.0) < 0.25


def test_mlp_fit_is_reproducible_and_fourier_features_run():
    x = make_target("ring").sample(256, generator=torch.Generator().manual_seed(3))
    runs = [make_learner("mlp", (2,), steps=5, batch_size=32, hidden=16, depth=1, time_features="fourier")
            .fit(x, generator=7)(x[:4], 0.5) for _ in range(2)]
    torch.testing.assert_close(runs[0], runs[1], rtol=0, atol=0)


def test_kde_learner_is_the_kde_score():
    x = make_target("gmm").sample(100, generator=torch.Generator().manual_seed(4))
    score = make_learner("kde", (10,)).fit(x)
    probe = x[:5] + 0.1
    torch.testing.assert_close(score(probe, 0.3), KDEScore(x, 0.6)(probe, 0.3))
    assert make_learner("kde", (10,), bandwidth=0.2).fit(x).bandwidth == 0.2


def test_unet_trains_on_digits():
    digits = make_target("digits")
    learner = make_learner("unet", digits.shape, "cpu", steps=30, batch_size=32, lr=2e-3, base_channels=16,
                           channel_mults=(1, 2), dropout=0.1, warmup=0.0)
    score = learner.fit(digits.data[:256], generator=0)
    losses = learner.losses
    assert torch.isfinite(losses).all()
    assert float(losses[-10:].mean()) < float(losses[:5].mean())
    x = torch.randn(3, 1, 8, 8)
    out = score(x, torch.tensor([0.1, 1.0, 3.0]))
    assert out.shape == x.shape and torch.isfinite(out).all()
    with pytest.raises(ValueError, match="divisible"):
        UNet(1, 8, (1, 2, 2))(torch.zeros(1, 1, 6, 6), torch.zeros(1))


def test_bf16_autocast_path_runs_on_cpu():
    wrapped = EpsilonPredictor(ResidualMLP(2, hidden=16, depth=1))
    result = train_denoiser(wrapped, torch.randn(64, 2), steps=3, batch_size=8, amp=True)
    assert torch.isfinite(result.losses).all() and result.ema_model is not wrapped


def test_progress_bar_shows_the_loss_without_a_requires_grad_warning(capsys):
    """The bar's loss is a detached value (torch warned "Converting a tensor with requires_grad=True
    to a scalar" from float(loss), issue 20 point 5); the control: float of the live loss warns."""
    import warnings

    wrapped = EpsilonPredictor(ResidualMLP(2, hidden=8, depth=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train_denoiser(wrapped, torch.randn(32, 2), steps=2, batch_size=8, amp=False, progress=True)
    assert "loss=" in capsys.readouterr().err
    live = wrapped(torch.randn(4, 2), torch.ones(4)).pow(2).mean()
    with pytest.warns(UserWarning, match="requires_grad"):
        float(live)


def test_cosine_schedule_values():
    f = cosine_with_warmup(110, 10)
    assert f(0) == pytest.approx(0.1) and f(9) == pytest.approx(1.0)
    assert f(10) == pytest.approx(1.0) and f(60) == pytest.approx(0.5) and f(110) == pytest.approx(0.0)


def test_learner_bad_input():
    with pytest.raises(ValueError, match="learner must be one of"):
        make_learner("transformer", (2,))
    with pytest.raises(ValueError, match="vector data"):
        make_learner("mlp", (1, 8, 8))
    with pytest.raises(ValueError, match="image data"):
        make_learner("unet", (2,))
    with pytest.raises(ValueError, match="bandwidth"):
        make_learner("kde", (2,), bandwidth=-1)
    with pytest.raises(ValueError, match="unknown learner options"):
        make_learner("mlp", (2,), stepz=3)
    with pytest.raises(ValueError, match="x_train"):
        make_learner("kde", (2,)).fit(torch.zeros(5, 3))
    with pytest.raises(ValueError, match="steps"):
        make_learner("mlp", (2,), steps=0).fit(torch.zeros(5, 2))


def test_ddpm_runs_with_a_trained_unet():
    from neural import ddpm_sample, linear_betas
    from neural.sampling import ddpm_times
    digits = make_target("digits")
    betas = linear_betas(20, 1e-3, 0.3)
    learner = make_learner("unet", digits.shape, steps=3, batch_size=8, base_channels=8,
                           t_max=float(ddpm_times(betas)[-1]))
    learner.fit(digits.data[:32], generator=0)
    gen = torch.Generator().manual_seed(0)
    out = ddpm_sample(learner.ema_model, torch.randn(4, 1, 8, 8, generator=gen), time_grid(betas=betas), generator=gen)
    assert out.shape == (4, 1, 8, 8) and torch.isfinite(out).all()


@pytest.mark.parametrize("channels,size,mults", [(1, 28, (1, 2, 2)), (3, 32, (1, 2, 2, 2))])
def test_unet_shapes_for_fashion_mnist_and_cifar(channels, size, mults):
    net = UNet(channels, 8, mults, dropout=0.1)
    with torch.no_grad():
        out = net(torch.randn(2, channels, size, size), torch.tensor([0.1, 2.0]))
    assert out.shape == (2, channels, size, size)
    assert float(out.abs().max()) == 0.0  # zero-initialised output layer: eps = 0 at start


def test_log_uniform_training_times_stay_in_the_window_and_favour_small_t():
    class Recorder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))
            self.times = []

        def forward(self, x, t):
            self.times.append(t.detach().clone())
            return x * self.w

    data = torch.randn(32, 2, generator=torch.Generator().manual_seed(0))
    medians = {}
    for law in ("uniform", "log_uniform"):
        model = Recorder()
        train_denoiser(model, data, VPSDE(4.0, 0.02), steps=20, batch_size=64, generator=torch.Generator().manual_seed(1),
                       t_sampling=law)
        t = torch.cat(model.times)
        assert float(t.min()) >= 0.02 and float(t.max()) <= 4.0
        medians[law] = float(t.median())
    assert abs(medians["uniform"] - 2.01) < 0.3 and abs(medians["log_uniform"] - (0.02 * 4.0) ** 0.5) < 0.1
    with pytest.raises(ValueError, match="t_sampling"):
        train_denoiser(Recorder(), data, steps=1, t_sampling="beta")
