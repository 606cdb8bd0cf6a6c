"""`print_summary`: the table `model.summary()` prints, as Keras 3 prints it, rendered by rich.

One row per layer (its name and class, output shape, parameter count; for graphs that are not a plain chain, the
layers it is connected to; on request, whether it trains), then the parameter totals with their memory size.
On a terminal rich adds colour; when stdout is a file or a pipe (CI logs) the same text comes out without escape
codes. Given a `print_fn`, the whole summary is rendered without colour and handed to it as one string, which is
what Keras 3 does (its docstring speaks of lines, but its code makes one call).
"""

import math
import re
import shutil

import rich.console
import rich.markup
import rich.table

__all__ = ["print_summary", "readable_memory_size", "weight_memory_size"]

# Keras's layouts: a chain of layers gets three columns, any other graph a fourth with the connections.
_CHAIN_COLUMNS = (["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"], [0.45, 0.80, 1.0], 88)
_GRAPH_COLUMNS = (
    ["Layer (type)", "Output Shape", "Param #", "Connected to"],
    ["left", "left", "right", "left"],
    [0.3, 0.56, 0.74, 1.0],
    108,
)
_MIN_COLUMN_WIDTH = 4
# Bits per value, by dtype name (Keras counts `bool` as one bit).
_DTYPE_BITS = {"bool": 1, "bfloat16": 16, "float16": 16, "float32": 32, "float64": 64}
_DTYPE_BITS.update({f"{kind}{bits}": bits for kind in ("int", "uint") for bits in (8, 16, 32, 64)})
# Keras (torch backend) keeps the optimizer's iteration counter as an int32 variable; cornu counts on the host and
# reports it as int64, so its size is taken as Keras's to print the same memory totals.
_ITERATION_BITS = 32


def print_summary(
    model,
    line_length=None,
    positions=None,
    print_fn=None,
    expand_nested=False,
    show_trainable=False,
    layer_range=None,
):
    """Prints the layers of `model` in a table, with their output shapes and parameter counts, then the totals.

    Args:
        model: A built or unbuilt cornu model (Sequential, Functional or subclassed).
        line_length: Total width of the table in characters. Defaults to 88 (108 for graphs with a "Connected to"
            column, 12 more with `show_trainable`), capped at the terminal's width minus 4.
        positions: Where each column ends, as fractions of `line_length` (e.g. `[0.45, 0.80, 1.0]`), or as
            character positions when the last one is above 1. Defaults to Keras's layout.
        print_fn: Called once with the whole summary as a string (no colour codes) instead of printing it.
            Defaults to `None`: print to stdout, in colour on a terminal.
        expand_nested: Whether to list the layers of models nested in the model, indented under them.
            Defaults to `False`.
        show_trainable: Whether to add a "Trainable" column (`Y`, `N`, or `-` for layers without weights).
            Defaults to `False`.
        layer_range: Optional pair of layer names (or regular expressions) giving the first and last layer to
            list, both included. Defaults to `None`: all layers.

    Example:
    >>> from cornu.layers import Dense
    >>> model = cornu.models.Sequential([Dense(2, input_shape=(3,), name="d")], name="tiny")
    >>> lines = []
    >>> print_summary(model, line_length=50, print_fn=lines.append)
    >>> print(lines[0].strip())
    Model: "tiny"
    ┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━┓
    ┃ Layer (type)        ┃ Output Shape   ┃ Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━┩
    │ d (Dense)           │ (None, 2)      │       8 │
    └─────────────────────┴────────────────┴─────────┘
     Total params: 8 (32.00 B)
     Trainable params: 8 (32.00 B)
     Non-trainable params: 0 (0.00 B)
    """
    layers, graph_nodes = _listed_layers(model)
    header, alignment, default_positions, default_length = _CHAIN_COLUMNS if graph_nodes is None else _GRAPH_COLUMNS
    header, alignment = list(header), list(alignment)
    if show_trainable:
        default_length += 12
        header.append("Trainable")
        alignment.append("center")
    line_length = line_length or min(default_length, shutil.get_terminal_size().columns - 4)
    positions = _relative_positions(positions or default_positions, line_length, show_trainable)
    widths = _column_widths(positions, line_length)
    columns = [rich.table.Column(h, justify=a, width=w) for h, a, w in zip(header, alignment, widths)]
    table = rich.table.Table(*columns, width=line_length, show_lines=True)
    rows = _Rows(graph_nodes, expand_nested, show_trainable)
    start, stop = _layer_bounds(layers, layer_range)
    for layer in layers[start:stop]:
        for row in rows.of(layer):
            table.add_row(*row)
    title = _bold(f'Model: "{rich.markup.escape(model.name)}"')
    _emit([title, table, *_total_lines(model)], print_fn)


