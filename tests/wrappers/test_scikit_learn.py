"""Keras 2's KerasClassifier / KerasRegressor(build_fn=..., **sk_params) inside scikit-learn's model selection."""

import warnings

import numpy as np
import pytest

from cornu.layers import Dense
from cornu.models import Sequential
from cornu.optimizers import Adam
from cornu.wrappers.scikit_learn import KerasClassifier, KerasRegressor

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score  # noqa: E402


def _blobs(n=90, seed=0):
    """Three well separated classes in 4 features (labels 10, 20, 30: any sortable labels work)."""
    rng = np.random.default_rng(seed)
    labels = np.repeat([10, 20, 30], n // 3)
    centres = {10: [3, 0, 0, 0], 20: [0, 3, 0, 0], 30: [0, 0, 3, 0]}
    x = np.array([centres[label] for label in labels], "float32") + rng.normal(0, 0.3, (n, 4)).astype("float32")
    order = rng.permutation(n)
    return x[order], labels[order]


def make_classifier(units=8, loss="categorical_crossentropy"):
    model = Sequential()
    model.add(Dense(units, input_dim=4, activation="relu"))
    model.add(Dense(3, activation="softmax"))
    model.compile(loss=loss, optimizer=Adam(0.05), metrics=["accuracy"])
    return model


def test_grid_search_over_build_fn_and_fit_parameters():
    x, y = _blobs()
    clf = KerasClassifier(build_fn=make_classifier, epochs=1, batch_size=16, verbose=0)
    search = GridSearchCV(clf, {"units": [1, 16], "epochs": [1, 8]}, cv=2)
    search.fit(x, y)
    scores = dict(zip(map(str, search.cv_results_["params"]), search.cv_results_["mean_test_score"]))
    assert set(scores) == {str({"epochs": e, "units": u}) for e in (1, 8) for u in (1, 16)}
    assert search.best_params_["units"] == 16  # one hidden unit cannot separate three classes
    assert scores[str({"epochs": 8, "units": 16})] > 0.9 > scores[str({"epochs": 1, "units": 1})]
    best = search.best_estimator_
    assert best.model.layers[0].units == 16 and len(best.model.layers) == 2
    # score is the accuracy of evaluate, predict gives the original labels
    assert best.score(x, y) == pytest.approx(np.mean(best.predict(x) == y))
    assert set(best.predict(x)) <= {10, 20, 30}


def test_cross_val_score_with_sparse_labels_and_a_sparse_loss():
    x, y = _blobs()
    clf = KerasClassifier(
        build_fn=make_classifier, loss="sparse_categorical_crossentropy", epochs=10, batch_size=16, verbose=0
    )
    scores = cross_val_score(clf, x, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.9


def test_regressor_scores_minus_the_loss():
    x = np.random.default_rng(1).normal(size=(40, 3)).astype("float32")
    y = x @ np.array([1.0, -2.0, 0.5], "float32") + 3.0

    def make_regressor():
        model = Sequential([Dense(1, input_dim=3, kernel_initializer="zeros")])
        model.compile(loss="mse", optimizer="sgd")
        return model

    # no training: the model predicts 0, so each fold's score is minus the fold's mean of y**2
    folds = KFold(4)
    scores = cross_val_score(KerasRegressor(build_fn=make_regressor, epochs=0, verbose=0), x, y, cv=folds)
    expected = [-np.mean(y[test] ** 2) for _, test in folds.split(x)]
    np.testing.assert_allclose(scores, expected, rtol=1e-5)
    trained = KerasRegressor(build_fn=make_regressor, epochs=20, batch_size=8, verbose=0)
    trained.fit(x, y)
    assert trained.predict(x).shape == (40,) and trained.predict(x[:1]).shape == (1,)
    assert trained.score(x, y) > 0.1 * scores.mean()  # minus the loss: far closer to 0 after training


def test_binary_classifier_probabilities_and_labels():
    x, y = _blobs(60)
    y = (y == 10).astype(int)

    def make_binary():
        model = Sequential([Dense(1, input_dim=4, activation="sigmoid")])
        model.compile(loss="binary_crossentropy", optimizer=Adam(0.05), metrics=["acc"])
        return model

    clf = KerasClassifier(build_fn=make_binary, epochs=10, batch_size=8, verbose=0)
    clf.fit(x, y)
    proba = clf.predict_proba(x)
    p = clf.model.predict(x, verbose=0)
    np.testing.assert_allclose(proba, np.hstack([1 - p, p]), rtol=1e-6)
    assert clf.predict(x).shape == (60, 1)  # Keras 2's shape for one sigmoid output
    np.testing.assert_array_equal(clf.predict(x)[:, 0], (p[:, 0] > 0.5).astype(int))
    assert clf.score(x, y) > 0.9  # 'acc' (Keras 2's name) is found too


def test_nb_epoch_clone_and_illegal_parameters():
    x, y = _blobs(30)
    with pytest.warns(DeprecationWarning, match="`nb_epoch` is the Keras 1 name of `epochs`"):
        history = KerasClassifier(build_fn=make_classifier, nb_epoch=3, verbose=0).fit(x, y)
    assert len(history.history["loss"]) == 3  # fit returns the History, as in Keras 2
    clf = KerasClassifier(build_fn=make_classifier, units=4, epochs=2, verbose=0)
    copy = clone(clf)
    assert copy.get_params() == {"build_fn": make_classifier, "units": 4, "epochs": 2, "verbose": 0}
    assert copy.set_params(units=6) is copy and copy.sk_params["units"] == 6 and clf.sk_params["units"] == 4
    with pytest.raises(ValueError, match="'unit' is not a legal parameter of KerasClassifier"):
        KerasClassifier(build_fn=make_classifier, unit=4)
    with pytest.raises(ValueError, match="compile it with|Compile it with"):
        no_accuracy = KerasClassifier(build_fn=lambda: _compiled_without_accuracy(), epochs=1, verbose=0)
        no_accuracy.fit(x, y)
        no_accuracy.score(x, y)


def _compiled_without_accuracy():
    model = Sequential([Dense(3, input_dim=4, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    return model


def test_build_fn_may_be_an_object_with_call():
    class Builder:
        def __call__(self, units=3):
            return make_classifier(units)

    x, y = _blobs(30)
    clf = KerasClassifier(build_fn=Builder(), units=5, epochs=1, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(x, y)
    assert clf.model.layers[0].units == 5
