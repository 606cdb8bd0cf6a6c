"""The restricted unpickler: arrays and containers load from every pickle protocol; any other global is refused."""

import io
import os
import pickle
import subprocess
import warnings
import zipfile

import numpy as np
import pytest

from cornu.datasets.safe_pickle import RestrictedUnpickler, load_npz


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_arrays_and_containers_load_in_every_protocol(protocol):
    value = {b"data": np.arange(6, dtype=np.uint8).reshape(2, 3), b"labels": [1, 2], "meta": ("a", 1.5, {3})}
    loaded = RestrictedUnpickler(io.BytesIO(pickle.dumps(value, protocol)), encoding="bytes").load()
    np.testing.assert_array_equal(loaded[b"data"], value[b"data"])
    assert loaded[b"labels"] == [1, 2] and loaded["meta"] == ("a", 1.5, {3})


def test_pickles_written_by_numpy_1_load_without_warnings():
    data = pickle.dumps(np.arange(3), protocol=2).replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert b"numpy.core.multiarray" in data  # how Keras's files (numpy 1) name the array rebuilder
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert RestrictedUnpickler(io.BytesIO(data)).load().tolist() == [0, 1, 2]


class Call:
    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


@pytest.mark.parametrize(
    "function, args, name",
    [
        (os.system, ("true",), "posix.system"),
        (eval, ("1 + 1",), "builtins.eval"),
        (subprocess.Popen, (["true"],), "subprocess.Popen"),
        (getattr, (str, "join"), "builtins.getattr"),  # allowed arguments do not make it allowed
    ],
)
def test_any_other_global_is_refused_before_it_is_called(function, args, name):
    payload = pickle.dumps([np.zeros(1), Call(function, *args)])
    with pytest.raises(pickle.UnpicklingError, match=f"Refusing to load `{name}`"):
        RestrictedUnpickler(io.BytesIO(payload)).load()


def test_npz_numeric_members_load_with_pickle_off_and_object_members_must_be_arrays(tmp_path):
    path = tmp_path / "mixed.npz"
    ragged = np.empty(2, dtype=object)
    ragged[:] = [[1], [2, 3]]
    np.savez(path, numbers=np.arange(4.0), ragged=ragged)
    arrays = load_npz(path)
    assert arrays["numbers"].tolist() == [0.0, 1.0, 2.0, 3.0] and arrays["ragged"].tolist() == [[1], [2, 3]]
    # An object-dtype member whose pickle holds a plain list instead of an array is refused too.
    with zipfile.ZipFile(path) as archive:
        header = archive.read("ragged.npy")[: 10 + int.from_bytes(archive.read("ragged.npy")[8:10], "little")]
    bad = tmp_path / "bad.npz"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("x.npy", header + pickle.dumps([1, 2]))
    with pytest.raises(pickle.UnpicklingError, match="should hold an array"):
        load_npz(bad)
