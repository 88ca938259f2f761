"""Targets, image loaders (on small files written here in the standard formats) and device names."""
import gzip
import math
import pickle
import struct

import numpy as np
import pytest
import torch

from neural import make_target, resolve_device
from neural.image_files import load_cifar10, load_fashion_mnist, read_idx


def write_idx(path, array, compress=False):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    with (gzip.open if compress else open)(path, "wb") as handle:
        handle.write(raw)


def test_gmm_default_is_the_documented_paper_mixture():
    gmm = make_target("gmm")
    assert gmm.shape == (10,) and gmm.n_components == 5
    expected = np.zeros((5, 10))
    expected[:, :2] = [[0, 0], [4, 4], [4, -4], [-4, 4], [-4, -4]]
    np.testing.assert_array_equal(gmm.means.numpy(), expected)
    np.testing.assert_allclose(gmm.covs.numpy(), 0.36)
    np.testing.assert_allclose(gmm.weights.numpy(), 0.2)
    x = gmm.sample(50000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    # independent moments: mean 0, var 0.36 + 4^2 * 4/5 in the first two coordinates, 0.36 elsewhere
    var = np.full(10, 0.36)
    var[:2] += 16 * 0.8
    assert np.abs(x.mean(0).numpy()).max() < 4.5 * math.sqrt(var.max() / 50000)
    assert np.abs(x.var(0).numpy() / var - 1).max() < 0.05


def test_gaussian_target_score_and_log_prob_closed_form():
    cov = np.array([[1.0, 0.3], [0.3, 0.5]])
    target = make_target("gaussian", dim=2, mean=[1.0, 2.0], cov=cov)
    x = torch.randn(7, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    t = 0.7
    lam = math.exp(-t) * cov + (1 - math.exp(-t)) * np.eye(2)
    expected = -(x.numpy() - math.exp(-t / 2) * np.array([1.0, 2.0])) @ np.linalg.inv(lam).T
    np.testing.assert_allclose(target.score(x, t).numpy(), expected, rtol=1e-12)
    from scipy.stats import multivariate_normal
    np.testing.assert_allclose(target.log_prob(x).numpy(),
                               multivariate_normal([1.0, 2.0], cov).logpdf(x.numpy()), rtol=1e-12)


def test_two_d_toys_and_digits():
    ring = make_target("ring")
    r = ring.sample(4000, generator=torch.Generator().manual_seed(2)).norm(dim=1)
    assert abs(float(r.mean()) - 3.0) < 0.05
    moons = make_target("two_moons").sample(100, generator=torch.Generator().manual_seed(3))
    assert moons.shape == (100, 2) and torch.isfinite(moons).all()
    digits = make_target("digits")
    assert digits.shape == (1, 8, 8) and len(digits) == 1797
    assert float(digits.data.min()) == -1.0 and float(digits.data.max()) == 1.0
    batch = digits.sample(5, generator=torch.Generator().manual_seed(4))
    assert batch.shape == (5, 1, 8, 8)


@pytest.mark.parametrize("compress", [False, True])
def test_fashion_mnist_idx_loader(tmp_path, compress):
    images = np.random.default_rng(0).integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
    suffix = ".gz" if compress else ""
    write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", images, compress)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", np.arange(6, dtype=np.uint8), compress)
    np.testing.assert_array_equal(read_idx(tmp_path / f"train-images-idx3-ubyte{suffix}"), images)
    x, labels = load_fashion_mnist(tmp_path, return_labels=True)
    assert x.shape == (6, 1, 28, 28)
    np.testing.assert_allclose(x[:, 0].numpy(), images / 127.5 - 1, atol=1e-6)
    assert labels.tolist() == list(range(6))
    assert make_target("fashion_mnist", data_dir=str(tmp_path)).shape == (1, 28, 28)


def test_fashion_mnist_bad_files(tmp_path):
    with pytest.raises(ValueError, match="data_dir"):
        make_target("fashion_mnist", data_dir=str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="train-images"):
        load_fashion_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"not an idx file at all")
    with pytest.raises(ValueError, match="idx"):
        load_fashion_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 5, 5), dtype=np.uint8))
    with pytest.raises(ValueError, match="28, 28"):
        load_fashion_mnist(tmp_path)
    raw = (tmp_path / "train-images-idx3-ubyte").read_bytes()
    (tmp_path / "train-images-idx3-ubyte").write_bytes(raw[:-3])
    with pytest.raises(ValueError, match="data bytes"):
        load_fashion_mnist(tmp_path)


def write_cifar_batch(path, n, seed):
    rng = np.random.default_rng(seed)
    batch = {b"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
             b"labels": list(rng.integers(0, 10, size=n)), b"batch_label": b"test"}
    with open(path, "wb") as handle:
        pickle.dump(batch, handle)
    return batch


def test_cifar10_loader(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    batches = [write_cifar_batch(folder / f"data_batch_{i}", 3, i) for i in range(1, 6)]
    write_cifar_batch(folder / "test_batch", 2, 9)
    x, labels = load_cifar10(tmp_path, return_labels=True)
    assert x.shape == (15, 3, 32, 32)
    first = batches[0][b"data"][0].reshape(3, 32, 32)  # CIFAR layout: 1024 red, 1024 green, 1024 blue
    np.testing.assert_allclose(x[0].numpy(), first / 127.5 - 1, atol=1e-6)
    assert labels[:3].tolist() == [int(v) for v in batches[0][b"labels"]]
    assert load_cifar10(tmp_path, split="test").shape == (2, 3, 32, 32)


def test_cifar10_bad_files(tmp_path):
    with pytest.raises(ValueError, match="data_batch_1"):
        load_cifar10(tmp_path)
    for i in range(1, 6):
        (tmp_path / f"data_batch_{i}").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="CIFAR-10 python batch"):
        load_cifar10(tmp_path)
    with open(tmp_path / "data_batch_1", "wb") as handle:
        pickle.dump({b"data": np.zeros((2, 10), dtype=np.uint8), b"labels": [0, 1]}, handle)
    with pytest.raises(ValueError, match="3072"):
        load_cifar10(tmp_path)
    with open(tmp_path / "data_batch_1", "wb") as handle:
        pickle.dump(torch.nn.Linear, handle)  # arbitrary globals are refused, not executed
    with pytest.raises(ValueError, match="forbidden"):
        load_cifar10(tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_cifar10(tmp_path, split="valid")


def test_bad_names_and_devices():
    with pytest.raises(ValueError, match="target must be one of"):
        make_target("mnist")
    with pytest.raises(ValueError, match="dim"):
        make_target("gaussian", dim=0)
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(ValueError, match="device must be one of"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")
