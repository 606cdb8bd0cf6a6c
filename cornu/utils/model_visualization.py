"""`plot_model` and `model_to_dot`: a picture of a model's layers and how they connect.

`model_to_dot` gives the graph as a `pydot.Dot` (it needs the pydot package only). `plot_model` draws it with
graphviz when its `dot` program is installed, as Keras does; without it (many machines, most CI runners) cornu
draws the same boxes and arrows itself with matplotlib, in layers from top to bottom (`rankdir="TB"`) or from
left to right (`rankdir="LR"`), so `plot_model` works wherever matplotlib does.
"""

import html
import os
import shutil
import sys
import warnings

__all__ = ["model_to_dot", "plot_model"]

# The drawing's measures, in inches (matplotlib's unit) at a 10 pt monospace font: DejaVu Sans Mono, shipped with
# matplotlib, advances 0.602 em per character, so box widths follow from the text without a renderer.
_FONT_SIZE = 10
_CHAR_WIDTH = 0.602 * _FONT_SIZE / 72
_LINE_HEIGHT = 1.55 * _FONT_SIZE / 72
_PAD, _GAP_ALONG, _GAP_ACROSS, _MARGIN = 0.08, 0.45, 0.3, 0.25
_HEADER_COLOR, _EDGE_COLOR = "#1f1f1f", "#333333"
_TRAINABLE_COLORS = {True: "forestgreen", False: "firebrick"}
# What matplotlib writes without graphviz; ".dot" is the graph's source, written by pydot without graphviz too.
_MATPLOTLIB_FORMATS = ("png", "svg", "pdf", "jpg", "jpeg", "eps", "ps", "tif", "tiff", "webp")
# Agg cannot make images above 2**16 pixels a side; deep models at dpi=200 would pass it, so dpi is lowered.
_MAX_PIXELS = 32000


