"""The `keras` import alias: a `sys.meta_path` finder that answers `import keras...` with cornu's modules.

Every generation's module path is answered (`keras.layers.core` of Keras 1, `keras.utils.np_utils` of Keras 2,
`keras.optimizers.schedules` of Keras 3, `tf_keras`, `tensorflow.keras`), each by a small module that offers the
public names of the cornu modules listed in `MODULES`, so `keras.layers.Dense is cornu.layers.Dense`. A name or a
module cornu lacks fails with an error that names it and says what cornu offers instead.

The finder is installed and removed by `cornu.compat.install()` / `uninstall()`; while it is not installed,
nothing here has any effect, and an installed real `keras` is never modified.

Example:
>>> finder = KerasFinder()
>>> finder.find_spec("keras.layers.core", None).name
'keras.layers.core'
>>> finder.find_spec("numpy", None) is None
True
"""

import dis
import importlib
import importlib.machinery
import importlib.util
import sys
import types

from cornu.utils.identifiers import did_you_mean

__all__ = ["ROOTS", "MODULES", "KERAS_API_VERSION", "KerasFinder", "AliasModule"]

ROOTS = ("tensorflow.keras", "tf_keras", "keras")  # the longest first: `tensorflow.keras` is not `tensorflow`
KERAS_API_VERSION = "3.15.1"  # the Keras whose API cornu implements: what `keras.__version__` says under cornu

_LAYERS = ("cornu.layers", "cornu.legacy.layers")
_ENGINE = ("cornu.layers", "cornu.models")
_UTILS = ("cornu.utils", "cornu.legacy.np_utils", "cornu.utils.file_utils")  # file_utils: get_file

# keras module path (after the root; "" is the root) -> the cornu modules whose public names it offers, in order.
MODULES = {
    "": ("cornu",),
    "layers": _LAYERS,
    **{
        f"layers.{name}": _LAYERS
        for name in (
            "core",
            "convolutional",
            "pooling",
            "recurrent",
            "normalization",
            "advanced_activations",
            "embeddings",
            "merge",
            "noise",
            "wrappers",
            "local",
            "convolutional_recurrent",
            "cudnn_recurrent",
            "activation",
            "activations",
            "merging",
            "regularization",
            "reshaping",
            "attention",
            "rnn",
        )
    },  # fmt: skip
    "engine": _ENGINE,
    "engine.topology": _ENGINE,
    "engine.training": _ENGINE,
    "engine.base_layer": _ENGINE,
    "engine.input_layer": _ENGINE,
    "engine.sequential": _ENGINE,
    "engine.functional": _ENGINE,
    "models": ("cornu.models", "cornu.saving"),
    "saving": ("cornu.saving",),
    "optimizers": ("cornu.optimizers",),
    "optimizers.legacy": ("cornu.optimizers",),
    "optimizers.schedules": ("cornu.optimizers.schedules",),
    "losses": ("cornu.losses",),
    "objectives": ("cornu.losses",),
    "metrics": ("cornu.metrics",),
    "callbacks": ("cornu.callbacks",),
    "regularizers": ("cornu.regularizers", "cornu.legacy.regularizers"),
    "initializers": ("cornu.initializers",),
    "initializations": ("cornu.initializers",),
    "activations": ("cornu.activations",),
    "constraints": ("cornu.constraints",),
    "utils": _UTILS,
    "utils.np_utils": ("cornu.legacy.np_utils",),
    "utils.generic_utils": _UTILS,
    "utils.data_utils": _UTILS,
    "utils.layer_utils": _UTILS,
    "backend": ("cornu.legacy.backend",),
    "datasets": ("cornu.datasets",),
    **{
        f"datasets.{name}": (f"cornu.datasets.{name}",)
        for name in (
            "mnist",
            "fashion_mnist",
            "cifar10",
            "cifar100",
            "imdb",
            "reuters",
            "boston_housing",
            "california_housing",
        )
    },
    "preprocessing": ("cornu.preprocessing",),
    **{f"preprocessing.{name}": (f"cornu.preprocessing.{name}",) for name in ("image", "sequence", "text")},
    "applications": ("cornu.applications",),
    **{
        f"applications.{name}": (f"cornu.applications.{name}",)
        for name in (
            "vgg16",
            "vgg19",
            "resnet",
            "resnet_v2",
            "mobilenet",
            "mobilenet_v2",
            "mobilenet_v3",
            "inception_v3",
            "xception",
            "densenet",
            "efficientnet",
            "convnext",
            "imagenet_utils",
        )
    },  # fmt: skip
    "applications.resnet50": ("cornu.applications.resnet50",),  # Keras 2's module of ResNet50
    "wrappers": ("cornu.wrappers",),  # Keras 3's SKLearnClassifier, SKLearnRegressor, SKLearnTransformer
    "wrappers.scikit_learn": ("cornu.wrappers.scikit_learn",),  # Keras 2's KerasClassifier(build_fn=...)
    "ops": ("cornu.ops",),
    "random": ("cornu.random",),
}


