"""`.keras` files written by tf-keras 2.13-2.15 (TensorFlow's Keras 2, `tf.keras`), the first zip format.

Keras 3 cannot open them (keras-team/keras#19089, #19898, #20083): their config names the model's class by its
tf-keras source module (`keras.src.engine.functional`), which Keras 3 tries to import. cornu resolves classes by
their Keras names, so the config loads as it is; what differs is translated here:

- the optimizer's config: `Custom>Adam` (how tf-keras 2.11-2.12 registered its new optimizers) and the modules
  `keras.optimizers.legacy` / `keras.optimizers.experimental` name cornu's `Adam`; tf-keras's own keys
  (`jit_compile`, `is_legacy_optimizer`) change nothing and are dropped by the compile step.
- the optimizer's state: tf-keras kept the learning rate out of the optimizer's variables (`iteration`, then the
  slots, `m` and `v` interleaved per variable for Adam), where Keras 3 stores it second; it is put back.
- 2.13's weight paths: layers under `_layer_checkpoint_dependencies/<name>`, where the repeat counter also counted
  each layer with weights a second time (the dict listed it as `layer_with_weights-k` and as `layer-i`), so the
  second of two `Dense` layers is `dense_2`. 2.14 and 2.15 use Keras 3's `layers/dense_1`.

Example:
>>> is_tf_keras({"keras_version": "2.15.0"}), is_tf_keras({"keras_version": "3.15.1"})
(True, False)
"""

import warnings

from cornu.utils.naming import to_snake_case

__all__ = ["is_tf_keras", "translate_config", "path_renamer", "adapt_optimizer_store"]

_OPTIMIZER_MODULES = ("keras.optimizers.legacy", "keras.optimizers.experimental", "keras.src.optimizers")
_CHECKPOINT_DEPENDENCIES = "_layer_checkpoint_dependencies"
# Optimizers whose tf-keras slots come in cornu's (and Keras 3's) order, with how many slots per variable: Adam and
# AdamW create `m` then `v` in one loop over the variables (tf-keras `optimizers/adam.py`, `adamw.py`); with one
# slot per variable the order cannot differ. Other counts (amsgrad, EMA) and other optimizers start fresh.
_SAME_SLOT_ORDER = {"Adam": 2, "AdamW": 2, "SGD": 1, "Adagrad": 1, "RMSprop": 1, "Lion": 1}


def is_tf_keras(metadata):
    """Whether a `.keras` file's `metadata.json` says tf-keras (Keras 2.x) wrote it."""
    return str((metadata or {}).get("keras_version", "")).startswith("2.")


def translate_config(config):
    """The file's config with tf-keras's optimizer names in Keras 3's spelling (a new dict).

    Example:
    >>> config = translate_config({"compile_config": {"optimizer": {"class_name": "Custom>Adam", "config": {}}}})
    >>> config["compile_config"]["optimizer"]["class_name"], config["compile_config"]["optimizer"]["module"]
    ('Adam', 'keras.optimizers')
    """
    compile_config = config.get("compile_config")
    if not isinstance(compile_config, dict) or not isinstance(compile_config.get("optimizer"), dict):
        return config
    optimizer = dict(compile_config["optimizer"])
    name = str(optimizer.get("class_name", ""))
    if name.startswith("Custom>") or optimizer.get("module") in _OPTIMIZER_MODULES:
        optimizer.update(class_name=name.split(">")[-1], module="keras.optimizers", registered_name=None)
    return {**config, "compile_config": {**compile_config, "optimizer": optimizer}}


def path_renamer(model, h5file):
    """For a tf-keras 2.13 weights file, `rename(path)` from Keras 3's layer paths to 2.13's; else `None`."""
    if _CHECKPOINT_DEPENDENCIES not in h5file:
        return None
    prefixes = dict(zip(_keras3_names(model.layers), _names_2_13(model.layers)))

    def rename(path):
        head = "/".join(path.split("/")[:2])
        if head in prefixes:
            return prefixes[head] + path[len(head) :]
        return path

    return rename


def _keras3_names(layers):
    used, names = {}, []
    for layer in layers:
        key = to_snake_case(type(layer).__name__)
        used[key] = used.get(key, -1) + 1
        names.append(f"layers/{key}" if used[key] == 0 else f"layers/{key}_{used[key]}")
    return names


def _names_2_13(layers):
    used, names = {}, []
    for layer in layers:
        key = to_snake_case(type(layer).__name__)
        for repeat in range(2 if layer.weights else 1):  # listed twice when it has weights; saved the first time
            used[key] = used.get(key, -1) + 1
            if repeat == 0:
                suffix = "" if used[key] == 0 else f"_{used[key]}"
                names.append(f"{_CHECKPOINT_DEPENDENCIES}/{key}{suffix}")
    return names


def adapt_optimizer_store(store, optimizer, where):
    """tf-keras's optimizer variables (no learning rate) in cornu's order, or `None` (with a warning) when the
    layout cannot be matched; the optimizer must be built."""
    expected = len(optimizer.variables)
    if len(store) != expected - 1 or callable(optimizer._learning_rate):
        return store
    params = len(getattr(optimizer, "_params", ()))
    per_variable = (len(store) - 1) // params if params else 0
    if _SAME_SLOT_ORDER.get(type(optimizer).__name__) != per_variable:
        warnings.warn(
            f"{where}: the state of optimizer '{optimizer.name}' was saved by tf-keras in a layout cornu does not "
            f"read for {type(optimizer).__name__}; the optimizer starts fresh (the weights are loaded).",
            stacklevel=3,
        )
        return None
    values = [store[str(i)] for i in range(len(store))]
    values.insert(1, optimizer.get_weights()[1])  # the learning rate, from the compile config
    return {str(i): value for i, value in enumerate(values)}
