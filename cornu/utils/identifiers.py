"""Turning a user's identifier (a string, a config dict, an object) into the object it names.

Every `get()` in cornu (activations, losses, metrics, optimizers, initializers, ...) goes through
`lookup`, so an unknown name fails the same way everywhere: with the closest known names.
"""

import difflib

__all__ = ["lookup", "did_you_mean"]


def did_you_mean(name, known):
    """' Did you mean 'adam'?' for a near miss, or '' when nothing is close.

    >>> did_you_mean("adm", ["adam", "sgd"])
    " Did you mean 'adam'?"
    """
    close = difflib.get_close_matches(str(name).lower(), [str(k).lower() for k in known], n=3, cutoff=0.6)
    if not close:
        return ""
    originals = {str(k).lower(): k for k in known}
    return " Did you mean " + " or ".join(repr(originals[c]) for c in close) + "?"


def lookup(kind, identifier, table):
    """Returns `table[identifier]`, trying it as given and in lower case; raises a helpful ValueError.

    Args:
        kind: What is being looked up, for the message ("optimizer", "loss", ...).
        identifier: The name the user wrote.
        table: Mapping from accepted names to objects.

    >>> lookup("activation", "ReLU", {"relu": abs}) is abs
    True
    """
    if identifier in table:
        return table[identifier]
    lowered = str(identifier).lower()
    if lowered in table:
        return table[lowered]
    hint = did_you_mean(identifier, sorted(table))
    raise ValueError(f"Unknown {kind}: {identifier!r}.{hint} Known {kind}s: {', '.join(sorted(table))}.")
