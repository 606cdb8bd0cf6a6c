"""Parity of the core layers with Keras 3.15 (torch backend): same weights in, same outputs, same gradients with
respect to inputs and weights (Keras's computed by torch autograd on its own tensors), same configs; in training and
inference where they differ; alone, in Sequential and in functional models."""

import numpy as np
import pytest
import torch

import cornu
from cornu import layers as L

keras = pytest.importorskip("keras")

RTOL, ATOL = 1e-5, 1e-6


@pytest.fixture(autouse=True)
def _reset_keras_names():
    # Keras numbers auto-named layers globally (add, add_1, ...); leave its counters as we found them for the tests
    # that compare names with Keras after these.
    yield
    keras.backend.clear_session()


def _tensors(x, grad=True):
    if isinstance(x, list):
        return [_tensors(v, grad) for v in x]
    t = torch.tensor(x)
    return t.requires_grad_(grad and t.is_floating_point())


def _loss(y, seed=1):
    # random weights make every gradient non-trivial (a plain sum has zero gradient through a normalization)
    c = torch.as_tensor(np.random.default_rng(seed).normal(size=tuple(y.shape)), dtype=y.dtype)
    return (y * c).sum() + 0.1 * (y * y).sum()


def _run(layer, x, training, weights):
    inputs = _tensors(x)
    out = layer(inputs, training=training)
    _loss(out).backward()
    input_grads = [t.grad for t in (inputs if isinstance(inputs, list) else [inputs])]
    return out.detach().numpy(), input_grads, [w.grad for w in weights()]


def check_layer(ref, ours, x, trainings=(False, True), rtol=RTOL, atol=ATOL, grad_rtol=RTOL):
    """Builds both on x, copies Keras's weights into ours, then compares outputs, gradients and weights after."""
    ref(_tensors(x, grad=False), training=False)
    ours(_tensors(x, grad=False), training=False)
    ours.set_weights(ref.get_weights())
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in ref.get_weights()]
    for training in trainings:
        ref_out, ref_in_grads, ref_w_grads = _run(ref, x, training, lambda: [w.value for w in ref.trainable_weights])
        out, in_grads, w_grads = _run(ours, x, training, lambda: ours.trainable_weights)
        np.testing.assert_allclose(out, ref_out, rtol=rtol, atol=atol)
        for got, want in zip(in_grads, ref_in_grads):
            if want is not None:
                _close_to_scale(got, want, grad_rtol, atol)
        assert len(w_grads) == len(ref_w_grads)
        for got, want in zip(w_grads, ref_w_grads):
            _close_to_scale(got, want, grad_rtol, atol)
        for got, want in zip(ours.get_weights(), ref.get_weights()):  # state updates (moving statistics)
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
        for w in ours.trainable_weights:
            w.grad = None
        for w in ref.trainable_weights:
            w.value.grad = None
    return ours


def _close_to_scale(got, want, rtol, atol):
    # Gradients through batch statistics cancel large terms, so float32 rounding is relative to the tensor's scale
    # (Keras computes the variance as E[x^2] - E[x]^2, torch with Welford): rtol applies to that scale too.
    want = want.numpy()
    np.testing.assert_allclose(got.numpy(), want, rtol=rtol, atol=max(atol, rtol * float(np.abs(want).max())))


def check_config(ref, ours):
    ref_config, config = ref.get_config(), ours.get_config()
    ignore = {"name", "dtype", "trainable", "quantization_config"}
    for key in set(ref_config) - ignore:
        assert key in config, key
        want, got = ref_config[key], config[key]
        if isinstance(want, dict) and "class_name" in want:
            assert got["class_name"] == want["class_name"], key
        elif isinstance(want, (list, tuple)):
            # Keras's LayerNormalization rewrites axis=-1 as [-1] when built; both mean the same
            assert list(got) == list(want) if isinstance(got, (list, tuple)) else [got] == list(want), key
        else:
            assert got == want, key
    assert set(config) - ignore - {"batch_input_shape"} <= set(ref_config) - ignore
    rebuilt = type(ours).from_config(config)
    assert rebuilt.get_config() == config


