"""Sequential: building up with add/pop, deferred builds, and the errors for misuse."""

import numpy as np
import pytest

from cornu import regularizers
from cornu.layers import Dense, Input
from cornu.models import Model, Sequential


def test_seed_mlp_counts_and_shapes():
    model = Sequential()
    model.add(Dense(128, input_dim=200, activation="sigmoid"))
    model.add(Dense(256, activation="sigmoid"))
    model.add(Dense(5, activation="softmax"))
    assert model.count_params() == 200 * 128 + 128 + 128 * 256 + 256 + 256 * 5 + 5
    assert model.output_shape == (None, 5) and model.input_shape == (None, 200)
    assert [w.shape for w in model.get_weights()] == [(200, 128), (128,), (128, 256), (256,), (256, 5), (5,)]


def test_deferred_build_happens_on_first_data():
    model = Sequential([Dense(4, activation="relu"), Dense(2)])
    assert not model.built and model.weights == []
    x = np.ones((3, 7), "float32")
    out = model.predict(x, verbose=0)
    assert out.shape == (3, 2) and model.built and model.count_params() == 7 * 4 + 4 + 4 * 2 + 2
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, np.zeros((3, 2)), verbose=0)
    assert len(history.history["loss"]) == 1


def test_pop_and_add_update_the_output():
    model = Sequential([Input((6,)), Dense(5, name="a"), Dense(3, name="b")])
    assert model.pop().name == "b"
    assert model.output_shape == (None, 5) and model.predict(np.ones((2, 6)), verbose=0).shape == (2, 5)
    model.add(Dense(7, name="c"))
    assert [layer.name for layer in model.layers] == ["a", "c"] and model.output_shape == (None, 7)
    features = Model(model.input, model.get_layer("a").output)
    x = np.random.default_rng(0).normal(size=(2, 6)).astype("float32")
    kernel, bias = model.get_layer("a").get_weights()
    np.testing.assert_allclose(features.predict(x, verbose=0), x @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_misuse_is_explained():
    model = Sequential([Dense(2, input_shape=(3,), name="same")])
    with pytest.raises(ValueError, match="already has a layer named 'same'"):
        model.add(Dense(2, name="same"))
    with pytest.raises(TypeError, match=r"Sequential.add\(\) takes a cornu layer"):
        model.add("dense")
    with pytest.raises(ValueError, match="An Input can only come first"):
        model.add(Input((2,)))
    with pytest.raises(ValueError, match="has no layers to pop"):
        Sequential().pop()
    with pytest.raises(ValueError, match=r"count_params\(\) on layer .* not built yet"):
        Sequential([Dense(2)]).count_params()


def test_a_sequential_is_a_torch_module():
    model = Sequential([Dense(4, input_shape=(3,)), Dense(1)])
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == 4 and all(name.endswith(("kernel", "bias")) for name in names)
    assert sum(p.numel() for p in model.parameters()) == model.count_params()


def test_input_dim_on_a_later_layer_is_ignored_with_a_warning_as_in_keras():
    model = Sequential()
    model.add(Dense(500, input_dim=784))
    with pytest.warns(UserWarning, match=r"declared with input shape \(None, 784\).*\(None, 500\).*ignored"):
        model.add(Dense(10, input_dim=784))
    assert model.output_shape == (None, 10) and model.layers[1].get_weights()[0].shape == (500, 10)


# ---- layers called directly (Layer.__call__'s bookkeeping skipped) only where that changes nothing ----
def _stack():
    import cornu

    cornu.utils.set_random_seed(3)
    return Sequential([Input((6,)), Dense(8, activation="relu"), Dense(3, activation="softmax")])


def test_direct_calls_give_the_layer_by_layer_outputs(rng):
    import torch

    model = _stack()
    x = torch.from_numpy(rng.normal(size=(4, 6)).astype("float32"))
    hidden = torch.relu(x @ model.layers[0].kernel + model.layers[0].bias)
    expected = torch.softmax(hidden @ model.layers[1].kernel + model.layers[1].bias, -1)
    torch.testing.assert_close(model(x), expected, rtol=0, atol=0)
    torch.testing.assert_close(model.layers[1](model.layers[0](x)), expected, rtol=0, atol=0)  # each via __call__


def test_forward_hooks_and_activity_regularizers_still_run(rng):
    import torch

    model = _stack()
    seen = []
    handle = model.layers[0].register_forward_hook(lambda module, args, output: seen.append(output.shape))
    model(rng.normal(size=(2, 6)).astype("float32"))
    handle.remove()
    assert seen == [torch.Size([2, 8])]
    global_seen = []
    handle = torch.nn.modules.module.register_module_forward_hook(lambda m, a, o: global_seen.append(type(m).__name__))
    try:
        model(rng.normal(size=(2, 6)).astype("float32"))
    finally:
        handle.remove()
    assert global_seen.count("Dense") == 2
    regularized = Sequential([Input((6,)), Dense(2, activity_regularizer="l2")])
    x = rng.normal(size=(2, 6)).astype("float32")
    out = regularized(x)
    expected = 0.01 * (out.detach() ** 2).sum() / 2  # Keras divides the activity penalty by the batch size
    torch.testing.assert_close(sum(regularized.losses), expected)


def test_the_plan_of_direct_calls_gives_way_to_what_changed_since_it_was_made(rng):
    import torch

    model = _stack()
    x = rng.normal(size=(2, 6)).astype("float32")
    first = model.predict(x, verbose=0)  # the plan is made here: both layers called directly
    seen = []
    handle = model.layers[0].register_forward_hook(lambda module, args, output: seen.append(output.shape))
    np.testing.assert_array_equal(model.predict(x, verbose=0), first)
    assert seen == [torch.Size([2, 8])]  # a hook added after the plan still runs
    handle.remove()
    model.layers[1].activity_regularizer = regularizers.get("l2")
    out = model(x, training=True)
    assert len(model.losses) == 1  # an activity penalty set after the plan is still added
    torch.testing.assert_close(model.losses[0], 0.01 * (out.detach() ** 2).sum() / 2)
    model.layers[1].activity_regularizer = None
    model.layers[0].dtype_policy = "mixed_bfloat16"  # the first layer now computes in bfloat16
    mixed = model.predict(x, verbose=0)
    with torch.no_grad():  # each layer through its own __call__, which casts for the mixed one
        by_layer = model.layers[1](model.layers[0](x)).float().numpy()
    np.testing.assert_array_equal(mixed, by_layer)
    assert not np.array_equal(mixed, first)
    model.layers[0].dtype_policy = "float32"
    np.testing.assert_array_equal(model.predict(x, verbose=0), first)
    model.add(Dense(4))  # layers added or removed after the plan are called
    assert model.predict(x, verbose=0).shape == (2, 4)
    model.pop()
    np.testing.assert_array_equal(model.predict(x, verbose=0), first)


def test_masks_from_an_embedding_still_reach_the_next_layers():
    import torch

    from cornu.layers import LSTM, Embedding

    model = Sequential([Input((4,), dtype="int32"), Embedding(5, 3, mask_zero=True), LSTM(2)])
    padded, cut = model(np.array([[1, 2, 0, 0]])), model(np.array([[1, 2]]))
    torch.testing.assert_close(padded, cut)  # the masked steps are skipped, so the padding changes nothing
