"""Global numeric settings, as Keras keeps them: float type, fuzz factor and image layout."""

import contextlib

import torch

__all__ = [
    "denormals_flushed",
    "epsilon",
    "floatx",
    "flush_denormal",
    "image_data_format",
    "set_epsilon",
    "set_floatx",
    "set_flush_denormal",
    "set_image_data_format",
]

_FLOAT_TYPES = ("float16", "bfloat16", "float32", "float64")
_IMAGE_FORMATS = ("channels_last", "channels_first")
_settings = {"epsilon": 1e-7, "floatx": "float32", "image_data_format": "channels_last", "flush_denormal": True}
_settings["floatx_dtype"] = torch.float32  # `floatx()` as a torch dtype, asked for on every call of every layer


def epsilon():
    """The fuzz factor added to denominators, `1e-7` unless changed.

    >>> epsilon()
    1e-07
    """
    return _settings["epsilon"]


def set_epsilon(value):
    """Sets the fuzz factor returned by `epsilon()`."""
    _settings["epsilon"] = float(value)


def floatx():
    """The default float type of new weights, as a string (`'float32'` unless changed).

    >>> floatx()
    'float32'
    """
    return _settings["floatx"]


def set_floatx(value):
    """Sets the default float type: one of `'float16'`, `'bfloat16'`, `'float32'`, `'float64'`."""
    if value not in _FLOAT_TYPES:
        raise ValueError(f"Unknown floatx: {value!r}. Expected one of {_FLOAT_TYPES}.")
    _settings["floatx"] = value
    _settings["floatx_dtype"] = getattr(torch, value)


def image_data_format():
    """Where image channels sit: `'channels_last'` (Keras's default) or `'channels_first'`."""
    return _settings["image_data_format"]


def set_image_data_format(value):
    """Sets the default image layout for convolution and pooling layers."""
    if value not in _IMAGE_FORMATS:
        raise ValueError(f"Unknown image_data_format: {value!r}. Expected one of {_IMAGE_FORMATS}.")
    _settings["image_data_format"] = value


def torch_dtype(dtype=None):
    """The `torch.dtype` for a Keras dtype name (`None` means `floatx()`)."""
    if dtype is None:
        return _settings["floatx_dtype"]
    if isinstance(dtype, torch.dtype):
        return dtype
    name = str(dtype)
    try:
        return getattr(torch, name.replace("torch.", ""))
    except AttributeError:
        raise ValueError(f"Unknown dtype: {dtype!r}. Use a name such as 'float32' or 'int64'.") from None


def flush_denormal():
    """Whether `fit` and `evaluate` flush subnormal floats to zero on the CPU while they run (True unless changed).

    Adam's second moment decays into float32's subnormal range (below 1.2e-38) once gradients get small, and x86
    CPUs compute with subnormals many times slower: a training step of the Pokémon model took 1.8x as long.
    XLA (Keras on jax) flushes them by default; cornu does so only while its own loops run, on every thread of
    torch's CPU team (`torch.set_flush_denormal` alone reaches the calling thread: the MNIST MLP's epochs slowed
    from 1.45 s to 1.9 s as the worker thread's half of each product met subnormals).
    """
    return _settings["flush_denormal"]


def set_flush_denormal(value):
    """Turns the flushing of subnormal floats during `fit`/`evaluate` on (default) or off (the flag is left alone)."""
    _settings["flush_denormal"] = bool(value)


@contextlib.contextmanager
def denormals_flushed():
    """Flushes subnormal floats to zero inside the block (when `flush_denormal()`), and stops afterwards."""
    from cornu.backend.openmp import on_every_thread

    # on every thread of torch's CPU team: the flag is per thread, and the workers compute half of each product
    changed = _settings["flush_denormal"] and on_every_thread(_flush_on)
    try:
        yield
    finally:
        if changed:
            on_every_thread(_flush_off)


def _flush_on():
    return torch.set_flush_denormal(True)


def _flush_off():
    return torch.set_flush_denormal(False)