class AliasModule(types.ModuleType):
    """A `keras...` module under cornu: the public names of its cornu sources, and its child modules."""

    def __init__(self, name, path, sources):
        super().__init__(name)
        self.__path__ = []  # a package, so `keras.layers.core` is looked up (by our finder) below it
        self.__cornu_sources__ = sources
        self._cornu_path = path
        self._cornu_children = _children(path)
        self.__all__ = []
        for module in sources:
            for attr in _public_names(module):
                if attr not in self._cornu_children and attr not in self.__dict__:
                    setattr(self, attr, getattr(module, attr))
                    self.__all__.append(attr)

    def __getattr__(self, attr):
        if attr in self._cornu_children:  # `keras.utils.np_utils` before anyone imported it
            return importlib.import_module(f"{self.__name__}.{attr}")
        if attr.startswith("__"):
            raise AttributeError(attr)
        offered = sorted(set(self.__all__) | set(self._cornu_children))
        sources = ", ".join(m.__name__ for m in self.__cornu_sources__)
        notes = "".join(" " + m._MISSING_NOTE for m in self.__cornu_sources__ if hasattr(m, "_MISSING_NOTE"))
        detail = (
            f"cornu ({sources}) has no '{attr}'.{did_you_mean(attr, offered)} {self.__name__} offers: "
            f"{', '.join(offered)}.{notes}"
        )
        # Python turns an AttributeError raised for `from keras.x import name` into its own message; raise the
        # ImportError ourselves there, so the user reads what cornu offers.
        if _importing_from(sys._getframe(1)):
            raise ImportError(f"cannot import name '{attr}' from '{self.__name__}': {detail}", name=self.__name__)
        raise AttributeError(f"module '{self.__name__}' has no attribute '{attr}': {detail}")

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._cornu_children))

    def __repr__(self):
        return f"<module '{self.__name__}' (cornu: {', '.join(m.__name__ for m in self.__cornu_sources__)})>"


class _TensorflowStub(types.ModuleType):
    """`tensorflow` when TensorFlow is not installed: only `tensorflow.keras` is cornu's to give."""

    def __init__(self):
        super().__init__("tensorflow")
        self.__path__ = []

    def __getattr__(self, attr):
        if attr == "keras":
            return importlib.import_module("tensorflow.keras")
        if attr.startswith("__"):
            raise AttributeError(attr)
        message = (
            f"`tensorflow.{attr}` is TensorFlow itself, which is not installed; cornu answers only "
            "`tensorflow.keras` (with cornu's Keras). Write torch code for tensor math, or keras/cornu layers."
        )
        if _importing_from(sys._getframe(1)):
            raise ImportError(message, name="tensorflow")
        raise AttributeError(message)


class _AliasLoader:
    """Creates the alias module for a spec (nothing to execute: the module is filled on creation)."""

    def __init__(self, make):
        self._make = make

    def create_module(self, spec):
        return self._make()

    def exec_module(self, module):
        pass


class KerasFinder:
    """The `sys.meta_path` finder of `keras`, `keras.*`, `tf_keras.*` and `tensorflow.keras.*` (a
    `tensorflow` stub too, when TensorFlow is not installed)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "tensorflow":
            if importlib.machinery.PathFinder.find_spec("tensorflow") is not None:
                return None  # the real TensorFlow; only its `keras` is answered here
            return importlib.util.spec_from_loader(fullname, _AliasLoader(_TensorflowStub), is_package=True)
        root = next((r for r in ROOTS if fullname == r or fullname.startswith(r + ".")), None)
        if root is None:
            return None
        keras_path = fullname[len(root) + 1 :]
        if keras_path not in MODULES:
            raise ModuleNotFoundError(_no_module_message(fullname, root, keras_path), name=fullname)
        sources = _import_sources(fullname, root, keras_path)
        loader = _AliasLoader(lambda: _make_module(fullname, keras_path, sources))
        return importlib.util.spec_from_loader(fullname, loader, is_package=True)


def _make_module(fullname, keras_path, sources):
    module = AliasModule(fullname, keras_path, sources)
    if keras_path == "":
        module.__version__ = KERAS_API_VERSION
    return module


def _import_sources(fullname, root, keras_path):
    """The cornu modules behind `keras_path` that exist (a later cornu package may not have landed yet)."""
    names = MODULES[keras_path]
    found = [importlib.import_module(name) for name in names if _exists(name)]
    if not found:
        raise ModuleNotFoundError(
            f"No module named '{fullname}' in cornu: {' / '.join(names)} does not exist yet. cornu answers "
            f"{_answered(root)}.",
            name=fullname,
        )
    return tuple(found)


def _exists(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # its parent package is missing
        return False


def _no_module_message(fullname, root, keras_path):
    candidates = [f"{root}.{p}" if p else root for p in MODULES]
    return (
        f"No module named '{fullname}' in cornu.{did_you_mean(fullname, candidates)} cornu answers {_answered(root)}."
    )


def _answered(root):
    return ", ".join(f"{root}.{p}" for p in MODULES if p and "." not in p)


def _children(path):
    prefix = f"{path}." if path else ""
    return frozenset(p[len(prefix) :] for p in MODULES if p.startswith(prefix) and p and "." not in p[len(prefix) :])


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return [n for n in names if not n.startswith("_")]


def _importing_from(frame):
    """Whether `frame` is executing `from module import name` (the instruction that asked for the attribute)."""
    try:
        return dis.opname[frame.f_code.co_code[frame.f_lasti]] == "IMPORT_FROM"
    except (AttributeError, IndexError):  # another interpreter: fall back to Python's own message
        return False
