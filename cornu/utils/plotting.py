"""`plot_history`: learning curves, training against validation, for one run or several side by side.

The curves the tutorials draw by hand (`plt.plot(history.history['loss'])`, "Adam vs SGD", "CE vs MSE") in one
call: one panel per metric, the training curve solid and the validation curve dashed in the same colour, one colour
per run. The figure is a plain `matplotlib.figure.Figure` drawn by the Agg renderer, so nothing depends on a
display or changes pyplot's state; a notebook shows the returned figure inline.
"""

import math
import os
import sys

__all__ = ["plot_history"]

_LEGACY_NAMES = {"acc": "accuracy", "accuracy": "acc", "val_acc": "val_accuracy", "val_accuracy": "val_acc"}


def plot_history(
    history,
    metrics=None,
    to_file=None,
    validation=True,
    title=None,
    ncols=None,
    figsize=None,
    dpi=100,
    show=False,
):
    """Plots training (solid) and validation (dashed) curves of the loss and each metric, one panel per metric.

    Args:
        history: What `fit` returned (a `History`), its `history.history` dict, or several runs to compare: a
            dict from a run's name to its History or dict (`{"Adam": h1, "SGD": h2}`), or a list of them (named
            `run 1`, `run 2`, ...).
        metrics: Names of the metrics to plot, e.g. `["loss", "accuracy"]` (`"acc"` and `"accuracy"` find each
            other, as in Keras 2 and 3 histories). Defaults to `None`: `loss` and every other training metric
            found.
        to_file: Optional path to write the figure to; the suffix picks the format (`.png`, `.svg`, `.pdf`,
            `.jpg`; PNG without a suffix). Defaults to `None`.
        validation: Whether to draw the `val_` curves next to the training ones. Defaults to `True`.
        title: Optional title over the whole figure. Defaults to `None`.
        ncols: Panels per row. Defaults to `None`: up to 3.
        figsize: `(width, height)` of the figure in inches. Defaults to 5 by 3.6 inches per panel.
        dpi: Resolution of the written file, in dots per inch. Defaults to `100`.
        show: Whether to show the figure in a window now (through pyplot, with `plt.show()`); a notebook shows
            the returned figure without it. Defaults to `False`.

    Returns:
        The `matplotlib.figure.Figure`: `fig.axes[i]` is the panel of the i-th metric; its lines carry the
        labels `training` and `validation` (`<run> training` and `<run> validation` for several runs), and the
        epochs, from 1, on the x axis. When `validation_freq` left fewer validation values than epochs, they are
        placed at every `epochs // len(values)`-th epoch.

    Example:
    >>> import os, tempfile
    >>> history = {"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6]}
    >>> fig = plot_history(history, to_file=os.path.join(tempfile.mkdtemp(), "curves.png"))
    >>> [(line.get_label(), line.get_ydata().tolist()) for line in fig.axes[0].lines]
    [('training', [0.9, 0.5, 0.4]), ('validation', [1.0, 0.7, 0.6])]
    """
    runs = _runs(history)
    names = _metric_names(runs, metrics)
    figure = _new_figure(len(names), ncols, figsize, dpi, show)
    palette = _palette(len(runs))
    for axes, name in zip(figure.get_axes(), names):
        for (run_name, values, epochs), color in zip(runs, palette):
            _plot_metric(axes, name, run_name, values, epochs, color, validation)
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.set_ylabel(name)
        axes.grid(True, alpha=0.3)
        if axes.lines:
            axes.legend(fontsize="small")
    for extra in figure.get_axes()[len(names) :]:
        extra.set_visible(False)
    if title:
        figure.suptitle(title)
    if to_file is not None:
        _save(figure, to_file, dpi)
    if show:
        import matplotlib.pyplot as plt

        plt.show()
    _prepare_notebook_display()
    return figure


def _runs(history):
    """`[(name or None, {metric: values}, epochs or None)]` from any of the accepted forms of `history`."""
    if _is_single(history):
        return [_one_run(None, history)]
    if isinstance(history, dict) and history:
        return [_one_run(str(name), run) for name, run in history.items()]
    if isinstance(history, (list, tuple)) and history:
        return [_one_run(f"run {i + 1}", run) for i, run in enumerate(history)]
    raise TypeError(
        f"plot_history takes what fit() returned (a History), its .history dict, or a dict or list of several of "
        f"them to compare; received {type(history).__name__}: {history!r:.80}. "
        f"Example: plot_history(model.fit(...)) or plot_history({{'Adam': h1, 'SGD': h2}})."
    )


def _is_single(history):
    """Whether `history` is one run: a History, or a dict whose values are sequences of numbers."""
    if hasattr(history, "history") and isinstance(history.history, dict):
        return True
    if not isinstance(history, dict) or not history:
        return False
    return all(not isinstance(v, (dict, str)) and not hasattr(v, "history") for v in history.values())


