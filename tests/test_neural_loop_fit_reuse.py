"""A run whose generation-0 fit is the same computation as a finished run's loads that network
(`run_generations(fit_from=...)`, `neural.retraining.reusable_fit`): the same samples and metrics as
training it again, and no reuse when the fit differs."""
import numpy as np
import torch

from neural.learners import make_learner
from neural.retraining import RetrainingConfig, reusable_fit, run_generations
from neural.run_store import RunStore

BASE = dict(target="gmm1d", model="mlp", n=200, steps=40, seed=0, device="cpu",
            model_kw={"steps": 200, "hidden": 64, "depth": 2, "lr": 3e-3})
INJECTED = dict(BASE, injected_error={"type": "aligned", "size": -0.2}, alpha=0.5, generations=1)


def test_injected_run_loads_the_network_and_matches_a_fresh_fit(tmp_path):
    run_generations(RetrainingConfig(alpha=0.1, generations=2, **BASE), tmp_path / "source")
    trained = run_generations(RetrainingConfig(**INJECTED), tmp_path / "trained")
    loaded = run_generations(RetrainingConfig(**INJECTED), tmp_path / "loaded", fit_from=[tmp_path / "source"])
    assert loaded[0]["fit_shared_from"] == "source" and "fit_shared_from" not in trained[0]
    for key in ("D_kl", "eta", "kl_ideal", "w2_to_data"):
        assert loaded[0][key] == trained[0][key]
    for name in ("samples", "training_batch"):
        assert np.array_equal(RunStore(tmp_path / "loaded").load_array(0, name),
                              RunStore(tmp_path / "trained").load_array(0, name))


def test_no_reuse_when_the_fit_differs(tmp_path):
    source = tmp_path / "source"
    run_generations(RetrainingConfig(alpha=0.5, generations=1, **BASE), source)
    batch = torch.as_tensor(RunStore(source).load_array(0, "training_batch"))
    assert reusable_fit(source, RetrainingConfig(**INJECTED), batch) is not None
    other = dict(INJECTED, model_kw=dict(BASE["model_kw"], steps=201))
    assert reusable_fit(source, RetrainingConfig(**other), batch) is None   # another training budget
    assert reusable_fit(source, RetrainingConfig(**dict(INJECTED, seed=1)), batch) is None
    assert reusable_fit(source, RetrainingConfig(**INJECTED), batch + 1e-6) is None   # another training set
    assert reusable_fit(tmp_path / "missing", RetrainingConfig(**INJECTED), batch) is None


def test_loaded_network_is_the_stored_one():
    learner = make_learner("mlp", (1,), "cpu", steps=20, hidden=16, depth=1)
    x = torch.randn(64, 1, generator=torch.Generator().manual_seed(0))
    fitted = learner.fit(x, generator=0)
    state = learner.ema_model.state_dict()
    other = make_learner("mlp", (1,), "cpu", steps=20, hidden=16, depth=1)
    loaded = other.load_state_dict(state)
    y = torch.randn(50, 1, generator=torch.Generator().manual_seed(1))
    assert torch.equal(loaded(y, 0.3), fitted(y, 0.3))
    assert not torch.equal(make_learner("mlp", (1,), "cpu", steps=20, hidden=16, depth=1).fit(x, generator=1)(y, 0.3),
                           fitted(y, 0.3))   # a different fit differs: the comparison can fail
