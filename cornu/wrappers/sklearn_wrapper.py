"""Keras 3's scikit-learn wrappers: `SKLearnClassifier`, `SKLearnRegressor`, `SKLearnTransformer`.

Each wraps a compiled model, or a function `model(X=..., y=..., **model_kwargs)` that returns one, as a
scikit-learn estimator, so it works in `GridSearchCV`, `cross_val_score` and pipelines. A model instance is cloned
(same architecture and compile settings, fresh weights) at each `fit`, as Keras does; a classifier one-hot encodes
its labels for the model and turns the model's outputs back into labels.

Example:
>>> from cornu.layers import Dense, Input
>>> def build(X, y):
...     inputs = Input((X.shape[1],))
...     model = cornu.models.Model(inputs, Dense(y.shape[1], activation="softmax")(inputs))
...     model.compile(loss="categorical_crossentropy", optimizer="adam")
...     return model
>>> X = np.array([[0.0, 1.0], [1.0, 0.0]] * 8)
>>> y = np.array(["b", "a"] * 8)
>>> clf = SKLearnClassifier(build, fit_kwargs={"epochs": 2, "verbose": 0}).fit(X, y)
>>> clf.classes_.tolist(), clf.predict(X[:2]).shape
(['a', 'b'], (2,))
"""

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # scikit-learn is optional: the classes exist, and say what to install when built

    class BaseEstimator:
        pass

    ClassifierMixin = RegressorMixin = TransformerMixin = BaseEstimator

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


