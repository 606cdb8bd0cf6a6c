"""The Functional API, subclassed models and freezing: graphs, shared weights, intermediate outputs, errors."""

import numpy as np
import pytest
import torch

import cornu
from cornu.layers import Dense, Input, Layer
from cornu.models import Functional, Model, Sequential


def _x(n=4, features=6, seed=0):
    return np.random.default_rng(seed).normal(size=(n, features)).astype("float32")


def _mlp():
    inputs = Input((6,), name="inp")
    hidden = Dense(5, activation="relu", name="x")(inputs)
    return Model(inputs=inputs, outputs=Dense(2, name="out")(hidden))


def _dense_numpy(layer, x, activation=lambda v: v):
    kernel, bias = layer.get_weights()
    return activation(x @ kernel + bias)


def test_model_of_inputs_and_outputs_computes_the_graph():
    model = _mlp()
    assert isinstance(model, Functional)
    assert [layer.name for layer in model.layers] == ["inp", "x", "out"]
    x = _x()
    hidden = _dense_numpy(model.get_layer("x"), x, lambda v: np.maximum(v, 0))
    expected = _dense_numpy(model.get_layer("out"), hidden)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_lists_of_inputs_and_outputs():
    a, b = Input((3,), name="a"), Input((2,), name="b")
    out_a, out_b = Dense(1, name="da")(a), Dense(4, name="db")(b)
    model = Model(inputs=[a, b], outputs=[out_a, out_b])
    xa, xb = _x(5, 3), _x(5, 2, seed=1)
    got_a, got_b = model.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(got_a, _dense_numpy(model.get_layer("da"), xa), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_b, _dense_numpy(model.get_layer("db"), xb), rtol=1e-5, atol=1e-6)
    assert model.input_names == ["a", "b"] and model.output_names == ["da", "db"]
    by_name = model.predict({"a": xa, "b": xb}, verbose=0)
    np.testing.assert_array_equal(by_name[1], got_b)


def test_model_called_as_a_layer_shares_its_weights():
    inner = _mlp()
    new_input = Input((6,))
    outer = Model(new_input, inner(new_input))
    assert outer.layers[1] is inner
    assert all(a is b for a, b in zip(outer.weights, inner.weights, strict=True))
    x = _x()
    np.testing.assert_array_equal(outer.predict(x, verbose=0), inner.predict(x, verbose=0))
    with torch.no_grad():
        inner.get_layer("out").bias.add_(1.0)  # one weight object: a change shows through both models
    np.testing.assert_array_equal(outer.predict(x, verbose=0), inner.predict(x, verbose=0))
    assert outer.count_params() == inner.count_params() == 6 * 5 + 5 + 5 * 2 + 2


def test_intermediate_output_model():
    model = _mlp()
    other_input = Input((6,))
    Model(other_input, model(other_input))  # calling it as a layer must not change model.input
    features = Model(model.input, model.get_layer("x").output)
    x = _x()
    expected = _dense_numpy(model.get_layer("x"), x, lambda v: np.maximum(v, 0))
    np.testing.assert_allclose(features.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert features.get_layer("x") is model.get_layer("x")


def test_layer_input_output_and_shapes():
    model = _mlp()
    layer = model.get_layer("x")
    assert layer.input.shape == (None, 6) and layer.output.shape == (None, 5)
    assert layer.input_shape == (None, 6) and layer.output_shape == (None, 5)
    assert model.get_layer("out").output_shape == (None, 2)
    assert model.output_shape == (None, 2) and model.input_shape == (None, 6)
    with pytest.raises(AttributeError, match="never been called on a symbolic input"):
        _ = Dense(3).output


def test_get_layer_errors_name_the_choices():
    model = _mlp()
    assert model.get_layer(index=-1).name == "out"
    with pytest.raises(ValueError, match="Did you mean 'out'"):
        model.get_layer("otu")
    with pytest.raises(ValueError, match="index=7 is out of range"):
        model.get_layer(index=7)


class _Doubling(Layer):
    def call(self, inputs, training=False):
        return inputs * 2.0 if training else inputs


class _Subclassed(Model):
    def __init__(self):
        super().__init__()
        self.flags = []
        self.dense = Dense(1, kernel_initializer="ones", bias_initializer="zeros")
        self.doubling = _Doubling()

    def call(self, inputs, training=False):
        self.flags.append(training)
        return self.dense(self.doubling(inputs))


def test_subclassed_model_gets_the_training_flag_and_trains():
    model = _Subclassed()
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.full((4, 1), 3.0))
    model.compile(optimizer=cornu.optimizers.SGD(0.1), loss="mse")
    model.flags.clear()
    history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert model.flags[-1] is True  # the training step
    # in training the inner layer doubles: prediction 6, loss (6 - 0)^2 = 36
    np.testing.assert_allclose(history.history["loss"], [36.0], rtol=1e-6)
    # one SGD step: d/dk mean((2*sum(x)k)^2) = 2 * 6 * 2 = 24 per kernel entry -> 1 - 0.1*24
    np.testing.assert_allclose(model.dense.kernel.detach().numpy(), np.full((3, 1), 1 - 2.4), rtol=1e-6)
    assert [layer.name for layer in model.layers] == [model.dense.name, model.doubling.name]
    model.flags.clear()
    model.evaluate(x, y, verbose=0)
    assert model.flags == [False]


