"""The Layer: Keras's lifecycle (`__init__` -> `build` -> `call`) on a `torch.nn.Module`.

A layer validates and stores its arguments in `__init__`, creates its weights in `build(input_shape)` the first
time it sees an input, and computes in `call`. Weights are `nn.Parameter`s in Keras's layouts and order, so
`get_weights`/`set_weights` trade arrays with Keras as they are, and the layer drops into any PyTorch code.
"""

import functools
import inspect

import numpy as np
import torch
from torch import nn

from cornu import backend
from cornu.layers import symbolic
from cornu.legacy.translate import legacy_arguments
from cornu.mixed_precision import policy as dtype_policies
from cornu.utils import tree
from cornu.utils.identifiers import did_you_mean
from cornu.utils.naming import to_snake_case, unique_name
from cornu.utils.shapes import format_shape

__all__ = ["Layer", "call_context", "direct_call", "is_text_array"]

# Keyword arguments every layer accepts besides its own (Keras 3 accepts the same set).
_BASE_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size", "weights", "implementation")
_HALF_DTYPES = (torch.float16, torch.bfloat16)

# Moves on whenever any layer's attributes or torch hooks change: what was worked out from them (a `Sequential`'s
# plan of direct calls) holds while it stays the same
ATTRIBUTES_VERSION = [0]


class _CallContext:
    """The `training` flag of the outermost call, handed down to the layers inside it (as Keras does)."""

    training = None


call_context = _CallContext()


