"""Convolution layers against float64 NumPy references: values, Keras layouts, shapes, memory format, errors."""

import numpy as np
import pytest
import torch

from cornu.layers import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    DepthwiseConv2D,
    Input,
    SeparableConv1D,
)
from cornu.layers.conv import ops
from cornu.models import Sequential


def _conv_reference(x, kernel, strides, pads, dilation):
    """Direct channels_last N-D convolution in float64: every output cell is a sum over its (dilated) window."""
    rank = kernel.ndim - 2
    x = np.pad(x.astype("float64"), [(0, 0)] + list(pads) + [(0, 0)])
    span = [(k - 1) * d + 1 for k, d in zip(kernel.shape[:rank], dilation)]
    counts = [(n - s_) // st + 1 for n, s_, st in zip(x.shape[1:-1], span, strides)]
    out = np.zeros((x.shape[0], *counts, kernel.shape[-1]))
    for index in np.ndindex(*counts):
        window = tuple(slice(i * st, i * st + s_, d) for i, st, s_, d in zip(index, strides, span, dilation))
        patch = x[(slice(None), *window)]
        out[(slice(None), *index)] = np.tensordot(patch, kernel.astype("float64"), axes=rank + 1)
    return out


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(
    "kernel_size,strides,dilation", [(3, 1, 1), (2, 2, 1), (3, 2, 1), (3, 1, 2), ((2, 3), (2, 1), 1)]
)
def test_conv2d_matches_direct_convolution(rng, padding, kernel_size, strides, dilation):
    x = rng.normal(size=(2, 7, 8, 3)).astype("float32")
    layer = Conv2D(4, kernel_size, strides=strides, padding=padding, dilation_rate=dilation)
    got = layer(x).detach().numpy()
    kernel, bias = layer.get_weights()
    assert kernel.shape == layer.kernel_size + (3, 4)  # Keras's (kh, kw, in, out)
    pads = [(0, 0)] * 2
    if padding == "same":
        pads = [
            ops.same_padding(n, k, s, d)
            for n, k, s, d in zip((7, 8), layer.kernel_size, layer.strides, layer.dilation_rate)
        ]
    expected = _conv_reference(x, kernel, layer.strides, pads, layer.dilation_rate) + bias
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert got.shape[1:3] == tuple(layer.compute_output_shape((None, 7, 8, 3))[1:3])


def test_same_padding_puts_the_odd_cell_after():
    assert ops.same_padding(8, 3, 2) == (0, 1)  # TensorFlow's rule, which Keras follows
    assert ops.same_padding(7, 4, 1) == (1, 2)
    assert ops.same_padding(5, 3, 1, dilation=2) == (2, 2)


def test_causal_conv1d_sees_no_future(rng):
    x = rng.normal(size=(1, 6, 2)).astype("float32")
    layer = Conv1D(3, 3, padding="causal", dilation_rate=2)
    base = layer(x).detach().numpy()
    x2 = x.copy()
    x2[0, 4:] += 10.0  # change the future: outputs before step 4 must not move
    np.testing.assert_array_equal(layer(x2).detach().numpy()[0, :4], base[0, :4])
    kernel, bias = layer.get_weights()
    expected = _conv_reference(x, kernel, (1,), [(4, 0)], (2,)) + bias
    np.testing.assert_allclose(base, expected, rtol=1e-5, atol=1e-5)


def test_groups_split_channels(rng):
    x = rng.normal(size=(1, 5, 5, 4)).astype("float32")
    layer = Conv2D(6, 3, groups=2)
    got = layer(x).detach().numpy()
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 2, 6)
    first = _conv_reference(x[..., :2], kernel[..., :3], (1, 1), [(0, 0)] * 2, (1, 1))
    second = _conv_reference(x[..., 2:], kernel[..., 3:], (1, 1), [(0, 0)] * 2, (1, 1))
    np.testing.assert_allclose(got, np.concatenate([first, second], -1) + bias, rtol=1e-5, atol=1e-5)


def test_channels_first_equals_transposed_channels_last(rng):
    x = rng.normal(size=(2, 6, 6, 3)).astype("float32")
    last, first = (
        Conv2D(4, 3, strides=2, padding="same"),
        Conv2D(4, 3, strides=2, padding="same", data_format="channels_first"),
    )
    last.build((None, 6, 6, 3))
    first.build((None, 3, 6, 6))
    first.set_weights(last.get_weights())  # the kernel layout does not depend on data_format
    np.testing.assert_allclose(
        first(x.transpose(0, 3, 1, 2).copy()).detach().numpy(),
        last(x).detach().numpy().transpose(0, 3, 1, 2),
        rtol=1e-5,
        atol=1e-6,
    )


