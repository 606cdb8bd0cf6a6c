"""Core layers: `Dense` (the fully connected layer), `Activation`, `Embedding`, `Lambda`, `Identity`, `Masking`."""

import base64
import importlib
import inspect
import marshal
import types

import torch
import torch.nn.functional as F

from cornu import activations, constraints, initializers, regularizers
from cornu.layers import symbolic
from cornu.layers.base import Layer
from cornu.utils import tree
from cornu.utils.shapes import format_shape

__all__ = ["Dense", "Activation", "Embedding", "Lambda", "Identity", "Masking", "dense"]


def dense(inputs, kernel, bias=None):
    """`inputs @ kernel + bias` over the last axis, with the kernel in Keras's `(in, out)` layout.

    >>> dense(torch.ones(1, 2), torch.ones(2, 3), torch.zeros(3)).tolist()
    [[2.0, 2.0, 2.0]]
    """
    if inputs.ndim == 2:
        if inputs.shape[0] == 1 and kernel.numel() <= ONE_THREAD_KERNEL_SIZE and inputs.is_cpu:
            return _one_row_on_one_thread(inputs, kernel, bias)
        return torch.addmm(bias, inputs, kernel) if bias is not None else inputs.mm(kernel)
    outputs = torch.matmul(inputs, kernel)
    return outputs + bias if bias is not None else outputs


# One row times an `(in, out)` kernel is a matrix-vector product that MKL splits across torch's threads; for small
# kernels waking the second thread costs more than the product (500 -> 10: 6.1 µs on 2 threads, 2.9 µs on one,
# measured on 2 cores), while from ~250,000 weights up the split pays (784 -> 500: 15 against 23 µs). Batches of
# 16 rows and more run at the same speed either way (a matrix product, not a vector one), so only one-row products
# are concerned: serving one sample, a stateful RNN step, `predict` on a single input.
ONE_THREAD_KERNEL_SIZE = 65536


def _one_row_on_one_thread(inputs, kernel, bias):
    threads = torch.get_num_threads()
    # A process-wide setting for a few µs: another thread's product started meanwhile also runs on one thread,
    # slower but exact; setting it costs ~0.1 µs
    torch.set_num_threads(1)
    try:
        return torch.addmm(bias, inputs, kernel) if bias is not None else inputs.mm(kernel)
    finally:
        torch.set_num_threads(threads)


