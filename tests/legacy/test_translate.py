"""translate(), the constructor wrappers, and how the warning reads."""

import inspect
import warnings

import numpy as np
import pytest

import cornu.layers as L
from cornu.layers.base import Layer
from cornu.legacy.translate import legacy_arguments, legacy_method, translate


def test_the_warning_is_the_line_to_write():
    with pytest.warns(DeprecationWarning) as caught:
        out = translate("Model.fit", {"nb_epoch": 20, "batch_size": 100})
    assert out == {"batch_size": 100, "epochs": 20}
    assert str(caught[0].message) == "`nb_epoch` is the Keras 1 name of `epochs`; write `epochs=20`."
    assert caught[0].filename == __file__


def test_modern_kwargs_are_returned_as_they_are():
    kwargs = {"units": 3, "activation": "relu"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert translate(L.Dense, kwargs) is kwargs
        assert translate(L.Dense, {}) == {}


def test_the_callers_dict_is_not_changed():
    kwargs = {"output_dim": 3}
    with pytest.warns(DeprecationWarning):
        assert translate(L.Dense, kwargs) == {"units": 3}
    assert kwargs == {"output_dim": 3}


def test_old_and_new_name_together_are_refused():
    with pytest.raises(
        TypeError, match=r"Dense received both `output_dim` \(Keras 1\) and `units`.*Keep only `units=4`"
    ):
        translate(L.Dense, {"output_dim": 3, "units": 4})


def test_the_most_specific_owner_wins():
    with pytest.warns(DeprecationWarning, match="`embeddings_initializer"):
        assert translate(L.Embedding, {"init": "ones"}) == {"embeddings_initializer": "ones"}
    with pytest.warns(DeprecationWarning, match="`kernel_initializer"):
        assert translate(L.Dense, {"init": "ones"}) == {"kernel_initializer": "ones"}


def test_an_old_name_of_another_class_is_left_for_the_class_to_refuse():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert translate(L.Dense, {"p": 0.5}) == {"p": 0.5}  # `p` is Dropout's old name, not Dense's
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Dense"):
        L.Dense(3, p=0.5)


def test_a_custom_layer_keeps_its_own_argument_names():
    class Custom(Layer):  # Keras 2's own custom-layer tutorial names its argument `output_dim`
        def __init__(self, output_dim, bias=True, **kwargs):
            super().__init__(**kwargs)
            self.output_dim, self.bias = output_dim, bias

    class CustomDense(L.Dense):
        def __init__(self, units, init="zeros", **kwargs):
            super().__init__(units, kernel_initializer=init, **kwargs)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert translate(Custom, {"output_dim": 3, "bias": False}) == {"output_dim": 3, "bias": False}
        assert translate(CustomDense, {"units": 2, "init": "ones"}) == {"units": 2, "init": "ones"}


def test_legacy_arguments_wraps_init_once_and_keeps_its_signature():
    class Thing:
        def __init__(self, units, use_bias=True):
            self.units, self.use_bias = units, use_bias

    Dense = type("Dense", (Thing,), {"__init__": lambda self, units, **kw: Thing.__init__(self, units, **kw)})
    legacy_arguments(Dense)
    wrapped = Dense.__init__
    legacy_arguments(Dense)
    assert Dense.__init__ is wrapped
    assert list(inspect.signature(Dense.__init__).parameters) == ["self", "units", "kw"]
    with pytest.warns(DeprecationWarning, match="write `units=4`") as caught:
        assert Dense(output_dim=4).units == 4
    assert caught[0].filename == __file__  # through the wrapper, still the caller's line


def test_legacy_method_translates_and_keeps_declared_names():
    @legacy_method("Model.fit")
    def fit(x=None, epochs=1, nb_epoch="mine"):
        return epochs, nb_epoch

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fit(nb_epoch=5) == (1, 5)  # a function that declares `nb_epoch` itself keeps it

    @legacy_method("Model.fit")
    def fit2(x=None, epochs=1):
        return epochs

    with pytest.warns(DeprecationWarning, match="write `epochs=5`"):
        assert fit2(nb_epoch=5) == 5


def _wired():
    return getattr(L.Dense.__init__, "_cornu_legacy", False)


@pytest.mark.skipif(not _wired(), reason="Layer.__init_subclass__ does not call legacy_arguments yet")
def test_seed_spellings_build_layers_directly():
    """The seeds' lines, as written: Dense(input_dim=28 * 28, output_dim=500), Dropout(p=0.5), LeakyReLU(alpha=.02)."""
    with pytest.warns(DeprecationWarning, match="write `units=500`"):
        dense = L.Dense(input_dim=28 * 28, output_dim=500)
    assert (dense.units, dense._batch_input_shape) == (500, (None, 784))
    with pytest.warns(DeprecationWarning, match="write `rate=0.5`"):
        assert L.Dropout(p=0.5).rate == 0.5
    with pytest.warns(DeprecationWarning, match="write `negative_slope=0.02`"):
        assert L.LeakyReLU(alpha=0.02)(np.array([[-1.0]])).item() == pytest.approx(-0.02)
