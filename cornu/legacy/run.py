"""`cornu run script.py [args...]`: runs a Keras script (any generation) on cornu, unmodified.

The script runs as `__main__` with `sys.argv == [script, *args]` and its folder first on `sys.path`, exactly as
`python script.py args` would run it, but with `cornu.compat` installed, so its `import keras` gives cornu.
"""

import os
import runpy
import sys

from cornu import compat

__all__ = ["run_script"]


def run_script(path, args=()):
    """Runs the Python file `path` as `__main__` with `import keras` answered by cornu; returns its exit status.

    Args:
        path: The script's path.
        args: Its command-line arguments (`sys.argv[1:]` inside the script).

    Returns:
        0, or the status the script passed to `sys.exit`.

    Example:
    >>> import pathlib, tempfile
    >>> script = pathlib.Path(tempfile.mkdtemp()) / "hello.py"
    >>> _ = script.write_text("import sys, keras\\nprint(keras.layers.Dense(3).units, sys.argv[1:])")
    >>> run_script(str(script), ["--fast"])
    3 ['--fast']
    0
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"cornu run: no such script: {path!r}. Usage: cornu run script.py [args...]")
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        with compat.installed():
            runpy.run_path(path, run_name="__main__")
    except SystemExit as exit_:
        return _status(exit_.code)
    finally:
        sys.argv[:], sys.path[:] = saved_argv, saved_path
    return 0


def _status(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # `sys.exit("message")` prints the message and exits with 1, as Python does
    return 1
