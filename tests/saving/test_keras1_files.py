"""Keras 1.2 `.h5` files (written by `keras1_files` as Keras 1.2 wrote them) load in cornu and predict what Keras 1
computed: every test checks cornu's predictions against a float64 NumPy reference run on the file's own arrays."""

import warnings

import h5py
import numpy as np
import pytest

from cornu import saving
from cornu.layers import GRU, LSTM, Conv2D, Dense, Flatten, Input, MaxPooling2D
from cornu.models import Sequential
from tests.saving import keras1_files as k1
from tests.saving.keras1_files import dense, layer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _f(rng, *shape):
    return rng.normal(size=shape).astype("float32")


def _load(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return saving.load_model(path, **kwargs)


def _predict(model, x):
    return np.asarray(model.predict(x, verbose=0), dtype="float64")


# --------------------------------------------------------------------------------------------- float64 references
def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _hard_sigmoid(x):  # Keras 1's: slope 0.2
    return np.clip(0.2 * x + 0.5, 0, 1)


def _conv_valid(x, kernel):
    """Correlation of NHWC `x` with an HWIO kernel (float64)."""
    kh, kw = kernel.shape[:2]
    h, w = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    out = np.zeros((x.shape[0], h, w, kernel.shape[3]))
    for a in range(kh):
        for b in range(kw):
            out += np.einsum("nhwc,co->nhwo", x[:, a : a + h, b : b + w], kernel[a, b])
    return out


def _maxpool(x):
    n, h, w, c = x.shape
    return x[:, : h // 2 * 2, : w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


# --------------------------------------------------------------------------------------------- tests
def test_keras1_mlp_hello_world_with_batchnorm(tmp_path, rng):
    w1, b1, w2, b2 = _f(rng, 8, 6), _f(rng, 6), _f(rng, 6, 3), _f(rng, 3)
    gamma, beta, mean, var = _f(rng, 6), _f(rng, 6), _f(rng, 6), rng.uniform(0.5, 2, 6).astype("float32")
    config = k1.sequential(
        [
            layer("Dense", "dense_1", **dense("dense_1", 6, input_dim=8, first=True)),
            layer(
                "BatchNormalization",
                "batchnormalization_1",
                epsilon=0.001,
                mode=0,
                axis=-1,
                momentum=0.99,
                gamma_regularizer=None,
                beta_regularizer=None,
            ),  # fmt: skip
            layer("Activation", "activation_1", activation="sigmoid"),
            layer("Dropout", "dropout_1", p=0.5),
            layer("Dense", "dense_2", **dense("dense_2", 3, input_dim=6)),
            layer("Activation", "activation_2", activation="softmax"),
        ]
    )
    weights = [
        ("dense_1", [("W", w1), ("b", b1)]),
        ("batchnormalization_1", [("gamma", gamma), ("beta", beta), ("running_mean", mean), ("running_std", var)]),
        ("activation_1", []),
        ("dropout_1", []),
        ("dense_2", [("W", w2), ("b", b2)]),
        ("activation_2", []),
    ]
    training = {
        "optimizer_config": {
            "class_name": "SGD",
            "config": {"lr": 0.05, "momentum": 0.9, "decay": 0.0, "nesterov": False},
        },  # fmt: skip
        "loss": "categorical_crossentropy",
        "metrics": ["accuracy"],
        "sample_weight_mode": None,
        "loss_weights": None,
    }
    path = tmp_path / "mlp.h5"
    k1.write_model(path, config, weights, training)
    with pytest.warns(UserWarning, match=r"mlp\.h5.*Keras 1.*optimizer starts fresh"):
        model = saving.load_model(path)
    x = _f(rng, 5, 8).astype("float64")
    hidden = _sigmoid(((x @ w1 + b1) - mean) / np.sqrt(var.astype("float64") + 1e-3) * gamma + beta)
    np.testing.assert_allclose(_predict(model, x), _softmax(hidden @ w2 + b2), atol=1e-5)
    assert type(model.optimizer).__name__ == "SGD"
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(0.05)
    assert model.optimizer.get_config()["momentum"] == pytest.approx(0.9)


def test_keras1_file_without_version_attribute(tmp_path, rng):
    w, b = _f(rng, 4, 2), _f(rng, 2)
    config = k1.sequential([layer("Dense", "dense_1", **dense("dense_1", 2, "tanh", input_dim=4, first=True))])
    k1.write_model(tmp_path / "old.h5", config, [("dense_1", [("W", w), ("b", b)])], version=None)
    x = _f(rng, 3, 4)
    np.testing.assert_allclose(_predict(_load(tmp_path / "old.h5"), x), np.tanh(x.astype("float64") @ w + b), atol=1e-6)


def _cnn_config(ordering, shape):
    return k1.sequential(
        [
            layer(
                "Convolution2D",
                "convolution2d_1",
                batch_input_shape=[None, *shape],
                input_dtype="float32",
                nb_filter=4,
                nb_row=3,
                nb_col=3,
                init="glorot_uniform",
                activation="relu",
                border_mode="valid",
                subsample=[1, 1],
                dim_ordering=ordering,
                W_regularizer=None,
                b_regularizer=None,
                activity_regularizer=None,
                W_constraint=None,
                b_constraint=None,
                bias=True,
            ),  # fmt: skip
            layer(
                "MaxPooling2D",
                "maxpooling2d_1",
                pool_size=[2, 2],
                strides=[2, 2],
                border_mode="valid",
                dim_ordering=ordering,
            ),  # fmt: skip
            layer("Flatten", "flatten_1"),
            layer("Dense", "dense_1", **dense("dense_1", 3, "softmax", input_dim=36)),
        ]
    )


@pytest.mark.parametrize("ordering,backend", [("tf", "tensorflow"), ("th", "tensorflow"), ("th", "theano")])
def test_keras1_convolution2d_cnn(tmp_path, rng, ordering, backend):
    kernel, bias = _f(rng, 3, 3, 2, 4), _f(rng, 4)  # the correlation kernel Keras 1 effectively applied (HWIO)
    x = _f(rng, 2, 8, 8, 2)
    hidden = _maxpool(np.maximum(_conv_valid(x.astype("float64"), kernel) + bias, 0))  # (2, 3, 3, 4)
    if ordering == "th":  # Keras 1 th: input NCHW, kernel (out, in, rows, cols), Flatten over (C, H, W)
        stored, x_in, flat = kernel.transpose(3, 2, 0, 1), x.transpose(0, 3, 1, 2), hidden.transpose(0, 3, 1, 2)
        shape = [2, 8, 8]
    else:
        stored, x_in, flat, shape = kernel, x, hidden, [8, 8, 2]
    if backend == "theano":  # Theano convolved: the stored kernel is the flipped one
        stored = stored[..., ::-1, ::-1] if ordering == "th" else stored[::-1, ::-1]
    w, b = _f(rng, 36, 3), _f(rng, 3)
    weights = [
        ("convolution2d_1", [("W", stored), ("b", bias)]),
        ("maxpooling2d_1", []),
        ("flatten_1", []),
        ("dense_1", [("W", w), ("b", b)]),
    ]
    path = tmp_path / f"cnn_{ordering}_{backend}.h5"
    k1.write_model(path, _cnn_config(ordering, shape), weights, backend=backend)
    model = _load(path)
    assert model.layers[0].data_format == ("channels_first" if ordering == "th" else "channels_last")
    expected = _softmax(flat.reshape(2, -1) @ w + b)
    np.testing.assert_allclose(_predict(model, x_in), expected, atol=1e-5)


def _recurrent(class_name, name, units, extra):
    return layer(class_name, name, batch_input_shape=[None, 5, 3], input_dtype="float32", return_sequences=False,
                 go_backwards=False, stateful=False, unroll=False, consume_less="cpu", input_dim=3, input_length=5,
                 output_dim=units, init="glorot_uniform", inner_init="orthogonal", activation="tanh",
                 inner_activation="hard_sigmoid", W_regularizer=None, U_regularizer=None, b_regularizer=None,
                 dropout_W=0.0, dropout_U=0.0, **extra)  # fmt: skip


def _lstm_reference(x, gates, units):
    h, c = np.zeros((len(x), units)), np.zeros((len(x), units))
    for t in range(x.shape[1]):
        pre = {g: x[:, t] @ gates[g][0] + h @ gates[g][1] + gates[g][2] for g in "icfo"}
        c = _hard_sigmoid(pre["f"]) * c + _hard_sigmoid(pre["i"]) * np.tanh(pre["c"])
        h = _hard_sigmoid(pre["o"]) * np.tanh(c)
    return h


def _lstm_arrays(gates, prefix=""):
    return [(f"{prefix}{kind}_{g}", gates[g][j]) for g in "icfo" for j, kind in enumerate("WUb")]


def test_keras1_lstm_twelve_arrays(tmp_path, rng):
    gates = {g: (_f(rng, 3, 4), _f(rng, 4, 4), _f(rng, 4)) for g in "icfo"}
    config = k1.sequential([_recurrent("LSTM", "lstm_1", 4, {"forget_bias_init": "one"})])
    k1.write_model(tmp_path / "lstm.h5", config, [("lstm_1", _lstm_arrays(gates))])
    model = _load(tmp_path / "lstm.h5")
    x = _f(rng, 2, 5, 3).astype("float64")
    np.testing.assert_allclose(_predict(model, x), _lstm_reference(x, gates, 4), atol=1e-5)
    assert model.layers[0].get_weights()[0].shape == (3, 16)


def test_keras1_bidirectional_lstm(tmp_path, rng):
    forward, backward = ({g: (_f(rng, 3, 2), _f(rng, 2, 2), _f(rng, 2)) for g in "icfo"} for _ in range(2))
    inner = _recurrent("LSTM", "lstm_1", 2, {"forget_bias_init": "one"})
    del inner["config"]["batch_input_shape"]
    config = k1.sequential(
        [
            layer(
                "Bidirectional",
                "bidirectional_1",
                batch_input_shape=[None, 5, 3],
                input_dtype="float32",
                layer=inner,
                merge_mode="concat",
            )
        ]  # fmt: skip
    )
    k1.write_model(
        tmp_path / "bi.h5",
        config,
        [("bidirectional_1", _lstm_arrays(forward, "forward_") + _lstm_arrays(backward, "backward_"))],
    )
    model = _load(tmp_path / "bi.h5")
    x = _f(rng, 2, 5, 3).astype("float64")
    expected = np.concatenate([_lstm_reference(x, forward, 2), _lstm_reference(x[:, ::-1], backward, 2)], axis=-1)
    np.testing.assert_allclose(_predict(model, x), expected, atol=1e-5)


def test_keras1_gru_nine_arrays(tmp_path, rng):
    gates = {g: (_f(rng, 3, 2), _f(rng, 2, 2), _f(rng, 2)) for g in "zrh"}
    config = k1.sequential([_recurrent("GRU", "gru_1", 2, {})])
    arrays = [(f"{kind}_{g}", gates[g][j]) for g in "zrh" for j, kind in enumerate("WUb")]
    k1.write_model(tmp_path / "gru.h5", config, [("gru_1", arrays)])
    model = _load(tmp_path / "gru.h5")
    assert model.layers[0].reset_after is False
    x = _f(rng, 2, 5, 3).astype("float64")
    h = np.zeros((2, 2))
    for t in range(5):
        z = _hard_sigmoid(x[:, t] @ gates["z"][0] + h @ gates["z"][1] + gates["z"][2])
        r = _hard_sigmoid(x[:, t] @ gates["r"][0] + h @ gates["r"][1] + gates["r"][2])
        hh = np.tanh(x[:, t] @ gates["h"][0] + (r * h) @ gates["h"][1] + gates["h"][2])
        h = z * h + (1 - z) * hh
    np.testing.assert_allclose(_predict(model, x), h, atol=1e-5)


def test_keras1_embedding_model(tmp_path, rng):
    table, w, b = _f(rng, 10, 4), _f(rng, 20, 1), _f(rng, 1)
    config = k1.sequential(
        [
            layer(
                "Embedding",
                "embedding_1",
                batch_input_shape=[None, 5],
                input_dtype="int32",
                input_dim=10,
                output_dim=4,
                init="uniform",
                input_length=5,
                W_constraint=None,
                W_regularizer=None,
                activity_regularizer=None,
                mask_zero=False,
                dropout=0.0,
            ),  # fmt: skip
            layer("Flatten", "flatten_1"),
            layer("Dense", "dense_1", **dense("dense_1", 1, "sigmoid", input_dim=20)),
        ]
    )
    weights = [("embedding_1", [("W", table)]), ("flatten_1", []), ("dense_1", [("W", w), ("b", b)])]
    k1.write_model(tmp_path / "emb.h5", config, weights)
    model = _load(tmp_path / "emb.h5")
    ids = rng.integers(0, 10, size=(3, 5))
    expected = _sigmoid(table[ids].reshape(3, -1).astype("float64") @ w + b)
    np.testing.assert_allclose(_predict(model, ids), expected, atol=1e-6)


def test_keras1_functional_model_with_merge(tmp_path, rng):
    wa, ba, wb, bb, wo, bo = _f(rng, 3, 2), _f(rng, 2), _f(rng, 4, 2), _f(rng, 2), _f(rng, 4, 1), _f(rng, 1)

    def input_layer(name, size):
        return layer("InputLayer", name, [], batch_input_shape=[None, size], input_dtype="float32", sparse=False)

    def merge(name, mode, refs):
        return layer("Merge", name, refs, mode=mode, mode_type="raw", concat_axis=-1, dot_axes=-1, output_shape=None,
                     output_shape_type="raw", output_mask=None, output_mask_type="raw", arguments={})  # fmt: skip

    layers = [
        input_layer("input_1", 3),
        input_layer("input_2", 4),
        layer("Dense", "dense_1", [["input_1", 0, 0]], **dense("dense_1", 2, "relu", 3)),
        layer("Dense", "dense_2", [["input_2", 0, 0]], **dense("dense_2", 2, "tanh", 4)),
        merge("merge_1", "sum", [["dense_1", 0, 0], ["dense_2", 0, 0]]),
        merge("merge_2", "concat", [["merge_1", 0, 0], ["dense_2", 0, 0]]),
        layer("Dense", "dense_3", [["merge_2", 0, 0]], **dense("dense_3", 1, "linear", 4)),
    ]
    config = k1.functional("model_1", layers, [["input_1", 0, 0], ["input_2", 0, 0]], [["dense_3", 0, 0]])
    weights = [("input_1", []), ("input_2", []), ("dense_1", [("W", wa), ("b", ba)]),
               ("dense_2", [("W", wb), ("b", bb)]), ("merge_1", []), ("merge_2", []),
               ("dense_3", [("W", wo), ("b", bo)])]  # fmt: skip
    k1.write_model(tmp_path / "merge.h5", config, weights)
    model = _load(tmp_path / "merge.h5")
    xa, xb = _f(rng, 2, 3).astype("float64"), _f(rng, 2, 4).astype("float64")
    a, b = np.maximum(xa @ wa + ba, 0), np.tanh(xb @ wb + bb)
    expected = np.concatenate([a + b, b], axis=-1) @ wo + bo
    np.testing.assert_allclose(_predict(model, [xa, xb]), expected, atol=1e-5)
    assert [type(layer).__name__ for layer in model.layers[4:6]] == ["Add", "Concatenate"]


def test_keras1_convolution1d_and_named_lambda(tmp_path, rng):
    kernel, bias = (
        _f(rng, 3, 1, 2, 4),
        _f(rng, 4),
    )  # Keras 1.2's Convolution1D: (filter_length, 1, input_dim, nb_filter)
    config = k1.sequential(
        [
            layer(
                "Convolution1D",
                "convolution1d_1",
                batch_input_shape=[None, 6, 2],
                input_dtype="float32",
                nb_filter=4,
                filter_length=3,
                init="uniform",
                activation="linear",
                border_mode="valid",
                subsample_length=1,
                W_regularizer=None,
                b_regularizer=None,
                activity_regularizer=None,
                W_constraint=None,
                b_constraint=None,
                bias=True,
                input_dim=2,
                input_length=6,
            ),  # fmt: skip
            layer(
                "Lambda",
                "lambda_1",
                function="square",
                function_type="function",
                output_shape=None,
                output_shape_type="raw",
                arguments={},
            ),  # fmt: skip
        ]
    )
    k1.write_model(tmp_path / "c1.h5", config, [("convolution1d_1", [("W", kernel), ("b", bias)]), ("lambda_1", [])])
    with pytest.raises(ValueError, match=r"c1\.h5.*lambda_1.*'square'.*custom_objects"):
        _load(tmp_path / "c1.h5")
    model = _load(tmp_path / "c1.h5", custom_objects={"square": lambda t: t * t})
    x = _f(rng, 2, 6, 2).astype("float64")
    conv = sum(np.einsum("ntc,co->nto", x[:, a : a + 4], kernel[a, 0]) for a in range(3)) + bias
    np.testing.assert_allclose(_predict(model, x), conv**2, atol=1e-4)


def test_keras1_weights_only_file_into_a_modern_model(tmp_path, rng):
    kernel_th, bias, w, b = _f(rng, 4, 2, 3, 3), _f(rng, 4), _f(rng, 36, 3), _f(rng, 3)
    weights = [("convolution2d_1", [("W", kernel_th), ("b", bias)]), ("maxpooling2d_1", []), ("flatten_1", []),
               ("dense_1", [("W", w), ("b", b)])]  # fmt: skip
    k1.write_weights(tmp_path / "w.h5", weights)
    with h5py.File(tmp_path / "w.h5") as f:
        assert "keras_version" not in f.attrs and "backend" not in f.attrs
    first = "channels_first"
    model = Sequential([Input((2, 8, 8)), Conv2D(4, (3, 3), activation="relu", data_format=first),
                        MaxPooling2D(data_format=first), Flatten(), Dense(3, activation="softmax")])  # fmt: skip
    model.load_weights(tmp_path / "w.h5")
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], kernel_th.transpose(2, 3, 1, 0))
    x = _f(rng, 2, 2, 8, 8)
    hidden = _maxpool(
        np.maximum(_conv_valid(x.transpose(0, 2, 3, 1).astype("float64"), kernel_th.transpose(2, 3, 1, 0)) + bias, 0)
    )
    expected = _softmax(hidden.transpose(0, 3, 1, 2).reshape(2, -1) @ w + b)
    np.testing.assert_allclose(_predict(model, x), expected, atol=1e-5)


