"""scikit-learn wrappers: a compiled model (or a function that builds one) as a scikit-learn estimator.

`SKLearnClassifier`, `SKLearnRegressor` and `SKLearnTransformer` are Keras 3's (`keras.wrappers`);
`cornu.wrappers.scikit_learn` holds Keras 2's `KerasClassifier` / `KerasRegressor(build_fn=...)` for old scripts.
Both need scikit-learn (`pip install cornu[sklearn]`).
"""

from cornu.wrappers.sklearn_wrapper import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
