"""The `.keras` file: a zip of `config.json` (the architecture and compile config), `metadata.json`,
`model.weights.h5` (weights and optimizer state in Keras 3's h5 layout) and `assets/` (files such as an adapted
`vocabulary.txt`, under each layer's path), readable by Keras 3 and written by it.

Reading never extracts to disk and never unpickles: members are read into memory, and a member whose path would
leave the archive's folder (`../x`, `/etc/x`) makes the whole file refused.
"""

import datetime
import functools
import io
import json
import os
import posixpath
import tempfile
import zipfile

from cornu.saving import serialization, tf_keras_zip, weights_h5
from cornu.saving.atomic import atomic_path

__all__ = ["save_keras", "load_keras", "load_keras_weights", "KERAS_VERSION"]

KERAS_VERSION = "3.15.1"  # the Keras file format cornu writes (and is tested against)
_CONFIG, _METADATA, _WEIGHTS, _ASSETS = "config.json", "metadata.json", "model.weights.h5", "assets"


def save_keras(model, filepath, zipped=None):
    """Writes `model` to a `.keras` zip at `filepath` atomically (or, with `zipped=False`, to a folder)."""
    config = serialization.serialize_layer(model)
    config["compile_config"] = serialization.serialize_compile_config(model)
    if "build_config" not in config:
        config["build_config"] = {"input_shape": _model_input_shape(model)}
    metadata = {
        "keras_version": KERAS_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "cornu": True,
    }
    buffer = io.BytesIO()
    h5py = weights_h5.require_h5py()
    with h5py.File(buffer, "w") as h5file:
        weights_h5.write_weights(h5file, model)
    members = {
        _METADATA: json.dumps(metadata).encode(),
        _CONFIG: json.dumps(config).encode(),
        _WEIGHTS: buffer.getvalue(),
        **_saved_assets(model),
    }
    if zipped is False:
        _save_folder(filepath, members)
        return
    with atomic_path(filepath) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)


def _saved_assets(model):
    """`{"assets/<path>/<file>": bytes}` from each layer's `save_assets(dir)` (an adapted vocabulary), at the paths
    Keras uses (the layer's path in the weights file), so Keras and cornu find them again."""
    members = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path, obj in weights_h5.saveables(model, include_optimizer=False):
            hook = weights_h5.own_hook(obj, "save_assets")
            if hook is None:
                continue
            folder = os.path.join(tmp, _ASSETS, *path.split("/")) if path else os.path.join(tmp, _ASSETS)
            os.makedirs(folder, exist_ok=True)
            hook(folder)
        for root, _, files in os.walk(tmp):
            for name in files:
                full = os.path.join(root, name)
                members[os.path.relpath(full, tmp).replace(os.sep, "/")] = _read(full)
    return members


def _load_assets(members, model, where):
    """Hands each layer with `load_assets(dir)` its folder of the archive's `assets/` (written to a temp folder)."""
    hooks = [(p, h) for p, o in weights_h5.saveables(model, False) if (h := weights_h5.own_hook(o, "load_assets"))]
    if not hooks:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in members.items():
            if name.startswith(_ASSETS + "/") and not name.endswith("/"):
                target = os.path.join(tmp, *name.split("/"))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as f:
                    f.write(data)
        for path, hook in hooks:
            folder = os.path.join(tmp, _ASSETS, *path.split("/")) if path else os.path.join(tmp, _ASSETS)
            try:
                hook(folder)
            except (OSError, ValueError) as error:
                raise ValueError(
                    f"{where}: layer at '{path}' could not read its assets (an adapted vocabulary) from "
                    f"'{_ASSETS}/{path}' ({error}). The file was saved without them or is damaged; save it again."
                ) from None


def _model_input_shape(model):
    inputs = getattr(model, "inputs", None)
    if not inputs:
        return None
    shapes = [list(t.shape) for t in inputs]
    return shapes[0] if len(shapes) == 1 else shapes


def _save_folder(folder, members):
    os.makedirs(folder, exist_ok=True)
    for name, data in members.items():
        with atomic_path(os.path.join(folder, *name.split("/"))) as tmp, open(tmp, "wb") as f:
            f.write(data)