def test_keras1_weights_only_lstm_by_name(tmp_path, rng):
    arrays = [(f"{k}_{g}", _f(rng, *s)) for g in "icfo" for k, s in zip("WUb", [(3, 2), (2, 2), (2,)])]
    k1.write_weights(tmp_path / "w.h5", [("lstm_1", arrays)], backend="theano")
    model = Sequential([Input((5, 3)), LSTM(2, name="lstm_1")])
    model.load_weights(tmp_path / "w.h5", by_name=True)
    kernel = model.layers[0].get_weights()[0]
    by_gate = dict(zip("icfo", [a for n, a in arrays if n.startswith("W_")]))
    np.testing.assert_array_equal(kernel, np.concatenate([by_gate[g] for g in "ifco"], axis=-1))


def test_keras1_errors_name_the_file(tmp_path, rng):
    lambda_merge = layer("Merge", "merge_1", [["input_1", 0, 0]], mode="x", mode_type="lambda")
    config = k1.functional("m", [lambda_merge], [["input_1", 0, 0]], [["merge_1", 0, 0]])
    k1.write_model(tmp_path / "lam.h5", config, [("merge_1", [])])
    with pytest.raises(ValueError, match=r"lam\.h5.*Merge layer 'merge_1'.*Python function.*Lambda"):
        saving.load_model(tmp_path / "lam.h5")
    code = k1.sequential([layer("Lambda", "lambda_1", function="\\x63\\x00", function_type="lambda", arguments={})])
    k1.write_model(tmp_path / "code.h5", code, [("lambda_1", [])])
    with pytest.raises(ValueError, match=r"code\.h5.*'lambda_1'.*bytecode.*never runs"):
        saving.load_model(tmp_path / "code.h5", safe_mode=False)
    highway = k1.sequential([layer("Highway", "highway_1")])
    k1.write_model(tmp_path / "hw.h5", highway, [("highway_1", [])])
    with pytest.raises(ValueError, match=r"hw\.h5.*Keras 1 Highway layer \('highway_1'\).*removed"):
        saving.load_model(tmp_path / "hw.h5")
    nested = k1.sequential([layer("Merge", "merge_1", layers=[k1.sequential([]), k1.sequential([])], mode="concat")])
    k1.write_model(tmp_path / "nested.h5", nested, [("merge_1", [])])
    with pytest.raises(ValueError, match=r"nested\.h5.*Merge of whole models.*functional API"):
        saving.load_model(tmp_path / "nested.h5")
    model = Sequential([Input((5, 3)), GRU(2)])
    k1.write_weights(tmp_path / "bad.h5", [("lstm_1", [(f"W_{i}", _f(rng, 7, 7)) for i in range(12)])])
    with pytest.raises(ValueError, match=r"bad\.h5.*layer 'gru\w*' has 3 weights.*'lstm_1' has 12"):
        model.load_weights(tmp_path / "bad.h5")
