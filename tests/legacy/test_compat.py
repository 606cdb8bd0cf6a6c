"""cornu.compat: the seeds' import lines give cornu's objects; a real keras is untouched after uninstall()."""

import importlib
import importlib.util
import os
import sys

import numpy as np
import pytest

import cornu
import cornu.callbacks
import cornu.compat
import cornu.layers
import cornu.models
import cornu.optimizers
import cornu.regularizers
import cornu.utils
from cornu.legacy import backend as legacy_backend
from cornu.legacy import np_utils as legacy_np_utils


@pytest.fixture
def compat():
    cornu.compat.install()
    yield
    cornu.compat.uninstall()


def test_the_seeds_import_lines_give_cornus_objects(compat):
    namespace = {}
    exec(
        "from keras.models import Sequential, Model\n"
        "from keras.layers.core import Dense, Activation, Dropout\n"
        "from keras.layers import Input, BatchNormalization\n"
        "from keras.optimizers import SGD, Adam, RMSprop, Adagrad\n"
        "from keras.utils import np_utils\n"
        "from keras.layers.advanced_activations import LeakyReLU\n"
        "from keras.regularizers import l1, l2, l1l2\n"
        "from keras.callbacks import EarlyStopping\n"
        "import keras.backend as K\n"
        "import keras\n",
        namespace,
    )
    expected = {
        "Sequential": cornu.models.Sequential,
        "Model": cornu.models.Model,
        "Dense": cornu.layers.Dense,
        "Activation": cornu.layers.Activation,
        "Dropout": cornu.layers.Dropout,
        "Input": cornu.layers.Input,
        "BatchNormalization": cornu.layers.BatchNormalization,
        "SGD": cornu.optimizers.SGD,
        "Adam": cornu.optimizers.Adam,
        "RMSprop": cornu.optimizers.RMSprop,
        "Adagrad": cornu.optimizers.Adagrad,
        "LeakyReLU": cornu.layers.LeakyReLU,
        "l1": cornu.regularizers.l1,
        "l2": cornu.regularizers.l2,
        "EarlyStopping": cornu.callbacks.EarlyStopping,
    }
    for name, obj in expected.items():
        assert namespace[name] is obj, name
    assert namespace["np_utils"].to_categorical is legacy_np_utils.to_categorical
    assert namespace["K"].epsilon is legacy_backend.epsilon
    assert namespace["keras"].Sequential is cornu.Sequential
    with pytest.warns(DeprecationWarning, match=r"write `L1L2\(l1=0.01, l2=0.02\)`"):
        assert namespace["l1l2"](l2=0.02).get_config() == {"l1": 0.01, "l2": 0.02}


def test_every_generations_paths_and_roots(compat):
    import keras.engine.topology
    import keras.initializations
    import keras.objectives
    import keras.optimizers.schedules
    import keras.utils.np_utils
    import tf_keras
    from tensorflow import keras as tf_keras_module
    from tensorflow.keras.layers import Dense

    assert keras.engine.topology.Layer is cornu.layers.Layer
    assert keras.objectives.categorical_crossentropy is cornu.losses.categorical_crossentropy
    assert keras.initializations.glorot_uniform is cornu.initializers.glorot_uniform
    assert keras.optimizers.schedules.InverseTimeDecay is cornu.optimizers.schedules.InverseTimeDecay
    assert keras.utils.to_categorical is cornu.utils.to_categorical
    assert tf_keras.layers.Dense is Dense is tf_keras_module.layers.Dense is cornu.layers.Dense
    assert keras.__version__ == "3.15.1"
    namespace = {}
    exec("from keras.layers import *", namespace)
    assert namespace["Dense"] is cornu.layers.Dense and "core" not in namespace


def test_keras_2_module_paths_of_the_other_packages(compat):
    """Preprocessing, applications, datasets, get_file, the scikit-learn wrappers and Merge: resolved when the
    script imports them, to the cornu modules that hold them."""
    import cornu.applications.resnet
    import cornu.datasets.fashion_mnist
    import cornu.preprocessing.image
    import cornu.preprocessing.sequence
    import cornu.preprocessing.text
    import cornu.utils.file_utils
    import cornu.wrappers.scikit_learn
    from cornu.legacy.layers import Merge

    namespace = {}
    exec(
        "from keras.preprocessing.image import ImageDataGenerator, load_img\n"
        "from keras.preprocessing.text import Tokenizer\n"
        "from keras.preprocessing.sequence import pad_sequences\n"
        "from keras.applications.resnet50 import ResNet50\n"
        "from keras.datasets import fashion_mnist\n"
        "from keras.utils.data_utils import get_file\n"
        "from keras.wrappers.scikit_learn import KerasClassifier, KerasRegressor\n"
        "from keras.wrappers import SKLearnClassifier\n"
        "from keras.layers import Merge\n",
        namespace,
    )
    expected = {
        "ImageDataGenerator": cornu.preprocessing.image.ImageDataGenerator,
        "load_img": cornu.preprocessing.image.load_img,
        "Tokenizer": cornu.preprocessing.text.Tokenizer,
        "pad_sequences": cornu.preprocessing.sequence.pad_sequences,
        "ResNet50": cornu.applications.resnet.ResNet50,
        "get_file": cornu.utils.file_utils.get_file,
        "KerasClassifier": cornu.wrappers.scikit_learn.KerasClassifier,
        "KerasRegressor": cornu.wrappers.scikit_learn.KerasRegressor,
        "SKLearnClassifier": cornu.wrappers.SKLearnClassifier,
        "Merge": Merge,
    }
    for name, obj in expected.items():
        assert namespace[name] is obj, name
    assert namespace["fashion_mnist"].load_data is cornu.datasets.fashion_mnist.load_data


