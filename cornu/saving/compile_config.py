"""A model's `compile_config` (optimizer, loss, metrics, ...) as Keras writes it into `.keras` and `.h5` files, and
the `compile()` call that brings it back. Keras 2's and tf-keras's optimizer configs (`lr`, `decay=0`,
`jit_compile`, `is_legacy_optimizer`) are read too.
"""

__all__ = ["serialize_compile_config", "compile_from_config"]

# Optimizer config keys of tf.keras 2.11+ that change nothing in the update (their files carry them).
_TF_KERAS_ONLY = ("jit_compile", "is_legacy_optimizer")


def serialize_compile_config(model):
    """Keras's `compile_config` of a compiled model (optimizer, loss, metrics, ...), or `{}`.

    Example:
    >>> model = cornu.models.Sequential([cornu.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> serialize_compile_config(model)["optimizer"]["class_name"]
    'SGD'
    """
    from cornu import optimizers
    from cornu.saving.serialization import _jsonable

    if not getattr(model, "compiled", False):
        return {}
    loss = model._compiled_loss
    metrics = model._compiled_metrics
    options = getattr(model, "_compile_options", {})
    return {
        "optimizer": optimizers.serialize(model.optimizer),
        "loss": _map_callables(loss.spec, _serialize_loss),
        "loss_weights": _jsonable(loss.weights_spec),
        "metrics": _map_callables(metrics.spec, _serialize_metric),
        "weighted_metrics": _map_callables(metrics.weighted_spec, _serialize_metric),
        "run_eagerly": options.get("run_eagerly", False),
        "steps_per_execution": options.get("steps_per_execution", 1),
        "jit_compile": False,
    }


def _map_callables(spec, fn):
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        return {k: _map_callables(v, fn) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_map_callables(v, fn) for v in spec]
    return fn(spec)


def _serialize_loss(loss):
    from cornu import losses

    return losses.serialize(loss)


def _serialize_metric(metric):
    from cornu import metrics

    return metrics.serialize(metric)


def compile_from_config(model, config, custom_objects=None):
    """Compiles `model` as `serialize_compile_config` (or Keras) recorded it."""
    from cornu import losses, metrics, optimizers

    if not config:
        return
    custom = dict(custom_objects or {})
    optimizer = config.get("optimizer") or config.get("optimizer_config") or "rmsprop"
    if isinstance(optimizer, dict):
        inner = {
            k: v
            for k, v in (optimizer.get("config") or {}).items()
            if k not in _TF_KERAS_ONLY and not (k == "decay" and v == 0)  # a file cannot "remove" Keras 2's default
        }
        optimizer = optimizers.deserialize({**optimizer, "config": inner}, custom_objects=custom)

    def loss(value):
        return value if isinstance(value, str) and value not in custom else losses.deserialize(value, custom)

    def metric(value):
        return value if isinstance(value, str) and value not in custom else metrics.deserialize(value, custom)

    model.compile(
        optimizer=optimizer,
        loss=_map_configs(config.get("loss"), loss),
        loss_weights=config.get("loss_weights"),
        metrics=_map_configs(config.get("metrics"), metric),
        weighted_metrics=_map_configs(config.get("weighted_metrics"), metric),
        steps_per_execution=config.get("steps_per_execution", 1),
    )


def _map_configs(spec, fn):
    if spec is None:
        return None
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _map_configs(v, fn) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_map_configs(v, fn) for v in spec]
    return fn(spec)