class Layer(nn.Module):
    """The base class of every cornu layer and model.

    Subclasses override `build(input_shape)` to create weights with `add_weight`, and `call(inputs)` to compute.
    A layer is called on arrays or tensors (eager) or on the symbolic tensors of `Input` (the Functional API).

    Args:
        activity_regularizer: Optional regularizer applied to the layer's output. Defaults to `None`.
        trainable: Whether the layer's weights are updated by training. Defaults to `True`.
        dtype: A dtype policy or its name: `"float32"` (compute and weights in float32), `"mixed_bfloat16"` or
            `"mixed_float16"` (compute in the half type, weights in float32). Defaults to the global policy
            (`cornu.mixed_precision.global_policy()`, `floatx()` unless set).
        autocast: Whether floating inputs are cast to the compute dtype (and, under a mixed policy, the weights
            while the layer runs). Defaults to `True`.
        name: The layer's name, unique within a model. Defaults to the snake-cased class name plus a counter.

    Example:
    >>> class Scale(Layer):
    ...     def build(self, input_shape):
    ...         self.scale = self.add_weight((input_shape[-1],), "ones", name="scale")
    ...     def call(self, inputs):
    ...         return inputs * self.scale
    >>> Scale()(np.ones((2, 3))).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        legacy_arguments(cls)  # Keras 1/2 keywords (output_dim=, init=, p=) become Keras 3's before __init__ binds them
        if "build" in vars(cls) and not getattr(cls.build, "_marks_built", False):
            cls.build = _marking_built(cls.build)

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True, name=None, **kwargs):
        super().__init__()
        _check_kwargs(type(self).__name__, kwargs)
        if name is not None and not isinstance(name, str):
            raise ValueError(f"A layer's name must be a string. Received: name={name!r}")
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.dtype_policy = dtype
        self.autocast = autocast
        self.built = False
        self.supports_masking = False
        self.training = False  # Keras semantics: inference unless a call says `training=True`
        self._trainable = bool(trainable)
        self._own_weights, self._own_non_trainable = [], []
        self._losses, self._inbound_nodes = [], []
        self._batch_input_shape = _batch_input_shape(kwargs)
        self._initial_weights = kwargs.get("weights")
        self.activity_regularizer = _get_regularizer(activity_regularizer)
        self._call_accepts = _call_arguments(type(self))

    # ------------------------------------------------------------------ lifecycle
    def build(self, input_shape):
        """Creates the layer's weights for inputs of `input_shape`. The base version creates none."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        """The layer's computation. The base version returns its inputs."""
        return inputs

    def forward(self, *args, **kwargs):
        if self._mixed:
            return self._call_autocast(args, kwargs)
        return self.call(*args, **kwargs)

    def _call_autocast(self, args, kwargs):
        """`call` with this layer's float weights read in the compute dtype, as Keras's autocast scope does.

        The cast copies shadow the parameters as instance attributes (`self.kernel` finds them first) for the length
        of the call; the `nn.Parameter`s stay registered, and autograd carries the gradients back to them in their
        own dtype. Weights created with `autocast=False` or `trainable=False` (moving statistics, which a layer may
        update in place) are left alone."""
        dtype, shadowed = self._compute_torch_dtype, self.__dict__
        casts = {
            name: weight.to(dtype)
            for name, weight in self._parameters.items()
            if weight is not None
            and weight.dtype is not dtype
            and weight.is_floating_point()
            and getattr(weight, "autocast", True)
            and getattr(weight, "keras_trainable", True)
        }
        shadowed.update(casts)
        try:
            return self.call(*args, **kwargs)
        finally:
            for name in casts:
                shadowed.pop(name, None)

    def _should_cast(self, tensor):
        """Whether a floating input goes to the compute dtype: always under a mixed policy (as in Keras), and for
        half-precision inputs reaching a wider layer (a float32 softmax closing a mixed model). Unlike Keras, a
        float32 layer leaves float64 inputs as they are (cornu's layers always have; tests rely on it)."""
        return (
            self._casts_inputs
            and tensor.is_floating_point()
            and (self._mixed or tensor.dtype in _HALF_DTYPES)
            and tensor.dtype is not self._compute_torch_dtype
        )

    def _cast_input(self, value):
        if isinstance(value, torch.Tensor) and self._should_cast(value):
            return value.to(self._compute_torch_dtype)
        return value

    # ------------------------------------------------------------------ dtype policy
    @property
    def dtype_policy(self):
        """The layer's `DTypePolicy`: its compute dtype and its weights' dtype."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        self.__dict__["_dtype_policy"] = dtype_policies.get(value)
        self._refresh_casting()

    @property
    def dtype(self):
        """The dtype of the layer's weights (`variable_dtype`), as in Keras; setting it sets the policy."""
        return self._dtype_policy.variable_dtype

    @dtype.setter
    def dtype(self, value):
        self.dtype_policy = value

    @property
    def compute_dtype(self):
        """The dtype the layer computes in: its floating inputs are cast to it."""
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        """The dtype the layer creates its weights in."""
        return self._dtype_policy.variable_dtype

    @property
    def input_dtype(self):
        """The dtype floating inputs are cast to (the compute dtype)."""
        return self._dtype_policy.compute_dtype

    @property
    def autocast(self):
        """Whether floating inputs (and, under a mixed policy, the weights) are cast to the compute dtype."""
        return self.__dict__.get("_autocast", True)

    @autocast.setter
    def autocast(self, value):
        self.__dict__["_autocast"] = bool(value)
        if "_dtype_policy" in self.__dict__:
            self._refresh_casting()

    def _refresh_casting(self):
        """Precomputes what `__call__` checks per call: plain attributes, so the float32 path pays one comparison."""
        policy, autocast = self._dtype_policy, self.autocast
        compute = backend.torch_dtype(policy.compute_dtype)
        self.__dict__["_compute_torch_dtype"] = compute
        self.__dict__["_casts_inputs"] = autocast and compute.is_floating_point
        self.__dict__["_mixed"] = (
            autocast and compute.is_floating_point and policy.compute_dtype != policy.variable_dtype
        )
        ATTRIBUTES_VERSION[0] += 1

    def __call__(self, *args, **kwargs):
        inputs = args[0] if args else kwargs.get("inputs")
        if type(inputs) is torch.Tensor:  # the common case (one tensor) skips the structure checks
            if inputs.dtype is not self._compute_torch_dtype and self._should_cast(inputs):
                inputs = inputs.to(self._compute_torch_dtype)
                args, kwargs = _replace_inputs(args, kwargs, inputs)
        else:
            if symbolic.any_symbolic(inputs):
                return symbolic.call_symbolic(self, args, kwargs)
            if not _all_tensors(inputs):
                inputs = self._to_tensors(inputs)
                args, kwargs = _replace_inputs(args, kwargs, inputs)
        if self._mixed:  # every floating tensor argument, as Keras does (query and value of an attention layer)
            args, kwargs = tree.map_structure(self._cast_input, (args, kwargs))
            inputs = args[0] if args else kwargs.get("inputs")
        if not self.built:
            self._build_for(inputs)
        return self._call_with_context(args, kwargs)

    def _call_with_context(self, args, kwargs):
        training = kwargs.get("training")
        if training is None:
            training = call_context.training
            if training is None:
                training = self.training
        if self._call_accepts["training"]:
            kwargs["training"] = training
        else:
            kwargs.pop("training", None)
        mask = kwargs.get("mask")
        if mask is not None:  # given explicitly: checked here, once, rather than failing deep inside `call`
            mask = kwargs["mask"] = _checked_mask(self, mask, args[0] if args else kwargs.get("inputs"))
        if mask is None and args:
            mask = _mask_of(args[0])  # Keras's implicit masks ride on the tensors, as `_keras_mask`
            if mask is not None and self._call_accepts["mask"]:
                kwargs["mask"] = mask
        if not self._call_accepts["mask"]:
            kwargs.pop("mask", None)
        outermost = call_context.training is None
        if outermost:
            call_context.training = bool(training)
        try:
            outputs = nn.Module.__call__(self, *args, **kwargs)
        finally:
            if outermost:
                call_context.training = None
        if self.activity_regularizer is not None:
            self._add_activity_loss(outputs)
        if mask is not None or self._call_accepts["computes_mask"]:
            _attach_mask(outputs, self.compute_mask(args[0] if args else kwargs.get("inputs"), mask))
        return outputs

    def _build_for(self, inputs):
        shapes = tree.map_structure(lambda t: tuple(t.shape), inputs)
        self.build_from_shape(shapes)

    def build_from_shape(self, input_shape):
        """Builds the layer once for `input_shape` and loads the `weights=` given to the constructor."""
        if self.built:
            return
        self.build(input_shape)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _to_tensors(self, inputs):
        device, float_dtype = self._device(), self._compute_torch_dtype

        def convert(value):
            if isinstance(value, torch.Tensor):
                return value
            if value is None or isinstance(value, (str, bool)):
                return value
            array = np.asarray(value)
            if is_text_array(array):
                return array  # strings stay on the host, for the layers that read them (TextVectorization, ...)
            if any(stride < 0 for stride in array.strides):  # a flipped view (x[..., ::-1]): torch needs a copy
                array = array.copy()
            tensor = torch.as_tensor(array, device=device)
            return tensor.to(float_dtype) if tensor.is_floating_point() and self.autocast else tensor

        return tree.map_structure(convert, inputs)

    def _device(self):
        """Where the weights live: the device of a cached weight (`.to()` moves weights in place, so it follows)."""
        probe = self.__dict__.get("_device_probe")
        if probe is None:
            probe = next(self.parameters(), None)
            if probe is None:
                return backend.get_device()
            self.__dict__["_device_probe"] = probe
        return probe.device

    def compute_output_shape(self, input_shape):
        """The output's shape for inputs of `input_shape` (`None` for unknown sizes), found by running `call`."""
        spec = symbolic.probe_output_spec(self, [symbolic.KerasTensor(input_shape, self.compute_dtype)], {})
        return tree.map_structure(lambda t: t.shape, spec)

    def compute_mask(self, inputs, previous_mask=None):
        """The mask of the output: the input's mask for layers that support masking, else `None`."""
        return previous_mask if self.supports_masking else None

    # ------------------------------------------------------------------ weights
    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable=True,
        autocast=True,
        regularizer=None,
        constraint=None,
        aggregation="none",
        overwrite_with_gradient=False,
        name=None,
    ):
        """Creates a weight (an `nn.Parameter`) of `shape`, filled by `initializer`, and tracks it.

        Args:
            shape: Tuple of ints. Defaults to `()` (a scalar).
            initializer: Initializer name or object. Defaults to `"glorot_uniform"` for floats, else `"zeros"`.
            dtype: Weight dtype. Defaults to the layer's `variable_dtype`.
            trainable: Whether training updates it. Defaults to `True`.
            autocast: Whether a layer with a mixed policy reads it in its compute dtype. Defaults to `True`.
            regularizer: Optional penalty added to the model's loss. Defaults to `None`.
            constraint: Optional projection applied after each optimizer step. Defaults to `None`.
            name: The weight's name (Keras's: `"kernel"`, `"bias"`, ...). Defaults to `"variable"`.
        """
        from cornu import constraints, initializers

        shape = _weight_shape(self.name, name, shape)
        torch_dtype = backend.torch_dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if torch_dtype.is_floating_point else "zeros"
        value = initializers.get(initializer)(shape, dtype=torch_dtype)
        weight = nn.Parameter(torch.as_tensor(value, dtype=torch_dtype).to(self._device()), requires_grad=False)
        weight.requires_grad_(bool(trainable) and self._trainable and torch_dtype.is_floating_point)
        weight.regularizer = _get_regularizer(regularizer)
        weight.constraint = constraints.get(constraint)
        weight.keras_name = name or "variable"
        weight.keras_trainable = bool(trainable)
        weight.autocast = bool(autocast)
        self.register_parameter(self._free_parameter_name(weight.keras_name), weight)
        (self._own_weights if trainable else self._own_non_trainable).append(weight)
        return weight

    def _free_parameter_name(self, name):
        candidate, count = name.replace(".", "_"), 0
        while candidate in self._parameters or candidate in self._modules or candidate in self.__dict__:
            count += 1
            candidate = f"{name}_{count}"
        return candidate

    def __setattr__(self, name, value):
        if isinstance(value, nn.Parameter) and "_parameters" in self.__dict__:
            # add_weight registered it under its Keras name; the attribute it is stored in becomes its torch name.
            for key, existing in list(self._parameters.items()):
                if existing is value and key != name:
                    del self._parameters[key]
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value):
            value = nn.ModuleList(value)  # Keras tracks layers kept in a list; torch needs a ModuleList
        super().__setattr__(name, value)
        ATTRIBUTES_VERSION[0] += 1

    def __delattr__(self, name):
        super().__delattr__(name)
        ATTRIBUTES_VERSION[0] += 1

    def _sublayers(self):
        """The layers directly inside this one, in the order they were assigned."""
        found, stack = [], list(self._modules.values())[::-1]
        while stack:
            module = stack.pop()
            if isinstance(module, Layer):
                found.append(module)
            elif module is not None:
                stack.extend(list(module._modules.values())[::-1])
        return found

    @property
    def weights(self):
        """All weights: this layer's trainable-created ones, its non-trainable ones, then its sublayers'."""
        seen, result = set(), []
        for weight in self._own_weights + self._own_non_trainable + self._foreign_parameters():
            if id(weight) not in seen:
                seen.add(id(weight))
                result.append(weight)
        for layer in self._sublayers():
            for weight in layer.weights:
                if id(weight) not in seen:
                    seen.add(id(weight))
                    result.append(weight)
        return result

    def _foreign_parameters(self):
        """Parameters a user registered by hand or inside plain torch modules (not through `add_weight`)."""
        own = {id(w) for w in self._own_weights + self._own_non_trainable}
        foreign = [p for p in self._parameters.values() if p is not None and id(p) not in own]
        for module in self._modules.values():
            if module is not None and not isinstance(module, Layer) and not _holds_layers(module):
                foreign.extend(module.parameters())
        return foreign

    @property
    def trainable_weights(self):
        """The weights that training updates (none when `trainable` is False)."""
        return [w for w in self.weights if w.requires_grad] if self.trainable else []

    @property
    def non_trainable_weights(self):
        """The weights that training leaves alone (BatchNormalization's moving statistics, frozen layers)."""
        return self.weights if not self.trainable else [w for w in self.weights if not w.requires_grad]

    @property
    def variables(self):
        return self.weights

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    @property
    def trainable(self):
        """Whether training updates the weights. Setting it freezes or unfreezes the layer and its sublayers."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for weight in self._own_weights + self._own_non_trainable:
            weight.requires_grad_(self._trainable and weight.keras_trainable and weight.is_floating_point())
        for weight in self._foreign_parameters():
            weight.requires_grad_(self._trainable)
        for layer in self._sublayers():
            layer.trainable = value

    def get_weights(self):
        """The weights as a list of NumPy arrays (copies), in Keras's order and layouts."""
        # .numpy() of a CPU tensor shares its memory: without the copy, training would change arrays already returned.
        return [w.detach().cpu().numpy().copy() for w in self.weights]

    def set_weights(self, weights):
        """Loads a list of arrays (as `get_weights` returns, from cornu or from Keras) into the weights."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}' has {len(own)} weights ({_weight_list(own)}), but set_weights received "
                f"{len(weights)} arrays. Pass exactly the list that get_weights() of the same layer returns."
            )
        for weight, value in zip(own, weights):
            value = np.asarray(value) if not isinstance(value, torch.Tensor) else value
            if tuple(value.shape) != tuple(weight.shape):
                raise ValueError(
                    f"Layer '{self.name}' weight '{weight.keras_name if hasattr(weight, 'keras_name') else ''}' "
                    f"has shape {format_shape(weight.shape)}, but the array given has shape "
                    f"{format_shape(value.shape)}. Weights use Keras layouts (Dense kernel is (in, out))."
                )
        with torch.no_grad():
            for weight, value in zip(own, weights):
                weight.copy_(torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value))

    def count_params(self):
        """The number of scalars in the layer's weights (the layer must be built)."""
        if not self.built:
            raise ValueError(
                f"You called count_params() on layer '{self.name}', but it is not built yet. "
                f"Call it on data first, or give the first layer an input_shape."
            )
        return int(sum(w.numel() for w in self.weights))

    # ------------------------------------------------------------------ losses
    def add_loss(self, loss):
        """Adds a scalar tensor to the loss that training minimises (for this forward pass)."""
        self._losses.append(loss)

    def _add_activity_loss(self, outputs):
        for output in tree.flatten(outputs):
            if isinstance(output, torch.Tensor):
                loss = self.activity_regularizer(output)
                self.add_loss(loss / output.shape[0] if output.ndim > 0 else loss)

    @property
    def losses(self):
        """The activity losses of the last call plus the penalties of the trainable weights (frozen ones add none,
        as in Keras and in the loss `fit` minimises)."""
        result = list(self._losses)
        own = self._own_weights + self._own_non_trainable
        result += [w.regularizer(w) for w in own if w.regularizer is not None and w.requires_grad]
        for layer in self._sublayers():
            result += layer.losses
        return result

    def _clear_losses(self):
        self._losses.clear()
        for layer in self._sublayers():
            layer._clear_losses()

    # ------------------------------------------------------------------ graph
    def _node_tensor(self, attribute, node_index=0):
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer '{self.name}' has never been called on a symbolic input, so it has no {attribute}. "
                f"Build the model from Input(...) or give the first layer an input_shape."
            )
        node = self._inbound_nodes[node_index]
        tensors = node.input_tensors if attribute == "input" else node.output_tensors
        return tensors[0] if len(tensors) == 1 else tensors

    def _weight(self, name):
        """`getattr(self, name)` for a weight, in a tenth of the time: a registered parameter is found only after
        an ordinary lookup has failed (~0.45 µs, a few % of a small model's one-sample call). The instance's own
        attributes come first, as in that lookup: a mixed-precision call's cast copies, or `None` for an absent bias.

        >>> layer = Layer()
        >>> layer.kernel = torch.nn.Parameter(torch.ones(2))
        >>> layer._weight("kernel") is layer.kernel
        True
        """
        attributes = self.__dict__
        return attributes[name] if name in attributes else attributes["_parameters"][name]

    def __getattr__(self, name):
        # Weights are looked up here at every call (`self.kernel`): answered first, without `nn.Module`'s frame.
        parameters = self.__dict__.get("_parameters")
        if parameters is not None and name in parameters:
            return parameters[name]
        try:
            return super().__getattr__(name)
        except AttributeError:
            # torch turns an AttributeError raised inside a property into "object has no attribute": say why.
            if name in _NODE_ATTRIBUTES:
                self._node_tensor(_NODE_ATTRIBUTES[name])
            raise

    @property
    def input(self):
        """The symbolic input of the layer's first call in a model."""
        return self._node_tensor("input")

    @property
    def output(self):
        """The symbolic output of the layer's first call in a model (for `Model(inputs, layer.output)`)."""
        return self._node_tensor("output")

    @property
    def input_shape(self):
        return tree.map_structure(lambda t: t.shape, self.input)

    @property
    def output_shape(self):
        return tree.map_structure(lambda t: t.shape, self.output)

    # ------------------------------------------------------------------ config
    def get_config(self):
        """The constructor arguments that rebuild this layer (without weights)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype_policy.name}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        if self.activity_regularizer is not None:
            from cornu import regularizers

            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        """Rebuilds a layer from `get_config()`'s dictionary."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


