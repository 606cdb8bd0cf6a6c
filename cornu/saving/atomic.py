"""Atomic file writes: a save either completes or leaves the previous file untouched.

The new content goes to a temporary file in the target's folder (same filesystem, so the final rename is atomic),
is flushed and fsynced, and only then replaces the target with `os.replace`. A crash or a kill mid-save leaves
at most a stray `.<name>.tmp-*` file beside an intact old file.
"""

import contextlib
import os
import tempfile

__all__ = ["atomic_path", "check_overwrite"]


@contextlib.contextmanager
def atomic_path(filepath):
    """Yields a temporary path to write; on success it replaces `filepath`, on error it is removed.

    Example:
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> with atomic_path(target) as tmp:
    ...     _ = open(tmp, "w").write("done")
    >>> open(target).read()
    'done'
    """
    filepath = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(filepath)}.tmp-", dir=folder)
    os.close(handle)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_folder(folder)


def check_overwrite(filepath, overwrite):
    """Raises FileExistsError when `filepath` exists and `overwrite` is False (Keras would prompt instead)."""
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(
            f"{os.fspath(filepath)!r} already exists and overwrite=False. Pass overwrite=True to replace it, "
            f"or choose another path."
        )


def _fsync_file(path):
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_folder(folder):
    # Makes the rename itself durable; not every platform can open a folder (Windows), which is fine to skip.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
