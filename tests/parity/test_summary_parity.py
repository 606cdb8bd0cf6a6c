"""`model.summary()` against the real Keras 3: the same models, with the same names, print the same text.

Both summaries are captured with `print_fn` (Keras renders them without colour then, and hands over one string).
The only normalisation is the names: every layer and model is named explicitly on both sides, so Keras's and
cornu's name counters (which differ with what ran before) do not enter the comparison. The terminal width is fixed
through `COLUMNS`, which both Keras's default `line_length` and rich read.
"""

import numpy as np
import pytest
import torch

import cornu
from cornu.layers import Input
from cornu.models import Model, Sequential

keras = pytest.importorskip("keras")
kl = keras.layers
# Keras 3 prefers Input(...) to `input_dim`/`input_shape`; the seeds use the latter, so both sides are built that way.
pytestmark = pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`:UserWarning")


@pytest.fixture(autouse=True)
def _columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")


def _text(model, **kwargs):
    received = []
    model.summary(print_fn=received.append, **kwargs)
    assert len(received) == 1  # Keras calls print_fn once, with the whole summary
    return received[0]


def _seed_models():
    def stack(lib):
        layers = lib.layers
        return [
            layers.Dense(128, input_dim=200, name="dense"),
            layers.Activation("sigmoid", name="activation"),
            layers.Dense(256, name="dense_1"),
            layers.Activation("sigmoid", name="activation_1"),
            layers.Dense(5, name="dense_2"),
            layers.Activation("softmax", name="activation_2"),
        ]

    return keras.Sequential(stack(keras), name="sequential"), Sequential(stack(cornu), name="sequential")


class _KerasJoin(keras.layers.Layer):
    """Joins two inputs along the last axis (a merging layer defined here, the same on both sides)."""

    def call(self, inputs):
        return keras.ops.concatenate(inputs, axis=-1)


class Join(cornu.layers.Layer):
    def call(self, inputs):
        return torch.cat(inputs, dim=-1)


_KerasJoin.__name__ = "Join"


def _two_input_models(keras_join, cornu_join):
    def build(lib, join_layer, model_cls, input_fn):
        a, b = input_fn(shape=(3,), name="a"), input_fn(shape=(5,), name="b")
        joined = join_layer(name="join")([a, b])
        hidden = lib.layers.Dense(4, name="hidden")(joined)
        out = lib.layers.Dense(2, name="out")(lib.layers.Activation("relu", name="relu")(hidden))
        return model_cls(inputs=[a, b], outputs=out, name="functional")

    return build(keras, keras_join, keras.Model, keras.Input), build(cornu, cornu_join, Model, Input)


def test_seed_model_summary_matches_keras():
    ref, ours = _seed_models()
    text = _text(ours)
    assert " Total params: 60,037 (234.52 KB)" in text
    assert text == _text(ref)


def test_seed_model_options_match_keras():
    ref, ours = _seed_models()
    for options in (
        {"show_trainable": True},
        {"line_length": 60},
        {"line_length": 70, "positions": [0.5, 0.75, 1.0]},
        {"layer_range": ["dense_1", "activation_1"]},
        {"layer_range": ["activation_2", "dense"]},
        {"layer_range": ["dense_.*", "dense_.*"]},
    ):
        assert _text(ours, **options) == _text(ref, **options), options


def test_two_input_functional_summary_matches_keras():
    ref, ours = _two_input_models(_KerasJoin, Join)
    text = _text(ours)
    assert "Connected to" in text and "a[0][0], b[0][0]" in text
    assert text == _text(ref)
    assert _text(ours, show_trainable=True) == _text(ref, show_trainable=True)


def test_concatenate_two_input_model_matches_keras():
    def build(lib, model_cls, input_fn):
        a, b = input_fn(shape=(3,), name="a"), input_fn(shape=(5,), name="b")
        joined = lib.layers.concatenate([a, b], name="concatenate")
        return model_cls([a, b], lib.layers.Dense(2, name="out")(joined), name="joined")

    ours, ref = build(cornu, Model, Input), build(keras, keras.Model, keras.Input)
    text = _text(ours)
    assert "│ concatenate (Concatenate) │ (None, 8)" in text and "│ a[0][0], b[0][0]" in text
    assert text == _text(ref)


def test_batch_normalization_and_dropout_match_keras():
    def build(lib, sequential):
        layers = lib.layers
        return sequential(
            [
                layers.Dense(16, input_shape=(8,), name="dense"),
                layers.BatchNormalization(name="batch_normalization"),
                layers.Dropout(0.5, name="dropout"),
                layers.Dense(1, name="dense_1"),
            ],
            name="regularised",
        )

    ours, ref = build(cornu, Sequential), build(keras, keras.Sequential)
    text = _text(ours, show_trainable=True)
    assert " Non-trainable params: 32 (128.00 B)" in text  # the moving mean and variance
    assert text == _text(ref, show_trainable=True)


def test_chain_functional_lists_its_input_layer_like_keras():
    def build(lib, model_cls, input_fn):
        x = input_fn(shape=(4,), name="x")
        y = lib.layers.Dense(3, name="d1")(x)
        return model_cls(x, lib.layers.Dense(2, name="d2")(y), name="chain")

    ours, ref = build(cornu, Model, Input), build(keras, keras.Model, keras.Input)
    text = _text(ours)
    assert "x (InputLayer)" in text and "Connected to" not in text
    assert text == _text(ref)


def test_non_trainable_layer_matches_keras():
    def build(lib, sequential):
        return sequential(
            [
                lib.layers.Dense(8, input_shape=(3,), name="frozen", trainable=False),
                lib.layers.Dense(2, name="head"),
            ],
            name="partly_frozen",
        )

    ours, ref = build(cornu, Sequential), build(keras, keras.Sequential)
    text = _text(ours, show_trainable=True)
    assert " Non-trainable params: 32 (128.00 B)" in text
    assert text == _text(ref, show_trainable=True)
    assert _text(ours) == _text(ref)


def test_unbuilt_sequential_matches_keras():
    def build(lib, sequential):
        return sequential([lib.layers.Dense(4, name="d1"), lib.layers.Dense(2, name="d2")], name="unbuilt")

    ours, ref = build(cornu, Sequential), build(keras, keras.Sequential)
    text = _text(ours)
    assert "0 (unbuilt)" in text and " Total params: 0 (0.00 B)" in text
    assert text == _text(ref)


def test_nested_model_expanded_matches_keras():
    def build(lib, sequential, input_fn):
        inner = sequential([input_fn(shape=(4,)), lib.layers.Dense(3, name="in1"), lib.layers.Dense(2, name="in2")])
        inner.name = "inner"
        outer = sequential([input_fn(shape=(4,)), inner, lib.layers.Dense(1, name="head")], name="outer")
        inner.trainable = False
        return outer

    ours = build(cornu, Sequential, Input)
    ref = build(keras, keras.Sequential, keras.Input)
    for options in ({}, {"expand_nested": True}, {"expand_nested": True, "show_trainable": True}):
        assert _text(ours, **options) == _text(ref, **options), options
    assert "   └ in1 (Dense)" in _text(ours, expand_nested=True)


def test_optimizer_params_after_fit_match_keras():
    ref, ours = _seed_models()
    x, y = np.zeros((4, 200), "float32"), np.zeros((4, 5), "float32")
    for model in (ref, ours):
        model.compile(optimizer="adam", loss="mse")
    assert _text(ours) == _text(ref)  # compiled but not trained: no optimizer line yet
    assert "Optimizer params" not in _text(ours)
    for model in (ref, ours):
        model.fit(x, y, epochs=1, verbose=0)
    text = _text(ours)
    assert " Optimizer params: 120,076 (469.05 KB)" in text
    assert " Total params: 180,113 (703.57 KB)" in text
    assert text == _text(ref)


def test_narrow_terminal_matches_keras(monkeypatch):
    monkeypatch.setenv("COLUMNS", "72")  # default line_length becomes 68
    ref, ours = _seed_models()
    assert _text(ours) == _text(ref)
    ref, ours = _two_input_models(_KerasJoin, Join)
    assert _text(ours) == _text(ref)


class _KerasSplit(keras.layers.Layer):
    def call(self, x):
        return [x[:, :2], x[:, 2:]]


class _KerasSum(keras.layers.Layer):
    def call(self, x):
        return keras.ops.sum(x, axis=-1)


class Split(cornu.layers.Layer):
    def call(self, x):
        return [x[:, :2], x[:, 2:]]


class Sum(cornu.layers.Layer):
    def call(self, x):
        return x.sum(-1)


_KerasSplit.__name__, _KerasSum.__name__ = "Split", "Sum"


def test_multi_output_shared_layer_and_rank_one_shapes_match_keras():
    def build(lib, model_cls, input_fn, split, total):
        x = input_fn(shape=(4,), name="x")
        first, second = split(name="split")(x)
        shared = lib.layers.Dense(3, name="shared")
        return model_cls(x, [total(name="sum")(shared(first)), shared(second)], name="multi")

    ours = build(cornu, Model, Input, Split, Sum)
    ref = build(keras, keras.Model, keras.Input, _KerasSplit, _KerasSum)
    text = _text(ours)
    assert "[(None, 2), (None, 2)]" in text and "(None)" in text  # Keras writes a rank-1 shape as `(None)`
    assert text == _text(ref)


def test_subclassed_model_before_its_first_call_matches_keras():
    class KerasTwo(keras.Model):
        def __init__(self):
            super().__init__(name="two")
            self.d1, self.d2 = keras.layers.Dense(3, name="d1"), keras.layers.Dense(2, name="d2")

        def call(self, x):
            return self.d2(self.d1(x))

    class Two(cornu.models.Model):
        def __init__(self):
            super().__init__(name="two")
            self.d1, self.d2 = cornu.layers.Dense(3, name="d1"), cornu.layers.Dense(2, name="d2")

        def call(self, x):
            return self.d2(self.d1(x))

    ours, ref = Two(), KerasTwo()
    assert "0 (unbuilt)" in _text(ours)
    assert _text(ours) == _text(ref)


def test_nested_shared_functional_graph_matches_keras():
    def build(lib, model_cls, input_fn):
        layers = lib.layers
        x = input_fn(shape=(4,), name="x")
        residual = layers.add(
            [layers.Dense(4, name="d2")(layers.Dense(4, name="d1")(x)), layers.Dense(4, name="d3")(x)]
        )
        encoder = model_cls(x, residual, name="enc")
        z, w = input_fn(shape=(4,), name="z"), input_fn(shape=(4,), name="w")
        first, second = encoder(z), encoder(w)  # the nested model is called twice: nodes 0 and 1
        joined = layers.concatenate([first, second], name="cat")
        outputs = [layers.Dense(2, name="out")(joined), layers.Dense(1, name="aux")(first)]
        return model_cls([z, w], outputs, name="outer")

    ours, ref = build(cornu, Model, Input), build(keras, keras.Model, keras.Input)
    text = _text(ours)
    assert "│ enc (Functional)" in text and "enc[0][0]" in text and "enc[1][0]" in text
    for options in ({}, {"expand_nested": True}, {"expand_nested": True, "show_trainable": True}):
        assert _text(ours, **options) == _text(ref, **options), options


def test_sequential_built_with_build_matches_keras():
    def build(lib, sequential):
        layers = lib.layers
        model = sequential([layers.Dense(4, name="d1"), layers.Dropout(0.1, name="drop"), layers.Dense(2, name="d2")])
        model.name = "built"
        model.build((None, 3))
        return model

    ours, ref = build(cornu, Sequential), build(keras, keras.Sequential)
    assert "(None, 2)" in _text(ours)
    assert _text(ours) == _text(ref)
