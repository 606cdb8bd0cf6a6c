"""compile(jit_compile=True): the same losses, weights, predictions and evaluations as the eager steps; a bounded
number of compilations whatever the batch sizes; an eager fallback with one warning; "auto" is eager.

Most tests compile with torch.compile's "aot_eager" backend (the same graph capture and forward/backward split as
inductor, without generating code, so they stay fast); one test runs inductor itself."""

import warnings

import numpy as np
import pytest
import torch

import cornu
from cornu.layers import Dense, Dropout
from cornu.mixed_precision import set_global_policy
from cornu.trainers import jit

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 5)).astype("float32")
Y = np.eye(3, dtype="float32")[RNG.integers(0, 3, 40)]


@pytest.fixture(autouse=True)
def _fast_backend(monkeypatch):
    monkeypatch.setattr(jit, "BACKEND", "aot_eager")
    torch._dynamo.reset()
    yield
    set_global_policy("float32")


def _model(jit_compile, **compile_kwargs):
    cornu.backend.set_random_seed(0)
    model = cornu.models.Sequential(
        [cornu.Input((5,)), Dense(8, activation="relu", kernel_regularizer="l2"), Dense(3, activation="softmax")]
    )
    model.compile(
        optimizer="adam",
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=jit_compile,
        **compile_kwargs,
    )
    return model


def _train(jit_compile):
    model = _model(jit_compile)
    history = model.fit(X, Y, batch_size=16, epochs=3, verbose=0, shuffle=False, validation_split=0.25)
    return model, history.history


def test_jit_matches_eager_losses_weights_predictions_and_evaluation():
    eager, eager_history = _train(False)
    compiled, compiled_history = _train(True)
    assert compiled.jit_compile and not eager.jit_compile
    for key in eager_history:
        np.testing.assert_allclose(compiled_history[key], eager_history[key], rtol=1e-5, atol=1e-6)
    for a, b in zip(eager.get_weights(), compiled.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        compiled.predict(X, batch_size=16, verbose=0), eager.predict(X, batch_size=16, verbose=0), atol=1e-6
    )
    np.testing.assert_allclose(compiled.evaluate(X, Y, verbose=0), eager.evaluate(X, Y, verbose=0), rtol=1e-6)


def test_auto_and_false_run_eagerly():
    assert _model("auto").jit_compile is False and _model(False).jit_compile is False
    assert _model(False)._compiled_steps is None


def test_run_eagerly_wins_over_jit_compile_with_a_warning():
    with pytest.warns(UserWarning, match="run_eagerly wins"):
        model = _model(True, run_eagerly=True)
    assert model.jit_compile is False


def test_bad_jit_compile_value():
    with pytest.raises(ValueError, match="jit_compile must be True, False or 'auto'"):
        _model("yes")


def test_batch_sizes_beyond_the_static_ones_share_one_dynamic_graph():
    model = _model(True)
    model.fit(X, Y, batch_size=16, epochs=1, verbose=0)  # 16, 16, 8: two signatures
    model.fit(X, Y, batch_size=7, epochs=1, verbose=0)  # 7 and 5: more signatures than the static limit
    model.fit(X, Y, batch_size=9, epochs=1, verbose=0)  # 9 and 4: the dynamic graph again, no new compile
    cache = model._compiled_steps._functions["train"]
    assert len(cache.seen) == jit.STATIC_SIGNATURES
    assert cache.dynamic is not None
    eager = _model(False)
    np.testing.assert_allclose(model.predict(X[:3], verbose=0), model(X[:3]).detach().cpu().numpy(), atol=1e-6)
    assert eager.jit_compile is False


def test_predict_pads_the_last_batch_instead_of_compiling_its_shape():
    model = _model(True)
    expected = model(X).detach().cpu().numpy()
    for rows in (40, 37, 33, 21):  # last batches of 8, 5, 1 and 5 rows: all padded to 16
        np.testing.assert_allclose(model.predict(X[:rows], batch_size=16, verbose=0), expected[:rows], atol=1e-6)
    assert model._compiled_steps._functions["predict"].seen == {((16, 5), torch.float32)}


def test_compiler_failure_falls_back_to_eager_with_one_warning(monkeypatch):
    def broken(function, dynamic, mode):
        def fail(*args):
            raise RuntimeError("backend exploded")

        return fail

    monkeypatch.setattr(jit, "_compile", broken)
    eager, eager_history = _train(False)
    with pytest.warns(UserWarning, match="could not compile the train step") as record:
        compiled, compiled_history = _train(True)
    assert len([w for w in record if "could not compile" in str(w.message)]) == 1
    assert compiled._compiled_steps.failed
    np.testing.assert_allclose(compiled_history["loss"], eager_history["loss"], rtol=1e-6)


def test_user_errors_raise_as_eager_ones_without_disabling_jit():
    model = _model(True)
    model.fit(X, Y, batch_size=20, epochs=1, verbose=0)
    state = model._training_state()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning: the error is the user's
        with pytest.raises(ValueError, match="Dense|dense"):  # eager's message, not a compiler traceback
            model._train_step(torch.ones(20, 4), torch.from_numpy(Y[:20]), None, state)
    assert not model._compiled_steps.failed


def test_dropout_and_training_flag_inside_the_compiled_step():
    cornu.backend.set_random_seed(0)
    model = cornu.models.Sequential([cornu.Input((5,)), Dense(8), Dropout(0.5), Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", jit_compile=True)
    model.fit(X, Y, batch_size=20, epochs=1, verbose=0)
    first, second = model.predict(X, verbose=0), model.predict(X, verbose=0)
    np.testing.assert_array_equal(first, second)  # inference: no dropout in the compiled predict


def test_jit_under_mixed_bfloat16():
    set_global_policy("mixed_bfloat16")
    losses = []
    for flag in (False, True):
        model = _model(flag)
        losses.append(model.fit(X, Y, batch_size=20, epochs=2, verbose=0, shuffle=False).history["loss"])
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-2)
    assert all(w.dtype == torch.float32 for w in model.weights)
    assert model.layers[0](X[:2]).dtype == torch.bfloat16


def test_inductor_compiles_the_train_step(monkeypatch):
    monkeypatch.setattr(jit, "BACKEND", "inductor")
    x, y = X[:32], Y[:32]
    histories = []
    for flag in (False, True):
        model = _model(flag)
        histories.append(model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False).history["loss"])
    np.testing.assert_allclose(histories[1], histories[0], rtol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA device")
def test_small_models_on_cuda_replay_cuda_graphs(monkeypatch):
    monkeypatch.setattr(jit, "BACKEND", "inductor")
    model = _model(True)
    model.to("cuda")
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0)
    assert model._compiled_steps.cuda_graphs and model._compiled_steps.mode == "reduce-overhead"
    eager = _model(False).to("cuda")
    eager.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(X, verbose=0), eager.predict(X, verbose=0), atol=1e-5)
