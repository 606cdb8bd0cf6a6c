"""Grid search over a Keras model with scikit-learn, as the 2017-2019 tutorials wrote it: `KerasClassifier(build_fn=
create_model, nb_epoch=..., batch_size=..., verbose=0)` in `GridSearchCV`, then `cross_val_score`.

Run: cornu run keras2_grid_search.py pkgo_city66_class5_v1.csv
"""

import sys

import numpy as np
from keras.layers import Dense
from keras.models import Sequential
from keras.utils import set_random_seed
from keras.wrappers.scikit_learn import KerasClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

set_random_seed(7)  # fix random seed for reproducibility
dataset = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
X = dataset[:, 0:200].astype("float32")
Y = dataset[:, 200].astype("int")


def create_model(optimizer="rmsprop", neurons=32):
    model = Sequential()
    model.add(Dense(neurons, input_dim=200, activation="relu"))
    model.add(Dense(5, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


model = KerasClassifier(build_fn=create_model, nb_epoch=5, batch_size=16, verbose=0)
param_grid = dict(optimizer=["sgd", "adam"], neurons=[1, 32])
grid = GridSearchCV(estimator=model, param_grid=param_grid, cv=3)
grid_result = grid.fit(X, Y)
print("Best: %f using %s" % (grid_result.best_score_, grid_result.best_params_))  # noqa: UP031 - as written then
means = grid_result.cv_results_["mean_test_score"]
for mean, params in zip(means, grid_result.cv_results_["params"]):
    print("%f with: %r" % (mean, params))  # noqa: UP031
print("Best score:", grid_result.best_score_)
print("Best neurons:", grid_result.best_params_["neurons"])

kfold = StratifiedKFold(n_splits=3, shuffle=True, random_state=7)
estimator = KerasClassifier(build_fn=create_model, optimizer="adam", nb_epoch=10, batch_size=16, verbose=0)
results = cross_val_score(estimator, X, Y, cv=kfold)
print("Cross-validated accuracy:", results.mean())
print("Folds:", len(results))
