"""Shapes as Keras users read them: `(None, 784)`, with `None` for the batch axis."""

__all__ = ["format_shape", "batch_shape"]


def format_shape(shape):
    """Formats a shape the way Keras prints it.

    >>> format_shape((None, 28, 28))
    '(None, 28, 28)'
    >>> format_shape([5])
    '(5,)'
    """
    if shape is None:
        return "None"
    dims = tuple(None if d is None else int(d) for d in shape)
    return str(dims)


def batch_shape(shape):
    """`(None,) + shape[1:]`: a concrete tensor shape with its batch axis left open.

    >>> batch_shape((32, 784))
    (None, 784)
    """
    shape = tuple(shape)
    return (None,) + tuple(int(d) for d in shape[1:]) if shape else ()