Layer.compute_output_shape._probes = True  # symbolic calls run the layer on zeros unless a subclass knows better


_NODE_ATTRIBUTES = {"input": "input", "output": "output", "input_shape": "input", "output_shape": "output"}


def _check_kwargs(class_name, kwargs):
    unknown = [key for key in kwargs if key not in _BASE_KWARGS]
    if unknown:
        hints = "".join(did_you_mean(key, _BASE_KWARGS) for key in unknown)
        raise ValueError(f"Unrecognized keyword arguments passed to {class_name}: {unknown}.{hints}")


def _batch_input_shape(kwargs):
    if kwargs.get("batch_input_shape") is not None:
        return tuple(kwargs["batch_input_shape"])
    shape = kwargs.get("input_shape")
    if shape is None and kwargs.get("input_dim") is not None:
        shape = (int(kwargs["input_dim"]),)
    if shape is None:
        return None
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return (kwargs.get("batch_size"),) + shape


def _replace_inputs(args, kwargs, inputs):
    """`args`/`kwargs` with the layer's first input replaced (it came positionally or as `inputs=`)."""
    if args:
        return (inputs,) + args[1:], kwargs
    kwargs["inputs"] = inputs
    return args, kwargs


def _get_regularizer(identifier):
    if identifier is None:
        return None
    from cornu import regularizers

    return regularizers.get(identifier)


