"""What the runs of a sweep need from the machine: worker counts and GPU slots."""
from __future__ import annotations

import os

import torch

from validate.sweep.spec import SweepError, SweepRun


def default_workers(gpu: bool) -> int:
    """CPU cores, or the visible CUDA devices when runs take a GPU each (ValueError when none).

    Parameters
    ----------
    gpu : bool
        Whether runs take a GPU each.

    Returns
    -------
    int
        Number of workers.

    Raises
    ------
    SweepError
        If gpu and no CUDA device is visible.
    """
    if not gpu:
        return os.cpu_count() or 1
    count = torch.cuda.device_count()
    if count == 0:
        raise SweepError("device 'cuda' requested but CUDA is not available on this machine; "
                         "use --device cpu, or --scheduler to join a cluster with GPU workers")
    return count


def uses_gpu(run: SweepRun) -> bool:
    """Does this run take a GPU (a train run whose device is CUDA)?

    Parameters
    ----------
    run : SweepRun
        The run.

    Returns
    -------
    bool
        True for a train run on "cuda" or "cuda:N".
    """
    return run.kind == "train" and str(run.config.get("device", "")).startswith("cuda")
