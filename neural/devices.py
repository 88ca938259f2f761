"""Resolve a device name ("auto", "cpu", "cuda", "cuda:N") to a ``torch.device``."""
import contextlib

import torch
from threadpoolctl import threadpool_limits

ALLOWED_DEVICES = ("auto", "cpu", "cuda", "cuda:N")


def resolve_device(device="auto"):
    """``"auto"``: CUDA when present, else CPU; ``"cuda"`` without CUDA is a ValueError.

    Parameters
    ----------
    device : str or torch.device
        "auto", "cpu", "cuda" or "cuda:N" (case and surrounding blanks ignored; default "auto").

    Returns
    -------
    torch.device
        The device.

    Raises
    ------
    ValueError
        If device is not a str or torch.device or not one of the allowed names, CUDA is requested
        but not available, or the index N is not below the number of CUDA devices.
    """
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise ValueError(f"device must be one of {ALLOWED_DEVICES}, got {device!r}")
    name = device.strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or (name.startswith("cuda:") and name[5:].isdigit()):
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} requested but CUDA is not available on this machine; "
                             "use --device cpu or auto")
        index = int(name[5:]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s) present")
        return torch.device(name)
    raise ValueError(f"device must be one of {ALLOWED_DEVICES}, got {device!r}")


def make_generator(seed_or_generator, device):
    """A ``torch.Generator`` on ``device``: pass one through, seed a new one from an int, or None.

    Parameters
    ----------
    seed_or_generator : int, torch.Generator or None
        Seed, generator (returned as is) or None (returned as is).
    device : str or torch.device
        Device of a newly seeded generator.

    Returns
    -------
    torch.Generator or None
        The generator.

    Raises
    ------
    ValueError
        If seed_or_generator is a bool or of another type.
    """
    if seed_or_generator is None or isinstance(seed_or_generator, torch.Generator):
        return seed_or_generator
    if isinstance(seed_or_generator, bool) or not isinstance(seed_or_generator, int):
        raise ValueError(f"seed must be an int, a torch.Generator or None, got {seed_or_generator!r}")
    generator = torch.Generator(device=torch.device(device))
    generator.manual_seed(seed_or_generator)
    return generator


@contextlib.contextmanager
def cpu_threads(n):
    """Temporarily run torch CPU ops and numpy's BLAS on n threads (small models on a shared machine run
    faster on one; an idle BLAS thread pool spins on the other core: in `collapse reproduce`'s lanes
    the 2-D grid chains burnt 3-4x their CPU time so, bench/RESULTS.md 2026-12-02 speed).

    Parameters
    ----------
    n : int
        Number of threads inside the ``with`` block; the previous numbers are restored on exit.

    Yields
    ------
    None
    """
    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        with threadpool_limits(limits=int(n), user_api="blas"):
            yield
    finally:
        torch.set_num_threads(before)
