"""plot_history: the plotted lines are the history's values, labelled and laid out as the tutorials draw them."""

import sys

import numpy as np
import pytest

import cornu
from cornu.layers import Dense
from cornu.utils.plotting import plot_history

matplotlib = pytest.importorskip("matplotlib")
PIL = pytest.importorskip("PIL.Image")


def _lines(axes):
    return [(line.get_label(), line.get_xdata().tolist(), line.get_ydata().tolist()) for line in axes.lines]


def _fit(optimizer="adam", epochs=3, **kwargs):
    rng = np.random.default_rng(0)
    x, y = rng.random((20, 3), dtype=np.float32), np.eye(2, dtype=np.float32)[rng.integers(0, 2, 20)]
    model = cornu.models.Sequential([Dense(4, input_shape=(3,), activation="relu"), Dense(2, activation="softmax")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, validation_split=0.25, **kwargs)


def test_history_from_fit_one_panel_per_metric_with_training_and_validation():
    history = _fit()
    figure = plot_history(history)
    loss, accuracy = figure.axes
    h = history.history
    assert _lines(loss) == [("training", [1, 2, 3], h["loss"]), ("validation", [1, 2, 3], h["val_loss"])]
    assert _lines(accuracy) == [("training", [1, 2, 3], h["accuracy"]), ("validation", [1, 2, 3], h["val_accuracy"])]
    assert (loss.get_title(), accuracy.get_title(), loss.get_xlabel()) == ("loss", "accuracy", "epoch")
    assert [t.get_text() for t in loss.get_legend().get_texts()] == ["training", "validation"]
    solid, dashed = loss.lines
    assert (solid.get_linestyle(), dashed.get_linestyle()) == ("-", "--")
    assert solid.get_color() == dashed.get_color()


def test_history_dict_and_history_object_plot_the_same():
    history = _fit()
    assert _lines(plot_history(history.history).axes[0]) == _lines(plot_history(history).axes[0])


def test_runs_compared_in_one_figure_like_the_seeds_adam_vs_sgd():
    adam, sgd = _fit("adam"), _fit("sgd")
    figure = plot_history({"Adam": adam, "SGD": sgd}, title="Adam vs SGD")
    loss = figure.axes[0]
    assert _lines(loss) == [
        ("Adam training", [1, 2, 3], adam.history["loss"]),
        ("Adam validation", [1, 2, 3], adam.history["val_loss"]),
        ("SGD training", [1, 2, 3], sgd.history["loss"]),
        ("SGD validation", [1, 2, 3], sgd.history["val_loss"]),
    ]
    colors = [line.get_color() for line in loss.lines]
    assert colors[0] == colors[1] != colors[2] == colors[3]
    assert figure._suptitle.get_text() == "Adam vs SGD"


def test_list_of_runs_are_numbered():
    figure = plot_history([{"loss": [3.0, 2.0]}, {"loss": [1.0, 0.5]}])
    assert _lines(figure.axes[0]) == [("run 1 training", [1, 2], [3.0, 2.0]), ("run 2 training", [1, 2], [1.0, 0.5])]


def test_metrics_selects_panels_and_acc_finds_accuracy():
    history = _fit()
    figure = plot_history(history, metrics=["acc"])
    (panel,) = [axes for axes in figure.axes if axes.get_visible()]
    assert panel.get_title() == "acc" and _lines(panel)[0][2] == history.history["accuracy"]
    keras2 = {"loss": [1.0, 0.5], "acc": [0.5, 0.75], "val_loss": [1.2, 0.9], "val_acc": [0.4, 0.6]}
    panel = plot_history(keras2, metrics="accuracy").axes[0]
    assert _lines(panel) == [("training", [1, 2], [0.5, 0.75]), ("validation", [1, 2], [0.4, 0.6])]


def test_default_metrics_put_loss_first_and_skip_val_keys():
    figure = plot_history({"mae": [3.0, 2.0], "loss": [1.0, 0.5], "val_loss": [2.0, 1.0], "val_mae": [4.0, 3.0]})
    assert [axes.get_title() for axes in figure.axes] == ["loss", "mae"]


def test_validation_false_draws_training_only():
    figure = plot_history({"loss": [1.0, 0.5], "val_loss": [2.0, 1.0]}, validation=False)
    assert [label for label, _, _ in _lines(figure.axes[0])] == ["training"]


def test_validation_freq_places_validation_values_at_their_epochs():
    history = _fit(epochs=4, validation_freq=2)
    assert len(history.history["val_loss"]) == 2
    validation = _lines(plot_history(history).axes[0])[1]
    assert validation == ("validation", [2, 4], history.history["val_loss"])


def test_resumed_fit_counts_epochs_from_initial_epoch():
    history = _fit(epochs=4, initial_epoch=2)
    assert _lines(plot_history(history).axes[0])[0][1] == [3, 4]


def test_png_written_and_global_matplotlib_state_untouched(tmp_path):
    backend = matplotlib.get_backend()
    before = set(sys.modules)
    path = tmp_path / "curves.png"
    figure = plot_history({"loss": [1.0, 0.5, 0.25], "accuracy": [0.5, 0.7, 0.9]}, to_file=path, dpi=50)
    image = PIL.open(path)
    assert image.format == "PNG" and image.size == (500, 180)  # (2 panels x 5 in, 3.6 in) at 50 dpi
    pixels = np.asarray(image.convert("L"))
    assert pixels.min() < 100 and 0.01 < (pixels < 250).mean() < 0.5  # curves and text on white
    assert matplotlib.get_backend() == backend
    assert "matplotlib.pyplot" in before or "matplotlib.pyplot" not in sys.modules  # pyplot not dragged in
    assert isinstance(figure, matplotlib.figure.Figure)


def test_other_formats_by_suffix_and_no_stray_files(tmp_path):
    plot_history({"loss": [1.0, 0.5]}, to_file=tmp_path / "c.svg")
    plot_history({"loss": [1.0, 0.5]}, to_file=tmp_path / "c.pdf")
    plot_history({"loss": [1.0, 0.5]}, to_file=tmp_path / "c")
    assert "<svg" in (tmp_path / "c.svg").read_text()
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "c").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "c.pdf", "c.svg"]