def _weight_shape(layer_name, weight_name, shape):
    shape = () if shape is None else ((shape,) if isinstance(shape, int) else tuple(shape))
    if any(d is None or int(d) < 0 for d in shape):
        raise ValueError(
            f"Layer '{layer_name}' cannot create weight '{weight_name}' of shape {format_shape(shape)}: every "
            f"dimension must be known. Give the model an input shape, e.g. Input(shape=(784,))."
        )
    return tuple(int(d) for d in shape)


def _weight_list(weights):
    return ", ".join(f"{getattr(w, 'keras_name', 'weight')} {format_shape(w.shape)}" for w in weights) or "none"


def _holds_layers(module):
    return any(isinstance(m, Layer) for m in module.modules())


def is_text_array(array):
    """Whether `array` holds strings (NumPy's str or bytes dtypes, or Python strings in an object array)."""
    if not isinstance(array, np.ndarray):
        return False
    if array.dtype.kind in "US":
        return True
    return array.dtype == object and array.size > 0 and isinstance(array.flat[0], (str, bytes))


def _moving_attributes_version(register):
    """`register` (one of nn.Module's hook registrations), moving ATTRIBUTES_VERSION on: hooks are added to dicts,
    not set as attributes, and what was worked out without them must be worked out again."""

    @functools.wraps(register)
    def registering(self, *args, **kwargs):
        ATTRIBUTES_VERSION[0] += 1
        return register(self, *args, **kwargs)

    return registering