def weight_memory_size(weights):
    """The memory the distinct tensors in `weights` take, in bytes (from each tensor's dtype).

    Example:
    >>> weight_memory_size([torch.zeros(3, 4), torch.zeros(2, dtype=torch.float64)])
    64.0
    """
    unique = {id(w): w for w in weights}.values()
    return sum(math.prod(w.shape) * _dtype_bits(w.dtype) for w in unique) / 8


def readable_memory_size(size):
    """`size` bytes with two decimals in the largest unit (B, KB, MB, ... in steps of 1024) that keeps it >= 1.

    Example:
    >>> readable_memory_size(240148)
    '234.52 KB'
    """
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    for unit in units[:-1]:
        if size < 1024:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} {units[-1]}"


class _Rows:
    """Makes the table rows of a layer (and, with `expand_nested`, of the layers nested in it)."""

    def __init__(self, graph_nodes, expand_nested, show_trainable):
        self.graph_nodes, self.expand_nested, self.show_trainable = graph_nodes, expand_nested, show_trainable

    def of(self, layer, depth=0):
        prefix = "   " * depth + "└ " if depth else ""
        rows = [self.fields(layer, prefix)]
        nested = getattr(layer, "layers", None) if self.expand_nested else None
        for inner in nested or []:
            rows.extend(self.of(inner, depth + 1))
        return rows

    def fields(self, layer, prefix):
        name = rich.markup.escape(f"{prefix}{layer.name}")
        fields = [f"{name} ({_symbol(rich.markup.escape(type(layer).__name__))})", _output_shape(layer)]
        if not hasattr(layer, "built"):
            fields.append(_number(0))
        elif not layer.built:
            fields.append(f"{_number(0)} (unbuilt)")
        else:
            fields.append(_number(f"{layer.count_params():,}"))
        if self.graph_nodes is not None:
            fields.append(self.connections(layer))
        if self.show_trainable:
            if not getattr(layer, "weights", None):
                fields.append(_bold("-"))
            else:
                fields.append(_bold("Y", color=34) if layer.trainable else _bold("N", color=9))
        return fields

    def connections(self, layer):
        """`name[node_index][tensor_index]` of each tensor the layer was called on within this model."""
        found = []
        for node in getattr(layer, "_inbound_nodes", []):
            if self.graph_nodes and id(node) not in self.graph_nodes:
                continue  # a call of the layer in another model
            for tensor in node.input_tensors:
                inbound, node_index, tensor_index = tensor._keras_history
                found.append(f"{inbound.name}[{_number(node_index)}][{_number(tensor_index)}]")
        return ", ".join(found) or "-"


def _listed_layers(model):
    """The layers to list and, for a graph that is not a plain chain, the ids of its nodes (else `None`).

    A Sequential lists its layers without the InputLayer; a Functional lists every layer, its Inputs included;
    a subclassed model lists the layers it holds. Keras draws a Functional model that is a plain chain (one node
    per depth, each with one input, no layer called twice) like a Sequential one.
    """
    from cornu.models.functional import Functional

    if not isinstance(model, Functional):
        return model.layers, None
    by_depth = _nodes_by_depth(model)
    chain = all(len(nodes) == 1 and len(nodes[0].input_tensors) <= 1 for nodes in by_depth.values())
    all_nodes = [node for nodes in by_depth.values() for node in nodes]
    calls = {}
    for node in all_nodes:
        calls[id(node.layer)] = calls.get(id(node.layer), 0) + 1
    chain = chain and all(count == 1 for count in calls.values())
    return model.layers, None if chain else {id(node) for node in all_nodes}


def _nodes_by_depth(model):
    """The model's nodes grouped by depth, Keras's way: outputs at depth 0, each producer deeper than its users."""
    nodes = [_producer(tensor) for tensor in model.inputs] + list(model._nodes)
    members = {id(node): node for node in nodes}
    depth = {id(_producer(tensor)): 0 for tensor in model.outputs}
    # `_nodes` runs from the inputs to the outputs, so walking it backwards visits users before producers.
    for node in reversed(nodes):
        here = depth.setdefault(id(node), 0)
        for parent in node.parent_nodes:
            if id(parent) in members:
                depth[id(parent)] = max(depth.get(id(parent), 0), here + 1)
    grouped = {}
    for key, node in members.items():
        grouped.setdefault(depth[key], []).append(node)
    return grouped


def _producer(tensor):
    layer, node_index, _ = tensor._keras_history
    return layer._inbound_nodes[node_index]


