"""Keras 3's SKLearnClassifier / SKLearnRegressor / SKLearnTransformer in scikit-learn's model selection."""

import numpy as np
import pytest

import cornu
from cornu.layers import Dense, Input
from cornu.models import Model, Sequential
from cornu.optimizers import Adam
from cornu.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402


def dynamic_model(X, y, loss="categorical_crossentropy", hidden=8, out_activation="softmax"):
    """Keras's documented pattern: the input and output widths come from the data the wrapper hands over."""
    inputs = Input(shape=(X.shape[1],))
    hidden_out = Dense(hidden, activation="relu")(inputs)
    outputs = Dense(y.shape[1] if y.ndim > 1 else 1, activation=out_activation)(hidden_out)
    model = Model(inputs, outputs)
    model.compile(loss=loss, optimizer=Adam(0.05))
    return model


def _labelled(n=60, seed=0):
    rng = np.random.default_rng(seed)
    names = np.array(["cat", "dog", "eel"])
    index = np.arange(n) % 3
    x = np.eye(3, 4)[index] * 3 + rng.normal(0, 0.3, (n, 4))
    return x.astype("float32"), names[index]


def test_classifier_labels_grid_search_and_cross_validation():
    x, y = _labelled()
    clf = SKLearnClassifier(dynamic_model, fit_kwargs={"epochs": 8, "batch_size": 10, "verbose": 0})
    clf.fit(x, y)
    assert clf.classes_.tolist() == ["cat", "dog", "eel"] and clf.n_features_in_ == 4
    assert clf.model_.output_shape == (None, 3)  # y reached the builder one-hot encoded
    raw = clf.decision_function(x)
    np.testing.assert_array_equal(clf.predict(x), clf.classes_[raw.argmax(axis=1)])
    assert clf.score(x, y) > 0.9 and clf.epoch_ == 8 and len(clf.history_["loss"]) == 8
    search = GridSearchCV(clf, {"model_kwargs": [{"hidden": 1}, {"hidden": 16}]}, cv=2).fit(x, y)
    assert search.best_params_ == {"model_kwargs": {"hidden": 16}}
    assert search.best_estimator_.model_.layers[1].units == 16
    scores = cross_val_score(clf, x, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8


def test_a_compiled_model_instance_is_cloned_with_fresh_weights():
    x, y = _labelled()
    model = Sequential([Dense(3, input_dim=4, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer=Adam(0.05), metrics=["accuracy"])
    before = model.get_weights()[0].copy()
    clf = SKLearnClassifier(model, fit_kwargs={"epochs": 3, "verbose": 0}).fit(x, y)
    assert clf.model_ is not model and clf.model_.compiled and clf.model_.loss == "categorical_crossentropy"
    assert type(clf.model_.optimizer) is Adam and clf.model_.optimizer.learning_rate == pytest.approx(0.05)
    np.testing.assert_array_equal(model.get_weights()[0], before)  # the given model is left alone


def test_warm_start_keeps_training_the_fitted_model():
    x, y = _labelled()
    clf = SKLearnClassifier(dynamic_model, warm_start=True, fit_kwargs={"epochs": 1, "verbose": 0}).fit(x, y)
    first = clf.model_
    clf.fit(x, y)
    assert clf.model_ is first and int(first.optimizer.iterations) == 2 * 2  # two fits of 2 batches of 32
    cold = SKLearnClassifier(dynamic_model, fit_kwargs={"epochs": 1, "verbose": 0}).fit(x, y)
    first_cold = cold.model_
    assert cold.fit(x, y).model_ is not first_cold


def test_regressor_r2_and_shapes():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 3)).astype("float32")
    y = x @ np.array([1.0, -1.0, 2.0], "float32")

    def linear(X, y):
        model = Sequential([Dense(1, input_dim=X.shape[1], kernel_initializer="zeros")])
        model.compile(loss="mse", optimizer="sgd")
        return model

    untrained = SKLearnRegressor(linear, fit_kwargs={"epochs": 0, "verbose": 0}).fit(x, y)
    np.testing.assert_array_equal(untrained.predict(x), np.zeros(50, "float32"))  # 1-D, as y was
    # RegressorMixin.score is R^2: for a model that predicts 0 it is 1 - sum(y^2) / sum((y - mean)^2)
    expected = 1 - np.sum(y**2) / np.sum((y - y.mean()) ** 2)
    assert untrained.score(x, y) == pytest.approx(expected, rel=1e-5)
    trained = SKLearnRegressor(linear, fit_kwargs={"epochs": 40, "batch_size": 10, "verbose": 0}).fit(x, y)
    assert trained.score(x, y) > 0.95


def test_transformer_in_a_pipeline():
    x, y = _labelled()

    def embedding(X, y):
        model = Sequential([Dense(2, input_dim=X.shape[1], activation="tanh"), Dense(1)])
        model.compile(loss="mse", optimizer="sgd")
        return model

    pipe = make_pipeline(SKLearnTransformer(embedding, fit_kwargs={"epochs": 2, "verbose": 0}), LogisticRegression())
    pipe.fit(x, (y == "cat").astype(float))
    features = pipe[0].transform(x)
    assert features.shape == (60, 1)
    np.testing.assert_allclose(features, pipe[0].model_.predict(x, verbose=0), rtol=1e-6)


def test_fit_kwargs_survive_clone_and_fit_arguments():
    """Deliberate differences from Keras 3.15's code: its `__sklearn_clone__` drops `fit_kwargs` (so GridSearchCV's
    clones trained one epoch) and its `fit(**kwargs)` writes into `fit_kwargs`; cornu keeps `fit_kwargs` as given."""
    x, y = _labelled()
    clf = SKLearnClassifier(dynamic_model, fit_kwargs={"epochs": 3, "verbose": 0})
    assert clone(clf).fit_kwargs == {"epochs": 3, "verbose": 0}
    clf.fit(x, y, epochs=1)  # fit's own arguments win for this fit only
    assert clf.epoch_ == 1 and clf.fit_kwargs == {"epochs": 3, "verbose": 0}
    assert clone(clf).fit(x, y).epoch_ == 3


def test_errors_name_the_fix():
    x, y = _labelled()
    uncompiled = Sequential([Dense(3, input_dim=4)])
    with pytest.raises(RuntimeError, match=r"model.compile\(loss=..., optimizer=...\)"):
        SKLearnClassifier(lambda X, y: uncompiled).fit(x, y)
    with pytest.raises(ValueError, match="at least two classes"):
        SKLearnClassifier(dynamic_model).fit(x, np.array(["cat"] * 60))
    with pytest.raises(ValueError, match="binary or multiclass labels.*SKLearnRegressor"):
        SKLearnClassifier(dynamic_model).fit(x, np.linspace(0, 1, 60))
    assert cornu.wrappers.SKLearnClassifier is SKLearnClassifier
