"""`model.summary()` / `cornu.utils.summary`: the text, the totals (closed forms), the options and the errors.

The terminal width is fixed through `COLUMNS` (read by both the default `line_length` and rich), and colour is
switched off or forced through rich's environment variables, so every expected text below is exact.
"""

import re

import numpy as np
import pytest
import torch

from cornu.layers import Activation, Dense, Input, Layer, concatenate
from cornu.models import Model, Sequential
from cornu.utils.naming import reset_names
from cornu.utils.summary import print_summary, readable_memory_size, weight_memory_size

ANSI = re.compile(r"\x1b\[[0-9;]*m")

SEED_SUMMARY = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ dense (Dense)                        │ (None, 128)                 │          25,728 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ activation (Activation)              │ (None, 128)                 │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_1 (Dense)                      │ (None, 256)                 │          33,024 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ activation_1 (Activation)            │ (None, 256)                 │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_2 (Dense)                      │ (None, 5)                   │           1,285 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ activation_2 (Activation)            │ (None, 5)                   │               0 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 60,037 (234.52 KB)
 Trainable params: 60,037 (234.52 KB)
 Non-trainable params: 0 (0.00 B)
"""


@pytest.fixture(autouse=True)
def _plain_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")  # default line_length = min(88, 100 - 4)
    for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLORTERM"):
        monkeypatch.delenv(name, raising=False)


def seed_model():
    reset_names()  # the names a fresh session gives, however many models a test builds
    return Sequential(
        [
            Dense(128, input_dim=200),
            Activation("sigmoid"),
            Dense(256),
            Activation("sigmoid"),
            Dense(5),
            Activation("softmax"),
        ]
    )


def text_of(model, **kwargs):
    received = []
    model.summary(print_fn=received.append, **kwargs)
    assert len(received) == 1
    return received[0]


def frozen_model():
    return Sequential([Dense(8, input_shape=(3,), name="frozen", trainable=False), Dense(2, name="head")], name="fz")


def two_input_model():
    a, b = Input(shape=(3,), name="a"), Input(shape=(5,), name="b")
    return Model([a, b], Dense(2, name="out")(concatenate([a, b], name="joined")), name="two_inputs")


def table_lines(text):
    return [line for line in text.splitlines() if line[:1] in "┏┃┡│├└"]


# ----------------------------------------------------------------------------------------------- the text
def test_seed_model_summary_text():
    model = seed_model()
    assert model.count_params() == 60037  # 200*128+128 + 128*256+256 + 256*5+5
    assert text_of(model) == SEED_SUMMARY


def test_print_fn_receives_the_whole_summary_once():
    received = []
    assert seed_model().summary(print_fn=received.append) is None
    assert len(received) == 1  # Keras 3 makes one call with the whole text, not one per line
    lines = received[0].splitlines()
    assert lines[0] == 'Model: "sequential"'
    assert lines[-3:] == [
        " Total params: 60,037 (234.52 KB)",
        " Trainable params: 60,037 (234.52 KB)",
        " Non-trainable params: 0 (0.00 B)",
    ]
    assert received[0].endswith("\n") and "\x1b" not in received[0]


def test_stdout_that_is_not_a_terminal_gets_plain_text(capsys):
    seed_model().summary()
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert out == SEED_SUMMARY


def test_terminal_gets_keras_colours(capsys, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich's switch: render as for a terminal
    monkeypatch.setenv("TERM", "xterm-256color")
    seed_model().summary()
    out = capsys.readouterr().out
    assert '\x1b[1mModel: "sequential"\x1b[0m' in out  # bold title
    assert "(\x1b[38;5;45mNone\x1b[0m, \x1b[38;5;34m128\x1b[0m)" in out  # None cyan (45), sizes green (34)
    assert "(\x1b[38;5;33mDense\x1b[0m)" in out  # class names yellow (33)
    assert ANSI.sub("", out) == SEED_SUMMARY


def test_sequential_omits_its_input_layer_and_functional_lists_inputs():
    assert "InputLayer" not in text_of(seed_model())
    text = text_of(two_input_model())
    assert "│ a (InputLayer)" in text and "│ b (InputLayer)" in text


def test_functional_graph_has_connected_to_column():
    text = text_of(two_input_model())
    header = table_lines(text)[1]
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == [
        "Layer (type)",
        "Output Shape",
        "Param #",
        "Connected to",
    ]
    rows = {line.split("│")[1].strip(): line.split("│")[4].strip() for line in table_lines(text) if line[0] == "│"}
    assert rows["a (InputLayer)"] == "-"
    assert rows["joined (Concatenate)"] == "a[0][0], b[0][0]"
    assert rows["out (Dense)"] == "joined[0][0]"
    assert " Total params: 18 (72.00 B)" in text  # (3 + 5) * 2 + 2 float32s


def test_chain_functional_has_three_columns_unless_a_layer_is_shared():
    x = Input(shape=(4,), name="x")
    chain = Model(x, Dense(2, name="d2")(Dense(4, name="d1")(x)), name="chain")
    assert "Connected to" not in text_of(chain)
    shared = Dense(4, name="shared")
    twice = Model(x, shared(shared(x)), name="twice")
    text = text_of(twice)
    assert "Connected to" in text
    assert "x[0][0], shared[0][0]" in text  # its two calls: on the input, then on its own first output


def test_rank_one_output_shape_is_written_as_keras_writes_it():
    class Total(Layer):
        def call(self, inputs):
            return inputs.sum(-1)

    model = Sequential([Input(shape=(3,)), Total(name="total")], name="sums")
    assert "│ total (Total)" in text_of(model) and "│ (None)  " in text_of(model)


def test_model_and_layer_names_are_not_read_as_markup():
    model = Sequential([Dense(2, input_shape=(3,), name="[bold]d")], name="[red]m")
    text = text_of(model)
    assert text.startswith('Model: "[red]m"\n')
    assert "│ [bold]d (Dense)" in text


# --------------------------------------------------------------------------------------- counts and sizes
def test_non_trainable_totals_are_closed_form():
    text = text_of(frozen_model())
    assert " Total params: 50 (200.00 B)" in text  # (3*8+8) + (8*2+2) float32s
    assert " Trainable params: 18 (72.00 B)" in text
    assert " Non-trainable params: 32 (128.00 B)" in text


def test_show_trainable_marks_each_layer():
    inner = frozen_model()
    inner.trainable = False
    model = Sequential([Input(shape=(3,)), inner, Activation("relu", name="act")], name="outer")
    rows = [line for line in table_lines(text_of(model, show_trainable=True)) if line.startswith("│")]
    assert [row.split("│")[-2].strip() for row in rows] == ["N", "-"]
    rows = [line for line in table_lines(text_of(frozen_model(), show_trainable=True)) if line.startswith("│")]
    assert [row.split("│")[-2].strip() for row in rows] == ["N", "Y"]


def test_optimizer_params_appear_once_the_optimizer_is_built():
    model = Sequential([Dense(2, input_shape=(3,), name="d")], name="m")
    model.compile(optimizer="adam", loss="mse")
    assert "Optimizer params" not in text_of(model)  # compiled, but no step taken: Keras prints no line either
    model.fit(np.zeros((4, 3), "float32"), np.zeros((4, 2), "float32"), epochs=1, verbose=0)
    lines = text_of(model).splitlines()
    # Adam keeps 2 slots per weight (16 float32s), plus the iteration counter and the learning rate. Keras's
    # iteration variable is an int32 (torch backend); cornu's host counter is reported at that size too.
    assert lines[-1] == " Optimizer params: 18 (72.00 B)"  # 16*4 + 4 + 4 bytes
    assert lines[-4] == " Total params: 26 (104.00 B)"


def test_unbuilt_sequential_shows_question_marks_and_zero():
    model = Sequential([Dense(4, name="d1"), Dense(2, name="d2")], name="unbuilt")
    rows = [line for line in table_lines(text_of(model)) if line.startswith("│")]
    assert [[cell.strip() for cell in row.split("│")[1:-1]] for row in rows] == [
        ["d1 (Dense)", "?", "0 (unbuilt)"],
        ["d2 (Dense)", "?", "0 (unbuilt)"],
    ]
    assert " Total params: 0 (0.00 B)" in text_of(model)


def test_readable_memory_size_steps_by_1024():
    assert readable_memory_size(0) == "0.00 B"
    assert readable_memory_size(1023) == "1023.00 B"
    assert readable_memory_size(1024) == "1.00 KB"
    assert readable_memory_size(60037 * 4) == "234.52 KB"
    assert readable_memory_size(1.5 * 1024**2) == "1.50 MB"
    assert readable_memory_size(3 * 1024**4) == "3.00 TB"
    # Keras's loop divides once more at PB and would print 1024**6 bytes as "1.00 PB"; we keep the value right.
    assert readable_memory_size(1024**6) == "1024.00 PB"


def test_weight_memory_size_uses_each_dtype_and_counts_a_tensor_once():
    kernel = torch.zeros(3, 4)
    assert weight_memory_size([kernel, kernel]) == 48.0  # the same tensor twice is counted once
    assert weight_memory_size([torch.zeros(2, dtype=torch.float64), torch.zeros(4, dtype=torch.bfloat16)]) == 24.0
    assert weight_memory_size([torch.zeros(16, dtype=torch.bool)]) == 2.0  # Keras counts a bool as one bit
    assert weight_memory_size([torch.zeros(5, dtype=torch.int8), torch.zeros(1, dtype=torch.int64)]) == 13.0


# ----------------------------------------------------------------------------------------------- options
def test_line_length_sets_the_table_width():
    for line_length in (50, 60, 88, 100):
        lines = table_lines(text_of(seed_model(), line_length=line_length))
        assert {len(line) for line in lines} == {line_length}
    lines = table_lines(text_of(seed_model(), line_length=120))
    assert {len(line) for line in lines} == {100}  # as in Keras, rich keeps the table within the console (COLUMNS)


def test_positions_set_the_column_ends():
    lines = table_lines(text_of(seed_model(), line_length=60, positions=[0.5, 0.75, 1.0]))
    ends = [i for i, c in enumerate(lines[0]) if c == "┳"]
    assert ends[0] == 30 and abs(ends[1] - 45) <= 1  # 0.5 and 0.75 of 60 (rich rounds the middle column)


def test_absolute_positions_are_character_columns():
    # Deliberate difference: Keras 3 multiplies positions above 1 by line_length again (a table far wider than
    # asked, squeezed by rich); cornu reads them as Keras 2 did, as the character where each column ends.
    relative = text_of(seed_model(), line_length=60, positions=[0.5, 0.75, 1.0])
    assert text_of(seed_model(), line_length=60, positions=[30, 45, 60]) == relative


def test_columns_too_narrow_raise_with_the_fix():
    with pytest.raises(ValueError, match=r"line_length=20 .* Pass a larger line_length"):
        text_of(seed_model(), line_length=20, positions=[0.1, 0.5, 1.0])


def test_expand_nested_indents_the_inner_layers():
    inner = Sequential([Input(shape=(4,)), Dense(3, name="in1"), Dense(2, name="in2")], name="inner")
    outer = Sequential([Input(shape=(4,)), inner, Dense(1, name="head")], name="outer")
    names = [line.split("│")[1].rstrip() for line in table_lines(text_of(outer, expand_nested=True)) if "│" in line]
    names = [name for name in names if name.strip()]
    assert names == [" inner (Sequential)", "    └ in1 (Dense)", "    └ in2 (Dense)", " head (Dense)"]
    collapsed = [line for line in table_lines(text_of(outer)) if line.startswith("│")]
    assert len(collapsed) == 2 and "23" in collapsed[0]  # 4*3+3 + 3*2+2


def test_layer_range_picks_layers_by_name_or_pattern():
    def listed(layer_range):
        rows = table_lines(text_of(seed_model(), layer_range=layer_range))
        return [line.split("│")[1].split()[0] for line in rows if line.startswith("│")]

    assert listed(["dense_1", "activation_1"]) == ["dense_1", "activation_1"]
    assert listed(["activation_2", "dense"]) == listed(["dense", "activation_2"])  # either order: the span
    assert listed(["dense_.*", "dense_.*"]) == ["dense_1", "activation_1", "dense_2"]
    assert listed(["activation$", "activation$"]) == ["activation"]


@pytest.mark.parametrize(
    ("layer_range", "message"),
    [
        (["dense"], "two layer names"),
        ("dense", "two layer names"),
        (["dense", 3], "two strings"),
        (["conv", "dense"], r"matches no layer \(first entry\).*'activation_2'"),
    ],
)
def test_bad_layer_range_raises(layer_range, message):
    with pytest.raises(ValueError, match=message):
        print_summary(seed_model(), layer_range=layer_range, print_fn=lambda text: None)


def test_subclassed_model_called_eagerly_shows_question_marks():
    # Known difference: Keras prints the shape a layer was built for (e.g. `(2, 3)` after a call on 2 samples);
    # cornu's Layer does not record it, so a layer never called on symbolic inputs shows `?`. Counts still show.
    class Two(Model):
        def __init__(self):
            super().__init__(name="two")
            self.d1, self.d2 = Dense(3, name="d1"), Dense(2, name="d2")

        def call(self, x):
            return self.d2(self.d1(x))

    model = Two()
    model(np.zeros((2, 4), "float32"))
    rows = [line for line in table_lines(text_of(model)) if line.startswith("│")]
    assert [[cell.strip() for cell in row.split("│")[1:-1]] for row in rows] == [
        ["d1 (Dense)", "?", "15"],
        ["d2 (Dense)", "?", "8"],
    ]


def test_sequential_built_by_its_first_batch_keeps_the_batch_axis_open():
    # Known difference: a Keras Sequential built by fit (or a call) on data prints that batch's size, e.g.
    # `(4, 2)` after a batch of 4; cornu's Sequential.build leaves the batch axis open, so it prints `(None, 2)`.
    model = Sequential([Dense(4, name="d1"), Dense(2, name="d2")], name="lazy")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((4, 3), "float32"), np.zeros((4, 2), "float32"), epochs=1, verbose=0)
    rows = [line for line in table_lines(text_of(model)) if line.startswith("│")]
    assert [[cell.strip() for cell in row.split("│")[1:-1]] for row in rows] == [
        ["d1 (Dense)", "(None, 4)", "16"],
        ["d2 (Dense)", "(None, 2)", "10"],
    ]
    # SGD without momentum keeps only the iteration counter and the learning rate (4 + 4 bytes, as in Keras).
    assert text_of(model).splitlines()[-1] == " Optimizer params: 2 (8.00 B)"