def _normal(rng, *shape):
    return rng.normal(size=shape).astype("float32")


# ------------------------------------------------------------------ activations
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("ReLU", {}),
        ("ReLU", {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.2}),
        ("LeakyReLU", {}),
        ("LeakyReLU", {"negative_slope": 0.05}),
        ("ELU", {"alpha": 0.5}),
        ("Softmax", {}),
        ("Softmax", {"axis": 1}),
        ("Softmax", {"axis": [1, 2]}),
        ("PReLU", {"alpha_initializer": "random_normal"}),
        ("PReLU", {"alpha_initializer": "random_normal", "shared_axes": [1, 2]}),
    ],
)
def test_activation_layers_match_keras(rng, name, kwargs):
    x = _normal(rng, 2, 3, 4)
    ref, ours = getattr(keras.layers, name)(**kwargs), getattr(L, name)(**kwargs)
    check_layer(ref, ours, x)
    check_config(ref, ours)


def test_leaky_relu_default_slope_is_keras_03():
    assert keras.layers.LeakyReLU().negative_slope == L.LeakyReLU().negative_slope == 0.3


def test_softmax_mask_matches_keras(rng):
    x = _normal(rng, 2, 5)
    mask = rng.random((2, 5)) > 0.4
    ref = keras.ops.convert_to_numpy(keras.layers.Softmax()(x, mask=mask))
    np.testing.assert_allclose(L.Softmax()(x, mask=mask).numpy(), ref, rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------------ core
def test_embedding_matches_keras(rng):
    ids = rng.integers(0, 7, size=(3, 4)).astype("int64")
    ref, ours = keras.layers.Embedding(7, 5, mask_zero=True), L.Embedding(7, 5, mask_zero=True)
    check_layer(ref, ours, ids, trainings=(False,))
    want = keras.ops.convert_to_numpy(ref.compute_mask(ids))
    np.testing.assert_array_equal(ours.compute_mask(torch.tensor(ids)).numpy(), want)
    check_config(ref, ours)


def test_embedding_default_initializer_is_keras_uniform():
    ours = L.Embedding(50, 40).get_weights()[0]
    assert ours.min() >= -0.05 and ours.max() <= 0.05 and ours.std() > 0.02
    assert keras.layers.Embedding(5, 4).get_config()["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert L.Embedding(5, 4).get_config()["embeddings_initializer"]["class_name"] == "RandomUniform"


def test_masking_matches_keras(rng):
    x = _normal(rng, 2, 4, 3)
    x[0, 1] = 0.0
    x[1, 3] = 0.0
    ref, ours = keras.layers.Masking(), L.Masking()
    check_layer(ref, ours, x)
    want = keras.ops.convert_to_numpy(ref.compute_mask(x))
    np.testing.assert_array_equal(ours.compute_mask(torch.tensor(x)).numpy(), want)
    check_config(ref, ours)


def test_identity_and_lambda_match_keras(rng):
    x = _normal(rng, 2, 3)
    check_layer(keras.layers.Identity(), L.Identity(), x)
    ref = keras.layers.Lambda(lambda t, k: t * k + 1.0, arguments={"k": 2.0})
    ours = L.Lambda(lambda t, k: t * k + 1.0, arguments={"k": 2.0})
    check_layer(ref, ours, x)
    assert ours.compute_output_shape((None, 3)) == ref.compute_output_shape((None, 3)) == (None, 3)
    ref = keras.layers.Lambda(lambda t: t[:, :2], output_shape=(2,))
    ours = L.Lambda(lambda t: t[:, :2], output_shape=(2,))
    assert ours.compute_output_shape((None, 3)) == ref.compute_output_shape((None, 3))
    assert ours.get_config()["function"]["class_name"] == ref.get_config()["function"]["class_name"] == "__lambda__"
    assert ours.get_config()["output_shape"] == ref.get_config()["output_shape"]


def test_lambda_named_function_config_matches_keras():
    ref = keras.layers.Lambda(keras.activations.relu).get_config()["function"]
    ours = L.Lambda(cornu.activations.relu).get_config()["function"]
    assert ours == ref


# ------------------------------------------------------------------ regularization
@pytest.mark.parametrize("name, kwargs", [("GaussianNoise", {"stddev": 0.3}), ("GaussianDropout", {"rate": 0.3})])
def test_noise_layers_pass_through_in_inference_and_match_configs(rng, name, kwargs):
    x = _normal(rng, 2, 3)
    ref, ours = getattr(keras.layers, name)(**kwargs), getattr(L, name)(**kwargs)
    check_layer(ref, ours, x, trainings=(False,))
    check_config(ref, ours)


def test_dropout_matches_keras_statistics_and_scaling(rng):
    x = np.ones((400, 50), dtype="float32")
    ref, ours = keras.layers.Dropout(0.3, seed=1), L.Dropout(0.3, seed=1)
    want = keras.ops.convert_to_numpy(ref(x, training=True))
    got = ours(x, training=True).numpy()
    assert set(np.unique(got)) == set(np.unique(want)) == {0.0, np.float32(1 / 0.7)}
    assert abs((got == 0).mean() - 0.3) < 0.01 and abs((want == 0).mean() - 0.3) < 0.01
    np.testing.assert_allclose(got.mean(), want.mean(), atol=0.02)
    check_layer(keras.layers.Dropout(0.3), L.Dropout(0.3), _normal(rng, 2, 3), trainings=(False,))
    check_config(ref, ours)


def test_dropout_gradient_is_the_mask_scaled_as_keras():
    x = torch.ones(200, 20, requires_grad=True)
    out = L.Dropout(0.5, seed=3)(x, training=True)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())  # d(out)/dx is the mask / (1 - rate)


def test_dropout_noise_shape_and_rate_one_match_keras(rng):
    x = np.ones((4, 6, 5), dtype="float32")
    got = L.Dropout(0.5, noise_shape=(None, 1, 5), seed=0)(x, training=True).numpy()
    want = keras.ops.convert_to_numpy(keras.layers.Dropout(0.5, noise_shape=(None, 1, 5), seed=0)(x, training=True))
    for out in (got, want):
        assert (out == out[:, :1, :]).all()  # one draw per (sample, feature), shared over the steps
    np.testing.assert_array_equal(L.Dropout(1.0)(x, training=True).numpy(), keras.layers.Dropout(1.0)(x, training=True))


@pytest.mark.parametrize(
    "name, shape, same",
    [
        ("SpatialDropout1D", (8, 5, 6), (1,)),
        ("SpatialDropout2D", (8, 3, 3, 6), (1, 2)),
        ("SpatialDropout3D", (8, 2, 2, 2, 6), (1, 2, 3)),
    ],
)
def test_spatial_dropout_drops_whole_channels_like_keras(rng, name, shape, same):
    x = np.ones(shape, dtype="float32")
    ref, ours = getattr(keras.layers, name)(0.5, seed=2), getattr(L, name)(0.5, seed=2)
    want, got = keras.ops.convert_to_numpy(ref(x, training=True)), ours(x, training=True).numpy()
    for out in (want, got):
        assert set(np.unique(out)) == {0.0, 2.0}
        assert (out == out[(slice(None),) + (slice(0, 1),) * len(same)]).all()
    check_config(ref, ours)


def test_gaussian_noise_statistics_match_keras():
    x = np.zeros((200, 50), dtype="float32")
    want = keras.ops.convert_to_numpy(keras.layers.GaussianNoise(0.5, seed=1)(x, training=True))
    got = L.GaussianNoise(0.5, seed=1)(x, training=True).numpy()
    assert abs(got.std() - 0.5) < 0.02 and abs(want.std() - 0.5) < 0.02 and abs(got.mean()) < 0.02


def test_gaussian_dropout_statistics_match_keras():
    x = np.ones((200, 50), dtype="float32")
    std = np.sqrt(0.3 / 0.7)
    want = keras.ops.convert_to_numpy(keras.layers.GaussianDropout(0.3, seed=1)(x, training=True))
    got = L.GaussianDropout(0.3, seed=1)(x, training=True).numpy()
    for out in (want, got):
        assert abs(out.mean() - 1.0) < 0.03 and abs(out.std() - std) < 0.03


def test_activity_regularization_matches_keras_loss(rng):
    x = _normal(rng, 4, 3)
    ref, ours = keras.layers.ActivityRegularization(l1=0.1, l2=0.2), L.ActivityRegularization(l1=0.1, l2=0.2)
    check_layer(ref, ours, x, trainings=(False,))
    ref(x)
    ours(x)
    want = float(keras.ops.convert_to_numpy(ref.losses[0]))
    np.testing.assert_allclose(float(ours.losses[0]), want, rtol=RTOL)
    check_config(ref, ours)


# ------------------------------------------------------------------ normalization
@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((6, 4), {}),
        ((4, 3, 3, 2), {}),
        ((4, 3, 5), {"axis": 1, "momentum": 0.9, "epsilon": 1e-2}),
        ((5, 4), {"center": False, "gamma_initializer": "random_normal"}),
        ((5, 4), {"scale": False, "beta_initializer": "random_normal"}),
    ],
)
def test_batch_normalization_matches_keras_in_training_and_inference(rng, shape, kwargs):
    x = _normal(rng, *shape) * 2.0 + 0.5
    ref, ours = keras.layers.BatchNormalization(**kwargs), L.BatchNormalization(**kwargs)
    ref.build(shape)
    ours.build_from_shape(shape)
    weights = [w + rng.normal(size=w.shape).astype("float32") * 0.1 for w in ref.get_weights()]
    weights[-1] = np.abs(weights[-1])  # moving variance stays positive
    ref.set_weights(weights)
    check_layer(ref, ours, x, trainings=(True, False, True))  # outputs, gradients and moving statistics
    assert [w.keras_name for w in ours.weights] == [w.name for w in ref.weights]
    check_config(ref, ours)