class Dense(Layer):
    """The fully connected layer: `activation(inputs @ kernel + bias)`.

    Args:
        units: Positive integer, the size of the output.
        activation: Activation name or function. Defaults to `None` (linear).
        use_bias: Whether to add a bias vector. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, bias_regularizer: Optional penalties. Default to `None`.
        activity_regularizer: Optional penalty on the output. Defaults to `None`.
        kernel_constraint, bias_constraint: Optional projections after each update. Default to `None`.

    Input shape: `(batch, ..., input_dim)`. Output shape: `(batch, ..., units)`.

    Example:
    >>> layer = Dense(3, kernel_initializer="ones")
    >>> layer(np.ones((2, 4))).tolist()
    [[4.0, 4.0, 4.0], [4.0, 4.0, 4.0]]
    >>> [w.shape for w in layer.get_weights()]
    [(4, 3), (3,)]
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense needs a positive integer number of units. Received: units={units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Dense layer '{self.name}' needs a known last dimension, but received inputs of shape "
                f"{format_shape(input_shape)}."
            )
        self.kernel = self.add_weight(
            (input_dim, self.units),
            self.kernel_initializer,
            name="kernel",
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                (self.units,),
                self.bias_initializer,
                name="bias",
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self._input_dim = input_dim

    def call(self, inputs):
        try:  # no per-step check: a wrong feature count surfaces as torch's error, translated here
            outputs = dense(inputs, self._weight("kernel"), self._weight("bias"))
        except RuntimeError:
            if inputs.shape[-1] != self._input_dim:
                raise ValueError(_feature_mismatch(self, inputs.shape)) from None
            raise
        if self.activation is activations.relu:
            return outputs.relu_()  # the product is this call's own: no copy needed (autograd allows it too)
        return outputs if self.activation is activations.linear else self.activation(outputs)

    def compute_output_shape(self, input_shape):
        if input_shape[-1] is not None and self.built and input_shape[-1] != self._input_dim:
            raise ValueError(_feature_mismatch(self, input_shape))
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


def _feature_mismatch(layer, shape):
    expected = (None,) * (len(shape) - 1) + (layer._input_dim,)
    got = (None,) + tuple(shape[1:])
    hint = ""
    if len(shape) > 2:
        flat = 1
        for d in shape[1:]:
            flat = flat * d if flat is not None and d is not None else None
        if flat == layer._input_dim:
            hint = f"\n    Add Flatten() before it, or reshape the data with x.reshape(-1, {flat})."
    return (
        f"Layer '{layer.name}' expects inputs of shape {format_shape(expected)}, but received "
        f"{format_shape(got)}.{hint or ' Check the number of features in the data.'}"
    )


class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: Activation name (`"relu"`, `"softmax"`, ...) or function.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> Activation("relu")(np.array([[-1.0, 2.0]])).tolist()
    [[0.0, 2.0]]
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Embedding(Layer):
    """Turns integer indices into dense vectors: row `i` of the `(input_dim, output_dim)` matrix `embeddings`.

    Args:
        input_dim: Positive integer, the vocabulary size (largest index + 1).
        output_dim: Positive integer, the size of each vector.
        embeddings_initializer: Defaults to `"uniform"` (uniform on `[-0.05, 0.05]`).
        embeddings_regularizer: Optional penalty on the matrix. Defaults to `None`.
        embeddings_constraint: Optional projection of the matrix after each update. Defaults to `None`.
        mask_zero: Whether index 0 is padding: `compute_mask` then returns `inputs != 0` for the layers after it.
            Defaults to `False`.
        weights: Optional `[matrix]` (or the matrix) to start from. Defaults to `None`.
        lora_rank, lora_alpha, quantization_config: Keras's low-rank and quantized modes; cornu accepts only their
            defaults, `None`.

    Input shape: `(batch, ...)` integers. Output shape: `(batch, ..., output_dim)`.

    Example:
    >>> layer = Embedding(3, 2, embeddings_initializer="ones", mask_zero=True)
    >>> layer(np.array([[0, 2]])).tolist()
    [[[1.0, 1.0], [1.0, 1.0]]]
    >>> layer.compute_mask(np.array([[0, 2]])).tolist()
    [[False, True]]
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        if lora_rank is not None or quantization_config is not None:
            raise NotImplementedError(
                "cornu's Embedding has no LoRA or quantized mode. Use lora_rank=None and quantization_config=None."
            )
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Embedding's {arg} must be a positive integer. Received: {arg}={value!r}")
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = input_dim, output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.autocast = False  # indices must not become floats
        self.build_from_shape(None)  # the matrix's shape is known now (Keras builds at construction too)
        if weights is not None:
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1 else [weights])

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            (self.input_dim, self.output_dim),
            self.embeddings_initializer,
            name="embeddings",
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )

    def call(self, inputs):
        if inputs.dtype not in (torch.int32, torch.int64):
            inputs = inputs.to(torch.int64)  # as Keras, float indices are truncated
        try:  # no per-step range check: an out-of-range index surfaces as torch's error, translated here
            outputs = F.embedding(inputs, self.embeddings)
        except IndexError:
            low, high = int(inputs.min()), int(inputs.max())
            raise ValueError(
                f"Embedding layer '{self.name}' has input_dim={self.input_dim} (indices 0 to {self.input_dim - 1}), "
                f"but received indices from {low} to {high}. Use Embedding({high + 1}, ...) or remap the indices."
            ) from None
        # Keras looks rows up in the weights' dtype and returns the compute dtype (bfloat16 under a mixed policy).
        compute = self._compute_torch_dtype
        return outputs if outputs.dtype is compute or not compute.is_floating_point else outputs.to(compute)

    def compute_mask(self, inputs, previous_mask=None):
        if not self.mask_zero:
            return None
        return torch.as_tensor(inputs) != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        }


