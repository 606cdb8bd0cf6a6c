"""Every row of the legacy table: the warning names the modern spelling, and the result equals the modern spelling's.

Rows for classes that cornu does not have yet (Conv2D, LSTM, pooling) are checked on stand-in classes of the same
name: the table is keyed by class name, so those classes get their rows by being called that.
"""

import re
import warnings

import numpy as np
import pytest
import torch

import cornu.layers as L
import cornu.optimizers as O
import cornu.regularizers as R
from cornu.legacy.table import DROPPED, MODERN, RENAMED, REWRITTEN, owners_of
from cornu.legacy.translate import translate
from cornu.models import Model


class Layer:  # stand-ins for classes that land later: only their names matter to the table
    pass


def stand_in(owner):
    if owner in ("Layer", "Optimizer"):
        return {"Layer": Layer, "Optimizer": O.Optimizer}[owner]
    if "." in owner:  # a method: "Model.fit"
        return owner
    return type(owner, (Layer,), {})


# A sample old value per renamed argument, and what Keras 3 spells it as (the same, unless a converter maps it).
SAMPLES = {
    "dim_ordering": ("th", "channels_first"),
    "bias": (False, False),
    "border_mode": ("same", "same"),
    "subsample": ((2, 2), (2, 2)),
}


def sample(old):
    return SAMPLES.get(old, (7, 7))


@pytest.mark.parametrize("owner, old", sorted(RENAMED))
def test_renamed_row_translates_with_a_warning_naming_the_modern_spelling(owner, old):
    new, _ = RENAMED[(owner, old)]
    value, expected = sample(old)
    with pytest.warns(DeprecationWarning) as caught:
        out = translate(stand_in(owner), {old: value, "name": "x"})
    assert out == {"name": "x", new: expected}
    message = str(caught[0].message)
    assert re.fullmatch(
        rf"`{old}` is the Keras [12] name of `{new}`; write `{new}={re.escape(repr(expected))}`\.", message
    )
    assert caught[0].filename == __file__  # the warning points at the caller's line, not at cornu


@pytest.mark.parametrize("owner, old", sorted(RENAMED))
def test_renamed_row_warns_once_per_spelling(owner, old):
    value, _ = sample(old)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            translate(stand_in(owner), {old: value})
    assert len([w for w in caught if issubclass(w.category, DeprecationWarning)]) == 1


def test_converters_refuse_values_without_a_modern_form():
    with pytest.raises(ValueError, match="data_format='channels_last'"):
        translate(stand_in("Conv2D"), {"dim_ordering": "xy"})
    assert translate(stand_in("Conv2D"), {"dim_ordering": "tf"}) == {"data_format": "channels_last"}
    assert translate(stand_in("MaxPooling2D"), {"dim_ordering": "default"}) == {"data_format": None}


# ----------------------------------------------------------------------------- same object as the modern spelling
def _config(obj):
    config = obj.get_config()
    config.pop("name", None)
    return config