def test_conv_transpose_is_the_gradient_of_conv(rng):
    """<conv(x), y> == <x, conv_transpose(y)> with the same kernel: the defining property of a transpose."""
    x = torch.tensor(rng.normal(size=(1, 7, 6, 2)), dtype=torch.float64)
    kernel = torch.tensor(rng.normal(size=(3, 3, 2, 4)), dtype=torch.float64)
    y = torch.tensor(rng.normal(size=(1, 4, 3, 4)), dtype=torch.float64)
    forward = ops.conv(x, kernel, strides=2, padding="same")
    assert forward.shape == y.shape
    # Keras stores a transposed kernel as (kh, kw, filters, in): the forward kernel's (in, out) are swapped roles
    backward = ops.conv_transpose(y, kernel, strides=2, padding="same", output_padding=(0, 1))
    assert backward.shape == (1, 7, 6, 2)
    torch.testing.assert_close((forward * y).sum(), (x * backward).sum())


def test_conv_transpose_output_sizes():
    assert Conv2DTranspose(2, 3, strides=2)(np.ones((1, 4, 5, 1))).shape == (1, 9, 11, 2)
    assert Conv2DTranspose(2, 3, strides=2, padding="same")(np.ones((1, 4, 5, 1))).shape == (1, 8, 10, 2)
    assert Conv1DTranspose(2, 3, strides=2, padding="same", output_padding=1)(np.ones((1, 4, 1))).shape == (1, 8, 2)
    assert Conv2DTranspose(2, 3).compute_output_shape((None, None, 5, 1)) == (None, None, 7, 2)


def test_depthwise_and_separable(rng):
    x = rng.normal(size=(1, 5, 5, 2)).astype("float32")
    layer = DepthwiseConv2D(3, depth_multiplier=2)
    kernel, bias = [w for w in layer(x) is not None and layer.get_weights()]
    got = layer(x).detach().numpy()
    for c in range(2):
        for m in range(2):  # output channel c * multiplier + m comes from input channel c
            expected = _conv_reference(
                x[..., c : c + 1], kernel[:, :, c : c + 1, m : m + 1], (1, 1), [(0, 0)] * 2, (1, 1)
            )
            np.testing.assert_allclose(got[..., c * 2 + m], expected[..., 0] + bias[c * 2 + m], rtol=1e-5, atol=1e-5)
    sep = SeparableConv1D(3, 2, depth_multiplier=2)
    y = sep(x[:, 0]).detach().numpy()
    depthwise, pointwise, sep_bias = sep.get_weights()
    assert (depthwise.shape, pointwise.shape) == ((2, 2, 2), (1, 4, 3))
    mid = np.stack(
        [_conv_reference(x[:, 0, :, c : c + 1], depthwise[:, c : c + 1, :], (1,), [(0, 0)], (1,)) for c in range(2)], 2
    )
    expected = mid.reshape(1, 4, 4) @ pointwise[0] + sep_bias
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_channels_last_runs_on_views_and_returns_nhwc():
    x = torch.randn(2, 5, 5, 3)
    view = ops.to_channels_first(x, "channels_last", 2)
    assert view.data_ptr() == x.data_ptr() and view.is_contiguous(memory_format=torch.channels_last)
    out = Conv2D(4, 3)(x)
    assert out.is_contiguous()  # torch produced NHWC memory: handing it back as (N, H, W, C) is free


def test_kernel_gradient_comes_back_contiguous():
    """autograd.grad hands gradients over as produced; fused optimizers need them in the parameter's layout."""
    layer = Conv2D(8, 3)
    out = layer(torch.randn(4, 9, 9, 16))
    (grad,) = torch.autograd.grad(out.square().sum(), [layer.kernel])
    assert grad.is_contiguous() and grad.shape == (3, 3, 16, 8)


def test_symbolic_shapes_and_config_round_trip():
    model = Sequential([Input((28, 28, 1)), Conv2D(32, 3, activation="relu"), Conv2D(8, 5, strides=2, padding="same")])
    assert model.output_shape == (None, 13, 13, 8)
    layer = Conv3D(2, (1, 2, 3), strides=(1, 1, 2), padding="same", activation="relu")
    config = layer.get_config()
    assert config["kernel_size"] == (1, 2, 3) and config["activation"] == "relu"
    assert Conv3D.from_config(config).get_config() == config


def test_wrong_rank_names_the_expected_shape():
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, rows, cols, channels\)"):
        Conv2D(4, 3)(np.ones((2, 28, 28)))
    with pytest.raises(ValueError, match=r"Add a channel axis"):
        Conv2D(4, 3)(np.ones((2, 28, 28)))
    with pytest.raises(ValueError, match=r"\(batch, steps, channels\)"):
        Conv1D(4, 3)(np.ones((2, 5, 5, 1)))
    with pytest.raises(ValueError, match=r"\(batch, rows, cols, channels\)"):
        Sequential([Input((28, 28)), Conv2D(4, 3)])


