"""Keras 2's fit_generator / evaluate_generator / predict_generator: the modern methods' numbers."""

import numpy as np
import pytest

import cornu
import cornu.layers as L
from cornu.legacy.methods import evaluate_generator, fit_generator, predict_generator


def _model():
    model = cornu.Sequential([L.Dense(1, input_shape=(2,), kernel_initializer="ones")])
    model.compile(loss="mse", optimizer=cornu.optimizers.SGD(learning_rate=0.05))
    return model


def _batches():
    x = np.array([[1.0, 2.0], [0.5, -1.0]], dtype="float32")
    while True:
        yield x, x.sum(1, keepdims=True) * 0.5


def test_fit_generator_trains_as_fit_does():
    old, new = _model(), _model()
    with pytest.warns(
        DeprecationWarning, match=r"`model.fit_generator\(generator, ...\)` is Keras 2's; write `model.fit"
    ):
        old_history = fit_generator(old, _batches(), steps_per_epoch=3, epochs=2, verbose=0)
    new_history = new.fit(_batches(), steps_per_epoch=3, epochs=2, verbose=0)
    assert old_history.history == new_history.history and len(old_history.history["loss"]) == 2
    for a, b in zip(old.get_weights(), new.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.warns(DeprecationWarning):
        assert evaluate_generator(old, _batches(), steps=2) == new.evaluate(_batches(), steps=2, verbose=0)
    with pytest.warns(DeprecationWarning):
        np.testing.assert_array_equal(
            predict_generator(old, _batches(), steps=2), new.predict(_batches(), steps=2, verbose=0)
        )


def test_keras_1_names_and_sample_counts():
    model = _model()
    with pytest.warns(DeprecationWarning) as caught:
        history = fit_generator(model, _batches(), steps_per_epoch=1, nb_epoch=3, nb_worker=4, verbose=0)
    assert len(history.history["loss"]) == 3
    messages = [str(w.message) for w in caught]
    assert "`nb_epoch` is the Keras 1 name of `epochs`; write `epochs=3`." in messages
    assert "`nb_worker` is the Keras 1 name of `workers`; write `workers=4`." in messages
    assert any(m.startswith("`workers=4` is ignored") and "DataLoader" in m for m in messages)
    with pytest.raises(TypeError, match=r"Keras 1's count of samples.*`steps_per_epoch=600 // batch_size`"):
        fit_generator(model, _batches(), samples_per_epoch=600, nb_epoch=1)
    with pytest.raises(TypeError, match=r"`steps=60 // batch_size`"):
        predict_generator(model, _batches(), val_samples=60)


def test_float_step_counts_run_whole_batches_as_keras_2_did():
    model = _model()
    with pytest.warns(DeprecationWarning) as caught:
        fit_generator(model, _batches(), steps_per_epoch=10 / 4, epochs=2, verbose=0)
        predictions = predict_generator(model, _batches(), steps=1.5)
    assert int(model.optimizer.iterations) == 2 * 3  # ceil(2.5) batches per epoch
    assert predictions.shape == (2 * 2, 1)  # ceil(1.5) batches of 2
    messages = [str(w.message) for w in caught]
    assert "`steps_per_epoch=2.5` is a float; Keras 2 ran 3 batches for it" in " ".join(messages)
    assert any("Write `steps=2`" in m for m in messages)


class _Ramp:
    """A Keras 2 style Sequence (no base class): batch i is rows 4i..4i+3; records the threads that built it."""

    def __init__(self):
        self.threads, self.epochs = set(), 0

    def __len__(self):
        return 3

    def __getitem__(self, index):
        import threading

        self.threads.add(threading.get_ident())
        x = np.arange(8 * index, 8 * index + 8, dtype="float32").reshape(4, 2) / 10
        return x, x.sum(1, keepdims=True)

    def on_epoch_end(self):
        self.epochs += 1


def test_workers_load_a_sequence_in_parallel_with_the_same_result():
    import threading
    import warnings

    serial, parallel = _Ramp(), _Ramp()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = _model(), _model()
        fit_generator(a, serial, epochs=2, verbose=0, shuffle=False)
        fit_generator(b, parallel, epochs=2, verbose=0, shuffle=False, workers=3, max_queue_size=2)
        assert predict_generator(a, serial).tolist() == predict_generator(b, parallel, workers=2).tolist()
    for got, want in zip(b.get_weights(), a.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert parallel.epochs == serial.epochs == 3  # the user's on_epoch_end still runs: 2 epochs and 1 predict pass
    assert threading.get_ident() not in parallel.threads and serial.threads == {threading.get_ident()}


def test_workers_on_a_python_generator_say_what_to_do_instead():
    from cornu.legacy.translate import _WARNED

    _WARNED.discard(("Model", "workers"))  # warned once per process: make this test see it
    with pytest.warns(DeprecationWarning, match=r"`workers=4` is ignored for a Python generator.*Sequence"):
        fit_generator(_model(), _batches(), steps_per_epoch=1, epochs=1, verbose=0, workers=4)
