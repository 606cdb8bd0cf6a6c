"""Weights in Keras 3's h5 layout (`model.weights.h5` inside a `.keras` file, and `*.weights.h5` files).

Each object with state has a group `<path>/vars` holding datasets `"0"`, `"1"`, ... in the order of its own
variables (trainable first), with the object's name as the `name` attribute. Paths follow Keras: a Sequential or
Functional model's layers live under `layers/<snake_case class name>` (made unique with `_1`, `_2`, ... in the
order of `model.layers`, not by layer name), the optimizer under `optimizer`, and the model's own under `vars`.
"""

import warnings

import numpy as np
import torch

from cornu.utils.naming import to_snake_case
from cornu.utils.shapes import format_shape

__all__ = ["saveables", "write_weights", "read_weights", "own_variables", "own_hook", "require_h5py"]


def require_h5py():
    """The h5py module, imported when a file is read or written (so `import cornu` does not need it)."""
    try:
        import h5py
    except ImportError:
        raise ImportError("Keras model and weights files are HDF5 inside: install h5py (pip install h5py).") from None
    return h5py


def own_variables(layer):
    """A layer's own weights (not its sublayers'), in Keras's saved order: trainable-created, then the others."""
    seen, result = set(), []
    for weight in layer._own_weights + layer._own_non_trainable + layer._foreign_parameters():
        if id(weight) not in seen:
            seen.add(id(weight))
            result.append(weight)
    return result


def saveables(model, include_optimizer=True):
    """`[(path, object)]` for the model, its layers (recursively) and its optimizer, in Keras's walk order."""
    found, visited = [], set()
    _walk(model, "", found, visited)
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and not isinstance(optimizer, str):
        found.append(("optimizer", optimizer))
    return found


# Sublayers whose cornu attribute name differs from Keras's (the attribute name is part of the saved path).
_KERAS_ATTRIBUTES = {("TextVectorization", "_lookup"): "_lookup_layer"}


def _walk(layer, path, found, visited):
    from cornu.layers.base import Layer
    from cornu.models import Functional, Sequential

    if id(layer) in visited:
        return
    visited.add(id(layer))
    found.append((path, layer))
    if isinstance(layer, (Sequential, Functional)):
        children = [("layers", layer.layers)]
    else:
        children = sorted(layer._modules.items(), key=lambda item: "~" + item[0] if item[0][0] == "_" else item[0])
    for name, child in children:
        name = _KERAS_ATTRIBUTES.get((type(layer).__name__, name), name)
        child_path = f"{path}/{name}" if path else name
        if isinstance(child, Layer):
            _walk(child, child_path, found, visited)
        elif isinstance(child, (list, tuple, torch.nn.ModuleList, torch.nn.ModuleDict)):
            items = child.values() if isinstance(child, torch.nn.ModuleDict) else child
            used = {}
            for item in items:
                if isinstance(item, Layer):
                    key = to_snake_case(type(item).__name__)
                    used[key] = used.get(key, -1) + 1
                    unique = key if used[key] == 0 else f"{key}_{used[key]}"
                    _walk(item, f"{child_path}/{unique}", found, visited)


def _values(obj):
    if hasattr(obj, "_own_weights"):
        return [w.detach().cpu().numpy() for w in own_variables(obj)]
    return obj.get_weights()  # an optimizer: iteration, learning rate, slots


def own_hook(obj, name):
    """A layer's own `save_own_variables`/`load_own_variables`/`save_assets`/`load_assets` (Keras's saving hooks,
    which lookup layers and users' layers define), or `None`; optimizers keep cornu's numbered layout."""
    if not hasattr(obj, "_own_weights"):
        return None
    return getattr(obj, name, None)


def write_weights(h5file, model, include_optimizer=True):
    """Writes every saveable's variables into an open h5py file, in Keras 3's layout.

    A layer with its own `save_own_variables(store)` fills the store (e.g. `{"idf_weights": ...}`) instead of the
    numbered variables, as Keras does.
    """
    for path, obj in saveables(model, include_optimizer):
        group = h5file.require_group(path) if path else h5file
        variables = group.create_group("vars")
        variables.attrs["name"] = getattr(obj, "name", "")
        hook = own_hook(obj, "save_own_variables")
        if hook is not None:
            store = {}
            hook(store)
            items = store.items()
        else:
            items = ((str(i), value) for i, value in enumerate(_values(obj)))
        for key, value in items:
            variables.create_dataset(key, data=np.asarray(value))


def read_weights(h5file, model, where, skip_mismatch=False, include_optimizer=True, rename=None, adapt=None):
    """Loads the variables from an open h5py file written by `write_weights` or by Keras 3.

    Raises ValueError naming `where`, the object and the problem (missing group, count or shape mismatch);
    with `skip_mismatch=True` such objects are skipped with a warning instead. `rename(path)` maps Keras 3's paths
    to the file's and `adapt(store, optimizer)` the optimizer's variables to cornu's (files of other Keras
    versions); either may be `None`.
    """
    for path, obj in saveables(model, include_optimizer):
        path = rename(path) if rename is not None else path
        key = f"{path}/vars" if path else "vars"
        if not hasattr(obj, "_own_weights"):
            if key in h5file and getattr(model, "compiled", False):
                _read_optimizer(h5file[key], obj, model, adapt)
            continue
        hook = own_hook(obj, "load_own_variables")
        if hook is not None:
            group = h5file[key] if key in h5file else {}
            hook({name: np.asarray(group[name]) for name in group.keys()})
            continue
        expected = own_variables(obj)
        if key not in h5file:
            if not expected:
                continue
            _fail(f"{where} has no weights for layer '{obj.name}' (the group '{key}' is missing).", skip_mismatch)
            continue
        group = h5file[key]
        if len(group.keys()) != len(expected):
            _fail(
                f"{where}: layer '{obj.name}' has {len(expected)} weights, but the file has {len(group.keys())} "
                f"under '{key}'. The file was saved from a different model.",
                skip_mismatch,
            )
            continue
        arrays = [np.asarray(group[str(i)]) for i in range(len(expected))]
        _assign(obj, expected, arrays, where, skip_mismatch)


def _read_optimizer(group, optimizer, model, adapt):
    store = {name: np.asarray(group[name]) for name in group.keys()}
    if len(store) != len(optimizer.variables):  # an optimizer saved before its first step has no slots yet
        optimizer.build(model.trainable_weights)
    if adapt is not None:
        store = adapt(store, optimizer)
    if store is not None:
        optimizer.load_own_variables(store)


def _assign(layer, weights, arrays, where, skip_mismatch):
    for weight, array in zip(weights, arrays):
        if tuple(array.shape) != tuple(weight.shape):
            _fail(
                f"{where}: weight '{getattr(weight, 'keras_name', 'weight')}' of layer '{layer.name}' has shape "
                f"{format_shape(weight.shape)} in the model, but {format_shape(array.shape)} in the file. "
                f"The file was saved from a different model (or pass skip_mismatch=True).",
                skip_mismatch,
            )
            return False
    with torch.no_grad():
        for weight, array in zip(weights, arrays):
            weight.copy_(torch.as_tensor(array, dtype=weight.dtype))
    return True


def _fail(message, skip_mismatch):
    if skip_mismatch:
        warnings.warn(f"Skipping: {message}", stacklevel=3)
    else:
        raise ValueError(message)
