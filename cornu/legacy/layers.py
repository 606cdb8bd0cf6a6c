"""Keras 1/2 layer names that Keras 3 removed: `merge(mode=...)`, `Merge([left, right])`, `Convolution2D(32, 3, 3)`.

Each one builds the Keras 3 layer it became, after a one-time `DeprecationWarning` with the line to write.
`Merge` is the exception: Keras 1's layer of *models* has no single Keras 3 layer, so it is a small layer here that
runs its branch models and merges their outputs (see its docstring for the functional model to write instead).

Example:
>>> import warnings
>>> import cornu.layers
>>> a, b = cornu.layers.Input((2,)), cornu.layers.Input((2,))
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     merge([a, b], mode="concat").shape
(None, 4)
"""

from cornu.layers.base import Layer
from cornu.legacy.translate import warn_once

__all__ = [
    "merge",
    "Merge",
    "Convolution1D",
    "Convolution2D",
    "Convolution3D",
    "AtrousConvolution1D",
    "AtrousConvolution2D",
    "SeparableConvolution2D",
]

# Keras 1's merge modes -> (cornu.layers function, the keyword it takes for Keras 1's axis argument)
_MODES = {
    "sum": ("add", None),
    "mul": ("multiply", None),
    "ave": ("average", None),
    "max": ("maximum", None),
    "concat": ("concatenate", "concat_axis"),
    "dot": ("dot", "dot_axes"),
    "cos": ("dot", "dot_axes"),
}


def merge(inputs, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None, name=None):
    """Keras 1's functional `merge`: `mode='sum'` is `add(inputs)`, `'concat'` is `concatenate(inputs, axis)`,
    `'mul'` `multiply`, `'ave'` `average`, `'max'` `maximum`, `'dot'` `dot(axes)`, `'cos'` `dot(normalize=True)`,
    and a function mode is `Lambda(function, output_shape)(inputs)`."""
    import cornu.layers

    if callable(mode):
        warn_once(("merge", "function"), "`merge(mode=function)` is Keras 1's; write `Lambda(function)(inputs)`.")
        options = {"name": name} if name is not None else {}
        return cornu.layers.Lambda(mode, output_shape=output_shape, **options)(inputs)
    if mode not in _MODES:
        raise ValueError(
            f"merge(mode={mode!r}) is not one of Keras 1's modes {sorted(_MODES)}. For a function of the inputs, "
            "write Lambda(function)(inputs)."
        )
    function, axis_name = _MODES[mode]
    options = {"name": name} if name is not None else {}
    if axis_name == "concat_axis":
        options["axis"] = concat_axis
    elif axis_name == "dot_axes":
        options.update(axes=dot_axes, normalize=mode == "cos")
    shown = ", ".join(f"{k}={v!r}" for k, v in options.items())
    warn_once(
        ("merge", mode),
        f"`merge(mode={mode!r})` is Keras 1's; write `{function}(inputs{', ' if shown else ''}{shown})` "
        f"(from keras.layers import {function}).",
    )
    return getattr(cornu.layers, function)(inputs, **options)


