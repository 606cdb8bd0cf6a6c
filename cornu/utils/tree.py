"""Nested structures of tensors (lists, tuples, dicts), flattened and rebuilt in one fixed order.

Dicts flatten in sorted-key order, as Keras does, so a dict of inputs lines up with the same dict of data.
"""

__all__ = ["flatten", "pack_like", "map_structure", "is_nested"]


def is_nested(structure):
    return isinstance(structure, (list, tuple, dict))


def flatten(structure):
    """The leaves of `structure`, depth first.

    >>> flatten({"b": 2, "a": [1, (3,)]})
    [1, 3, 2]
    """
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack_like(structure, leaves):
    """Rebuilds `structure`'s shape from the flat list `leaves` (the inverse of `flatten`).

    >>> pack_like({"b": 0, "a": [0, 0]}, [1, 2, 3])
    {'b': 3, 'a': [1, 2]}
    """
    leaves = iter(leaves)
    result = _pack(structure, leaves)
    return result


def _pack(structure, leaves):
    if isinstance(structure, dict):
        packed = {key: _pack(structure[key], leaves) for key in sorted(structure)}
        return {key: packed[key] for key in structure}
    if isinstance(structure, (list, tuple)):
        items = [_pack(item, leaves) for item in structure]
        return type(structure)(items) if not hasattr(structure, "_fields") else type(structure)(*items)
    return next(leaves)


def map_structure(fn, structure):
    """Applies `fn` to every leaf, keeping the structure.

    >>> map_structure(lambda x: x * 10, [1, {"a": 2}])
    [10, {'a': 20}]
    """
    return pack_like(structure, [fn(leaf) for leaf in flatten(structure)])
