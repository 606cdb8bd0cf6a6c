"""`Input` and `InputLayer`: where a model's data comes in, with its shape (batch axis left open)."""

from cornu import backend
from cornu.layers.base import Layer
from cornu.layers.symbolic import KerasTensor, Node
from cornu.mixed_precision import policy as dtype_policies

__all__ = ["InputLayer", "Input"]


class InputLayer(Layer):
    """The entry point of a model: holds the shape and dtype of one input.

    Args:
        shape: Shape of one sample, without the batch axis, e.g. `(784,)`. Use `None` for open sizes.
        batch_size: Optional fixed batch size. Defaults to `None`.
        dtype: Dtype of the data (not a policy): `"float32"`, `"int32"`, `"string"`, ... The layer itself keeps
            the global policy. Defaults to `cornu.backend.floatx()`.
        batch_shape: The full shape with the batch axis, instead of `shape` and `batch_size`.
        name: The layer's name. Defaults to `"input_layer"` plus a counter.

    Example:
    >>> InputLayer(shape=(784,)).output.shape
    (None, 784)
    """

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        sparse=None,
        batch_shape=None,
        input_tensor=None,
        optional=False,
        name=None,
        **kwargs,
    ):
        if shape is None and "input_shape" in kwargs:  # Keras 2 spelling, still common in configs
            shape = kwargs.pop("input_shape")
        if batch_shape is None and "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        # As in Keras, `dtype` is the data's dtype, not a policy: "string" (for StringLookup), "int32" and "float32"
        # are all accepted; the layer itself keeps the global policy, and computes nothing.
        super().__init__(name=name, **kwargs)
        self._input_dtype = _standard_input_dtype(dtype)
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input needs a shape, e.g. Input(shape=(784,)) for 784 features per sample.")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.sparse, self.optional = bool(sparse), optional
        self.built = True
        if isinstance(input_tensor, KerasTensor):
            tensor, self._input_dtype = input_tensor, input_tensor.dtype
        else:
            tensor = KerasTensor(self.batch_shape, self._input_dtype)
        tensor.name = self.name
        Node(self, (), {}, tensor)

    @property
    def dtype(self):
        """The dtype of the data this input takes (`"float32"`, `"int32"`, `"string"`, ...)."""
        return self._input_dtype

    @dtype.setter
    def dtype(self, value):
        self._input_dtype = _standard_input_dtype(value)

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return self.batch_shape

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "sparse": self.sparse, "name": self.name}


def Input(
    shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None, optional=False
):
    """A symbolic input tensor: the start of a Functional model.

    Args:
        shape: Shape of one sample, without the batch axis, e.g. `(200,)`.
        batch_size: Optional fixed batch size. Defaults to `None`.
        dtype: Dtype of the data: `"float32"`, `"int32"` (token ids), `"string"` (raw text), ... It stays the data's
            dtype under a mixed policy (the layers after it compute in theirs). Defaults to `cornu.backend.floatx()`.
        name: Name of the input (dict inputs to `fit` are matched by it). Defaults to `"input_layer"` + counter.

    Example:
    >>> x = Input(shape=(200,))
    >>> x.shape
    (None, 200)
    """
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype or backend.floatx(),
        sparse=sparse,
        batch_shape=batch_shape,
        input_tensor=tensor,
        optional=optional,
        name=name,
    )
    return layer.output


def _standard_input_dtype(dtype):
    """A data dtype's standard name: `None` is `floatx()`; "string" as Keras accepts it; a name, a torch or NumPy
    dtype, or a policy (its compute dtype) otherwise."""
    if dtype is None:
        return backend.floatx()
    if isinstance(dtype, str):
        dtype = dtype.replace("torch.", "")
        if dtype in ("string", "str", "object"):
            return "string"
    return dtype_policies.get(dtype).compute_dtype
