"""Whole sequences through torch's fused recurrent kernels (`torch._VF.lstm`, `gru`, `rnn_tanh`, `rnn_relu`).

torch keeps `weight_ih (gates * units, in)`, `weight_hh (gates * units, units)` and two biases, one added to each
matmul; Keras keeps `kernel (in, gates * units)`, `recurrent_kernel (units, gates * units)` and one bias (a
`(2, 3 * units)` pair for GRU with `reset_after=True`). LSTM's gate blocks are ordered alike in both (Keras
i, f, c, o; torch i, f, g, o); GRU's are not (Keras z, r, h; torch r, z, n), so its blocks are swapped. Each
`*_weights_to_torch` function is the one place that converts: it returns views and small concatenations of the
Keras parameters, so gradients flow back to them.
"""

import torch

__all__ = ["lstm_weights_to_torch", "gru_weights_to_torch", "simple_rnn_weights_to_torch", "run_fused"]


def lstm_weights_to_torch(kernel, recurrent_kernel, bias=None):
    """torch's `[weight_ih, weight_hh(, bias_ih, bias_hh)]` from Keras's LSTM weights (same gate order).

    >>> w = lstm_weights_to_torch(torch.zeros(3, 8), torch.zeros(2, 8), torch.ones(8))
    >>> [tuple(t.shape) for t in w]
    [(8, 3), (8, 2), (8,), (8,)]
    """
    weights = [kernel.t(), recurrent_kernel.t()]
    if bias is not None:
        weights += [bias, torch.zeros_like(bias)]  # Keras has one bias; torch adds two
    return weights


def _zr_swapped(matrix, units):
    """Keras's GRU blocks (z, r, h) along the last axis, reordered as torch's (r, z, n)."""
    return torch.cat([matrix[..., units : 2 * units], matrix[..., :units], matrix[..., 2 * units :]], dim=-1)


def gru_weights_to_torch(kernel, recurrent_kernel, bias=None):
    """torch's GRU weights from Keras's (only `reset_after=True` has torch's math: bias `(2, 3 * units)`).

    >>> k = torch.arange(6.0).reshape(1, 6)  # blocks z=[0, 1], r=[2, 3], h=[4, 5]
    >>> gru_weights_to_torch(k, torch.zeros(2, 6))[0].flatten().tolist()
    [2.0, 3.0, 0.0, 1.0, 4.0, 5.0]
    """
    units = recurrent_kernel.shape[0]
    weights = [_zr_swapped(kernel, units).t(), _zr_swapped(recurrent_kernel, units).t()]
    if bias is not None:
        weights += [_zr_swapped(bias[0], units), _zr_swapped(bias[1], units)]
    return weights


def simple_rnn_weights_to_torch(kernel, recurrent_kernel, bias=None):
    """torch's Elman RNN weights from Keras's SimpleRNN weights.

    >>> [tuple(t.shape) for t in simple_rnn_weights_to_torch(torch.zeros(3, 2), torch.zeros(2, 2))]
    [(2, 3), (2, 2)]
    """
    weights = [kernel.t(), recurrent_kernel.t()]
    if bias is not None:
        weights += [bias, torch.zeros_like(bias)]
    return weights


_KERNELS = {
    "lstm": torch._VF.lstm,
    "gru": torch._VF.gru,
    "rnn_tanh": torch._VF.rnn_tanh,
    "rnn_relu": torch._VF.rnn_relu,
}


def run_fused(kind, sequences, states, weights, go_backwards=False):
    """Runs a batch-first sequence through torch's kernel `kind`; returns `(outputs, new_states)`.

    `outputs` is `(batch, time, units)` in the order the steps ran (reversed input order with `go_backwards`, as
    Keras returns them); `states` and `new_states` are lists of `(batch, units)` tensors.

    >>> w = lstm_weights_to_torch(torch.zeros(1, 4), torch.zeros(1, 4), torch.zeros(4))
    >>> out, (h, c) = run_fused("lstm", torch.ones(1, 3, 1), [torch.zeros(1, 1), torch.zeros(1, 1)], w)
    >>> tuple(out.shape), round(c.item(), 4)
    ((1, 3, 1), 0.0)
    """
    if go_backwards:
        sequences = torch.flip(sequences, (1,))
    if sequences.is_cuda:  # cuDNN packs the weights into one buffer with views: Keras's transposed kernels are copied
        weights = [weight.contiguous() for weight in weights]
    has_biases = len(weights) == 4
    # `train`: cuDNN keeps what its backward pass needs only in training mode; with no dropout, the outputs are
    # the same either way
    train = torch.is_grad_enabled()
    if kind == "lstm":
        hx = (states[0].unsqueeze(0), states[1].unsqueeze(0))
        outputs, h, c = _KERNELS[kind](sequences, hx, weights, has_biases, 1, 0.0, train, False, True)
        return outputs, [h[0], c[0]]
    outputs, h = _KERNELS[kind](sequences, states[0].unsqueeze(0), weights, has_biases, 1, 0.0, train, False, True)
    return outputs, [h[0]]
