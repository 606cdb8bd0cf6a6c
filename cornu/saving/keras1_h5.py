"""Weights of Keras 1.x `.h5` files (whole models and `save_weights` files) in the layouts of Keras 2 and 3.

What tells a Keras 1 file: no `backend` attribute, and a `keras_version` that is absent (Keras 1.0, 1.1, and every
weights-only file) or starts with `1`. Its layer groups list flat weight names (`dense_1_W:0`, `dense_1_b:0`) and
hold the arrays in Keras 1's layouts, which Keras 2's loader rearranged as follows (and so does this module):

- LSTM: 12 arrays `W_i, U_i, b_i, W_c, U_c, b_c, W_f, U_f, b_f, W_o, U_o, b_o`, fused into `kernel`,
  `recurrent_kernel` and `bias` with the gates in Keras's `i, f, c, o` order (`consume_less='gpu'` files already
  hold the 3 fused arrays).
- GRU: 9 arrays `W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h`, fused in `z, r, h` order.
- Convolutions with `dim_ordering='th'`: kernels `(filters, in, rows, cols)` become `(rows, cols, in, filters)`;
  Keras 1's `Convolution1D` kernels `(length, 1, in, filters)` (or the `th` form) lose the unit axis.
- Theano kernels: Theano convolved (flipping the kernel) where TensorFlow correlates, so kernels trained on Theano
  are flipped along their spatial axes. Keras 1 did not record its backend; Theano's variables had bare names
  (`convolution2d_1_W`) where TensorFlow's end in `:0`, which is how the backend is told here.
- BatchNormalization's 4 arrays are `gamma, beta, running_mean, running_std`, where `running_std` held the moving
  *variance* (Keras 1 passed it to `K.batch_normalization` as the variance): they load as they are.
"""

import numpy as np

__all__ = ["is_keras1", "file_version", "uses_theano_kernels", "convert_arrays"]


def _text(value):
    return value.decode("utf8") if isinstance(value, bytes) else (None if value is None else str(value))


def file_version(h5file):
    """The `keras_version` attribute of the file's root (or `None`)."""
    return _text(h5file.attrs.get("keras_version"))


def is_keras1(root, group=None):
    """Whether an open `.h5` file (root, and its weights group) was written by Keras 1.

    Example:
    >>> import h5py, io
    >>> with h5py.File(io.BytesIO(), "w") as f:
    ...     f.attrs["layer_names"] = [b"dense_1"]
    ...     is_keras1(f)
    True
    """
    group = root if group is None else group
    if "backend" in root.attrs or "backend" in group.attrs:
        return False
    version = file_version(root) or _text(group.attrs.get("keras_version"))
    return version is None or version.startswith("1")


def uses_theano_kernels(group, layer_names):
    """Whether the weights were saved by Keras 1 on Theano: its weight names carry no TensorFlow `:0` suffix."""
    for name in layer_names:
        names = group[name].attrs.get("weight_names") if name in group else None
        if names is not None and len(names):
            return not any(":" in _text(n) for n in names)
    return False


def convert_arrays(layer, arrays, theano=False):
    """Keras 1 arrays of one layer in the layout of the cornu `layer` they load into (a list of arrays).

    Example:
    >>> from cornu.layers import GRU
    >>> gru = GRU(2, reset_after=False)
    >>> gru.build((None, 5, 3))
    >>> arrays = [np.zeros((3, 2)), np.zeros((2, 2)), np.zeros(2)] * 3
    >>> [a.shape for a in convert_arrays(gru, arrays)]
    [(3, 6), (2, 6), (6,)]
    """
    kind = type(layer).__name__
    if kind == "Bidirectional":
        half = len(arrays) // 2
        forward = convert_arrays(layer.forward_layer, arrays[:half], theano)
        return forward + convert_arrays(layer.backward_layer, arrays[half:], theano)
    if kind == "TimeDistributed":
        return convert_arrays(layer.layer, arrays, theano)
    if kind == "LSTM" and len(arrays) == 12:
        gates = (0, 2, 1, 3)  # the file's blocks are i, c, f, o; Keras fuses i, f, c, o
        return [np.concatenate([arrays[3 * g + j] for g in gates], axis=-1) for j in range(3)]
    if kind == "GRU" and len(arrays) == 9:
        return [np.concatenate([arrays[3 * g + j] for g in range(3)], axis=-1) for j in range(3)]
    if kind in ("Conv1D", "Conv2D", "Conv3D") and arrays:
        return [_kernel(layer, np.asarray(arrays[0]), theano), *arrays[1:]]
    return list(arrays)


def _kernel(layer, kernel, theano):
    expected = tuple(layer.kernel.shape)
    if type(layer).__name__ == "Conv1D" and kernel.ndim == 4:
        length = expected[0]
        if kernel.shape[:2] != (length, 1):  # the th form (filters, in, length, 1)
            kernel = kernel.transpose(2, 3, 1, 0)
        kernel = kernel[:, 0]
    elif kernel.ndim >= 4:
        to_last = (*range(2, kernel.ndim), 1, 0)  # (filters, in, *spatial) -> (*spatial, in, filters)
        if layer.data_format == "channels_first" or (
            kernel.shape != expected and kernel.transpose(to_last).shape == expected
        ):
            kernel = kernel.transpose(to_last)
    if theano:
        kernel = kernel[(slice(None, None, -1),) * (kernel.ndim - 2)]
    return np.ascontiguousarray(kernel)
