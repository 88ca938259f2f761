"""A diffusers model and its DDPMScheduler through the toolkit (neural/diffusers_adapter.py): the
samples of diffusers' own ``scheduler.step`` loop and of the toolkit's ancestral sampler, reading the
schedule off the scheduler, have the same law (two-sample KS on 20,000 samples each), with and without
clip_sample, for both variance types; the control (the toolkit's sampler told the wrong clipping)
must be told apart. Skipped when diffusers is not installed (the `diffusers` extra)."""
import numpy as np
import pytest
import torch
from scipy.stats import ks_2samp

diffusers = pytest.importorskip("diffusers")
from diffusers import DDPMScheduler  # noqa: E402
from diffusers.configuration_utils import ConfigMixin, register_to_config  # noqa: E402
from diffusers.models.modeling_utils import ModelMixin  # noqa: E402

from gaussian_exact import GridLaw  # noqa: E402
from neural.diffusers_adapter import (DiffusersEps, ddpm_schedule, diffusers_learner,  # noqa: E402
                                      diffusers_score, sample_like_scheduler, scheduler_output_law)
from tests._exact_helpers import ks_p_with_atoms  # noqa: E402

N_SAMPLES = 20_000
TIMESTEPS = 40


class TinyEps(ModelMixin, ConfigMixin):
    """A user's diffusers model of 1-D data: the exact noise prediction of N(0, var) plus a small
    random MLP correction (so the map is not linear), at diffusers' integer or fractional timesteps."""

    @register_to_config
    def __init__(self, var: float = 4.0, num_train_timesteps: int = TIMESTEPS, hidden: int = 16):
        super().__init__()
        betas = torch.linspace(1e-4, 0.3, num_train_timesteps, dtype=torch.float64)
        self.register_buffer("log_abar", torch.cumsum(torch.log1p(-betas), 0))
        self.net = torch.nn.Sequential(torch.nn.Linear(2, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))

    def forward(self, sample, timestep):
        k = torch.as_tensor(timestep, dtype=torch.float64, device=sample.device).reshape(-1).expand(sample.shape[0])
        lo = k.floor().long().clamp(0, self.log_abar.numel() - 1)
        hi = (lo + 1).clamp(max=self.log_abar.numel() - 1)
        log_abar = self.log_abar[lo] + (k - lo) * (self.log_abar[hi] - self.log_abar[lo])
        abar = torch.exp(log_abar).to(sample.dtype)[:, None]
        exact = (1 - abar).sqrt() * sample / (abar * self.config.var + 1 - abar)
        feats = torch.cat([sample, (k / self.config.num_train_timesteps).to(sample.dtype)[:, None]], 1)
        return exact + 0.3 * self.net(feats)


def _scheduler(**kw):
    return DDPMScheduler(num_train_timesteps=TIMESTEPS, beta_start=1e-4, beta_end=0.3, **kw)


