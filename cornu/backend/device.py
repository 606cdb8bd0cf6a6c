"""Which device cornu computes on: the CPU, or CUDA when it is there, or what the user picked.

The choice is made once, from `CORNU_DEVICE` (e.g. `cuda:0`, the modern form of Theano's
`THEANO_FLAGS=device=gpu0`) or by `set_device`, else the first CUDA device (under `torchrun`, the one at
`LOCAL_RANK`), else Apple MPS, else the CPU.
"""

import os

import torch

__all__ = ["get_device", "set_device"]

_chosen = {"device": None}


def _default_device():
    requested = os.environ.get("CORNU_DEVICE")
    if requested:
        return _checked(requested)
    if torch.cuda.is_available():  # under torchrun each process takes its own GPU (cornu.distribute)
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)) % torch.cuda.device_count())
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _checked(spec):
    try:
        device = torch.device(spec)
    except (RuntimeError, TypeError):
        raise ValueError(f"Unknown device {spec!r}. Use 'cpu', 'cuda', 'cuda:0' or 'mps'.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"Device {spec!r} was requested, but this PyTorch build sees no CUDA GPU. Use 'cpu'.")
    return device


def get_device():
    """The `torch.device` that new weights and training steps use.

    >>> get_device().type in ("cpu", "cuda", "mps")
    True
    """
    if _chosen["device"] is None:
        _chosen["device"] = _default_device()
    return _chosen["device"]


def set_device(device):
    """Chooses the device for weights built from now on (`'cpu'`, `'cuda:1'`, a `torch.device`)."""
    _chosen["device"] = _checked(device)
    return _chosen["device"]