class _SKLearnBase(BaseEstimator):
    """What the three wrappers share: building the model, `fit`, `predict`, and target encoding."""

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        require_sklearn(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True  # random initial weights and shuffling
        return tags

    @property
    def epoch_(self):
        """The number of epochs the last `fit` trained."""
        return len(getattr(self, "history_", {}).get("loss", ()))

    def fit(self, X, y, **kwargs):
        """Builds (or clones) the model and trains it on `X`, `y`; keyword arguments go to `model.fit` and take
        precedence over `fit_kwargs`. Returns `self`."""
        X, y = _validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        _check_model(model)
        history = model.fit(X, y, **{**(self.fit_kwargs or {}), **kwargs})
        self.history_ = dict(history.history)
        self.model_ = model
        return self

    def predict(self, X):
        """The model's predictions for `X`, in the targets' form (labels, for a classifier)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self._reverse_process_target(self.model_.predict(X))

    def _get_model(self, X, y):
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        from cornu.models.model import Model

        if isinstance(self.model, Model):
            return _clone_compiled(self.model)
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def _process_target(self, y, reset=False):
        _type_of_target(y)
        if reset:
            self._target_encoder = _TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)


class SKLearnClassifier(ClassifierMixin, _SKLearnBase):
    """A model as a scikit-learn classifier: labels are one-hot encoded for the model, outputs decoded to labels.

    Args:
        model: A compiled `Model` (cloned at each `fit`, unless `warm_start`), or a callable
            `model(X=..., y=..., **model_kwargs)` returning a compiled model; `y` is then the one-hot targets.
        warm_start: Whether a second `fit` keeps training the fitted model instead of starting afresh. Defaults
            to `False`.
        model_kwargs: Keyword arguments for the `model` callable. Defaults to `None`.
        fit_kwargs: Keyword arguments for `model.fit` (`epochs`, `batch_size`, ...). Defaults to `None`.

    Attributes: `model_` (the fitted model), `history_` (its `History.history` dict), `classes_` (the labels).

    Example:
    >>> from cornu.layers import Dense
    >>> def build(X, y):
    ...     model = cornu.models.Sequential([Dense(y.shape[1], activation="softmax", input_dim=X.shape[1])])
    ...     model.compile(loss="categorical_crossentropy", optimizer="sgd")
    ...     return model
    >>> clf = SKLearnClassifier(build, fit_kwargs={"verbose": 0}).fit(np.eye(3), [2, 0, 1])
    >>> clf.classes_.tolist(), clf.decision_function(np.eye(3)).shape
    ([0, 1, 2], (3, 3))
    """

    def decision_function(self, X):
        """The model's raw outputs for `X` (one column per class)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        return self.model_.predict(_validate_data(self, X, reset=False))

    def _process_target(self, y, reset=False):
        import sklearn.pipeline
        import sklearn.preprocessing

        kind = _type_of_target(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"SKLearnClassifier takes binary or multiclass labels; these are {kind!r}. For several outputs or "
                "continuous targets use SKLearnRegressor."
            )
        if reset:
            self._target_encoder = sklearn.pipeline.make_pipeline(
                _TargetReshaper(), sklearn.preprocessing.OneHotEncoder(sparse_output=False)
            ).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError(f"SKLearnClassifier needs at least two classes; y holds only {self.classes_[0]!r}.")
        return self._target_encoder.transform(y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, _SKLearnBase):
    """A model as a scikit-learn regressor: targets go to the model as they are (1-D ones as a column).

    Args: as `SKLearnClassifier`'s.

    Example:
    >>> from cornu.layers import Dense
    >>> def build(X, y):
    ...     model = cornu.models.Sequential([Dense(1, input_dim=X.shape[1])])
    ...     model.compile(loss="mse", optimizer="sgd")
    ...     return model
    >>> reg = SKLearnRegressor(build, fit_kwargs={"verbose": 0}).fit(np.ones((4, 2)), np.ones(4))
    >>> reg.predict(np.ones((3, 2))).shape
    (3,)
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, _SKLearnBase):
    """A model as a scikit-learn transformer: `transform(X)` is `model.predict(X)` (e.g. an embedding step).

    Args: as `SKLearnClassifier`'s.

    Example:
    >>> from cornu.layers import Dense
    >>> def build(X, y):
    ...     model = cornu.models.Sequential([Dense(1, input_dim=X.shape[1])])
    ...     model.compile(loss="mse", optimizer="sgd")
    ...     return model
    >>> trs = SKLearnTransformer(build, fit_kwargs={"verbose": 0}).fit(np.ones((4, 3)), np.ones(4))
    >>> trs.transform(np.ones((5, 3))).shape
    (5, 1)
    """

    def transform(self, X):
        """The model's outputs for `X`."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        return self.model_.predict(_validate_data(self, X, reset=False))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags


def require_sklearn(owner):
    """Raises a clear ImportError when scikit-learn is missing (`owner` names what needed it)."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise ImportError(
            f"{owner} needs scikit-learn, which is not installed. Install it with `pip install cornu[sklearn]` "
            "(or `pip install scikit-learn`)."
        ) from None


class _TargetReshaper(TransformerMixin, BaseEstimator):
    """1-D targets become one column (and back), for encoders that take 2-D input."""

    def fit(self, y):
        self.ndim_ = np.ndim(y)
        return self

    def transform(self, y):
        y = np.asarray(y)
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        y = np.asarray(y)
        return y[:, 0] if self.ndim_ == 1 and y.ndim == 2 and y.shape[1] == 1 else y


def _validate_data(estimator, *args, **kwargs):
    try:
        from sklearn.utils.validation import validate_data
    except ImportError:  # scikit-learn < 1.6 had it as a method
        return estimator._validate_data(*args, **kwargs)
    return validate_data(estimator, *args, **kwargs)


def _type_of_target(y):
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y)
    if kind == "unknown":
        raise ValueError(f"Unknown label type for y: {y!r}")
    return kind


def _check_model(model):
    if not getattr(model, "compiled", False) or not model.loss or not model.optimizer:
        raise RuntimeError(
            "The wrapped model must be compiled with a loss and an optimizer: call "
            "model.compile(loss=..., optimizer=...) before handing it over (or in the function that builds it)."
        )


def _clone_compiled(model):
    """A new model of the same architecture (fresh weights) compiled like `model`, as Keras's `clone_model`."""
    from cornu.saving import serialization

    clone = serialization.deserialize_layer(serialization.serialize_layer(model))
    serialization.compile_from_config(clone, serialization.serialize_compile_config(model))
    return clone