def test_batch_normalization_moving_statistics_after_training_calls(rng):
    x = _normal(rng, 8, 3) * 3.0 + 1.0
    ref, ours = keras.layers.BatchNormalization(momentum=0.5), L.BatchNormalization(momentum=0.5)
    for _ in range(3):
        want = keras.ops.convert_to_numpy(ref(x, training=True))
        got = ours(x, training=True).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    for got, want in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_frozen_batch_normalization_runs_in_inference_like_keras(rng):
    x = _normal(rng, 6, 3) * 2.0 + 1.0
    ref, ours = keras.layers.BatchNormalization(), L.BatchNormalization()
    ref.build((6, 3))
    ours.build_from_shape((6, 3))
    ref.set_weights([np.full(3, 2.0), np.full(3, 0.5), np.full(3, 0.3), np.full(3, 4.0)])
    ours.set_weights(ref.get_weights())
    ref.trainable = ours.trainable = False
    want = keras.ops.convert_to_numpy(ref(x, training=True))
    np.testing.assert_allclose(ours(x, training=True).numpy(), want, rtol=RTOL, atol=ATOL)
    for got, want in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_batch_normalization_with_mask_matches_keras(rng):
    x = _normal(rng, 3, 5, 2)
    mask = rng.random((3, 5)) > 0.3
    ref, ours = keras.layers.BatchNormalization(), L.BatchNormalization()
    want = keras.ops.convert_to_numpy(ref(x, training=True, mask=mask))
    np.testing.assert_allclose(ours(x, training=True, mask=mask).detach().numpy(), want, rtol=1e-4, atol=1e-5)
    for got, want in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((3, 5), {}),
        ((2, 3, 4), {"axis": [1, 2], "epsilon": 1e-5}),
        ((2, 3, 4), {"gamma_initializer": "random_normal", "beta_initializer": "random_normal"}),
        ((2, 3, 4), {"center": False}),
    ],
)
def test_layer_normalization_matches_keras(rng, shape, kwargs):
    ref, ours = keras.layers.LayerNormalization(**kwargs), L.LayerNormalization(**kwargs)
    check_layer(ref, ours, _normal(rng, *shape) * 3.0, trainings=(False,))
    check_config(ref, ours)