for _register in (
    "register_forward_pre_hook",
    "register_forward_hook",
    "register_full_backward_pre_hook",
    "register_full_backward_hook",
    "register_backward_hook",
):
    setattr(Layer, _register, _moving_attributes_version(getattr(nn.Module, _register)))


def _all_tensors(structure):
    if isinstance(structure, torch.Tensor):
        return True
    return all(isinstance(leaf, torch.Tensor) or leaf is None for leaf in tree.flatten(structure))


_CALL_ARGUMENTS = {}


def direct_call(layer, inputs, keeps_masks=True):
    """`layer.call` when calling it straight on `inputs`, inside a running call, does exactly what `layer(inputs)`
    would: `inputs` is a plain tensor that is not half precision (a float32 layer would cast that), the layer is
    built, casts nothing, has no activity regularizer, no torch hooks and makes no masks (unless
    `keeps_masks=False`: a caller that discards the output's mask), and its class keeps `Layer`'s calling
    machinery. Else `None`.

    `Sequential` calls its layers through it: `__call__`'s bookkeeping (dtype, mask and context checks, torch's
    hook dispatch) is a few µs a layer, which is what a small model's one-sample `predict` and its training steps
    are made of (measured: ~5 µs off a 3-layer MLP's 70 µs `predict`).

    >>> class Double(Layer):
    ...     def call(self, inputs):
    ...         return 2 * inputs
    >>> class MaskingDouble(Double):
    ...     def compute_mask(self, inputs, previous_mask=None):
    ...         return inputs != 0
    >>> double, masking = Double(), MaskingDouble()
    >>> _ = double(torch.ones(1)), masking(torch.ones(1))
    >>> x = torch.ones(1)
    >>> direct_call(double, x) == double.call, direct_call(masking, x) is None, direct_call(double, x.half()) is None
    (True, True, True)
    """
    if type(inputs) is not torch.Tensor or inputs.dtype in _HALF_DTYPES:
        return None
    return layer_direct_call(layer, keeps_masks)