def test_a_mapped_module_that_has_not_landed_says_so(compat, monkeypatch):
    from cornu.legacy import imports

    monkeypatch.setitem(imports.MODULES, "applications.nasnet", ("cornu.applications.nasnet",))
    with pytest.raises(ModuleNotFoundError, match="cornu.applications.nasnet does not exist yet. cornu answers"):
        exec("from keras.applications.nasnet import NASNetMobile", {})


def test_sequential_predict_classes_only_under_compat():
    model = cornu.models.Sequential([cornu.layers.Dense(3, input_dim=2, kernel_initializer="identity")])
    x = np.array([[0.0, 2.0], [1.0, 0.0]], "float32")
    assert not hasattr(model, "predict_classes")  # Keras 3 removed it
    with cornu.compat.installed():
        with pytest.warns(DeprecationWarning, match=r"write `np.argmax\(model.predict\(x\), axis=-1\)`"):
            assert model.predict_classes(x).tolist() == [1, 0]
        with pytest.warns(DeprecationWarning, match="write `model.predict"):
            np.testing.assert_array_equal(model.predict_proba(x), model.predict(x, verbose=0))
        binary = cornu.models.Sequential([cornu.layers.Dense(1, input_dim=2, kernel_initializer="ones")])
        assert binary.predict_classes(np.array([[0.3, 0.3], [-1.0, 0.0]])).tolist() == [[1], [0]]
    assert not hasattr(model, "predict_classes")


def test_the_seeds_typos_get_the_fix(compat):
    with pytest.raises(
        ModuleNotFoundError, match="No module named 'keras.model' in cornu. Did you mean 'keras.models'"
    ):
        exec("from keras.model import load_model", {})
    with pytest.raises(
        ImportError, match="cannot import name 'Callbacks' from 'keras.callbacks'.*Did you mean 'Callback'"
    ):
        exec("from keras.callbacks import Callbacks", {})


def test_a_name_cornu_lacks_is_named_with_what_cornu_offers(compat):
    import keras

    with pytest.raises(ImportError, match=r"cornu \(cornu.layers.*\) has no 'Highway'.*keras.layers offers: .*Dense"):
        exec("from keras.layers import Highway", {})
    with pytest.raises(AttributeError, match="module 'keras.layers' has no attribute 'Highway'"):
        keras.layers.Highway  # noqa: B018
    assert not hasattr(keras.layers, "Highway")
    with pytest.raises(ImportError, match="Graph-era functions"):
        exec("from keras.backend import function", {})
    with pytest.raises(ModuleNotFoundError, match="keras.distribution.*cornu answers keras.layers"):
        importlib.import_module("keras.distribution")


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is not None, reason="TensorFlow itself is installed")
def test_tensorflow_stub_offers_only_keras(compat):
    import tensorflow as tf

    assert tf.keras.layers.Dense is cornu.layers.Dense
    with pytest.raises(AttributeError, match="`tensorflow.constant` is TensorFlow itself"):
        tf.constant  # noqa: B018
    cornu.compat.uninstall()
    assert "tensorflow" not in sys.modules
    with pytest.raises(ModuleNotFoundError):
        import tensorflow  # noqa: F401


def test_real_keras_is_untouched_and_comes_back():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    real = pytest.importorskip("keras")
    real_dense = real.layers.Dense
    cornu.compat.install()
    import keras

    assert keras is not real and keras.layers.Dense is cornu.layers.Dense
    assert real.layers.Dense is real_dense  # the real module object itself was not modified
    cornu.compat.uninstall()
    import keras

    assert keras is real and sys.modules["keras.layers"] is real.layers
    assert keras.layers.Dense is real_dense and keras.layers.Dense is not cornu.layers.Dense


def test_without_install_nothing_is_answered():
    assert not cornu.compat.is_installed()
    spec = importlib.util.find_spec("tf_keras")
    assert spec is None or "site-packages" in (spec.origin or "")
    spec = importlib.util.find_spec("keras")
    assert spec is None or "site-packages" in spec.origin
    assert not hasattr(cornu.optimizers.SGD(), "lr")


def test_install_twice_and_the_context_manager():
    cornu.compat.install()
    cornu.compat.install()
    assert sys.meta_path.count(sys.meta_path[0]) == 1 and cornu.compat.is_installed()
    with cornu.compat.installed():
        pass
    assert cornu.compat.is_installed()  # it was installed before the block
    cornu.compat.uninstall()
    with cornu.compat.installed():
        assert cornu.compat.is_installed()
    assert not cornu.compat.is_installed()