def test_layer_normalization_over_a_middle_axis_where_keras_torch_fails(rng):
    # Deliberate difference: Keras 3.15's torch backend hands axis=1 of a 3D input to F.layer_norm as the last axis
    # and fails; cornu normalizes axis 1 (checked against float64 numpy).
    x = _normal(rng, 2, 3, 4) * 3.0
    with pytest.raises(RuntimeError):
        keras.layers.LayerNormalization(axis=1)(x)
    mean, var = x.astype("float64").mean(axis=1, keepdims=True), x.astype("float64").var(axis=1, keepdims=True)
    np.testing.assert_allclose(
        L.LayerNormalization(axis=1)(x).detach().numpy(), (x - mean) / np.sqrt(var + 1e-3), rtol=RTOL, atol=ATOL
    )


# ------------------------------------------------------------------ reshaping
@pytest.mark.parametrize(
    "name, args, kwargs, shape",
    [
        ("Flatten", (), {}, (2, 3, 4)),
        ("Flatten", (), {"data_format": "channels_first"}, (2, 3, 4, 5)),
        ("Reshape", ((-1, 2),), {}, (2, 3, 4)),
        ("Reshape", ((4, 3),), {}, (2, 3, 4)),
        ("Permute", ((2, 1),), {}, (2, 3, 4)),
        ("Permute", ((3, 1, 2),), {}, (2, 3, 4, 5)),
        ("RepeatVector", (3,), {}, (2, 4)),
    ],
)
def test_reshaping_layers_match_keras(rng, name, args, kwargs, shape):
    ref, ours = getattr(keras.layers, name)(*args, **kwargs), getattr(L, name)(*args, **kwargs)
    check_layer(ref, ours, _normal(rng, *shape), trainings=(False,))
    symbolic = (None,) + shape[1:]
    assert tuple(ours.compute_output_shape(symbolic)) == tuple(ref.compute_output_shape(symbolic))
    check_config(ref, ours)


