"""`CSVLogger`: one CSV row per epoch, the file complete after every epoch."""

import collections.abc
import csv
import io
import os

import numpy as np

from cornu.callbacks.callback import Callback

__all__ = ["CSVLogger"]


class CSVLogger(Callback):
    """Writes each epoch's logs as a row of a CSV file: `epoch` (from 0), then the log keys in sorted order.

    The columns are fixed by the first epoch. If it has no `val_` keys, a `val_` column is added for each key
    anyway, so that validation run only on some epochs (`validation_freq`) still has a place; a missing value is
    written `NA`. A list or array value is written `"[1, 2]"`. Rows end in `\\r\\n` (the `csv` module's excel
    dialect), as in Keras.

    The file never holds half a row: when overwriting, the whole file is rewritten to a temporary file and
    renamed over `filename` after each epoch; when appending, each epoch's text goes out in one write.

    Args:
        filename: Path of the CSV file, e.g. `"run/log.csv"` (a `str` or `os.PathLike`).
        separator: The one-character column separator. Defaults to `","`.
        append: `True` adds to an existing file (to continue a run; the header is written only if the file is
            empty), `False` replaces it. Defaults to `False`.

    Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> logger = CSVLogger(path)
    >>> logger.on_train_begin()
    >>> logger.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75})
    >>> logger.on_train_end()
    >>> open(path, newline="").read()
    'epoch,accuracy,loss,val_accuracy,val_loss\\r\\n0,0.75,0.5,NA,NA\\r\\n'
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise TypeError(
                f"CSVLogger's `separator` must be a one-character string; received separator={separator!r}. "
                f"For example: separator=',' or separator='\\t'."
            )
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.keys = None
        self.append_header = True
        self._text = ""  # what the file holds so far, when overwriting
        self._pending = ""  # text to put before the first row when appending

    def on_train_begin(self, logs=None):
        folder = os.path.dirname(os.path.abspath(self.filename))
        if not os.path.isdir(folder):
            raise FileNotFoundError(
                f"CSVLogger cannot write '{self.filename}': the folder '{folder}' does not exist. Create it first, "
                f"e.g. os.makedirs({folder!r}, exist_ok=True)."
            )
        self.keys = None
        self.append_header = True
        self._pending = ""
        if self.append:
            if os.path.exists(self.filename):
                self.append_header, self._pending = _inspect_existing(self.filename)
            return
        # Like Keras, a new run empties the file at once (no stale log while the first epoch runs).
        self._text = ""
        _write_atomically(self.filename, self._text)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.sep)  # excel dialect: minimal quoting, "\r\n" line ends
        if self.append_header:
            writer.writerow(["epoch"] + self.keys)
            self.append_header = False
        writer.writerow([epoch] + [_cell(logs.get(key, "NA")) for key in self.keys])
        if self.append:
            _append(self.filename, self._pending + buffer.getvalue())
            self._pending = ""
        else:
            self._text += buffer.getvalue()
            _write_atomically(self.filename, self._text)

    def on_train_end(self, logs=None):
        self.keys = None


def _cell(value):
    """A log value as Keras writes it: strings and numbers as they are, sequences as a quoted `[a, b]`."""
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value


def _inspect_existing(path):
    """`(needs_header, prefix)` for appending to `path`: a header only if the file is empty (as in Keras), and a
    line break first if a killed run left its last line unfinished."""
    with open(path, "rb") as file:
        file.seek(0, os.SEEK_END)
        if file.tell() == 0:
            return True, ""
        file.seek(-1, os.SEEK_END)
        unfinished = file.read(1) not in (b"\n", b"\r")
    return False, "\r\n" if unfinished else ""


def _append(path, text):
    # One write() on an O_APPEND descriptor: the rows land whole, after whatever the file already holds.
    data = text.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)


def _write_atomically(path, text):
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