def layer_direct_call(layer, keeps_masks=True):
    """`direct_call`'s answer as far as the layer alone goes (what the inputs must be is left to the caller): what
    `Sequential` works out once per layer and keeps while no layer's attributes or hooks change."""
    if not _keeps_layer_calling(type(layer)):
        return None
    if not layer.built or layer._mixed or layer._compute_torch_dtype in _HALF_DTYPES:
        return None
    if layer.activity_regularizer is not None or (keeps_masks and layer._call_accepts["computes_mask"]):
        return None
    if layer._forward_hooks or layer._forward_pre_hooks or layer._backward_hooks or layer._backward_pre_hooks:
        return None
    return layer.call


def any_global_hook():
    """Whether torch has module hooks registered for every module (then calls must go through `nn.Module`)."""
    if _HAS_ANY_GLOBAL_HOOK is None:  # a torch without the query: assume there may be hooks
        return True
    return bool(_HAS_ANY_GLOBAL_HOOK()) or torch._C._get_tracing_state() is not None


_HAS_ANY_GLOBAL_HOOK = getattr(nn.modules.module, "_has_any_global_hook", None)


_KEEPS_LAYER_CALLING = {}


def _keeps_layer_calling(cls):
    if cls not in _KEEPS_LAYER_CALLING:
        _KEEPS_LAYER_CALLING[cls] = (
            cls.__call__ is Layer.__call__
            and cls._call_with_context is Layer._call_with_context
            and cls.forward is Layer.forward
            and cls._call_autocast is Layer._call_autocast
        )
    return _KEEPS_LAYER_CALLING[cls]