# ------------------------------------------------------------------ merging
@pytest.mark.parametrize(
    "name, kwargs, shapes",
    [
        ("Add", {}, [(2, 3), (2, 3), (2, 3)]),
        ("Add", {}, [(2, 4, 3), (2, 3)]),
        ("Subtract", {}, [(2, 3), (2, 3)]),
        ("Multiply", {}, [(2, 3), (2, 1)]),
        ("Average", {}, [(2, 3), (2, 3)]),
        ("Maximum", {}, [(2, 3), (2, 3), (2, 3)]),
        ("Minimum", {}, [(2, 3), (2, 3)]),
        ("Concatenate", {}, [(2, 3), (2, 5)]),
        ("Concatenate", {"axis": 1}, [(2, 3, 4), (2, 1, 4)]),
        ("Dot", {"axes": 1}, [(2, 3), (2, 3)]),
        ("Dot", {"axes": (1, 2)}, [(2, 3, 5), (2, 4, 3)]),
        ("Dot", {"axes": -1, "normalize": True}, [(2, 4, 3), (2, 5, 3)]),
        ("Dot", {"axes": (2, 1), "normalize": True}, [(2, 3, 4, 5), (2, 4, 2, 3)]),
    ],
)
def test_merging_layers_match_keras(rng, name, kwargs, shapes):
    xs = [_normal(rng, *s) for s in shapes]
    ref, ours = getattr(keras.layers, name)(**kwargs), getattr(L, name)(**kwargs)
    check_layer(ref, ours, xs, trainings=(False,))
    symbolic = [(None,) + s[1:] for s in shapes]
    assert tuple(ours.compute_output_shape(symbolic)) == tuple(ref.compute_output_shape(symbolic))
    check_config(ref, ours)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"])
