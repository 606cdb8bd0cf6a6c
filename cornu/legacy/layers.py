"""Keras 1/2 layer names that Keras 3 removed: `merge(..., mode=...)`, `Convolution2D(32, 3, 3)` and relatives.

Each one builds the Keras 3 layer it became, after a one-time `DeprecationWarning` with the line to write. The
convolution names need cornu's `Conv1D`/`Conv2D`/`Conv3D`; until those exist, they say so.

Example:
>>> import warnings
>>> import cornu.layers
>>> a, b = cornu.layers.Input((2,)), cornu.layers.Input((2,))
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     merge([a, b], mode="concat").shape
(None, 4)
"""

from cornu.legacy.translate import warn_once

__all__ = [
    "merge",
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


def merge(inputs, mode="sum", concat_axis=-1, dot_axes=-1, name=None):
    """Keras 1's functional `merge`: `mode='sum'` is `add(inputs)`, `'concat'` is `concatenate(inputs, axis)`,
    `'mul'` `multiply`, `'ave'` `average`, `'max'` `maximum`, `'dot'` `dot(axes)`, `'cos'` `dot(normalize=True)`."""
    import cornu.layers

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


def _convolution(old, new, spatial):
    """A Keras 1/2 convolution name: `Old(filters, rows, cols, ...)` (Keras 1's separate kernel sizes) or
    `Old(filters, kernel_size, ...)` (Keras 2's alias) builds `New(filters, kernel_size, ...)`."""

    def build(filters, *args, **kwargs):
        import cornu.layers

        cls = getattr(cornu.layers, new, None)
        if cls is None:
            raise NotImplementedError(
                f"{old} is Keras 1/2's name of {new}, which cornu does not have yet. cornu.layers offers: "
                f"{', '.join(cornu.layers.__all__)}."
            )
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
