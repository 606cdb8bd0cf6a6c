"""Activation layers: `ReLU`, `LeakyReLU`, `PReLU` (a learned slope), `ELU` and `Softmax` (with an optional mask).

The math lives in `cornu.activations`; these layers hold the arguments (and PReLU its `alpha` weight).
"""

import torch

from cornu import activations, constraints, initializers, regularizers
from cornu.layers.base import Layer
from cornu.utils.shapes import format_shape

__all__ = ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"]


class _ElementwiseActivation(Layer):
    """An activation layer: no weights, the output has the input's shape, masks pass through."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True  # nothing to build (Keras builds these at construction too)

    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_ElementwiseActivation):
    """Rectified linear unit: `x` above `threshold`, `negative_slope * (x - threshold)` below, capped at `max_value`.

    Args:
        max_value: Float >= 0, the largest output. Defaults to `None` (no cap).
        negative_slope: Float >= 0, the slope below `threshold`. Defaults to `0.0`.
        threshold: Float >= 0, the input below which values are damped. Defaults to `0.0`.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> ReLU(max_value=6.0)(np.array([[-1.0, 3.0, 9.0]])).tolist()
    [[0.0, 3.0, 6.0]]
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(f"ReLU's max_value must be None or >= 0. Received: max_value={max_value!r}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(f"ReLU's negative_slope must be a float >= 0. Received: negative_slope={negative_slope!r}")
        if threshold is None or threshold < 0.0:
            raise ValueError(f"ReLU's threshold must be a float >= 0. Received: threshold={threshold!r}")
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs):
        return activations.relu(
            inputs, negative_slope=self.negative_slope, max_value=self.max_value, threshold=self.threshold
        )

    def get_config(self):
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(_ElementwiseActivation):
    """Leaky rectified linear unit: `x` for positive inputs, `negative_slope * x` otherwise.

    The layer's default slope is Keras 3's `0.3` (the function `cornu.activations.leaky_relu` defaults to `0.2`).

    Args:
        negative_slope: Float >= 0. Defaults to `0.3`.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> LeakyReLU()(np.array([[-10.0, 2.0]])).tolist()
    [[-3.0, 2.0]]
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                f"LeakyReLU's negative_slope must be a float >= 0. Received: negative_slope={negative_slope!r}"
            )
        self.negative_slope = negative_slope

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """Parametric ReLU: `x` for positive inputs, `alpha * x` otherwise, with `alpha` learned per element.

    Args:
        alpha_initializer: Initializer of `alpha`. Defaults to `"Zeros"`.
        alpha_regularizer: Optional penalty on `alpha`. Defaults to `None`.
        alpha_constraint: Optional projection of `alpha` after each update. Defaults to `None`.
        shared_axes: Integer or list of axes (1-based, the batch axis excluded) along which one `alpha` is shared,
            e.g. `[1, 2]` for one slope per channel of `(batch, height, width, channels)` images. Defaults to `None`.

    Input shape: any. Output shape: same as the input. Weight: `alpha` of the input's shape without the batch axis
    (size 1 along `shared_axes`).

    Example:
    >>> layer = PReLU(alpha_initializer="ones", shared_axes=[1])
    >>> layer(np.array([[[-2.0, 3.0], [-1.0, 1.0]]])).tolist()
    [[[-2.0, 3.0], [-1.0, 1.0]]]
    >>> layer.get_weights()[0].shape
    (1, 2)
    """

    def __init__(
        self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if any(not isinstance(a, int) or isinstance(a, bool) or a < 1 for a in self.shared_axes):
                raise ValueError(
                    f"PReLU's shared_axes are input axes counted from 1 (axis 0 is the batch). "
                    f"Received: shared_axes={shared_axes!r}"
                )

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if axis > len(param_shape):
                raise ValueError(
                    f"PReLU layer '{self.name}' cannot share axis {axis} of inputs of shape "
                    f"{format_shape(input_shape)}. Received: shared_axes={self.shared_axes}"
                )
            param_shape[axis - 1] = 1
        self.alpha = self.add_weight(
            param_shape,
            self.alpha_initializer,
            name="alpha",
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )

    def call(self, inputs):
        # Keras's form, relu(x) - alpha * relu(-x), rather than torch's prelu: same gradient at 0 as Keras.
        return torch.relu(inputs) - self.alpha * torch.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }


class ELU(_ElementwiseActivation):
    """Exponential linear unit: `x` for positive inputs, `alpha * (exp(x) - 1)` otherwise.

    Args:
        alpha: Float, the value the output approaches for large negative inputs is `-alpha`. Defaults to `1.0`.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> ELU(alpha=2.0)(np.array([[0.0, 1.0]])).tolist()
    [[0.0, 1.0]]
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_ElementwiseActivation):
    """Softmax along `axis`; positions where `mask` is False get probability 0.

    Args:
        axis: Integer, or list of integers, the axis (axes) the probabilities sum over. Defaults to `-1`.

    Call arguments:
        inputs: The logits.
        mask: Optional boolean tensor broadcastable to `inputs`; False entries are left out of the sum.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> Softmax()(np.array([[1.0, 1.0, 5.0]]), mask=np.array([[True, True, False]])).tolist()
    [[0.5, 0.5, 0.0]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is None:
            return activations.softmax(inputs, axis=self.axis)
        mask = torch.as_tensor(mask, device=inputs.device)
        if mask.dtype != torch.bool:
            mask = mask > 0.5
        # As Keras: masked logits become a large negative number (not -inf, so an all-masked row stays finite).
        large_negative = -3e4 if inputs.dtype == torch.float16 else -1e9
        outputs = activations.softmax(torch.where(mask, inputs, large_negative), axis=self.axis)
        return torch.where(mask, outputs, 0.0)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
