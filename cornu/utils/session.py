"""`clear_session`: start naming layers from scratch, as after restarting Python."""

import gc

from cornu.utils.naming import reset_names

__all__ = ["clear_session"]


def clear_session(free_memory=True):
    """Resets layer auto-names (`dense`, `dense_1`, ...) and frees what dropped models held."""
    reset_names()
    if free_memory:
        gc.collect()
