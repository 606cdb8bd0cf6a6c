"""Dtype policies: which dtype a layer computes in and which dtype its weights are stored in.

A policy named after a dtype (`"float32"`, `"float64"`) computes and stores in that dtype. `"mixed_float16"` and
`"mixed_bfloat16"` compute in the half type and store weights in float32: a layer casts its floating inputs and, for
the length of its call, its weights to the compute dtype, so gradients reach the float32 weights in float32.
The global policy is what a layer gets when its `dtype` argument is `None`; it is read when the layer is created.
"""

import torch

from cornu import backend

__all__ = [
    "DTypePolicy",
    "Policy",
    "dtype_policy",
    "global_policy",
    "set_dtype_policy",
    "set_global_policy",
    "get",
    "serialize",
    "deserialize",
]

_MIXED = {"mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32")}
_ALIASES = {"float": "float32", "double": "float64", "half": "float16"}
_state = {"policy": None, "default": None}


class DTypePolicy:
    """A layer's compute dtype and variable (weight) dtype, under one name.

    Args:
        name: A dtype name (`"float32"`, `"float64"`, ...: computes and stores in it), `"mixed_float16"` or
            `"mixed_bfloat16"` (computes in the half type, stores in float32). Defaults to `None`, the name of
            the global policy.

    Example:
    >>> policy = DTypePolicy("mixed_bfloat16")
    >>> policy.compute_dtype, policy.variable_dtype
    ('bfloat16', 'float32')
    >>> policy
    <DTypePolicy "mixed_bfloat16">
    """

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        if not isinstance(name, str):
            raise TypeError(
                f"A DTypePolicy's name must be a string such as 'mixed_float16' or 'float32'. "
                f"Received: name={name!r} (of type {type(name).__name__})"
            )
        self._name = name
        self._compute_dtype, self._variable_dtype = _parse(name)

    @property
    def name(self):
        """The policy's name, as given."""
        return self._name

    @property
    def compute_dtype(self):
        """The dtype a layer computes in (its inputs are cast to it, and its weights while it runs)."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype a layer creates its weights in."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """Always `None`: cornu has no quantized policies."""
        return None

    def get_config(self):
        """`{"name": ...}`, the constructor's argument."""
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        """The policy `get_config()` describes."""
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other._name == self._name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


Policy = DTypePolicy  # Keras 2's name (`keras.mixed_precision.Policy`), kept by Keras 3 as a legacy alias


def set_dtype_policy(policy):
    """Sets the global policy: the one layers created from now on get when their `dtype` is `None`.

    Args:
        policy: A `DTypePolicy`, or a policy name such as `"mixed_float16"`, `"mixed_bfloat16"` or `"float32"`.

    Example:
    >>> set_dtype_policy("mixed_bfloat16")
    >>> cornu.layers.Dense(2).compute_dtype
    'bfloat16'
    >>> set_dtype_policy("float32")
    """
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    if not isinstance(policy, DTypePolicy):
        raise ValueError(
            "set_global_policy() takes a policy name such as 'mixed_float16' or a DTypePolicy. "
            f"Received: policy={policy!r} (of type {type(policy).__name__})"
        )
    _state["policy"] = policy


def dtype_policy():
    """The global policy: the one set by `set_global_policy`, else the policy named after `backend.floatx()`.

    Example:
    >>> dtype_policy()
    <DTypePolicy "float32">
    """
    if _state["policy"] is not None:
        return _state["policy"]
    default = _state["default"]
    if default is None or default.name != backend.floatx():  # follows set_floatx until a policy is set
        default = _state["default"] = DTypePolicy(backend.floatx())
    return default


# Keras 2's names, which Keras 3 keeps in `keras.mixed_precision`.
set_global_policy = set_dtype_policy
global_policy = dtype_policy


def get(identifier):
    """A policy from `None` (the global one), a name, a torch dtype, a config dict or a policy (returned as is).

    Example:
    >>> get("float64").compute_dtype
    'float64'
    >>> get({"class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}).name
    'mixed_float16'
    """
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, torch.dtype):
        return DTypePolicy(str(identifier).replace("torch.", ""))
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    name = getattr(identifier, "name", None) or getattr(identifier, "__name__", None)  # np.float32, np.dtype
    if isinstance(name, str):
        return DTypePolicy(name)
    raise ValueError(
        f"Cannot interpret dtype={identifier!r} as a dtype policy. Pass a name such as 'float32' or "
        "'mixed_bfloat16', or a cornu.mixed_precision.DTypePolicy."
    )


def serialize(policy):
    """Keras's config dict of a policy: `{"module": "keras", "class_name": "DTypePolicy", "config": {...}}`.

    Example:
    >>> serialize(DTypePolicy("mixed_float16"))["config"]
    {'name': 'mixed_float16'}
    """
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(), "registered_name": None}


def deserialize(config):
    """The policy of a config dict from `serialize` (or from a Keras 3 file).

    Example:
    >>> deserialize({"class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"}}).compute_dtype
    'bfloat16'
    """
    class_name = config.get("class_name", "DTypePolicy")
    if class_name not in ("DTypePolicy", "FloatDTypePolicy", "Policy"):
        raise ValueError(
            f"cornu has no dtype policy class {class_name!r} (quantized policies are not supported). "
            "Use DTypePolicy with a name such as 'float32' or 'mixed_bfloat16'."
        )
    return DTypePolicy(**(config.get("config") or {}))


def _parse(name):
    """(compute dtype, variable dtype) for a policy name; raises naming the accepted ones."""
    if name in _MIXED:
        return _MIXED[name]
    standard = _ALIASES.get(name, name.replace("torch.", ""))
    if not isinstance(getattr(torch, standard, None), torch.dtype):
        raise ValueError(
            f"Cannot convert '{name}' to a dtype policy. Valid policies are 'mixed_float16', 'mixed_bfloat16' "
            "and the name of a dtype such as 'float32'."
        )
    return standard, standard
