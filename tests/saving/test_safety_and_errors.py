"""Bad files fail with one clear error naming the file; code in files is refused; saves are atomic."""

import os
import signal
import subprocess
import sys
import zipfile

import h5py
import numpy as np
import pytest

from cornu import saving
from cornu.layers import Dense, Input, Lambda
from cornu.models import Sequential

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _model(units=3):
    model = Sequential([Input((4,)), Dense(units, activation="relu"), Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _rewrite_member(path, name, transform):
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members[name] = transform(members[name])
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)


def test_truncated_zip_names_file_and_problem(tmp_path):
    path = tmp_path / "m.keras"
    saving.save_model(_model(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"m\.keras.*not a valid \.keras file.*truncated or damaged"):
        saving.load_model(path)


def test_random_bytes_are_refused_for_each_format(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    for name, pattern in (("r.keras", "not a readable zip"), ("r.h5", "not a readable HDF5"), ("r.weights.h5", "HDF5")):
        (tmp_path / name).write_bytes(noise)
        with pytest.raises(ValueError, match=rf"{name.replace('.', '[.]')}.*{pattern}"):
            if name.endswith(".weights.h5"):
                saving.load_weights(_model(), tmp_path / name)
            else:
                saving.load_model(tmp_path / name)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.keras"):
        saving.load_model(tmp_path / "nothere.keras")


def test_h5_missing_groups(tmp_path):
    path = tmp_path / "m.h5"
    saving.save_model(_model(), path)
    with h5py.File(path, "a") as f:
        del f["model_weights"]["dense"]
    with pytest.raises(ValueError, match=r"m\.h5.*layer 'dense'.*no group"):
        saving.load_model(path)
    weights = tmp_path / "w.weights.h5"
    saving.save_weights(_model(), weights)
    with h5py.File(weights, "a") as f:
        del f["layers/dense_1"]
    with pytest.raises(ValueError, match=r"w\.weights\.h5.*layer 'dense_\d+'.*'layers/dense_1/vars' is missing"):
        saving.load_weights(_model(), weights)


def test_weights_only_h5_given_to_load_model(tmp_path):
    saving.save_weights(_model(), tmp_path / "w.h5")
    with pytest.raises(ValueError, match=r"w\.h5.*weights-only.*load_weights"):
        saving.load_model(tmp_path / "w.h5")


def test_unknown_class_names_it_and_the_fix(tmp_path):
    path = tmp_path / "m.keras"
    saving.save_model(_model(), path)
    _rewrite_member(path, "config.json", lambda data: data.replace(b'"Dense"', b'"Dence"', 1))
    with pytest.raises(ValueError, match=r"Unknown class 'Dence'.*m\.keras.*Did you mean 'Dense'.*custom_objects"):
        saving.load_model(path)


def test_wrong_weight_shape_names_layer_and_shapes(tmp_path):
    path = tmp_path / "w.weights.h5"
    saving.save_weights(_model(units=3), path)
    with pytest.raises(ValueError, match=r"w\.weights\.h5.*'kernel'.*\(4, 5\) in the model.*\(4, 3\) in the file"):
        saving.load_weights(_model(units=5), path)
    keras_file = tmp_path / "m.keras"
    saving.save_model(_model(units=3), keras_file)
    with pytest.raises(ValueError, match=r"m\.keras.*\(4, 5\) in the model"):
        saving.load_weights(_model(units=5), keras_file)


def test_lambda_code_refused_unless_safe_mode_false(tmp_path):
    model = Sequential([Input((2,)), Lambda(lambda x: x * 3.0)])
    x = np.ones((1, 2), dtype="float32")
    for name in ("l.keras", "l.h5"):
        saving.save_model(model, tmp_path / name)
        with pytest.raises(ValueError, match=rf"{name[0]}\.{name[2:]}.*Python code.*safe_mode=False"):
            saving.load_model(tmp_path / name)
        loaded = saving.load_model(tmp_path / name, safe_mode=False)
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), [[3.0, 3.0]])
    with pytest.raises(ValueError, match="safe_mode=False"):
        saving.model_from_json(model.to_json() if hasattr(model, "to_json") else _json(model))


def _json(model):
    from cornu.saving.serialization import model_to_json

    return model_to_json(model)


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/evil", "a/../../evil"])
def test_zip_member_escaping_the_folder_is_refused(tmp_path, member):
    path = tmp_path / "m.keras"
    saving.save_model(_model(), path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(member, b"x")
    with pytest.raises(ValueError, match=r"m\.keras.*outside the archive"):
        saving.load_model(path)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_no_pickle_in_the_saving_package():
    folder = os.path.join(REPO, "cornu", "saving")
    for name in os.listdir(folder):
        if name.endswith(".py"):
            text = open(os.path.join(folder, name)).read()
            assert "import pickle" not in text and "allow_pickle=True" not in text and "torch.load" not in text


def test_bad_config_json(tmp_path):
    path = tmp_path / "m.keras"
    saving.save_model(_model(), path)
    _rewrite_member(path, "config.json", lambda data: data[:10])
    with pytest.raises(ValueError, match=r"m\.keras.*config\.json is not valid JSON"):
        saving.load_model(path)


def test_unknown_suffix():
    with pytest.raises(ValueError, match=r"'\.keras'"):
        saving.save_model(_model(), "model.pkl")


_STALL = {  # how the child stalls mid-write: after some of the new file is on disk
    ".keras": """
import zipfile
original = zipfile.ZipFile.writestr
def stall(self, *args, **kwargs):
    original(self, *args, **kwargs)
    self.fp.flush()
    print("writing", flush=True)
    time.sleep(60)
zipfile.ZipFile.writestr = stall
""",
    ".h5": """
from cornu.saving import legacy_h5
def stall(f, model):
    f.flush()
    print("writing", flush=True)
    time.sleep(60)
legacy_h5._write_optimizer = stall
""",
}


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_kill_mid_save_leaves_previous_file_intact(tmp_path, suffix):
    path = tmp_path / f"m{suffix}"
    model = _model()
    saving.save_model(model, path)
    before = path.read_bytes()
    x = np.ones((2, 4), dtype="float32")
    expected = model.predict(x, verbose=0)
    # The child saves other weights over the same path and is killed while the new file is half written.
    child = "\n".join(
        [
            "import sys, time",
            f"sys.path.insert(0, {REPO!r})",
            "from cornu import saving",
            f"model = saving.load_model({str(path)!r})",
            "model.set_weights([w + 1.0 for w in model.get_weights()])",
            _STALL[suffix],
            f"saving.save_model(model, {str(path)!r})",
        ]
    )
    process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "writing"
        temps = [p for p in tmp_path.iterdir() if p.name.startswith(f".m{suffix}.tmp-")]
        assert len(temps) == 1 and temps[0].stat().st_size > 0  # the new file is being written beside the old
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    np.testing.assert_array_equal(saving.load_model(path).predict(x, verbose=0), expected)


def test_by_name_only_for_keras2_layout(tmp_path):
    saving.save_weights(_model(), tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match=r"by_name=True works with Keras 2 layout '\.h5'.*w\.weights\.h5"):
        saving.load_weights(_model(), tmp_path / "w.weights.h5", by_name=True)
