"""`ProgbarLogger`: Keras's progress line, drawn by rich.

On a terminal, `verbose=1` shows a live bar (`600/600 ━━━━━━━━━━━━━━━━━━━━ 3s 5ms/step - accuracy: 0.9012 - loss:
0.3271`), refreshed at most ten times a second so the metrics are read from the device only then. When the output
is not a terminal (a log file, CI), each epoch prints its final line once. `verbose=2` prints one line per epoch.
"""

import sys
import time

from rich.console import Console
from rich.live import Live
from rich.text import Text

from cornu.callbacks.callback import Callback

__all__ = ["ProgbarLogger"]

_BAR_WIDTH = 20
_REFRESH_SECONDS = 0.1


class ProgbarLogger(Callback):
    """Prints progress and metrics while a model trains, evaluates or predicts.

    Args:
        verbose: `1` for the progress bar, `2` for one line per epoch. Defaults to `1`.
        stage: `"train"`, `"test"` or `"predict"`, which loop this bar follows. Defaults to `"train"`.
        console: Optional `rich.console.Console` to print on. Defaults to one on the current `sys.stdout`.
    """

    def __init__(self, verbose=1, stage="train", console=None):
        super().__init__()
        self.verbose, self.stage = verbose, stage
        self._console = console
        self._live = None
        self._start = self._last_refresh = 0.0
        self._seen = 0

    @property
    def console(self):
        if self._console is None:
            self._console = Console(file=sys.stdout, highlight=False, soft_wrap=True)
        return self._console

    def _begin(self):
        self._start = self._last_refresh = time.perf_counter()
        self._seen = 0
        if self.verbose == 1 and self.console.is_terminal:
            self._live = Live(self._line({}), console=self.console, auto_refresh=False, transient=False)
            self._live.start()

    def _update(self, batch, logs):
        self._seen = batch + 1
        if self._live is None:
            return
        now = time.perf_counter()
        if now - self._last_refresh >= _REFRESH_SECONDS:
            self._last_refresh = now
            self._live.update(self._line(dict(logs or {})), refresh=True)

    def _finish(self, logs):
        line = self._line(dict(logs or {}), final=True)
        if self._live is not None:
            self._live.update(line, refresh=True)
            self._live.stop()
            self._live = None
        elif self.verbose in (1, 2):
            self.console.print(line)

    # ------------------------------------------------------------------ hooks
    def on_epoch_begin(self, epoch, logs=None):
        if self.stage == "train":
            self.console.print(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}", highlight=False)
            self._begin()

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.stage == "train":
            self._finish(logs)

    def on_test_begin(self, logs=None):
        if self.stage == "test":
            self._begin()

    def on_test_batch_end(self, batch, logs=None):
        if self.stage == "test":
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if self.stage == "test":
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        self._begin()

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_predict_end(self, logs=None):
        self._finish(None)

    # ------------------------------------------------------------------ rendering
    def _line(self, logs, final=False):
        steps = self.params.get("steps")
        done = steps if final and steps else self._seen
        elapsed = time.perf_counter() - self._start
        per_step = elapsed / max(done, 1)
        counter = f"{done:>{len(str(steps))}}/{steps}" if steps else f"{done}/Unknown"
        metrics = "".join(f" - {name}: {_format_value(value)}" for name, value in logs.items())
        if self.verbose == 2:
            return Text(f"{counter} - {elapsed:.0f}s - {_format_time(per_step)}{metrics}")
        line = Text(counter + " ", style="bold")
        if steps:
            filled = int(_BAR_WIDTH * min(done, steps) / steps)
            line.append("━" * filled, style="green")
            line.append("━" * (_BAR_WIDTH - filled), style="bright_black")
        timing = elapsed if final or not steps else per_step * (steps - done)
        line.append(f" {_format_eta(timing)}", style="bold")
        line.append(f" {_format_time(per_step)}{metrics}")
        return line


def _format_value(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _format_time(seconds, unit="step"):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def _format_eta(seconds):
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{seconds:.0f}s"
