"""clone_model: the same graph, new layers and weights; shared layers stay shared; hooks for each layer."""

import numpy as np
import pytest

import cornu
from cornu.layers import Concatenate, Dense, Dropout, Input
from cornu.models import Model, Sequential, clone_model


def _two_input_model():
    left, right = Input((3,), name="left"), Input((2,), name="right")
    shared = Dense(4, name="shared")
    merged = Concatenate()([shared(Dense(4, name="proj")(right)), shared(Dense(4, name="lift")(left))])
    return Model([left, right], Dense(1, name="out")(merged), name="two")


def _same_outputs(a, b, inputs):
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(b.predict(inputs, verbose=0), a.predict(inputs, verbose=0), rtol=1e-6)


def test_sequential_clone_has_new_weights_and_the_same_function_once_copied():
    model = Sequential([Input((3,)), Dense(5, activation="relu", name="a"), Dropout(0.2), Dense(2, name="b")])
    clone = clone_model(model)
    assert isinstance(clone, Sequential) and [layer.name for layer in clone.layers] == ["a", "dropout", "b"]
    assert all(c is not o for c, o in zip(clone.layers, model.layers))
    assert not np.allclose(clone.get_layer("a").get_weights()[0], model.get_layer("a").get_weights()[0])
    _same_outputs(model, clone, np.random.default_rng(0).normal(size=(4, 3)).astype("float32"))
    assert not clone.compiled


def test_functional_clone_keeps_inputs_names_and_shared_layers():
    model = _two_input_model()
    clone = clone_model(model)
    assert [t._keras_history[0].name for t in clone.inputs] == ["left", "right"]
    assert clone.count_params() == model.count_params()  # the shared Dense is counted once in both
    shared = clone.get_layer("shared")
    assert len(shared._inbound_nodes) == 2 and shared is not model.get_layer("shared")
    rng = np.random.default_rng(1)
    _same_outputs(model, clone, [rng.normal(size=(3, 3)).astype("float32"), rng.normal(size=(3, 2)).astype("float32")])


def test_input_tensors_clone_function_and_call_function():
    model = Sequential([Input((3,)), Dense(2, name="d")])
    seen = []

    def bigger(layer):
        config = layer.get_config()
        config["units"] = 7
        return type(layer).from_config(config)

    def call(layer, *args, **kwargs):
        seen.append(layer.name)
        return layer(*args, **kwargs)

    new_input = Input((3,), name="fresh")
    clone = clone_model(model, input_tensors=new_input, clone_function=bigger, call_function=call)
    assert clone.output_shape == (None, 7) and seen == ["d"]
    assert clone.inputs[0] is new_input
    with pytest.raises(ValueError, match="input_tensors holds 1 tensor.*2 input"):
        clone_model(_two_input_model(), input_tensors=Input((3,)))


def test_nested_models_are_cloned_whole_or_recursively():
    inner = Sequential([Input((3,)), Dense(2, name="inner_dense")], name="inner")
    outer_in = Input((3,))
    outer = Model(outer_in, Dense(1, name="head")(inner(outer_in)))
    clone = clone_model(outer)
    assert clone.get_layer("inner") is not inner and clone.get_layer("inner").get_layer("inner_dense") is not None
    names = []
    clone_model(outer, clone_function=lambda layer: names.append(layer.name) or type(layer).from_config(
        layer.get_config()), recursive=True)  # fmt: skip
    assert names == ["inner_dense", "head"]  # inside the nested model too
    _same_outputs(outer, clone, np.ones((2, 3), "float32"))


def test_subclassed_model_needs_a_config():
    class Bare(cornu.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = Dense(1)

        def call(self, x):
            return self.dense(x)

    clone = clone_model(Bare(name="bare"))
    assert isinstance(clone, Bare) and clone.name == "bare"
    with pytest.raises(ValueError, match="need a Sequential or Functional"):
        clone_model(Bare(), clone_function=lambda layer: layer)