def test_functional_merge_forms_match_keras(rng, name):
    xs = [_normal(rng, 2, 3), _normal(rng, 2, 3)]
    kwargs = {"axes": 1} if name == "dot" else {}
    want = keras.ops.convert_to_numpy(getattr(keras.layers, name)(xs, **kwargs))
    np.testing.assert_allclose(getattr(L, name)(xs, **kwargs).numpy(), want, rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------------ in models
def _keras_sequential_layers(keras_or_cornu):
    M = keras_or_cornu.layers
    return [
        M.Dense(6),
        M.BatchNormalization(),
        M.LeakyReLU(),
        M.Dropout(0.0),
        M.Reshape((3, 2)),
        M.LayerNormalization(),
        M.PReLU(alpha_initializer="ones"),
        M.Permute((2, 1)),
        M.Flatten(),
        M.ELU(),
        M.RepeatVector(2),
        M.Flatten(),
        M.Dense(3),
        M.Softmax(),
    ]


def test_sequential_stack_matches_keras_in_training_and_inference(rng):
    x = _normal(rng, 5, 4)
    ref = keras.Sequential([keras.Input((4,))] + _keras_sequential_layers(keras))
    ours = cornu.models.Sequential([L.Input((4,))] + _keras_sequential_layers(cornu))
    ours.set_weights(ref.get_weights())
    # 14 layers deep, with batch statistics: float32 rounding grows along the chain, so gradients get rtol 1e-4
    check_layer(ref, ours, x, trainings=(False, True, False), grad_rtol=1e-4)


def test_functional_graph_matches_keras(rng):
    def graph(lib):
        M = lib.layers
        a, b = M.Input((4,)), M.Input((3,), dtype="int64")
        e = M.Flatten()(M.Embedding(10, 2)(b))
        h = M.concatenate([M.Dense(5)(a), M.Dense(5)(e)])
        h = M.BatchNormalization()(h)
        s = M.add([M.Dense(4)(h), M.Dense(4)(a)])
        d = M.Dot(axes=1, normalize=True)([s, M.Dense(4)(h)])
        out = M.multiply([M.maximum([s, M.ReLU()(s)]), M.average([s, M.subtract([s, d])])])
        model = lib.Model([a, b], M.Lambda(lambda t: t * 2.0)(out))
        return model

    xa, xb = _normal(rng, 4, 4), rng.integers(0, 10, size=(4, 3))
    ref, ours = graph(keras), graph(cornu)
    ours.set_weights(ref.get_weights())
    for training in (False, True):
        ta, tb = torch.tensor(xa, requires_grad=True), torch.tensor(xb)
        want = ref([ta, tb], training=training)
        _loss(want).backward()
        oa = torch.tensor(xa, requires_grad=True)
        got = ours([oa, torch.tensor(xb)], training=training)
        _loss(got).backward()
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=RTOL, atol=ATOL)
        _close_to_scale(oa.grad, ta.grad, 1e-4, ATOL)
        # The Dense biases before BatchNormalization have a true gradient of 0 in training (the batch mean removes
        # them), which float32 leaves as rounding noise: absolute tolerance relative to the largest gradient.
        scale = max(float(w.value.grad.abs().max()) for w in ref.trainable_weights)
        for w_ours, w_ref in zip(ours.trainable_weights, ref.trainable_weights):
            np.testing.assert_allclose(w_ours.grad.numpy(), w_ref.value.grad.numpy(), rtol=1e-4, atol=1e-5 * scale)
            w_ours.grad, w_ref.value.grad = None, None
        for got_w, want_w in zip(ours.get_weights(), ref.get_weights()):
            np.testing.assert_allclose(got_w, want_w, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"renorm": True},
        {"renorm": True, "renorm_clipping": {"rmax": 1.2, "rmin": 0.9, "dmax": 0.1}, "renorm_momentum": 0.5},
        {"renorm": True, "scale": False, "momentum": 0.8},
    ],
)
def test_batch_renormalization_matches_keras(rng, kwargs):
    x = _normal(rng, 6, 3) * 2.0 + 0.5
    ref, ours = keras.layers.BatchNormalization(**kwargs), L.BatchNormalization(**kwargs)
    ref.build((6, 3))
    ours.build_from_shape((6, 3))
    assert [w.keras_name for w in ours.weights] == [w.name for w in ref.weights]
    weights = [np.abs(w + rng.normal(size=w.shape).astype("float32") * 0.3) for w in ref.get_weights()]
    ref.set_weights(weights)
    check_layer(ref, ours, x, trainings=(True, True, False))  # r and d use the renorm averages of the call before
    check_config(ref, ours)