class Lambda(Layer):
    """Wraps a function of tensors as a layer (for quick, weightless steps; write a Layer subclass otherwise).

    Args:
        function: The function, called as `function(inputs, **arguments)` (plus `mask=`/`training=` if it takes
            them).
        output_shape: The output's shape without the batch axis, or a function of the input's shape. Defaults to
            `None`: found by running `function` on zeros.
        mask: The output's mask, or a function `mask(inputs, previous_mask)`. Defaults to `None`.
        arguments: Optional dict of extra keyword arguments for `function`. Defaults to `None`.

    Saving: a Python `lambda` is saved as its bytecode (as Keras does); `from_config` refuses to load one unless
    called with `safe_mode=False`, because loading it runs code from the file.

    Example:
    >>> Lambda(lambda x, k: x * k, arguments={"k": 3.0})(np.array([[1.0, 2.0]])).tolist()
    [[3.0, 6.0]]
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda needs a callable function. Received: function={function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = tuple(output_shape) if isinstance(output_shape, list) else output_shape
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):  # some builtins have no signature
            parameters = {}
        self._takes_mask, self._takes_training = "mask" in parameters, "training" in parameters
        self.built = True

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._takes_mask:
            kwargs["mask"] = mask
        if self._takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            spec = symbolic.probe_output_spec(self, [_shapes_to_symbolic(input_shape, self.compute_dtype)], {})
            return tree.map_structure(lambda t: t.shape, spec)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = tree.flatten(input_shape)[0]
        return _map_shapes(lambda shape: (batch,) + tuple(shape), self._output_shape)

    def compute_mask(self, inputs, previous_mask=None):
        return self.mask(inputs, previous_mask) if callable(self.mask) else self.mask

    def get_config(self):
        config = {**super().get_config(), "function": _serialize_function(self.function)}
        if self._output_shape is not None:
            shape = self._output_shape
            config["output_shape"] = _serialize_function(shape) if callable(shape) else shape
        if self.mask is not None:
            config["mask"] = _serialize_function(self.mask) if callable(self.mask) else self.mask
        config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        """Rebuilds the layer; a saved Python `lambda` is only loaded with `safe_mode=False` (it runs its code)."""
        config = dict(config)
        for key in ("function", "output_shape", "mask"):
            if isinstance(config.get(key), dict):
                config[key] = _deserialize_function(config[key], custom_objects, safe_mode)
        if isinstance(config.get("output_shape"), list):
            config["output_shape"] = tuple(config["output_shape"])
        return cls(**config)


class Identity(Layer):
    """Returns its input unchanged (a placeholder, e.g. for an optional step in a model).

    Input shape: any. Output shape: same as the input.

    Example:
    >>> Identity()(np.array([[1.0, 2.0]])).tolist()
    [[1.0, 2.0]]
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


class Masking(Layer):
    """Marks timesteps to skip: a step whose features all equal `mask_value` is zeroed and masked out.

    Args:
        mask_value: The padding value. Defaults to `0.0`.

    Input shape: `(batch, steps, features)` (any rank; the last axis holds the features). Output shape: same.
    `compute_mask` gives `(batch, steps)`: True where a step has some feature other than `mask_value`.

    Example:
    >>> x = np.array([[[1.0, 1.0], [0.0, 0.0]]])
    >>> Masking()(x).tolist()
    [[[1.0, 1.0], [0.0, 0.0]]]
    >>> Masking().compute_mask(x).tolist()
    [[True, False]]
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        keep = (inputs != self.mask_value).any(dim=-1, keepdim=True)
        return torch.where(keep, inputs, torch.zeros((), dtype=inputs.dtype, device=inputs.device))

    def compute_mask(self, inputs, previous_mask=None):
        return (torch.as_tensor(inputs) != self.mask_value).any(dim=-1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


def _map_shapes(fn, structure):
    if _is_shape(structure):
        return fn(structure)
    if isinstance(structure, dict):
        return {key: _map_shapes(fn, value) for key, value in structure.items()}
    return type(structure)(_map_shapes(fn, item) for item in structure)


def _shapes_to_symbolic(input_shape, dtype):
    return _map_shapes(lambda shape: symbolic.KerasTensor(shape, dtype), input_shape)


def _serialize_function(fn):
    """Keras's config for a function: a Python lambda as base64 bytecode, a named function by module and name."""
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        closure = tuple(cell.cell_contents for cell in fn.__closure__) if fn.__closure__ else None
        code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
        return {"class_name": "__lambda__", "config": {"code": code, "defaults": fn.__defaults__, "closure": closure}}
    module = getattr(fn, "__module__", None) or "builtins"
    if module.startswith("cornu.activations"):
        module = "builtins"  # how Keras names its own activations in a Lambda's config
    return {"module": module, "class_name": "function", "config": fn.__name__, "registered_name": "function"}


def _deserialize_function(config, custom_objects, safe_mode):
    if config.get("class_name") == "__lambda__":
        if safe_mode:
            raise ValueError(
                "This Lambda layer's function is a Python lambda saved as bytecode; loading it runs that code. "
                "If you trust the file, load it with safe_mode=False."
            )
        inner = config["config"]
        code = marshal.loads(base64.decodebytes(inner["code"].encode("ascii")))
        closure = inner.get("closure")
        cells = tuple(types.CellType(value) for value in closure) if closure else None
        defaults = tuple(inner["defaults"]) if inner.get("defaults") is not None else None
        return types.FunctionType(code, globals(), closure=cells, argdefs=defaults)
    name, module = config.get("config"), config.get("module", "builtins")
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module in ("builtins", "keras.activations", "keras.src.activations.activations") and hasattr(activations, name):
        return getattr(activations, name)
    if safe_mode:
        raise ValueError(
            f"Lambda's function {module}.{name} is not a cornu function. Pass it in custom_objects={{{name!r}: ...}}, "
            f"or load with safe_mode=False to import it from its module."
        )
    return getattr(importlib.import_module(module), name)
