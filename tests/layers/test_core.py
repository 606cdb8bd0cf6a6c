"""Embedding, Lambda, Identity and Masking: lookups, masks, output shapes, configs (Lambda's safe loading), errors."""

import numpy as np
import pytest
import torch

import cornu
from cornu import activations
from cornu.layers import Dense, Embedding, Identity, Input, Lambda, Masking
from cornu.models import Model, Sequential


def test_embedding_looks_up_rows_and_trains_only_the_rows_used(rng):
    table = rng.normal(size=(5, 3)).astype("float32")
    layer = Embedding(5, 3, weights=[table])
    ids = np.array([[4, 0], [2, 2]])
    np.testing.assert_array_equal(layer(ids).detach().numpy(), table[ids])
    layer(torch.tensor(ids)).sum().backward()
    np.testing.assert_array_equal(layer.embeddings.grad[:, 0].numpy(), [1.0, 0.0, 2.0, 0.0, 1.0])
    # float indices are truncated to integers, as Keras casts them
    np.testing.assert_array_equal(layer(np.array([[1.7]])).detach().numpy(), table[[[1]]])


def test_embedding_is_built_at_construction_and_takes_a_bare_weights_array(rng):
    table = rng.normal(size=(4, 2)).astype("float32")
    layer = Embedding(4, 2, weights=table)
    assert layer.built and [w.keras_name for w in layer.weights] == ["embeddings"]
    np.testing.assert_array_equal(layer.get_weights()[0], table)


def test_embedding_mask_zero_and_output_shape():
    layer = Embedding(10, 4, mask_zero=True)
    ids = torch.tensor([[0, 3, 0], [1, 0, 9]])
    np.testing.assert_array_equal(layer.compute_mask(ids).numpy(), [[False, True, False], [True, False, True]])
    assert layer.supports_masking and Embedding(10, 4).compute_mask(ids) is None
    assert layer.compute_output_shape((None, 7)) == (None, 7, 4)
    out = layer(Input((7,), dtype="int64"))
    assert out.shape == (None, 7, 4)