def test_channels_first_data_in_a_channels_last_model_is_named():
    layer = Conv2D(4, 3)
    layer(np.ones((1, 28, 28, 1), "float32"))
    with pytest.raises(ValueError, match=r"28 channels instead of 1\. The data looks channels_first") as info:
        layer(np.ones((2, 1, 28, 28), "float32"))
    assert "x.transpose(0, 2, 3, 1)" in str(info.value) and "data_format='channels_first'" in str(info.value)
    # not built yet: (1, 28, 28) read as 1 row of 28 columns with 28 channels cannot hold a 3x3 kernel
    with pytest.raises(ValueError, match=r"larger than its input.*looks channels_first"):
        Sequential([Input((1, 28, 28)), Conv2D(4, 3)])


def test_kernel_larger_than_input_with_valid_padding():
    with pytest.raises(ValueError, match=r"kernel_size=\(5, 5\) with padding='valid'.*Use padding='same'"):
        Conv2D(2, 5)(np.ones((1, 3, 3, 1)))
    with pytest.raises(ValueError, match=r"kernel_size=\(3,\)"):
        Conv1D(2, 3, dilation_rate=2)(np.ones((1, 4, 1)))  # a dilated window of 5 steps
    assert Conv2D(2, 5, padding="same")(np.ones((1, 3, 3, 1))).shape == (1, 3, 3, 2)


def test_argument_errors():
    with pytest.raises(ValueError, match="filters"):
        Conv2D(0, 3)
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="strides > 1 with dilation_rate > 1"):
        Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="divisible by groups"):
        Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="does not divide the 3 input channels"):
        Conv2D(4, 3, groups=2)(np.ones((1, 5, 5, 3)))
    with pytest.raises(ValueError, match=r"kernel_size.*tuple of 2"):
        Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="output_padding must be smaller than its stride"):
        Conv2DTranspose(2, 3, strides=2, output_padding=2)


def test_errors_at_call_time_after_building():
    layer = Conv2D(2, 3)
    layer.build((None, None, None, 1))
    with pytest.raises(ValueError, match=r"kernel_size=\(3, 3\) with padding='valid', which is larger"):
        layer(np.ones((1, 2, 2, 1), "float32"))
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, rows, cols, channels\).*Add a channel"):
        layer(np.ones((1, 5, 5), "float32"))
    with pytest.raises(ValueError, match="3 channels instead of 1. Check the number of channels"):
        layer(np.ones((1, 5, 5, 3), "float32"))


def test_lora_is_refused_and_its_defaults_accepted():
    """Deliberate difference: Keras's LoRA mode for convolutions is not implemented; its defaults pass through."""
    assert Conv2D(2, 3, lora_rank=None, lora_alpha=None).get_config()["filters"] == 2
    with pytest.raises(NotImplementedError, match="lora_rank=None"):
        Conv2D(2, 3, lora_rank=4)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda: Conv2D(4, 3, activation="relu"), (3, 7, 7, 1)),  # one input channel: the MNIST convnet's first layer
        (lambda: Conv2D(4, 3, strides=2, padding="same", activation="relu", dilation_rate=1), (2, 8, 8, 3)),
        (lambda: Conv2D(6, (2, 3), padding="same", groups=2, activation="relu"), (2, 5, 6, 4)),
        (lambda: Conv1D(5, 3, padding="causal", dilation_rate=2, activation="relu"), (2, 9, 3)),
    ],
)
def test_fused_relu_convolution_equals_relu_of_the_convolution(layer, shape, rng):
    # relu runs inside oneDNN's convolution on the CPU: same outputs and gradients as the two steps, bit for bit
    fused = layer()
    x = torch.from_numpy(rng.normal(size=shape).astype("float32")).requires_grad_(True)
    out = fused(x)
    grad_out = torch.from_numpy(rng.normal(size=tuple(out.shape)).astype("float32"))
    grads = torch.autograd.grad(out, [x, fused.kernel, fused.bias], grad_out)
    fused._fuses_activation = False  # the unfused path: convolution, then torch.relu
    x2 = x.detach().clone().requires_grad_(True)
    reference = fused(x2)
    expected = torch.autograd.grad(reference, [x2, fused.kernel, fused.bias], grad_out)
    assert (out > 0).any() and (out == 0).any()
    torch.testing.assert_close(out, reference, rtol=0, atol=0)
    for got, want in zip(grads, expected):
        torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)
    assert fused.kernel.grad is None  # autograd.grad, as fit takes them: nothing accumulated