def _layer_pairs():
    """(row, object from the old spelling (translated), object from the modern spelling)."""
    l2 = R.L2(0.1)
    cases = [
        (("Dense", "output_dim"), L.Dense, {"output_dim": 3}, {"units": 3}),
        (("Layer", "init"), L.Dense, {"units": 3, "init": "ones"}, {"units": 3, "kernel_initializer": "ones"}),
        (("Layer", "W_regularizer"), L.Dense, {"units": 3, "W_regularizer": l2},
         {"units": 3, "kernel_regularizer": l2}),
        (("Layer", "b_regularizer"), L.Dense, {"units": 3, "b_regularizer": l2}, {"units": 3, "bias_regularizer": l2}),
        (("Layer", "W_constraint"), L.Dense, {"units": 3, "W_constraint": "non_neg"},
         {"units": 3, "kernel_constraint": "non_neg"}),
        (("Layer", "b_constraint"), L.Dense, {"units": 3, "b_constraint": "non_neg"},
         {"units": 3, "bias_constraint": "non_neg"}),
        (("Layer", "bias"), L.Dense, {"units": 3, "bias": False}, {"units": 3, "use_bias": False}),
        (("Dropout", "p"), L.Dropout, {"p": 0.25, "seed": 3}, {"rate": 0.25, "seed": 3}),
        (("GaussianDropout", "p"), L.GaussianDropout, {"p": 0.25, "seed": 3}, {"rate": 0.25, "seed": 3}),
        (("GaussianNoise", "sigma"), L.GaussianNoise, {"sigma": 0.5, "seed": 3}, {"stddev": 0.5, "seed": 3}),
        (("Embedding", "init"), L.Embedding, {"input_dim": 5, "output_dim": 2, "init": "ones"},
         {"input_dim": 5, "output_dim": 2, "embeddings_initializer": "ones"}),
        (("Embedding", "W_regularizer"), L.Embedding, {"input_dim": 5, "output_dim": 2, "W_regularizer": l2},
         {"input_dim": 5, "output_dim": 2, "embeddings_regularizer": l2}),
        (("Embedding", "W_constraint"), L.Embedding, {"input_dim": 5, "output_dim": 2, "W_constraint": "non_neg"},
         {"input_dim": 5, "output_dim": 2, "embeddings_constraint": "non_neg"}),
        (("LeakyReLU", "alpha"), L.LeakyReLU, {"alpha": 0.02}, {"negative_slope": 0.02}),
        (("PReLU", "init"), L.PReLU, {"init": "ones"}, {"alpha_initializer": "ones"}),
        (("BatchNormalization", "beta_init"), L.BatchNormalization, {"beta_init": "ones"},
         {"beta_initializer": "ones"}),
        (("BatchNormalization", "gamma_init"), L.BatchNormalization, {"gamma_init": "zeros"},
         {"gamma_initializer": "zeros"}),
    ]  # fmt: skip
    return {row: (cls, old, new) for row, cls, old, new in cases}


LAYER_PAIRS = _layer_pairs()


@pytest.mark.parametrize("row", sorted(LAYER_PAIRS))
def test_old_spelling_builds_the_same_layer_with_the_same_numbers(row):
    cls, old_kwargs, new_kwargs = LAYER_PAIRS[row]
    with pytest.warns(DeprecationWarning, match=f"`{row[1]}` is the Keras"):
        old = cls(**translate(cls, old_kwargs))
    new = cls(**new_kwargs)
    assert _config(old) == _config(new)
    x = np.array([[0, 1, 2], [3, 4, 0]]) if cls is L.Embedding else np.linspace(-1, 1, 8).reshape(2, 4)
    old.build_from_shape(x.shape), new.build_from_shape(x.shape)
    new.set_weights(old.get_weights())
    torch.manual_seed(0)
    a = old(x, training=True)
    torch.manual_seed(0)
    b = new(x, training=True)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert [v.item() for v in old.losses] == [v.item() for v in new.losses]


# Rows of layers that may land in cornu at any time: when the class exists, the same-layer test runs for it.
LATER_BASE = {
    "SimpleRNN": ({"units": 2}, (2, 3, 4)),
    "GRU": ({"units": 2}, (2, 3, 4)),
    "LSTM": ({"units": 2}, (2, 3, 4)),
    "Conv1D": ({"filters": 2, "kernel_size": 2}, (2, 6, 3)),
    "Conv2D": ({"filters": 2, "kernel_size": (2, 2)}, (2, 6, 6, 3)),
    "MaxPooling1D": ({"pool_size": 2}, (2, 6, 3)),
    "AveragePooling1D": ({"pool_size": 2}, (2, 6, 3)),
    "UpSampling1D": ({"size": 2}, (2, 3, 2)),
}
LATER_VALUES = {
    "output_dim": 3, "inner_init": "ones", "inner_activation": "hard_sigmoid", "U_regularizer": R.L2(0.1),
    "U_constraint": "non_neg", "dropout_W": 0.1, "dropout_U": 0.1, "filter_length": 3, "subsample_length": 2,
    "atrous_rate": 2, "pool_length": 3, "stride": 1, "length": 3, "border_mode": "same", "subsample": (2, 2),
    "nb_filter": 3, "dim_ordering": "tf", "init": "ones", "W_regularizer": R.L2(0.1), "b_regularizer": R.L2(0.1),
    "W_constraint": "non_neg", "b_constraint": "non_neg", "bias": False,
}  # fmt: skip
LATER_ROWS = [
    (cls_name, row)
    for cls_name in LATER_BASE
    for row in sorted(RENAMED)
    if row[0] == cls_name or (row[0] == "Layer" and cls_name == "Conv2D")
]


