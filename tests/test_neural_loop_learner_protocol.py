"""The public retraining engine (`neural.Retraining`) with a learner written outside the toolkit
(`neural.Learner`): a learner is any object with the protocol's members, checked before any work;
the law strategy follows from what the learner says (`kernel_bandwidth`), not from its name."""
import json

import pytest
import torch

from neural import KDEScore, Learner, MixtureLaws, ProxyLaws, Retraining, RetrainingConfig, check_learner


class UserKDE:
    """A user's kernel learner: the KDE of the training set, optionally declaring its bandwidth."""

    name = "user_kde"
    reusable = False
    warm_start = False

    def __init__(self, bandwidth, declare=True):
        self.bandwidth, self.n = bandwidth, None
        self.kernel_bandwidth = bandwidth if declare else None

    def fit(self, x_train, generator=None, progress=False):
        self.n = int(x_train.shape[0])
        return KDEScore(x_train, self.bandwidth)

    def state_dict(self):
        return {"bandwidth": self.bandwidth, "n_points": self.n}

    def load_state_dict(self, state):
        raise ValueError("not reusable")


def _config(**kw):
    base = dict(target="gmm", model="kde", generations=2, n=48, steps=6, eval_paths=80, eval_points=40,
                metrics=["D_kl", "eps2", "epshat2"], device="cpu", seed=5, bandwidth=0.5)
    base.update(kw)
    return RetrainingConfig(**base)


def test_user_kernel_learner_reproduces_the_toolkit_kde(tmp_path):
    """A user's KDE that declares its bandwidth gets the exact mixture laws, and the same numbers as
    the toolkit's KDE (an independent implementation of the same learner)."""
    ours = Retraining(_config(generations=1), tmp_path / "kde").run()
    user = Retraining(_config(generations=1), tmp_path / "user", learner=UserKDE(0.5))
    assert isinstance(user.laws, MixtureLaws) and isinstance(user.learner, Learner)
    theirs = user.run()
    for a, b in zip(ours, theirs):
        for key in ("second_moment", "D_kl", "eps2", "epshat2", "variance_added_kde"):
            assert b[key] == pytest.approx(a[key], rel=1e-6), key
    assert torch.load(tmp_path / "user" / "gen_0000" / "checkpoint.pt", weights_only=False)["model"] == "user_kde"


def test_undeclared_kernel_takes_the_proxies(tmp_path):
    run = Retraining(_config(generations=1), tmp_path / "u", learner=UserKDE(0.5, declare=False))
    assert isinstance(run.laws, ProxyLaws)
    line = run.step()
    assert line["D_kl_estimator"].startswith("gaussian_proxy") and "variance_added_kde" not in line


@pytest.mark.parametrize("missing", ["fit", "state_dict", "load_state_dict", "reusable", "kernel_bandwidth"])
def test_missing_member_fails_before_any_work(tmp_path, missing):
    members = {k: getattr(UserKDE, k) for k in ("fit", "state_dict", "load_state_dict", "name", "reusable",
                                                   "warm_start")}
    members.pop(missing, None)
    broken = type("Broken", (), members)()
    if missing != "kernel_bandwidth":
        broken.kernel_bandwidth = None
    with pytest.raises(ValueError, match=missing):
        Retraining(_config(), tmp_path / "b", learner=broken)
    assert not (tmp_path / "b").exists()
    check_learner(UserKDE(0.5))   # the control: a complete learner passes


def test_step_advances_one_generation_and_resumes(tmp_path):
    """step() commits one generation; a new run object on the same directory continues from it, with
    the lines of an uninterrupted run."""
    whole = Retraining(_config(metrics=[]), tmp_path / "whole").run()
    first = Retraining(_config(metrics=[]), tmp_path / "parts")
    assert first.step()["generation"] == 0 and first.next == 1
    second = Retraining(_config(metrics=[]), tmp_path / "parts")
    assert second.open() == 1
    second.step()
    assert second.done
    with pytest.raises(ValueError, match="generations"):
        second.step()
    lines = [json.loads(s) for s in (tmp_path / "parts" / "metrics.jsonl").read_text().splitlines()]
    assert [x["second_moment"] for x in lines] == [x["second_moment"] for x in whole]