def _call_arguments(cls):
    """Which of `training` and `mask` the class's `call` accepts (looked up once per class)."""
    if cls not in _CALL_ARGUMENTS:
        parameters = inspect.signature(cls.call).parameters
        takes_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        _CALL_ARGUMENTS[cls] = {
            "training": "training" in parameters or takes_kwargs,
            "mask": "mask" in parameters or takes_kwargs,
            "computes_mask": cls.compute_mask is not Layer.compute_mask,
        }
    return _CALL_ARGUMENTS[cls]


def _marking_built(build):
    """Wraps a subclass's `build` so that calling it directly (`layer.build((None, 3))`) also marks the layer built,
    as Keras does; otherwise the first call would build again and create a second set of weights."""

    @functools.wraps(build)
    def build_and_mark(self, *args, **kwargs):
        result = build(self, *args, **kwargs)
        self.built = True
        return result

    build_and_mark._marks_built = True
    return build_and_mark


def _mask_of(inputs):
    """The mask an earlier layer attached to `inputs` (a list of them for a list of inputs), or None."""
    if isinstance(inputs, torch.Tensor):
        return getattr(inputs, "_keras_mask", None)
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(t, "_keras_mask", None) for t in inputs]
        return None if all(m is None for m in masks) else masks
    return None


def _checked_mask(layer, mask, inputs):
    """An explicit `mask=` as a boolean tensor on the inputs' device, its shape checked against the inputs'."""
    if isinstance(inputs, (list, tuple)) and isinstance(mask, (list, tuple)):
        return [None if m is None else _checked_mask(layer, m, x) for m, x in zip(mask, inputs)]
    if not isinstance(inputs, torch.Tensor) or not isinstance(mask, (np.ndarray, torch.Tensor)):
        return mask  # e.g. whatever a Lambda's function chooses to take
    if isinstance(mask, np.ndarray):
        mask = torch.from_numpy(mask)
    mask = mask.to(device=inputs.device, dtype=torch.bool)
    if not _mask_fits(tuple(mask.shape), tuple(inputs.shape)):
        expected = format_shape(tuple(inputs.shape[: max(inputs.ndim - 1, 1)]))
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) received a mask of shape {format_shape(tuple(mask.shape))} "
            f"for inputs of shape {format_shape(tuple(inputs.shape))}. A mask has one entry per sample and "
            f"timestep: shape {expected} here (the inputs' shape without the feature axis)."
        )
    return mask


def _mask_fits(mask_shape, input_shape):
    """A per-timestep mask matches the inputs' leading axes; an element-wise one (Softmax's) broadcasts to them."""
    if len(mask_shape) < len(input_shape):
        return mask_shape == input_shape[: len(mask_shape)]
    try:
        return len(mask_shape) == len(input_shape) and torch.broadcast_shapes(mask_shape, input_shape) == input_shape
    except RuntimeError:
        return False


def _attach_mask(outputs, mask):
    if mask is None:
        return
    if isinstance(outputs, torch.Tensor):
        outputs._keras_mask = mask
    elif isinstance(outputs, (list, tuple)) and isinstance(mask, (list, tuple)):
        for output, output_mask in zip(outputs, mask):
            if isinstance(output, torch.Tensor) and output_mask is not None:
                output._keras_mask = output_mask
