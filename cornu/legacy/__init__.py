"""Keras 1/2 code, run by cornu: the one table of old spellings, their translation, and the `keras` import alias.

`cornu.legacy.translate` is what constructors call (it imports nothing else of cornu, so the base classes can use
it); `cornu.compat.install()` makes `import keras` (any generation's module paths) give cornu's modules;
`cornu run script.py` does both for a script. See `cornu/legacy/README.md` for the table in prose.
"""

from cornu.legacy.translate import legacy_arguments, legacy_method, reset_warnings, translate

__all__ = ["translate", "legacy_arguments", "legacy_method", "reset_warnings"]