def _output_shape(layer):
    """The output shape of the layer's last call in a graph, or `?` for a layer never called symbolically."""
    nodes = getattr(layer, "_inbound_nodes", None)
    if not nodes:
        return "?"
    shapes = [_shape_markup(tensor.shape) for tensor in nodes[-1].output_tensors]
    if len(shapes) == 1:
        return shapes[0]
    return "[" + ", ".join(shapes) + "]"


def _shape_markup(shape):
    # Keras joins the dimensions itself, so a one-axis shape reads `(5)`, not Python's `(5,)`.
    return "(" + ", ".join(_number(d) for d in shape) + ")"


def _relative_positions(positions, line_length, show_trainable):
    positions = list(positions)
    if positions and positions[-1] > 1:
        # Keras 2 read positions above 1 as character columns; Keras 3 would scale them by line_length again.
        positions = [p / line_length for p in positions]
    if show_trainable:
        positions = [p * 0.90 for p in positions] + [1.0]
    return positions


def _column_widths(positions, line_length):
    widths, current = [], 0
    for position in positions:
        width = int(position * line_length) - current
        if width < _MIN_COLUMN_WIDTH:
            raise ValueError(
                f"The summary's columns do not fit: line_length={line_length} with column ends at "
                f"{[round(p, 3) for p in positions]} (fractions of the line) leaves a column {width} characters "
                f"wide, and each needs at least {_MIN_COLUMN_WIDTH}. Pass a larger line_length, or positions "
                f"further apart, e.g. positions=[0.45, 0.8, 1.0]."
            )
        widths.append(width)
        current += width
    return widths


def _layer_bounds(layers, layer_range):
    """`[first, last + 1]`: the slice of `layers` from the first name matching `layer_range[0]` to the last
    matching `layer_range[1]` (regular expressions matched at the start of the name)."""
    if layer_range is None:
        return 0, len(layers)
    if not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2:
        raise ValueError(
            f"layer_range must be a list or tuple of two layer names, the first and last to show. "
            f"Received: layer_range={layer_range!r}. Example: layer_range=['dense', 'dense_2']."
        )
    if not all(isinstance(name, str) for name in layer_range):
        raise ValueError(
            f"layer_range must hold two strings (layer names or regular expressions). "
            f"Received: layer_range={layer_range!r}."
        )
    starts = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    ends = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not starts or not ends:
        raise ValueError(
            f"layer_range={list(layer_range)} matches no layer "
            f"({'first' if not starts else 'second'} entry). The model's layers are "
            f"{[layer.name for layer in layers]}."
        )
    if min(starts) > max(ends):  # given in reverse order: Keras shows the span between them all the same
        return min(ends), max(starts) + 1
    return min(starts), max(ends) + 1


def _total_lines(model):
    """The lines under the table: total, trainable, non-trainable and (once it has state) optimizer parameters."""
    parts = [("Trainable params", model.trainable_weights), ("Non-trainable params", model.non_trainable_weights)]
    counts = [(label, _count(weights), weight_memory_size(weights)) for label, weights in parts]
    optimizer = getattr(model, "optimizer", None)
    if getattr(model, "compiled", False) and optimizer is not None and getattr(optimizer, "built", False):
        variables = optimizer.variables  # the iteration counter first, as in Keras
        size = weight_memory_size(variables) - (_dtype_bits(variables[0].dtype) - _ITERATION_BITS) / 8
        counts.append(("Optimizer params", _count(variables), size))
    total = ("Total params", sum(n for _, n, _ in counts), sum(size for _, _, size in counts))
    return [
        f"{_bold(f' {label}: ')}{_number(f'{n:,}')} ({readable_memory_size(size)})"
        for label, n, size in [total] + counts
    ]


def _count(weights):
    return int(sum(math.prod(w.shape) for w in weights))


def _dtype_bits(dtype):
    name = str(dtype).replace("torch.", "")
    return _DTYPE_BITS.get(name) or dtype.itemsize * 8


def _emit(renderables, print_fn):
    if print_fn is None:
        console = rich.console.Console(highlight=False)  # rich drops colour codes when stdout is not a terminal
        for renderable in renderables:
            console.print(renderable)
        return
    console = rich.console.Console(highlight=False, force_terminal=False, color_system=None)
    with console.capture() as capture:
        for renderable in renderables:
            console.print(renderable)
    print_fn(capture.get())


# Keras's colours (256-colour palette numbers): green numbers, cyan `None`s, yellow class names.
def _number(value):
    return f"[color(45)]{value}[/]" if value is None else f"[color(34)]{value}[/]"


def _symbol(text):
    return f"[color(33)]{text}[/]"


def _bold(text, color=None):
    return f"[bold][color({color})]{text}[/][/]" if color else f"[bold]{text}[/]"