def test_frozen_layer_keeps_its_weights_and_counts_as_non_trainable():
    model = _mlp()
    model.get_layer("x").trainable = False
    frozen, trained = model.get_layer("x").get_weights(), model.get_layer("out").get_weights()
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    model.compile(optimizer="adam", loss="mse")
    model.fit(_x(16), np.ones((16, 2)), epochs=2, verbose=0)
    for before, after in zip(frozen, model.get_layer("x").get_weights(), strict=True):
        np.testing.assert_array_equal(after, before)
    assert all(np.abs(a - b).max() > 1e-4 for a, b in zip(trained, model.get_layer("out").get_weights()))


def test_frozen_model_trains_nothing_and_warns():
    model = Sequential([Dense(3, input_shape=(6,)), Dense(1)])
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    before = model.get_weights()
    model.compile(optimizer="adam", loss="mse")
    with pytest.warns(UserWarning, match="no trainable weights"):
        history = model.fit(_x(), np.ones((4, 1)), epochs=2, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], history.history["loss"][1], rtol=1e-6)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_get_weights_returns_copies():
    model = _mlp()
    weights = model.get_weights()
    with torch.no_grad():
        model.get_layer("x").kernel.add_(1.0)
    assert not np.array_equal(weights[0], model.get_weights()[0])


def test_set_weights_errors_name_the_problem():
    model = _mlp()
    with pytest.raises(ValueError, match=r"has 4 weights .*received 1 arrays"):
        model.set_weights([np.zeros(1)])
    wrong = model.get_weights()
    wrong[0] = np.zeros((6, 4))
    with pytest.raises(ValueError, match=r"has shape \(6, 5\), but the array given has shape \(6, 4\)"):
        model.set_weights(wrong)
    good = [np.full(w.shape, 0.5, "float32") for w in model.get_weights()]
    model.set_weights(good)
    for a, b in zip(good, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_disconnected_graph_is_refused():
    a, b = Input((3,), name="first"), Input((3,), name="second")
    out = Dense(1)(b)
    with pytest.raises(ValueError, match="Graph disconnected.*'second'"):
        Model(inputs=a, outputs=out)
    with pytest.raises(ValueError, match="symbolic tensors made by Input"):
        Model(inputs=a, outputs=np.zeros(3))


def test_a_node_called_with_training_true_stays_in_training_mode_in_predict():
    # Deliberate difference: Keras 3.15's predict overrides the node's training=True with False (dropping nothing);
    # cornu keeps the call's explicit flag, as Keras 2 did and as Monte Carlo dropout needs.
    inputs = Input((400,))
    model = Model(inputs, cornu.layers.Dropout(0.5)(inputs, training=True))
    dropped = (model.predict(np.ones((2, 400), "float32"), verbose=0) == 0).mean()
    assert 0.4 < dropped < 0.6
    plain = Model(inputs, cornu.layers.Dropout(0.5)(inputs))
    assert (plain.predict(np.ones((2, 400), "float32"), verbose=0) == 1).all()