@pytest.mark.parametrize("cls_name, row", LATER_ROWS)
def test_old_spelling_builds_the_same_later_layer(cls_name, row):
    cls = getattr(L, cls_name, None)
    if cls is None:
        pytest.skip(f"cornu has no {cls_name} yet (its translation is tested on a stand-in above)")
    base, shape = LATER_BASE[cls_name]
    new_name, convert = RENAMED[row]
    value = LATER_VALUES[row[1]]
    base = {k: v for k, v in base.items() if k != new_name}
    with pytest.warns(DeprecationWarning, match=f"`{row[1]}` is the Keras"):
        old = cls(**translate(cls, {**base, row[1]: value}))
    new = cls(**base, **{new_name: convert(value) if convert else value})
    assert _config(old) == _config(new)
    x = np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype("float32")
    old.build_from_shape(x.shape), new.build_from_shape(x.shape)
    new.set_weights(old.get_weights())
    np.testing.assert_array_equal(old(x).detach().numpy(), new(x).detach().numpy())


def test_layer_rows_cover_every_renamed_row_of_a_class_cornu_has():
    have = {name for name in L.__all__} | {"Layer"}
    covered = set(LAYER_PAIRS) | {row for _, row in LATER_ROWS}
    covered |= {("Model", "input"), ("Model", "output"), ("Model.fit", "nb_epoch"), ("Optimizer", "lr")}
    missing = [row for row in RENAMED if row[0] in have and row not in covered]
    assert missing == []


def test_model_input_output_is_the_same_functional_model():
    x = L.Input((3,))
    y = L.Dense(2)(x)
    with pytest.warns(DeprecationWarning, match=r"`input` is the Keras 1 name of `inputs`; write `inputs=\.\.\.`"):
        old = Model(**translate(Model, {"input": x, "output": y}))
    new = Model(inputs=x, outputs=y)
    data = np.arange(6.0).reshape(2, 3)
    assert type(old) is type(new)
    np.testing.assert_array_equal(old.predict(data, verbose=0), new.predict(data, verbose=0))