def _read_members(filepath):
    """`{name: bytes}` of the archive (or folder), after refusing unsafe member paths."""
    where = f"{os.fspath(filepath)!r}"
    if os.path.isdir(filepath):
        members = {name: _read(os.path.join(filepath, name)) for name in (_CONFIG, _METADATA, _WEIGHTS)}
        for root, _, files in os.walk(os.path.join(filepath, _ASSETS)):
            for name in files:
                full = os.path.join(root, name)
                members[os.path.relpath(full, filepath).replace(os.sep, "/")] = _read(full)
        return members
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file: {where}. Check the path (save with model.save({where})).")
    try:
        with zipfile.ZipFile(filepath) as archive:
            names = archive.namelist()
            for name in names:
                _check_member(name, where)
            wanted = [n for n in names if n in (_CONFIG, _METADATA, _WEIGHTS) or n.startswith(_ASSETS + "/")]
            return {name: archive.read(name) for name in wanted}
    except zipfile.BadZipFile as error:
        raise ValueError(
            f"{where} is not a valid .keras file: it is not a readable zip archive ({error}). The file is "
            f"truncated or damaged, or is not a Keras model; save it again."
        ) from None
    except (EOFError, zipfile.LargeZipFile, OSError) as error:
        raise ValueError(f"{where} is not a valid .keras file: reading the zip failed ({error}).") from None


def _read(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return f.read()


def _check_member(name, where):
    normalized = posixpath.normpath(name.replace("\\", "/"))
    if name.startswith(("/", "\\")) or normalized.startswith("..") or ":" in name.split("/")[0]:
        raise ValueError(
            f"{where} holds a member with the path {name!r}, which points outside the archive's folder. "
            f"cornu refuses such files (a 'zip slip'); do not load it."
        )


def load_keras(filepath, custom_objects=None, compile=True, safe_mode=True):
    """The model stored in a `.keras` file (cornu's or Keras 3's), compiled and with optimizer state if saved."""
    where = f"{os.fspath(filepath)!r}"
    members = _read_members(filepath)
    config = _json_member(members, _CONFIG, where)
    if _from_tf_keras(members, where):
        config = tf_keras_zip.translate_config(config)
    if safe_mode:
        serialization.check_safe(config, where)
    model = serialization.deserialize_layer(config, custom_objects, safe_mode, where)
    if compile and config.get("compile_config"):
        serialization.compile_from_config(model, config["compile_config"], custom_objects)
    _load_weights_member(members, model, where, skip_mismatch=False)
    _load_assets(members, model, where)
    return model


def load_keras_weights(filepath, model, skip_mismatch=False):
    """Loads only the weights (and optimizer state) of a `.keras` file into an existing `model`."""
    where = f"{os.fspath(filepath)!r}"
    members = _read_members(filepath)
    _load_weights_member(members, model, where, skip_mismatch)
    _load_assets(members, model, where)


def _from_tf_keras(members, where):
    """Whether tf-keras 2.x wrote the file (its metadata says so), whose optimizer state and names differ."""
    return members.get(_METADATA) is not None and tf_keras_zip.is_tf_keras(_json_member(members, _METADATA, where))


def _json_member(members, name, where):
    if members.get(name) is None:
        raise ValueError(f"{where} is not a valid .keras file: it has no {name}. Save the model again.")
    try:
        return json.loads(members[name].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{where} is not a valid .keras file: its {name} is not valid JSON ({error}).") from None


def _load_weights_member(members, model, where, skip_mismatch):
    data = members.get(_WEIGHTS)
    if data is None:
        raise ValueError(f"{where} is not a valid .keras file: it has no {_WEIGHTS}. Save the model again.")
    h5py = weights_h5.require_h5py()
    try:
        h5file = h5py.File(io.BytesIO(data), "r")
    except OSError as error:
        raise ValueError(f"{where}: its {_WEIGHTS} is not a readable HDF5 file ({error}).") from None
    with h5file:
        rename = tf_keras_zip.path_renamer(model, h5file)
        adapt = None
        if _from_tf_keras(members, where):
            adapt = functools.partial(tf_keras_zip.adapt_optimizer_store, where=where)
        weights_h5.read_weights(h5file, model, where, skip_mismatch=skip_mismatch, rename=rename, adapt=adapt)