def test_embedding_config_round_trip_and_errors():
    layer = Embedding(10, 4, embeddings_regularizer="l2", mask_zero=True)
    config = layer.get_config()
    assert (config["input_dim"], config["output_dim"], config["mask_zero"]) == (10, 4, True)
    assert config["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert Embedding.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="input_dim must be a positive integer. Received: input_dim=0"):
        Embedding(0, 3)
    with pytest.raises(ValueError, match="output_dim"):
        Embedding(3, 2.5)
    cornu.legacy.reset_warnings()  # the legacy table drops input_length, warning once per process
    with pytest.warns(DeprecationWarning, match="input_length"):
        Embedding(3, 2, input_length=5)
    with pytest.raises(ValueError, match=r"indices 0 to 9\), but received indices from 0 to 12. Use Embedding\(13"):
        Embedding(10, 2)(np.array([[0, 12]]))
    with pytest.raises(NotImplementedError, match="lora_rank=None"):
        Embedding(3, 2, lora_rank=4)
    assert Embedding.from_config({**config, "quantization_config": None, "lora_rank": None}).output_dim == 4


def test_lambda_passes_arguments_mask_and_training():
    seen = {}

    def fn(x, scale, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return x * scale

    layer = Lambda(fn, arguments={"scale": 2.0})
    out = layer(np.array([[1.0, 2.0]]), mask="m", training=True)
    assert out.tolist() == [[2.0, 4.0]] and seen == {"mask": "m", "training": True}


def test_lambda_output_shapes_probe_fixed_and_callable():
    x = Input((6,))
    assert Lambda(lambda t: t[:, :2] * 2)(x).shape == (None, 2)
    assert Lambda(lambda t: t.reshape(-1, 2, 3), output_shape=(2, 3))(x).shape == (None, 2, 3)
    assert Lambda(lambda t: t, output_shape=lambda s: (s[0], 99)).compute_output_shape((None, 6)) == (None, 99)
    pair = Lambda(lambda ts: ts[0] + ts[1])([Input((3,)), Input((3,))])
    assert pair.shape == (None, 3)


def test_lambda_mask_argument():
    layer = Lambda(lambda t: t, mask=lambda inputs, previous: inputs > 0)
    assert layer.supports_masking
    np.testing.assert_array_equal(layer.compute_mask(torch.tensor([1.0, -1.0])).numpy(), [True, False])
    assert Lambda(lambda t: t).compute_mask(torch.ones(1)) is None


def test_lambda_config_refuses_bytecode_unless_safe_mode_is_off():
    layer = Lambda(lambda t, k: t * k + 1, output_shape=[3], arguments={"k": 5.0})
    config = layer.get_config()
    assert config["function"]["class_name"] == "__lambda__" and config["output_shape"] == (3,)
    with pytest.raises(ValueError, match="safe_mode=False"):
        Lambda.from_config(config)
    rebuilt = Lambda.from_config(config, safe_mode=False)
    assert rebuilt(np.array([[1.0]])).tolist() == [[6.0]]
    named = Lambda(activations.relu).get_config()
    assert named["function"] == {
        "module": "builtins",
        "class_name": "function",
        "config": "relu",
        "registered_name": "function",
    }
    assert Lambda.from_config(named).function is activations.relu


def test_lambda_custom_function_needs_custom_objects_in_safe_mode():
    def double(t):
        return t * 2

    config = Lambda(double).get_config()
    with pytest.raises(ValueError, match="custom_objects"):
        Lambda.from_config(config)
    assert Lambda.from_config(config, custom_objects={"double": double}).function is double
    with pytest.raises(ValueError, match="callable"):
        Lambda(3)


def test_identity_returns_its_input_in_models(rng):
    x = rng.normal(size=(2, 3)).astype("float32")
    inputs = Input((3,))
    model = Model(inputs, Identity()(inputs))
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    assert Identity().compute_output_shape((None, 3)) == (None, 3)


def test_masking_zeroes_padded_steps_and_computes_the_mask():
    x = np.array([[[1.0, -1.0], [-1.0, -1.0], [0.0, -1.0]]])
    layer = Masking(mask_value=-1.0)
    np.testing.assert_array_equal(layer(x).numpy(), [[[1.0, -1.0], [0.0, 0.0], [0.0, -1.0]]])
    np.testing.assert_array_equal(layer.compute_mask(torch.tensor(x)).numpy(), [[True, False, True]])
    assert Masking.from_config(layer.get_config()).mask_value == -1.0


def test_masking_in_sequential_before_dense(rng):
    x = rng.normal(size=(2, 3, 4)).astype("float32")
    x[0, 1] = 0.0
    model = Sequential([Input((3, 4)), Masking(), Dense(2)])
    out = model.predict(x, verbose=0)
    np.testing.assert_allclose(out[0, 1], model.layers[1].get_weights()[1], rtol=1e-6)  # zeroed step -> bias only


def test_calling_build_directly_marks_the_layer_built_so_no_second_set_of_weights_is_made():
    layer = Dense(3)
    layer.build((None, 4))
    assert layer.built
    kernel = layer.kernel
    layer(np.ones((2, 4), dtype="float32"))
    assert layer.kernel is kernel and len(layer.weights) == 2 and len(list(layer.parameters())) == 2


def test_a_layer_called_on_a_flipped_numpy_view_converts_it():
    x = np.arange(6.0, dtype="float32").reshape(2, 3)[:, ::-1]  # negative strides, e.g. caffe's RGB -> BGR
    layer = Dense(1, kernel_initializer="ones", bias_initializer="zeros")
    np.testing.assert_allclose(layer(x).detach().numpy(), x.sum(axis=1, keepdims=True))