def test_fit_nb_epoch_trains_the_same_epochs_to_the_same_weights():
    from cornu.legacy.translate import legacy_method
    from cornu.models import Sequential

    def trained(**fit_kwargs):
        model = Sequential([L.Dense(1, input_shape=(2,), kernel_initializer="ones")])
        model.compile(loss="mse", optimizer=O.SGD(learning_rate=0.1))
        fit = legacy_method("Model.fit")(type(model).fit)
        x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0], [2.0]])
        history = fit(model, x, y, batch_size=2, verbose=0, shuffle=False, **fit_kwargs)
        return history.epoch, model.get_weights()

    with pytest.warns(DeprecationWarning, match="`nb_epoch` is the Keras 1 name of `epochs`; write `epochs=3`."):
        old_epochs, old_weights = trained(nb_epoch=3)
    new_epochs, new_weights = trained(epochs=3)
    assert old_epochs == new_epochs == [0, 1, 2]
    for a, b in zip(old_weights, new_weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_optimizer_lr_is_the_same_update():
    w_old, w_new = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    with pytest.warns(
        DeprecationWarning, match="`lr` is the Keras 2 name of `learning_rate`; write `learning_rate=0.3`"
    ):
        old = O.Adam(lr=0.3)
    new = O.Adam(learning_rate=0.3)
    for _ in range(3):
        old.apply([torch.tensor([1.0, -2.0])], [w_old])
        new.apply([torch.tensor([1.0, -2.0])], [w_new])
    assert _config(old) == _config(new)
    torch.testing.assert_close(w_old, w_new, rtol=0, atol=0)


# ---------------------------------------------------------------------------------- rewrites, drops, modern names
def test_nb_row_nb_col_become_one_kernel_size():
    conv = stand_in("Conv2D")
    with pytest.warns(DeprecationWarning, match=r"`nb_row` is a Keras 1 argument; write `kernel_size=\(3, 5\)`"):
        assert translate(conv, {"nb_filter": 8, "nb_row": 3, "nb_col": 5}) == {"filters": 8, "kernel_size": (3, 5)}
    with pytest.warns(DeprecationWarning, match=r"kernel_size=\(2, 4\)"):
        assert translate(conv, {"nb_col": 4, "nb_row": 2}) == {"kernel_size": (2, 4)}
    with pytest.raises(TypeError, match=r"without `nb_col`. Write kernel_size=\(rows, cols\)"):
        translate(conv, {"nb_row": 3})


def test_batch_normalization_mode_zero_is_dropped_and_other_modes_refused():
    with pytest.warns(DeprecationWarning, match="`mode=0` is a Keras 1 argument that changes nothing here; remove it."):
        assert translate(L.BatchNormalization, {"mode": 0, "axis": 1}) == {"axis": 1}
    with pytest.raises(ValueError, match=r"mode=2.*LayerNormalization\(\)"):
        translate(L.BatchNormalization, {"mode": 2})


def test_optimizer_decay_row_is_a_schedule():
    (row,) = [row for row in REWRITTEN if row[1] == "decay"]
    with pytest.warns(DeprecationWarning, match=r"InverseTimeDecay\(0.5, decay_steps=1, decay_rate=0.1\)"):
        out = translate(O.SGD, {"learning_rate": 0.5, row[1]: 0.1})
    assert [out["learning_rate"](t) for t in (0, 10)] == [0.5, 0.25]


DROPPED_BASE = {"Embedding": {"input_dim": 5, "output_dim": 2}, "SimpleRNN": {"units": 2}, "GRU": {"units": 2},
                "LSTM": {"units": 2}}  # fmt: skip


@pytest.mark.parametrize("owner, old", sorted(DROPPED))
def test_dropped_row_is_removed_with_a_warning_and_gives_the_same_layer(owner, old):
    cls = getattr(L, owner, None) or stand_in(owner)
    with pytest.warns(DeprecationWarning, match=f"`{old}` is a Keras [12] argument of {owner} that changes nothing"):
        kwargs = translate(cls, {**DROPPED_BASE[owner], old: 10})
    assert kwargs == DROPPED_BASE[owner]
    if cls.__module__.startswith("cornu"):
        assert _config(cls(**kwargs)) == _config(cls(**DROPPED_BASE[owner]))


@pytest.mark.parametrize("owner, name", sorted(MODERN))
def test_modern_names_that_look_old_are_left_alone_without_a_warning(owner, name):
    cls = getattr(L, owner, None) or stand_in(owner)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert translate(cls, {name: 3}) == {name: 3}


def test_input_dim_on_dense_stays_modern():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer = L.Dense(**translate(L.Dense, {"units": 2, "input_dim": 4}))
    assert layer._batch_input_shape == (None, 4)


def test_owners_of_indexes_the_table():
    assert owners_of("output_dim") == ["Dense", "GRU", "LSTM", "SimpleRNN"]
    assert owners_of("nb_epoch") == ["Model.fit", "Model.fit_generator"]
    assert owners_of("units") == []


def test_the_readme_table_lists_every_old_spelling():
    import pathlib

    import cornu.legacy
    from cornu.legacy.table import OLD_NAMES

    readme = (pathlib.Path(cornu.legacy.__file__).parent / "README.md").read_text()
    missing = sorted(old for old in OLD_NAMES if not re.search(rf"(?<![A-Za-z_]){old}(=|`)", readme))
    assert missing == []