def test_batch_norm_variance_is_exact_where_keras_cancels(rng):
    # Deliberate difference: Keras's torch backend takes the batch variance as E[x^2] - E[x]^2, which cancels in
    # float32 when the mean dwarfs the spread; torch's kernel (Welford) stays at the float64 value.
    x = (rng.normal(size=(64, 2)) * 0.05 + 300.0).astype("float32")
    exact = x.astype("float64").var(axis=0)
    ours, ref = L.BatchNormalization(momentum=0.0), keras.layers.BatchNormalization(momentum=0.0)
    ours(x, training=True)
    ref(x, training=True)
    np.testing.assert_allclose(ours.get_weights()[3], exact, rtol=1e-3)
    assert np.abs(ref.get_weights()[3] - exact).max() > 10 * np.abs(ours.get_weights()[3] - exact).max()


KERAS_CONFIG_CASES = [
    ("ReLU", (), {"max_value": 2.0}),
    ("LeakyReLU", (), {}),
    ("PReLU", (), {"shared_axes": [1]}),
    ("ELU", (), {}),
    ("Softmax", (), {"axis": 1}),
    ("Embedding", (5, 3), {"mask_zero": True}),
    ("Identity", (), {}),
    ("Masking", (), {"mask_value": -1.0}),
    ("Dropout", (0.3,), {"noise_shape": (None, 1)}),
    ("SpatialDropout1D", (0.3,), {}),
    ("SpatialDropout2D", (0.3,), {}),
    ("SpatialDropout3D", (0.3,), {}),
    ("GaussianNoise", (0.1,), {}),
    ("GaussianDropout", (0.1,), {}),
    ("ActivityRegularization", (), {"l1": 0.1}),
    ("BatchNormalization", (), {"momentum": 0.9}),
    ("BatchNormalization", (), {"renorm": True}),
    ("LayerNormalization", (), {"axis": [1, 2]}),
    ("Flatten", (), {}),
    ("Reshape", ((2, -1),), {}),
    ("Permute", ((2, 1),), {}),
    ("RepeatVector", (3,), {}),
    ("Add", (), {}),
    ("Subtract", (), {}),
    ("Multiply", (), {}),
    ("Average", (), {}),
    ("Maximum", (), {}),
    ("Minimum", (), {}),
    ("Concatenate", (), {"axis": 1}),
    ("Dot", ((1, 2),), {"normalize": True}),
]


@pytest.mark.parametrize("name, args, kwargs", KERAS_CONFIG_CASES)
def test_keras_configs_rebuild_cornu_layers(name, args, kwargs):
    # What a .keras file holds: Keras's own get_config(), built or not, must construct the cornu layer unchanged.
    ref = getattr(keras.layers, name)(*args, **kwargs)
    ours = getattr(L, name).from_config(ref.get_config())
    check_config(ref, ours)


def test_keras_lambda_config_loads_only_with_safe_mode_off():
    config = keras.layers.Lambda(lambda t: t * 3.0 - 1.0).get_config()
    with pytest.raises(ValueError, match="safe_mode=False"):
        L.Lambda.from_config(config)
    ours = L.Lambda.from_config(config, safe_mode=False)
    assert ours(np.array([[1.0, 2.0]])).tolist() == [[2.0, 5.0]]


def test_a_frozen_layer_reports_no_regularization_losses_as_in_keras():
    ours, ref = cornu.layers.Dense(2, kernel_regularizer="l2"), keras.layers.Dense(2, kernel_regularizer="l2")
    ours.build((None, 3))
    ref.build((None, 3))
    assert len(ours.losses) == len(ref.losses) == 1
    ours.trainable, ref.trainable = False, False
    assert len(ours.losses) == len(ref.losses) == 0
