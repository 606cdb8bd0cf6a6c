"""Keras 1's regularizer functions (`l1l2`, `activity_l1`, ...), as the Keras 3 classes they became.

Keras 1 penalised exactly as Keras 3 does (`l1 * sum(|w|) + l2 * sum(w**2)`), so these only rename; note that
Keras 1's `l1l2()` defaulted both factors to 0.01, while Keras 3's `L1L2()` defaults them to 0.

Example:
>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     l1l2(l1=0.01, l2=0.02).get_config()
{'l1': 0.01, 'l2': 0.02}
"""

from cornu import regularizers
from cornu.legacy.translate import warn_once

__all__ = ["l1l2", "activity_l1", "activity_l2", "activity_l1l2"]


def l1l2(l1=0.01, l2=0.01):
    """Keras 1's `l1l2`: `L1L2(l1, l2)` (warns once)."""
    warn_once(("regularizers", "l1l2"), f"`l1l2` is the Keras 1 name of `L1L2`; write `L1L2(l1={l1!r}, l2={l2!r})`.")
    return regularizers.L1L2(l1=l1, l2=l2)


def activity_l1(l=0.01):  # noqa: E741 - Keras 1's argument name
    """Keras 1's `activity_l1`: `L1(l)`, to be passed as `activity_regularizer=` (warns once)."""
    warn_once(("regularizers", "activity_l1"), f"`activity_l1` is the Keras 1 name of `L1`; write `L1({l!r})`.")
    return regularizers.L1(l)


def activity_l2(l=0.01):  # noqa: E741 - Keras 1's argument name
    """Keras 1's `activity_l2`: `L2(l)`, to be passed as `activity_regularizer=` (warns once)."""
    warn_once(("regularizers", "activity_l2"), f"`activity_l2` is the Keras 1 name of `L2`; write `L2({l!r})`.")
    return regularizers.L2(l)


def activity_l1l2(l1=0.01, l2=0.01):
    """Keras 1's `activity_l1l2`: `L1L2(l1, l2)`, to be passed as `activity_regularizer=` (warns once)."""
    warn_once(
        ("regularizers", "activity_l1l2"),
        f"`activity_l1l2` is the Keras 1 name of `L1L2`; write `L1L2(l1={l1!r}, l2={l2!r})`.",
    )
    return regularizers.L1L2(l1=l1, l2=l2)