def _their_loop(model, scheduler, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(N_SAMPLES, 1, generator=gen)
    with torch.no_grad():
        for k in scheduler.timesteps:
            x = scheduler.step(model(x, k), k, x, generator=gen).prev_sample
    return x


def _ours(model, scheduler, seed):
    gen = torch.Generator().manual_seed(seed)
    return sample_like_scheduler(model, scheduler, torch.randn(N_SAMPLES, 1, generator=gen), generator=gen)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return TinyEps().eval()


@pytest.mark.parametrize("variance_type", ["fixed_small", "fixed_large"])
@pytest.mark.parametrize("clip", [False, True])
def test_the_toolkit_sampler_draws_the_schedulers_chain(model, clip, variance_type):
    scheduler = _scheduler(clip_sample=clip, variance_type=variance_type)
    theirs, ours = _their_loop(model, scheduler, 1), _ours(model, scheduler, 2)
    assert ks_2samp(theirs.numpy().ravel(), ours.numpy().ravel()).pvalue > 1e-3
    if clip:   # the control: the same sampler without clipping is told apart (data std 2 > range 1)
        unclipped = _ours(model, _scheduler(clip_sample=False, variance_type=variance_type), 3)
        assert ks_2samp(theirs.numpy().ravel(), unclipped.numpy().ravel()).pvalue < 1e-6
        assert float(theirs.std()) < 0.8 * float(unclipped.std())


#: the grid that carries the exact laws: spacing 0.0089 below 0.9 sqrt of the smallest step variance (9.9e-5)
CARRIER = GridLaw.mixture([1.0], [[0.0]], [4.0], points=2251, bounds=(-10.0, 10.0))


@pytest.mark.parametrize("variance_type", ["fixed_small", pytest.param("fixed_large", marks=pytest.mark.slow)])
@pytest.mark.parametrize("clip", [False, True])
def test_the_exact_law_matches_the_schedulers_own_loop(model, clip, variance_type):
    """The exact law of x_0 the toolkit computes for the model and its scheduler (the chain's grid law of x_1,
    then the last step at timestep 0: the predicted x0, clipped with clip_sample) against 20,000 samples of
    diffusers' own ``scheduler.step`` loop (measured p 0.17, 0.75; fixed_large 0.15, 0.89), the atoms
    against the share of samples at +-1. Controls: the law for a mutated schedule (beta_end 0.25 for 0.3;
    measured p 1e-19) or without clipping (clipped samples; p 0) must be rejected."""
    scheduler = _scheduler(clip_sample=clip, variance_type=variance_type)
    theirs = _their_loop(model, scheduler, 1).numpy().ravel()
    law = scheduler_output_law(model, scheduler, CARRIER)
    assert ks_p_with_atoms(theirs, law) > 1e-3
    if clip:
        low, high = law.atom_masses()
        assert abs(np.mean(theirs == -1.0) - low) < 4 * np.sqrt(low / N_SAMPLES) and low > 0.05
        assert abs(np.mean(theirs == 1.0) - high) < 4 * np.sqrt(high / N_SAMPLES) and high > 0.05
        control = scheduler_output_law(model, _scheduler(clip_sample=False, variance_type=variance_type), CARRIER)
    else:
        mutated = DDPMScheduler(num_train_timesteps=TIMESTEPS, beta_start=1e-4, beta_end=0.25, variance_type=variance_type)
        control = scheduler_output_law(model, mutated, CARRIER)
    assert ks_p_with_atoms(theirs, control) < 1e-6


def test_schedule_read_from_the_scheduler():
    schedule = ddpm_schedule(_scheduler(clip_sample=True, clip_sample_range=1.5, variance_type="fixed_large",
                                        prediction_type="v_prediction"))
    betas = np.linspace(1e-4, 0.3, TIMESTEPS)
    assert np.allclose(schedule.alphas_cumprod, np.cumprod(1 - betas), rtol=1e-6)
    assert schedule.timesteps == tuple(range(TIMESTEPS - 1, -1, -1))
    assert (schedule.variance, schedule.clip_x0, schedule.prediction_type) == ("beta", 1.5, "v_prediction")
    for bad, message in [({"variance_type": "learned"}, "variance_type"), ({"thresholding": True}, "thresholding")]:
        with pytest.raises(ValueError, match=message):
            ddpm_schedule(_scheduler(**bad))


@pytest.mark.parametrize("prediction", ["sample", "v_prediction"])
def test_x0_and_v_predictions_give_the_same_eps(model, prediction):
    """A model predicting x0 (or v) built from the eps model gives back that eps, and the score is
    -eps / sqrt(1 - abar) at the schedule's times."""
    schedule = ddpm_schedule(_scheduler())
    abar_of = torch.tensor(schedule.alphas_cumprod, dtype=torch.float32)

    def converted(x, k):
        eps = model(x, k)
        abar = abar_of[torch.as_tensor(k).long().reshape(-1)][:, None]
        x0 = (x - (1 - abar).sqrt() * eps) / abar.sqrt()
        return x0 if prediction == "sample" else abar.sqrt() * eps - (1 - abar).sqrt() * x0

    x = torch.linspace(-3, 3, 11)[:, None]
    eps_ref = DiffusersEps(model, schedule)
    eps_conv = DiffusersEps(converted, ddpm_schedule(_scheduler(prediction_type=prediction)))
    for k in (0, 7, TIMESTEPS - 1):
        t = float(schedule.ou_table[k])
        torch.testing.assert_close(eps_conv(x, t), eps_ref(x, t), rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(diffusers_score(model, _scheduler())(x, t),
                                   -model(x, k) / (1 - abar_of[k]).sqrt(), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="within the schedule's OU times"):
        eps_ref(x, float(schedule.ou_table[-1]) * 1.5)


def test_the_learner_trains_a_fresh_model_per_fit():
    learner = diffusers_learner(lambda: TinyEps(), _scheduler(), (1,), "cpu", steps=20, batch_size=64)
    data = 2.0 * torch.randn(256, 1, generator=torch.Generator().manual_seed(0))
    score = learner.fit(data, generator=torch.Generator().manual_seed(1))
    assert learner.name == "diffusers" and len(learner.losses) == 20
    t = float(ddpm_schedule(_scheduler()).ou_table[10])
    assert torch.isfinite(score(data[:8], t)).all()
