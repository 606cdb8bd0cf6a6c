"""Automatic names for layers and models, as Keras gives them: `dense`, `dense_1`, `dense_2`, ..."""

import re
from collections import defaultdict

__all__ = ["to_snake_case", "unique_name", "reset_names"]

_counts = defaultdict(int)


def to_snake_case(name):
    """`BatchNormalization` -> `batch_normalization`, `PReLU` -> `p_re_lu` (Keras's rule).

    >>> to_snake_case("BatchNormalization"), to_snake_case("Conv2D")
    ('batch_normalization', 'conv2d')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def unique_name(prefix):
    """The next free name for `prefix` in this session: `dense`, then `dense_1`, ...

    >>> reset_names(); unique_name("dense"), unique_name("dense")
    ('dense', 'dense_1')
    """
    count = _counts[prefix]
    _counts[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def reset_names():
    """Forgets the names given so far (`cornu.utils.clear_session()` calls this)."""
    _counts.clear()
