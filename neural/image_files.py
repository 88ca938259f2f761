"""Image data read from standard local files (no downloads): Fashion-MNIST idx, CIFAR-10 python
batches, and scikit-learn's bundled digits.  Every loader returns float32 tensors scaled to [-1, 1]
with shape (n, C, H, W) and raises a one-line ValueError on a missing directory or a wrong format.
"""
import gzip
import os
import pickle
import struct

import numpy as np
import torch
from sklearn.datasets import load_digits

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
FASHION_MNIST_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                       "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
CIFAR10_FILES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}


def _open(path):
    with open(path, "rb") as handle:
        head = handle.read(2)
    return gzip.open(path, "rb") if head == b"\x1f\x8b" else open(path, "rb")


def read_idx(path):
    """An idx file (LeCun's MNIST format, optionally gzipped) as a numpy array.

    Header: two zero bytes, a type byte (0x08 = uint8, ...), the number of dimensions, then each
    dimension as a big-endian uint32; the data follow in C order.
    """
    try:
        with _open(path) as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise ValueError(f"cannot read idx file {path}: {error}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES or raw[3] < 1:
        raise ValueError(f"{path} is not an idx file (bad magic number)")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path} is not an idx file (truncated header)")
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(dims)) * dtype.itemsize
    body = raw[4 + 4 * ndim:]
    if len(body) != expected:
        raise ValueError(f"{path}: idx header promises {expected} data bytes, file holds {len(body)}")
    return np.frombuffer(body, dtype=dtype).reshape(dims)


def _find(data_dir, name, subdirs=("",)):
    for sub in subdirs:
        for candidate in (name, name + ".gz"):
            path = os.path.join(data_dir, sub, candidate)
            if os.path.isfile(path):
                return path
    return None


def _check_dir(data_dir, what):
    if data_dir is None or not os.path.isdir(str(data_dir)):
        raise ValueError(f"data_dir for {what} must be an existing directory, got {data_dir!r}")


def _check_split(split, allowed):
    if split not in allowed:
        raise ValueError(f"split must be one of {tuple(allowed)}, got {split!r}")


def _to_unit_interval(images_uint8):
    """``x / 127.5 - 1``: uint8 [0, 255] to float32 [-1, 1]."""
    return torch.from_numpy(np.array(images_uint8, dtype=np.float32, copy=True)).div_(127.5).sub_(1.0)


def load_fashion_mnist(data_dir, split="train", return_labels=False):
    """Fashion-MNIST from its idx files (``train-images-idx3-ubyte[.gz]`` ...): (n, 1, 28, 28) in [-1, 1].

    Parameters
    ----------
    data_dir : str or path-like
        Directory holding the idx files (directly or in FashionMNIST/raw, fashion-mnist or raw).
    split : {"train", "test"}
        Which split (default "train").
    return_labels : bool
        Also return the labels.

    Returns
    -------
    torch.Tensor or (torch.Tensor, torch.Tensor)
        float32 images ``x / 127.5 - 1`` of shape (n, 1, 28, 28), and with return_labels the
        int64 labels (n,).

    Raises
    ------
    ValueError
        If split is unknown, data_dir is not an existing directory, an image or label file is
        missing or unreadable, not an idx file, or of the wrong dtype or shape.
    """
    _check_split(split, FASHION_MNIST_FILES)
    _check_dir(data_dir, "fashion_mnist")
    image_name, label_name = FASHION_MNIST_FILES[split]
    subdirs = ("", "FashionMNIST/raw", "fashion-mnist", "raw")
    path = _find(data_dir, image_name, subdirs)
    if path is None:
        raise ValueError(f"no {image_name}[.gz] in {data_dir} (expected the standard Fashion-MNIST idx files)")
    images = read_idx(path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{path}: expected uint8 images of shape (n, 28, 28), got {images.dtype} {images.shape}")
    x = _to_unit_interval(images)[:, None]
    if not return_labels:
        return x
    label_path = _find(data_dir, label_name, subdirs)
    if label_path is None:
        raise ValueError(f"no {label_name}[.gz] in {data_dir}")
    labels = read_idx(label_path)
    if labels.shape != (images.shape[0],):
        raise ValueError(f"{label_path}: expected {images.shape[0]} labels, got shape {labels.shape}")
    return x, torch.from_numpy(labels.astype(np.int64))


class _BatchUnpickler(pickle.Unpickler):
    """Unpickles only what CIFAR-10 batches contain (dicts, lists, bytes, numpy arrays)."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
                ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"forbidden global {module}.{name}")


def read_cifar_batch(path):
    """One CIFAR-10 python batch: uint8 images (n, 3, 32, 32) and int64 labels (n,)."""
    try:
        with open(path, "rb") as handle:
            batch = _BatchUnpickler(handle, encoding="bytes").load()
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError) as error:
        raise ValueError(f"{path} is not a CIFAR-10 python batch: {error}") from None
    if not isinstance(batch, dict):
        raise ValueError(f"{path} is not a CIFAR-10 python batch (not a dict)")
    data = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    data = np.asarray(data) if data is not None else None
    if data is None or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{path}: expected uint8 'data' of shape (n, 3072)")
    if labels is None or len(labels) != data.shape[0]:
        raise ValueError(f"{path}: expected {data.shape[0]} 'labels'")
    return data.reshape(-1, 3, 32, 32), np.asarray(labels, dtype=np.int64)


def load_cifar10(data_dir, split="train", return_labels=False):
    """CIFAR-10 from its python batches (``data_batch_1..5``, ``test_batch``; directly in data_dir or in
    ``cifar-10-batches-py``): (n, 3, 32, 32) in [-1, 1].

    Parameters
    ----------
    data_dir : str or path-like
        Directory holding the batches.
    split : {"train", "test"}
        Which split (default "train").
    return_labels : bool
        Also return the labels.

    Returns
    -------
    torch.Tensor or (torch.Tensor, torch.Tensor)
        float32 images ``x / 127.5 - 1`` of shape (n, 3, 32, 32), and with return_labels the
        int64 labels (n,).

    Raises
    ------
    ValueError
        If split is unknown, data_dir is not an existing directory, a batch is missing, or a
        batch is not a CIFAR-10 python batch (unreadable, forbidden pickle globals, wrong
        'data' or 'labels').
    """
    _check_split(split, CIFAR10_FILES)
    _check_dir(data_dir, "cifar10")
    parts = []
    for name in CIFAR10_FILES[split]:
        path = next((os.path.join(data_dir, sub, name) for sub in ("", "cifar-10-batches-py")
                     if os.path.isfile(os.path.join(data_dir, sub, name))), None)
        if path is None:
            raise ValueError(f"no {name} in {data_dir} (expected the CIFAR-10 python batches)")
        parts.append(read_cifar_batch(path))
    x = _to_unit_interval(np.concatenate([p[0] for p in parts]))
    if not return_labels:
        return x
    return x, torch.from_numpy(np.concatenate([p[1] for p in parts]))


def load_digits_images(return_labels=False):
    """scikit-learn's bundled 8x8 digits (1797 images, values 0..16) as (n, 1, 8, 8): ``x / 8 - 1``.

    Parameters
    ----------
    return_labels : bool
        Also return the labels.

    Returns
    -------
    torch.Tensor or (torch.Tensor, torch.Tensor)
        float32 images in [-1, 1] of shape (1797, 1, 8, 8), and with return_labels the int64
        labels.
    """
    bunch = load_digits()
    x = torch.from_numpy(bunch.images.astype(np.float32) / 8.0 - 1.0)[:, None]
    if not return_labels:
        return x
    return x, torch.from_numpy(bunch.target.astype(np.int64))
