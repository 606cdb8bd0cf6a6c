"""Keras 2's scikit-learn wrappers: `KerasClassifier(build_fn=..., **sk_params)` and `KerasRegressor`.

`build_fn` returns a compiled model; `sk_params` mixes its own arguments with those of `fit`, `predict` and
`evaluate` (`epochs`, `batch_size`, `verbose`, ...), and each call gets the ones it declares, as in Keras 2. So
`GridSearchCV(KerasClassifier(build_fn=make_model, epochs=5), {"units": [8, 16]})` searches over `make_model`'s
`units`. Keras 1's `nb_epoch` is accepted (as `epochs`). Keras 3 replaced these by `keras.wrappers.SKLearnClassifier`
(`cornu.wrappers.SKLearnClassifier`), which takes `model=` and `model_kwargs=` instead.

Example:
>>> from cornu.layers import Dense
>>> def make_model(units=4):
...     model = cornu.models.Sequential([Dense(units, input_dim=2, activation="relu"), Dense(1, activation="sigmoid")])
...     model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
...     return model
>>> clf = KerasClassifier(build_fn=make_model, units=8, epochs=2, verbose=0)
>>> _ = clf.fit(np.eye(2).repeat(4, 0), [0, 1] * 4)
>>> clf.get_params()["units"], clf.model.layers[0].units, clf.predict(np.eye(2)).shape
(8, 8, (2, 1))
"""

import inspect
import types

import numpy as np

from cornu.wrappers.sklearn_wrapper import BaseEstimator, ClassifierMixin, RegressorMixin, require_sklearn

__all__ = ["KerasClassifier", "KerasRegressor"]

_KERAS_1_ONLY = {"nb_epoch"}  # accepted by Keras 2's check too; translated to `epochs` for fit


class BaseWrapper(BaseEstimator):
    """Keras 2's shared base: keeps `build_fn` and `sk_params`, routes each parameter to the calls that take it.

    Args:
        build_fn: A function (or an object with `__call__`) returning a compiled model. `None`: the subclass's own
            `__call__` builds it.
        **sk_params: Arguments of `build_fn`, `fit`, `predict` and `evaluate`.
    """

    def __init__(self, build_fn=None, **sk_params):
        require_sklearn(type(self).__name__)
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def check_params(self, params):
        """Refuses a parameter that neither `build_fn` nor `fit`/`predict`/`evaluate` takes (it would be lost)."""
        targets = [*self._model_methods(), self._builder()]
        for name in params:
            if name not in _KERAS_1_ONLY and not any(_has_arg(fn, name) for fn in targets):
                raise ValueError(
                    f"{name!r} is not a legal parameter of {type(self).__name__}: neither the build function nor "
                    "Model.fit/predict/evaluate takes it. Add it to your build function's arguments, or remove it."
                )

    def get_params(self, deep=True):
        """`build_fn` and the `sk_params` (what `sklearn.base.clone` and `GridSearchCV` copy)."""
        return {**self.sk_params, "build_fn": self.build_fn}

    def set_params(self, **params):
        """Updates `sk_params` (e.g. with a grid point) and returns `self`."""
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def fit(self, x, y, **kwargs):
        """Builds a fresh model with `build_fn` and trains it; returns the `History`, as Keras 2 did."""
        builder = self._builder()
        self.model = (self.build_fn if self.build_fn is not None else self.__call__)(**self.filter_sk_params(builder))
        if _loss_name(self.model.loss) == "categorical_crossentropy" and np.ndim(y) != 2:
            from cornu.utils import to_categorical

            y = to_categorical(y)
        return self.model.fit(x, y, **self._fit_arguments(kwargs))

    def filter_sk_params(self, fn, override=None):
        """The `sk_params` that `fn` takes as named arguments, updated with `override`."""
        found = {name: value for name, value in self.sk_params.items() if _has_arg(fn, name)}
        found.update(override or {})
        return found

    def _fit_arguments(self, kwargs):
        from cornu.legacy.translate import translate

        fit = self._model_methods()[0]
        chosen = {k: v for k, v in self.sk_params.items() if _has_arg(fit, k) or k in _KERAS_1_ONLY}
        return translate("Model.fit", {**chosen, **kwargs})

    def _builder(self):
        if self.build_fn is None:
            return self.__call__
        if not isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            return self.build_fn.__call__
        return self.build_fn

    @staticmethod
    def _model_methods():
        from cornu.models.model import Model

        return [Model.fit, Model.predict, Model.evaluate]