def _one_run(name, run):
    if hasattr(run, "history") and isinstance(run.history, dict):
        values, epochs = run.history, list(getattr(run, "epoch", None) or [])
    elif isinstance(run, dict):
        values, epochs = run, []
    else:
        raise TypeError(
            f"Run {name!r} of plot_history is a {type(run).__name__}; each run must be a History or a dict from "
            f"metric name to its values per epoch."
        )
    series = {key: _as_series(key, vals) for key, vals in values.items()}
    return name, {key: vals for key, vals in series.items() if vals is not None}, epochs or None


def _as_series(key, values):
    """The per-epoch values as floats; `None` for a metric with several numbers per epoch (F1Score's per-class
    values), which has no single curve."""
    try:
        values = list(values)
    except TypeError:
        raise TypeError(
            f"plot_history expects a list of per-epoch values under '{key}'; received {type(values).__name__}."
        ) from None
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        return None


def _lookup(values, name):
    """The values of metric `name` in one run, letting Keras 2's `acc` and Keras 3's `accuracy` find each other."""
    if name in values:
        return values[name]
    return values.get(_LEGACY_NAMES.get(name, name))


def _metric_names(runs, metrics):
    available = []
    for _, values, _ in runs:
        available += [key for key in values if key not in available]
    if metrics is None:
        names = [key for key in available if not key.startswith("val_")]
        names = sorted(names, key=lambda key: key != "loss")  # loss first, then the metrics in the run's order
        if not names:
            names = list(available)  # a history of val_ values only still gets drawn
    else:
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        missing = [n for n in names if all(_lookup(values, n) is None for _, values, _ in runs)]
        if missing:
            raise ValueError(
                f"plot_history(metrics=...) names {missing}, which the history does not have (metrics with several "
                f"values per epoch, such as F1Score's per-class ones, have no single curve). It has: {available}."
            )
    if not names:
        raise ValueError("plot_history received an empty history: fit for at least one epoch first.")
    return names


def _plot_metric(axes, name, run_name, values, epochs, color, validation):
    train = _lookup(values, name)
    prefix = "" if run_name is None else f"{run_name} "
    x = [e + 1 for e in epochs] if epochs and train is not None and len(epochs) == len(train) else None
    if train is not None:
        x = x or list(range(1, len(train) + 1))
        axes.plot(
            x, train, color=color, linestyle="-", marker="." if len(train) < 30 else None, label=f"{prefix}training"
        )
    val = _lookup(values, f"val_{name}") if validation and not name.startswith("val_") else None
    if val:
        axes.plot(_validation_x(x, len(val)), val, color=color, linestyle="--", label=f"{prefix}validation")


def _validation_x(train_x, count):
    """The epochs of `count` validation values: every epoch, or every k-th (fit's `validation_freq=k`)."""
    if not train_x or len(train_x) == count:
        return train_x or list(range(1, count + 1))
    step = max(1, len(train_x) // count)
    return (train_x[step - 1 :: step] + [train_x[-1]] * count)[:count]


def _palette(count):
    """One colour per run: matplotlib's default cycle (tab10), repeated if there are more runs."""
    import matplotlib

    colors = matplotlib.rcParams["axes.prop_cycle"].by_key().get("color") or ["C0"]
    return [colors[i % len(colors)] for i in range(count)]


def _new_figure(panels, ncols, figsize, dpi, show):
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("plot_history draws with matplotlib: pip install matplotlib (or cornu[plot]).") from error
    if ncols is not None and (isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1):
        raise ValueError(f"plot_history's ncols must be a positive integer. Received: ncols={ncols!r}.")
    ncols = min(panels, ncols or 3)
    nrows = math.ceil(panels / ncols)
    figsize = figsize or (5 * ncols, 3.6 * nrows)
    if show:  # a window needs pyplot's figure manager; otherwise stay out of pyplot's global state
        import matplotlib.pyplot as plt

        figure = plt.figure(figsize=figsize, dpi=dpi)
    else:
        figure = Figure(figsize=figsize, dpi=dpi)
    figure.subplots(nrows, ncols, squeeze=False)
    figure.set_layout_engine("tight")
    return figure


def _save(figure, to_file, dpi):
    from cornu.saving.atomic import atomic_path

    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    with atomic_path(to_file) as temporary:  # a half-written picture never replaces a good one
        figure.savefig(temporary, format="jpeg" if extension == "jpg" else extension, dpi=dpi)


def _prepare_notebook_display():
    """In a Jupyter kernel, makes sure a returned Figure is shown as an image (once): IPython gets a PNG formatter
    for figures unless one is already set (the inline backend sets it; a figure made without pyplot may come
    before the backend ever loads)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return
    from IPython.core.pylabtools import select_figure_formats
    from matplotlib.figure import Figure

    formatters = shell.display_formatter.formatters
    for mime in ("image/png", "image/svg+xml", "image/jpeg", "application/pdf"):
        try:
            formatters[mime].lookup_by_type(Figure)
            return  # the user's (or the inline backend's) choice stands
        except KeyError:
            continue
    select_figure_formats(shell, {"png"})