def model_to_dot(
    model,
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    subgraph=False,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
    """The model as a `pydot.Dot` graph: one node per layer (a subclassed model is one node), one edge per
    connection. Needs the pydot package; graphviz's `dot` program is needed only to render it.

    Args:
        model: A built cornu model (Sequential, Functional or subclassed).
        show_shapes: Whether each box shows the layer's input and output shapes. Defaults to `False`.
        show_dtype: Whether each box shows the layer's output dtype. Defaults to `False`.
        show_layer_names: Whether boxes show `name (Class)` rather than the class alone. Defaults to `True`.
        rankdir: `"TB"` lays the graph out top to bottom, `"LR"` left to right. Defaults to `"TB"`.
        expand_nested: Whether models inside the model are drawn as dashed clusters of their layers rather than
            one box. Defaults to `False`.
        dpi: Resolution of the rendered image, in dots per inch. Defaults to `200`.
        subgraph: Whether to return a `pydot.Cluster` (for drawing inside another graph). Defaults to `False`.
        show_layer_activations: Whether boxes of layers with an `activation` show it. Defaults to `False`.
        show_trainable: Whether boxes of layers with weights say `Trainable` or `Non-trainable`. Defaults to
            `False`.
        splines: How graphviz draws edges: `"ortho"` (right angles), `"curved"`, `"polyline"`, `"spline"` or
            `"line"`. Defaults to `"ortho"`.

    Returns:
        A `pydot.Dot` (or `pydot.Cluster` with `subgraph=True`). Node names are `str(id(layer))`.

    Example:
    >>> from cornu.layers import Dense
    >>> model = cornu.models.Sequential([Dense(4, input_shape=(3,), name="hidden"), Dense(1, name="out")])
    >>> dot = model_to_dot(model, show_shapes=True)
    >>> len(dot.get_edges())
    1
    >>> "<b>hidden</b> (Dense)" in dot.to_string(), "Output shape: <b>(None, 4)</b>" in dot.to_string()
    (True, True)
    """
    pydot = _import_pydot("model_to_dot")
    _check_plot_arguments(model, rankdir, kwargs)
    options = _Options(show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable)
    diagram = _Diagram.of(model, options, expand_nested)
    return _to_pydot(pydot, diagram, rankdir, dpi, splines, model.name if subgraph else None)


def plot_model(
    model,
    to_file="model.png",
    show_shapes=False,
    show_dtype=False,
    show_layer_names=False,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
    """Draws the model's layers as boxes joined by arrows and writes the picture to `to_file`.

    With graphviz's `dot` program installed (and pydot) the picture is graphviz's, as in Keras. Without it, cornu
    lays the graph out itself (layers in ranks by their distance from the inputs, arrows between them) and draws
    it with matplotlib: same boxes, same options, no system package needed.

    The file's suffix picks the format: `.png` (also used when there is no suffix), `.jpg`, `.svg`, `.pdf`,
    `.eps`/`.ps`, `.tif`, `.webp` work with either renderer; `.dot` writes the graph's source text (pydot only, no
    graphviz needed); any other format graphviz knows (`.gif`, `.bmp`, ...) needs graphviz.

    Args:
        model: A built cornu model (Sequential, Functional or subclassed).
        to_file: Path of the picture (a `str` or `os.PathLike`). Defaults to `"model.png"`.
        show_shapes: Whether each box shows the layer's input and output shapes. Defaults to `False`.
        show_dtype: Whether each box shows the layer's output dtype. Defaults to `False`.
        show_layer_names: Whether boxes show `name (Class)` rather than the class alone. Defaults to `False`
            (Keras 3's default here; `model_to_dot`'s is `True`).
        rankdir: `"TB"` top to bottom, `"LR"` left to right. Defaults to `"TB"`.
        expand_nested: Whether nested models are drawn as dashed clusters of their layers. Defaults to `False`.
        dpi: Resolution in dots per inch. Defaults to `200`.
        show_layer_activations: Whether boxes show the layer's activation. Defaults to `False`.
        show_trainable: Whether boxes of layers with weights say whether they train. Defaults to `False`.
        splines: graphviz's edge style (see `model_to_dot`); the matplotlib drawing uses straight arrows.
            Defaults to `"ortho"`.

    Returns:
        In IPython or Jupyter (IPython loaded), an `IPython.display.Image` (an `SVG` for `.svg`) of the file, so
        that a notebook cell shows it; `None` for `.pdf`, `.dot` and formats a notebook cannot show, and in plain
        Python.

    Example:
    >>> import os, tempfile
    >>> from cornu.layers import Dense
    >>> model = cornu.models.Sequential([Dense(4, input_shape=(3,), activation="relu"), Dense(1)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.png")
    >>> _ = plot_model(model, to_file=path, show_shapes=True, show_layer_names=True)
    >>> open(path, "rb").read(8) == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    _check_plot_arguments(model, rankdir, kwargs)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    options = _Options(show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable)
    diagram = _Diagram.of(model, options, expand_nested)
    from cornu.saving.atomic import atomic_path

    with atomic_path(to_file) as temporary:
        if extension == "dot":
            pydot = _import_pydot("plot_model(to_file='....dot')")
            with open(temporary, "w", encoding="utf-8") as file:
                file.write(_to_pydot(pydot, diagram, rankdir, dpi, splines, None).to_string())
        elif _graphviz_available():
            _to_pydot(_import_pydot("plot_model"), diagram, rankdir, dpi, splines, None).write(
                temporary, format=extension
            )
        else:
            _draw_with_matplotlib(diagram, rankdir, dpi, temporary, extension)
    return _notebook_image(to_file, extension)


class _Options:
    """What each box shows (the `show_*` arguments)."""

    def __init__(self, shapes, dtype, names, activations, trainable):
        self.shapes, self.dtype, self.names = shapes, dtype, names
        self.activations, self.trainable = activations, trainable


class _Box:
    """One layer's box: its title (`name (Class)` or `Class`), the lines under it, and its cluster (the nested
    model it is drawn inside, or `None`)."""

    def __init__(self, layer, options, cluster):
        self.key = str(id(layer))
        class_name = type(layer).__name__
        self.title = f"{layer.name} ({class_name})" if options.names else class_name
        self.bold = layer.name if options.names else class_name
        self.lines = []
        activation = getattr(layer, "activation", None) if options.activations else None
        if activation is not None:
            self.lines.append(("Activation", _activation_name(activation)))
        if options.shapes:
            if class_name != "InputLayer":
                self.lines.append(("Input shape", _shape_text(layer, "input")))
            self.lines.append(("Output shape", _shape_text(layer, "output")))
        if options.dtype:
            self.lines.append(("Output dtype", _dtype_text(layer)))
        self.trainable = bool(layer.trainable) if options.trainable and getattr(layer, "weights", None) else None
        self.cluster = cluster

    def text_lines(self):
        lines = [self.title] + [f"{label}: {value}" for label, value in self.lines]
        if self.trainable is not None:
            lines.append("Trainable" if self.trainable else "Non-trainable")
        return lines


class _Diagram:
    """The boxes, the edges `(source key, destination key)` and the clusters `(key, label, parent key)` of a model,
    read once from its layers and graph nodes and then drawn by pydot or by matplotlib."""

    def __init__(self):
        self.boxes, self.edges, self.clusters = [], [], []

    @classmethod
    def of(cls, model, options, expand_nested):
        diagram = cls()
        diagram._add_model(model, options, expand_nested, cluster=None)
        return diagram

    def _add_model(self, model, options, expand_nested, cluster):
        if not _is_graph_model(model):  # a subclassed model has no graph to read: one box, as in Keras
            self.boxes.append(_Box(model, options, cluster))
            return
        for layer in model.layers:
            if expand_nested and _is_graph_model(layer):
                inner = str(id(layer))
                self.clusters.append((inner, layer.name, cluster))
                self._add_model(layer, options, expand_nested, inner)
            else:
                self.boxes.append(_Box(layer, options, cluster))
        for source, output_index, destination, input_index in _connections(model):
            if expand_nested:
                source, destination = (
                    _innermost_source(source, output_index),
                    _innermost_destination(destination, input_index),
                )
            edge = (str(id(source)), str(id(destination)))
            if edge not in self.edges:
                self.edges.append(edge)


def _connections(model):
    """`(source layer, output index, destination layer, input index)` for each connection inside `model`."""
    from cornu.models.sequential import Sequential

    if isinstance(model, Sequential):
        layers = model.layers
        return [(a, 0, b, 0) for a, b in zip(layers[:-1], layers[1:])]
    found = []
    for node in model._nodes:
        for input_index, tensor in enumerate(node.input_tensors):
            source, _, output_index = tensor._keras_history
            found.append((source, output_index, node.layer, input_index))
    return found


def _innermost_source(layer, output_index):
    """The layer inside nested models that produces their output number `output_index`."""
    while _is_graph_model(layer):
        layer, _, output_index = layer.outputs[output_index]._keras_history
    return layer


def _innermost_destination(layer, input_index):
    """The box inside nested models that receives their input number `input_index`: a Functional model's
    InputLayer, or a Sequential model's first layer (it draws no InputLayer)."""
    from cornu.models.sequential import Sequential

    while _is_graph_model(layer):
        if isinstance(layer, Sequential):
            layer, input_index = layer.layers[0], 0
        else:
            layer = layer.inputs[input_index]._keras_history[0]
    return layer


def _is_graph_model(layer):
    from cornu.models.functional import Functional
    from cornu.models.sequential import Sequential

    return isinstance(layer, (Functional, Sequential))


def _activation_name(activation):
    return getattr(activation, "name", None) or getattr(activation, "__name__", None) or str(activation)


def _shape_text(layer, attribute):
    """The shapes of the layer's first call, as Keras writes them: `(None, 3)`, a list, or `a: (None, 3), ...`."""
    try:
        tensors = getattr(layer, attribute)
    except (AttributeError, ValueError):
        return "?"
    if isinstance(tensors, dict):
        return ", ".join(f"{key}: {tuple(t.shape)}" for key, t in tensors.items())
    if isinstance(tensors, (list, tuple)):
        return str([tuple(t.shape) for t in tensors])
    return str(tuple(tensors.shape))


def _dtype_text(layer):
    try:
        output = layer.output
    except (AttributeError, ValueError):
        return "?"
    if isinstance(output, (list, tuple)):
        return str([t.dtype for t in output])
    return str(output.dtype)


def _check_plot_arguments(model, rankdir, kwargs):
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported (as in Keras 3); plot the whole model.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {sorted(kwargs)}.")
    if rankdir not in ("TB", "LR"):
        raise ValueError(
            f"rankdir must be 'TB' (top to bottom) or 'LR' (left to right). Received: rankdir={rankdir!r}."
        )
    if not getattr(model, "built", False):
        raise ValueError(
            f"Model '{model.name}' has not been built yet, so its layers have no shapes or connections to draw. "
            f"Build it first: give the first layer an input_shape, call model.build((None, ...)), or call the model "
            f"on a batch of data."
        )


def _import_pydot(caller):
    try:
        import pydot
    except ImportError as error:
        raise ImportError(
            f"{caller} needs the pydot package: pip install pydot (or pip install cornu[plot])."
        ) from error
    return pydot


def _graphviz_available():
    """Whether pydot and graphviz's `dot` program (pydot's default renderer) are both installed."""
    try:
        import pydot  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None


# ---------------------------------------------------------------------------------------------------- pydot
def _to_pydot(pydot, diagram, rankdir, dpi, splines, cluster_name):
    if cluster_name is not None:
        dot = pydot.Cluster(graph_name=cluster_name, style="dashed", label=cluster_name, labeljust="l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    graphs = {None: dot}
    for key, label, _ in diagram.clusters:
        graphs[key] = pydot.Cluster(graph_name=key, style="dashed", label=html.escape(label), labeljust="l")
    for key, _, parent in diagram.clusters:  # nested clusters go into their parent once all exist
        graphs[parent].add_subgraph(graphs[key])
    for box in diagram.boxes:
        node = pydot.Node(box.key, label=_html_label(box), fontname="Helvetica", border="0", margin="0")
        graphs[box.cluster].add_node(node)
    for source, destination in diagram.edges:
        dot.add_edge(pydot.Edge(source, destination, penwidth="2"))
    return dot


def _html_label(box):
    """A graphviz HTML-like label: a black title row, then one white cell per shown property."""
    cells = [
        f'<td bgcolor="white"><font point-size="14">{html.escape(label)}: <b>{html.escape(value)}</b></font></td>'
        for label, value in box.lines
        if label != "Activation"
    ]
    if box.trainable is not None:
        color = _TRAINABLE_COLORS[box.trainable]
        word = "Trainable" if box.trainable else "Non-trainable"
        cells.append(f'<td bgcolor="{color}"><font point-size="14" color="white"><b>{word}</b></font></td>')
    span = max(1, len(cells))
    title = html.escape(box.title).replace(html.escape(box.bold), f"<b>{html.escape(box.bold)}</b>", 1)
    rows = [f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" color="white">{title}</font></td></tr>']
    for label, value in box.lines:
        if label == "Activation":
            rows.append(
                f'<tr><td colspan="{span}" bgcolor="white"><font point-size="14">'
                f"Activation: <b>{html.escape(value)}</b></font></td></tr>"
            )
    if cells:
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">{"".join(rows)}</table>>'


# ---------------------------------------------------------------------------------------------------- matplotlib
def _draw_with_matplotlib(diagram, rankdir, dpi, path, extension):
    if extension not in _MATPLOTLIB_FORMATS:
        raise ValueError(
            f"plot_model cannot write a '.{extension}' file without graphviz's `dot` program, which is not installed. "
            f"Use one of {', '.join('.' + f for f in _MATPLOTLIB_FORMATS)} or .dot, or install graphviz "
            f"(https://graphviz.org/download/)."
        )
    try:
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyArrowPatch, Rectangle
    except ImportError as error:
        raise ImportError(
            "plot_model draws with graphviz's `dot` program or, without it, with matplotlib; neither is installed. "
            "Install matplotlib: pip install matplotlib (or pip install cornu[plot])."
        ) from error
    positions, width, height = _layout(diagram, rankdir)
    if max(width, height) * dpi > _MAX_PIXELS:
        fitted = max(1, int(_MAX_PIXELS / max(width, height)))
        warnings.warn(
            f"plot_model: the drawing is {width:.0f} x {height:.0f} inches, too large for dpi={dpi}; drawn at "
            f"dpi={fitted} instead. Pass rankdir='LR' or a smaller dpi, or write .svg/.pdf for a sharp picture.",
            stacklevel=3,
        )
        dpi = fitted
    figure = Figure(figsize=(width, height), dpi=dpi)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)  # y grows downwards, as the layout does
    axes.axis("off")
    _draw_clusters(axes, Rectangle, diagram, positions)
    for box in diagram.boxes:
        _draw_box(axes, Rectangle, box, positions[box.key])
    for source, destination in diagram.edges:
        _draw_arrow(axes, FancyArrowPatch, positions[source], positions[destination], rankdir)
    figure.savefig(path, format="jpeg" if extension == "jpg" else extension, dpi=dpi, facecolor="white")


def _box_size(box):
    lines = box.text_lines()
    return max(len(line) for line in lines) * _CHAR_WIDTH + 2 * _PAD, len(lines) * _LINE_HEIGHT + 2 * _PAD


def _ranks(diagram):
    """Each box's rank: the length of the longest path to it from a box with no incoming edge."""
    keys = [box.key for box in diagram.boxes]
    parents = {key: [] for key in keys}
    for source, destination in diagram.edges:
        parents[destination].append(source)
    # Kahn's order, not recursion: a 500-layer ResNet chain would pass Python's recursion limit.
    waiting = {key: len(parents[key]) for key in keys}
    children = {key: [] for key in keys}
    for source, destination in diagram.edges:
        children[source].append(destination)
    rank, ready = {}, [key for key in keys if not waiting[key]]
    while ready:
        key = ready.pop()
        rank[key] = max((rank[parent] + 1 for parent in parents[key]), default=0)
        for child in children[key]:
            waiting[child] -= 1
            if not waiting[child]:
                ready.append(child)
    return rank, parents


def _ordered_ranks(diagram):
    """The boxes of each rank in drawing order: model order, then sorted by the mean place of their parents
    (the barycenter rule, which removes most crossings of layered drawings)."""
    rank, parents = _ranks(diagram)
    layers = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    for box in diagram.boxes:
        layers[rank[box.key]].append(box)
    place = {box.key: i for boxes in layers for i, box in enumerate(boxes)}
    for boxes in layers[1:]:
        boxes.sort(key=lambda b: sum(place[p] for p in parents[b.key]) / len(parents[b.key]) if parents[b.key] else -1)
        place.update({box.key: i for i, box in enumerate(boxes)})
    return layers


def _layout(diagram, rankdir):
    """`({key: (x, y, width, height)}, figure width, figure height)` in inches, ranks down (TB) or across (LR),
    each rank centred."""
    layers = _ordered_ranks(diagram)
    sizes = {box.key: _box_size(box) for box in diagram.boxes}
    along = 0 if rankdir == "LR" else 1  # the axis that ranks advance on
    extents = []
    for boxes in layers:
        depth = max(sizes[b.key][along] for b in boxes)
        span = sum(sizes[b.key][1 - along] for b in boxes) + _GAP_ACROSS * (len(boxes) - 1)
        extents.append((depth, span))
    full_span = max(span for _, span in extents)
    positions, offset = {}, _MARGIN
    for boxes, (depth, span) in zip(layers, extents):
        across = _MARGIN + (full_span - span) / 2
        for box in boxes:
            w, h = sizes[box.key]
            size_along, size_across = (w, h) if along == 0 else (h, w)
            start_along = offset + (depth - size_along) / 2
            positions[box.key] = (start_along, across, w, h) if along == 0 else (across, start_along, w, h)
            across += size_across + _GAP_ACROSS
        offset += depth + _GAP_ALONG
    total_along = offset - _GAP_ALONG + _MARGIN
    total_across = full_span + 2 * _MARGIN
    if diagram.clusters:  # room for the cluster frames and their names
        positions = {k: (x + _MARGIN, y + _MARGIN, w, h) for k, (x, y, w, h) in positions.items()}
        total_along, total_across = total_along + 2 * _MARGIN, total_across + 2 * _MARGIN
    width, height = (total_along, total_across) if along == 0 else (total_across, total_along)
    return positions, width, height


def _draw_box(axes, Rectangle, box, position):
    x, y, w, h = position
    axes.add_patch(Rectangle((x, y), w, h, facecolor="white", edgecolor=_HEADER_COLOR, linewidth=1.2, zorder=2))
    axes.add_patch(
        Rectangle((x, y), w, _LINE_HEIGHT + _PAD, facecolor=_HEADER_COLOR, edgecolor=_HEADER_COLOR, zorder=2)
    )
    text = {"family": "DejaVu Sans Mono", "fontsize": _FONT_SIZE, "va": "center", "zorder": 3}
    axes.text(x + _PAD, y + _PAD + _LINE_HEIGHT / 2, box.title, color="white", weight="bold", **text)
    row_y = y + _PAD + _LINE_HEIGHT * 1.5
    for label, value in box.lines:
        axes.text(x + _PAD, row_y, f"{label}: {value}", color="black", **text)
        row_y += _LINE_HEIGHT
    if box.trainable is not None:
        color = _TRAINABLE_COLORS[box.trainable]
        axes.add_patch(Rectangle((x, row_y - _LINE_HEIGHT / 2), w, _LINE_HEIGHT, facecolor=color, zorder=2))
        axes.text(x + _PAD, row_y, "Trainable" if box.trainable else "Non-trainable", color="white", **text)


def _draw_arrow(axes, FancyArrowPatch, source, destination, rankdir):
    sx, sy, sw, sh = source
    dx, dy, dw, dh = destination
    if rankdir == "LR":
        start, end = (sx + sw, sy + sh / 2), (dx, dy + dh / 2)
    else:
        start, end = (sx + sw / 2, sy + sh), (dx + dw / 2, dy)
    arrow = FancyArrowPatch(
        start, end, arrowstyle="-|>", mutation_scale=14, linewidth=1.5, color=_EDGE_COLOR, shrinkA=0, shrinkB=1
    )
    arrow.set_zorder(1)
    axes.add_patch(arrow)


def _draw_clusters(axes, Rectangle, diagram, positions):
    """A dashed frame, named top left, around the boxes of each nested model (and of the models inside it)."""
    members = {key: [] for key, _, _ in diagram.clusters}
    parent_of = {key: parent for key, _, parent in diagram.clusters}
    for box in diagram.boxes:
        cluster = box.cluster
        while cluster is not None:
            members[cluster].append(positions[box.key])
            cluster = parent_of[cluster]
    for key, label, _ in diagram.clusters:
        if not members[key]:
            continue
        depth, parent = 0, parent_of[key]
        while parent is not None:
            depth, parent = depth + 1, parent_of[parent]
        margin = _MARGIN * (0.9 - 0.3 * min(depth, 2))
        x0 = min(p[0] for p in members[key]) - margin
        y0 = min(p[1] for p in members[key]) - margin
        x1 = max(p[0] + p[2] for p in members[key]) + margin
        y1 = max(p[1] + p[3] for p in members[key]) + margin
        frame = Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, linestyle="--", edgecolor="gray", zorder=0)
        axes.add_patch(frame)
        axes.text(x0 + 0.03, y0 - 0.03, label, fontsize=_FONT_SIZE - 1, color="dimgray", va="bottom", zorder=0)


def _notebook_image(path, extension):
    """What a notebook cell shows: the file as an IPython image, when IPython runs (Keras returns one whenever
    IPython can be imported; cornu does not import it into plain scripts)."""
    if "IPython" not in sys.modules or extension in ("pdf", "dot", "eps", "ps"):
        return None
    from IPython import display

    if extension == "svg":
        return display.SVG(filename=path)
    if extension in ("png", "jpg", "jpeg"):  # the format given: IPython cannot guess it for a name with no suffix
        return display.Image(filename=path, format="jpeg" if extension in ("jpg", "jpeg") else "png")
    return None