class KerasClassifier(ClassifierMixin, BaseWrapper):
    """Keras 2's scikit-learn classifier: `KerasClassifier(build_fn=make_model, epochs=10, batch_size=32)`.

    Labels may be any sortable values (`classes_`); with `loss='categorical_crossentropy'` they are one-hot encoded
    for the model. `predict` gives labels, `predict_proba` one column per class (two for one sigmoid output), and
    `score` the `accuracy` metric of `evaluate` (compile with `metrics=['accuracy']`).

    Example:
    >>> from cornu.layers import Dense
    >>> def make_model():
    ...     model = cornu.models.Sequential([Dense(3, input_dim=3, activation="softmax")])
    ...     model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    ...     return model
    >>> clf = KerasClassifier(build_fn=make_model, epochs=1, verbose=0)
    >>> _ = clf.fit(np.eye(3), ["c", "a", "b"])
    >>> clf.classes_.tolist(), clf.predict_proba(np.eye(3)).shape, 0 <= clf.score(np.eye(3), ["c", "a", "b"]) <= 1
    (['a', 'b', 'c'], (3, 3), True)
    """

    def fit(self, x, y, sample_weight=None, **kwargs):
        """Encodes the labels as class indices (`classes_`) and trains; returns the `History`."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError(f"KerasClassifier takes labels of shape (n,) or one-hot (n, classes); y has {y.shape}.")
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return super().fit(x, y, **kwargs)

    def predict(self, x, **kwargs):
        """The predicted labels (Keras 2: shape `(n,)`, or `(n, 1)` for one sigmoid output)."""
        proba = self.model.predict(x, **self._predict_arguments(kwargs))
        classes = proba.argmax(axis=-1) if proba.shape[-1] > 1 else (proba > 0.5).astype("int32")
        return self.classes_[classes]

    def predict_proba(self, x, **kwargs):
        """The class probabilities, one column per class (`[1 - p, p]` for one sigmoid output)."""
        probs = self.model.predict(x, **self._predict_arguments(kwargs))
        return np.hstack([1 - probs, probs]) if probs.shape[1] == 1 else probs

    def score(self, x, y, **kwargs):
        """The model's accuracy on `x`, `y` (from `evaluate`; the model must be compiled with it)."""
        y = np.searchsorted(self.classes_, np.asarray(y))
        if _loss_name(self.model.loss) == "categorical_crossentropy" and y.ndim != 2:
            from cornu.utils import to_categorical

            y = to_categorical(y, self.n_classes_)
        from cornu.models.model import Model

        outputs = self.model.evaluate(x, y, **self.filter_sk_params(Model.evaluate, kwargs))
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for name, value in zip(self.model.metrics_names, outputs):
            if name in ("accuracy", "acc"):
                return value
        raise ValueError(
            "KerasClassifier.score reports the model's accuracy, but the model does not compute it. Compile it with "
            "model.compile(..., metrics=['accuracy'])."
        )

    def _predict_arguments(self, kwargs):
        from cornu.models.model import Model

        return {"verbose": 0, **self.filter_sk_params(Model.predict, kwargs)}  # Keras 2's predict was quiet


class KerasRegressor(RegressorMixin, BaseWrapper):
    """Keras 2's scikit-learn regressor: `predict` squeezes the outputs, `score` is minus the loss.

    Example:
    >>> from cornu.layers import Dense
    >>> def make_model():
    ...     model = cornu.models.Sequential([Dense(1, input_dim=2, kernel_initializer="zeros")])
    ...     model.compile(loss="mse", optimizer="sgd")
    ...     return model
    >>> reg = KerasRegressor(build_fn=make_model, epochs=0, verbose=0)
    >>> _ = reg.fit(np.ones((4, 2)), np.ones(4))
    >>> reg.predict(np.ones((3, 2))).tolist(), reg.score(np.ones((4, 2)), np.full(4, 2.0))
    ([0.0, 0.0, 0.0], -4.0)
    """

    def predict(self, x, **kwargs):
        """The predictions, squeezed to shape `(n,)` for one output."""
        from cornu.models.model import Model

        predictions = np.squeeze(
            self.model.predict(x, **{"verbose": 0, **self.filter_sk_params(Model.predict, kwargs)})
        )
        return predictions.reshape(1) if predictions.ndim == 0 else predictions  # one sample: still an array

    def score(self, x, y, **kwargs):
        """Minus the model's loss on `x`, `y` (greater is better, as scikit-learn expects)."""
        from cornu.models.model import Model

        loss = self.model.evaluate(x, y, **self.filter_sk_params(Model.evaluate, kwargs))
        return -loss[0] if isinstance(loss, list) else -loss


def _has_arg(fn, name):
    """Whether `fn` declares an argument called `name` (a `**kwargs` does not count, as in Keras 2)."""
    try:
        parameter = inspect.signature(fn).parameters.get(name)
    except (TypeError, ValueError):
        return False
    return parameter is not None and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)


def _loss_name(loss):
    return getattr(loss, "__name__", getattr(loss, "name", loss))