def test_layout_wraps_after_ncols_and_hides_spare_panels():
    history = {name: [1.0, 0.5] for name in ("loss", "a", "b", "c")}
    figure = plot_history(history, ncols=3)
    assert len(figure.axes) == 6 and [axes.get_visible() for axes in figure.axes] == [True] * 4 + [False] * 2
    assert tuple(figure.get_size_inches()) == (15.0, 7.2)


def test_show_uses_pyplot(monkeypatch):
    plt = pytest.importorskip("matplotlib.pyplot")
    shown = []
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: shown.append(plt.gcf()))
    figure = plot_history({"loss": [1.0, 0.5]}, show=True)
    try:
        assert shown == [figure] and figure.number in plt.get_fignums()
    finally:
        plt.close(figure)


def test_errors_name_the_fix():
    with pytest.raises(ValueError, match=r"names \['f1'\].*It has: \['loss', 'val_loss'\]"):
        plot_history({"loss": [1.0], "val_loss": [2.0]}, metrics=["f1"])
    with pytest.raises(TypeError, match="takes what fit\\(\\) returned.*plot_history\\(\\{'Adam': h1"):
        plot_history(3.0)
    with pytest.raises(TypeError, match="Run 'SGD'.*is a float.*must be a History or a dict"):
        plot_history({"Adam": {"loss": [1.0]}, "SGD": 2.0})
    with pytest.raises(ValueError, match="ncols=0"):
        plot_history({"loss": [1.0]}, ncols=0)
    with pytest.raises(TypeError, match="empty|takes what fit"):
        plot_history({})


def test_in_a_notebook_kernel_the_returned_figure_displays_as_png():
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactiveshell.InteractiveShell.instance()
    try:
        shell.kernel = object()  # what a Jupyter kernel's shell has and a terminal IPython lacks
        figure = plot_history({"loss": [1.0, 0.5]})
        data, _ = shell.display_formatter.format(figure)
        assert data["image/png"][:4] in (b"\x89PNG", "iVBO")  # raw bytes, or base64 in older IPython
    finally:
        interactiveshell.InteractiveShell.clear_instance()


def test_metrics_with_several_values_per_epoch_are_left_out():
    history = {"loss": [1.0, 0.5], "f1_score": [np.array([0.1, 0.2]), np.array([0.3, 0.4])]}
    assert [axes.get_title() for axes in plot_history(history).axes] == ["loss"]
    with pytest.raises(ValueError, match="several values per epoch.*It has: \\['loss'\\]"):
        plot_history(history, metrics=["f1_score"])