class Merge(Layer):
    """Keras 1's `Merge([left, right], mode=...)`: a layer of branch models, each fed its own input, their outputs
    merged as `merge(..., mode=...)` does.

    Keras 1 put it first in a `Sequential`, which then takes one input array per branch:
    `model = Sequential(); model.add(Merge([left, right], mode='concat')); model.fit([x_left, x_right], y)`. The
    Keras 3 way to write the same network is the functional API:
    `Model([left.input, right.input], Dense(...)(concatenate([left.output, right.output])))`.

    Args:
        layers: The branch models (or layers), at least two, in the order of the inputs.
        mode: One of Keras 1's modes: `'sum'`, `'mul'`, `'ave'`, `'max'`, `'concat'`, `'dot'`, `'cos'`, or a function
            of the list of branch outputs (Keras 1's lambda mode). Defaults to `'sum'`.
        concat_axis: The axis of `'concat'`. Defaults to `-1`.
        dot_axes: The axes of `'dot'` and `'cos'`. Defaults to `-1`.
        output_shape: With a function `mode`, its output shape without the batch axis (or a function of the input
            shapes), as `Lambda` takes it. Defaults to `None` (found by running the function).
        name: The layer's name. Defaults to `"merge"` plus a counter.

    Input shape: a list of one array per branch. Output shape: that of the merge of the branches' outputs.

    Example:
    >>> import warnings
    >>> from cornu.layers import Dense
    >>> from cornu.models import Sequential
    >>> left = Sequential([Dense(2, input_dim=3, kernel_initializer="ones")])
    >>> right = Sequential([Dense(1, input_dim=4, kernel_initializer="ones")])
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     model = Sequential()
    ...     model.add(Merge([left, right], mode="concat"))
    >>> model.predict([np.ones((1, 3)), np.ones((1, 4))], verbose=0).tolist()
    [[3.0, 3.0, 4.0]]
    """

    def __init__(self, layers=None, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not callable(mode) and mode not in _MODES:
            raise ValueError(
                f"Merge(mode={mode!r}) is not one of Keras 1's modes {sorted(_MODES)} nor a function of the list of "
                "branch outputs. For a function, pass it: Merge([left, right], mode=lambda xs: xs[0] - xs[1])."
            )
        layers = list(layers or [])
        if len(layers) < 2 or not all(isinstance(layer, Layer) for layer in layers):
            raise ValueError(
                f"Merge takes a list of at least two models or layers to merge, e.g. Merge([left, right]). "
                f"Received: layers={layers!r}."
            )
        self.branches = layers
        self.mode, self.concat_axis, self.dot_axes = mode, concat_axis, dot_axes
        self._merge = _merge_layer(mode, concat_axis, dot_axes, output_shape)
        if callable(mode):
            shown, merged = "function", "Lambda(function)([left.output, right.output])"
        else:
            shown, merged = repr(mode), f"{_MODES[mode][0]}([left.output, right.output])"
        warn_once(
            ("Merge", shown),
            f"`Merge([...], mode={shown})` is Keras 1's layer of models; write the functional model "
            f"`Model([left.input, right.input], {merged})` (from keras.layers import {merged.split('(')[0]}).",
        )

    def build(self, input_shape):
        self._check_inputs(input_shape)

    def call(self, inputs):
        return self._merge([branch(x) for branch, x in zip(self.branches, inputs)])

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape)
        shapes = [branch.compute_output_shape(shape) for branch, shape in zip(self.branches, input_shape)]
        return self._merge.compute_output_shape(shapes)

    def _check_inputs(self, input_shape):
        shapes = input_shape if isinstance(input_shape, (list, tuple)) else ()
        if len(shapes) != len(self.branches) or not all(isinstance(shape, (list, tuple)) for shape in shapes):
            raise ValueError(
                f"Merge '{self.name}' has {len(self.branches)} branches and takes one input array per branch, as a "
                f"list: model.fit([x_1, ..., x_{len(self.branches)}], y). Received inputs of shape {input_shape}."
            )

    def get_config(self):
        raise NotImplementedError(
            "Keras 1's Merge (a layer of models) has no Keras 3 config, so its model cannot be saved whole. Save "
            "the weights (model.save_weights('merge.weights.h5')), or rewrite it as a functional model."
        )


def _merge_layer(mode, concat_axis, dot_axes, output_shape):
    import cornu.layers

    if callable(mode):
        return cornu.layers.Lambda(mode, output_shape=output_shape)
    if mode == "concat":
        return cornu.layers.Concatenate(axis=concat_axis)
    if mode in ("dot", "cos"):
        return cornu.layers.Dot(axes=dot_axes, normalize=mode == "cos")
    classes = {"sum": "Add", "mul": "Multiply", "ave": "Average", "max": "Maximum"}
    return getattr(cornu.layers, classes[mode])()


def _convolution(old, new, spatial):
    """A Keras 1/2 convolution name: `Old(filters, rows, cols, ...)` (Keras 1's separate kernel sizes) or
    `Old(filters, kernel_size, ...)` (Keras 2's alias) builds `New(filters, kernel_size, ...)`."""

    def build(filters, *args, **kwargs):
        import cornu.layers

        cls = getattr(cornu.layers, new)
        if len(args) >= spatial and all(isinstance(a, int) for a in args[:spatial]) and spatial > 1:
            kernel, args = tuple(args[:spatial]), args[spatial:]  # Keras 1: Convolution2D(32, 3, 3)
            line = f"{new}({filters!r}, {kernel!r})"
            args = (kernel, *args)
        else:
            line = f"{new}(...)"
        warn_once(("layers", old), f"`{old}` is the Keras 1/2 name of `{new}`; write `{line}`.")
        return cls(filters, *args, **kwargs)

    build.__name__ = build.__qualname__ = old
    build.__doc__ = f"Keras 1/2's `{old}`: builds `{new}` (Keras 1's separate kernel sizes become one tuple)."
    return build


Convolution1D = _convolution("Convolution1D", "Conv1D", 1)
Convolution2D = _convolution("Convolution2D", "Conv2D", 2)
Convolution3D = _convolution("Convolution3D", "Conv3D", 3)
AtrousConvolution1D = _convolution("AtrousConvolution1D", "Conv1D", 1)
AtrousConvolution2D = _convolution("AtrousConvolution2D", "Conv2D", 2)
SeparableConvolution2D = _convolution("SeparableConvolution2D", "SeparableConv2D", 2)
