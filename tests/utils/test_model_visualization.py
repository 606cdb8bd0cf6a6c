"""plot_model / model_to_dot: the dot graph lists every layer and connection; without graphviz matplotlib draws it."""

import os
import sys

import numpy as np
import pytest

import cornu
from cornu.layers import Concatenate, Dense, Dropout, Input
from cornu.utils import model_visualization
from cornu.utils.model_visualization import model_to_dot, plot_model

pydot = pytest.importorskip("pydot")
PIL = pytest.importorskip("PIL.Image")
pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def _no_graphviz(monkeypatch):
    # CI has no `dot` program; make every machine take the same (matplotlib) path unless a test says otherwise.
    monkeypatch.setattr(model_visualization, "_graphviz_available", lambda: False)


def _chain(n):
    layers = [Dense(4, input_shape=(3,), activation="relu")] + [Dense(4) for _ in range(n - 1)]
    return cornu.models.Sequential(layers)


def _two_in_two_out():
    a, b = Input(shape=(3,), name="a"), Input(shape=(5,), name="b")
    joined = Concatenate(name="join")([Dense(4, name="da")(a), Dense(4, name="db")(b)])
    block = cornu.models.Sequential([Dense(4, input_shape=(8,), name="i1"), Dense(4, name="i2")], name="block")
    out1 = Dense(1, name="out1")(block(joined))
    out2 = Dense(2, name="out2")(b)
    return cornu.models.Model([a, b], [out1, out2]), block


def _image(path):
    image = PIL.open(path)
    image.load()
    return image


def _ink(image):
    """The fraction of pixels that are not white."""
    pixels = np.asarray(image.convert("L"))
    return float((pixels < 250).mean())


def _nodes(graph):
    """Node names, without the `node [...]` defaults statement pydot lists as a node."""
    return [n.get_name() for n in graph.get_nodes() if n.get_name() != "node"]


def _edges(dot):
    return {(e.get_source(), e.get_destination()) for e in dot.get_edges()}


def _key(layer):
    return str(id(layer))


def test_png_is_drawn_without_graphviz_and_is_not_blank(tmp_path):
    path = tmp_path / "model.png"
    plot_model(_chain(3), to_file=path, show_shapes=True, dpi=72)
    image = _image(path)
    assert image.format == "PNG"
    assert 0.05 < _ink(image) < 0.6  # boxes, text and arrows on white
    # the top rows are white margin, the title bars are near-black
    pixels = np.asarray(image.convert("L"))
    assert pixels[:5].min() > 240 and pixels.min() < 40


def test_picture_grows_with_the_number_of_layers_in_the_rank_direction(tmp_path):
    sizes = {}
    for n in (2, 6):
        for rankdir in ("TB", "LR"):
            path = tmp_path / f"{n}_{rankdir}.png"
            plot_model(_chain(n), to_file=path, rankdir=rankdir, dpi=50)
            sizes[n, rankdir] = _image(path).size  # (width, height)
    assert sizes[6, "TB"][1] > 2.5 * sizes[2, "TB"][1] and sizes[6, "TB"][0] == sizes[2, "TB"][0]
    assert sizes[6, "LR"][0] > 2.5 * sizes[2, "LR"][0] and sizes[6, "LR"][1] == sizes[2, "LR"][1]
    assert sizes[6, "LR"][0] > sizes[6, "LR"][1] and sizes[6, "TB"][1] > sizes[6, "TB"][0]


def test_dpi_scales_the_picture(tmp_path):
    plot_model(_chain(2), to_file=tmp_path / "a.png", dpi=50)
    plot_model(_chain(2), to_file=tmp_path / "b.png", dpi=100)
    (w1, h1), (w2, h2) = _image(tmp_path / "a.png").size, _image(tmp_path / "b.png").size
    assert abs(w2 - 2 * w1) <= 2 and abs(h2 - 2 * h1) <= 2


def test_sequential_dot_lists_each_layer_and_each_edge():
    model = _chain(3)
    dot = model_to_dot(model)
    assert _nodes(dot) == [_key(layer) for layer in model.layers]
    assert _edges(dot) == {(_key(a), _key(b)) for a, b in zip(model.layers[:-1], model.layers[1:])}
    assert dot.get("rankdir") == "TB" and dot.get("dpi") == 200 and dot.get("splines") == "ortho"
    for layer in model.layers:
        assert f"<b>{layer.name}</b> (Dense)" in dot.get_node(_key(layer))[0].get("label")


def test_functional_with_two_inputs_and_outputs_and_a_nested_model():
    model, block = _two_in_two_out()
    by_name = {layer.name: layer for layer in model.layers}
    dot = model_to_dot(model)
    names = _nodes(dot)
    assert sorted(names) == sorted(_key(layer) for layer in model.layers)  # the Inputs included
    expected = [("a", "da"), ("b", "db"), ("da", "join"), ("db", "join"), ("join", "block"), ("block", "out1")]
    expected.append(("b", "out2"))
    assert _edges(dot) == {(_key(by_name[s]), _key(by_name[d])) for s, d in expected}


def test_expand_nested_draws_the_inner_layers_in_a_cluster():
    model, block = _two_in_two_out()
    by_name = {layer.name: layer for layer in model.layers}
    i1, i2 = block.layers
    dot = model_to_dot(model, expand_nested=True)
    (cluster,) = dot.get_subgraphs()
    assert cluster.get("label") == "block" and cluster.get("style") == "dashed"
    assert _nodes(cluster) == [_key(i1), _key(i2)]
    edges = _edges(dot)
    assert (_key(by_name["join"]), _key(i1)) in edges and (_key(i1), _key(i2)) in edges
    assert (_key(i2), _key(by_name["out1"])) in edges
    assert _key(block) not in _nodes(dot)


def test_expanded_nested_picture(tmp_path):
    model, _ = _two_in_two_out()
    plot_model(model, to_file=tmp_path / "flat.png", dpi=50)
    plot_model(model, to_file=tmp_path / "nested.png", expand_nested=True, dpi=50)
    flat, nested = _image(tmp_path / "flat.png"), _image(tmp_path / "nested.png")
    assert nested.size[1] > flat.size[1]  # two inner layers in place of one box
    assert _ink(nested) > 0.02


def test_layout_boxes_do_not_overlap_and_edges_point_forward():
    model, _ = _two_in_two_out()
    options = model_visualization._Options(True, True, True, True, True)
    for rankdir in ("TB", "LR"):
        diagram = model_visualization._Diagram.of(model, options, expand_nested=True)
        positions, width, height = model_visualization._layout(diagram, rankdir)
        boxes = list(positions.values())
        for i, (x, y, w, h) in enumerate(boxes):
            assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
            for x2, y2, w2, h2 in boxes[i + 1 :]:
                assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y
        for source, destination in diagram.edges:
            (sx, sy, sw, sh), (dx, dy, _, _) = positions[source], positions[destination]
            assert (sx + sw < dx) if rankdir == "LR" else (sy + sh < dy)


def test_labels_follow_the_show_options():
    model = _chain(2)
    model.layers[1].trainable = False
    dot = model_to_dot(
        model,
        show_shapes=True,
        show_dtype=True,
        show_layer_activations=True,
        show_trainable=True,
        show_layer_names=False,
    )
    first, second = (dot.get_node(_key(layer))[0].get("label") for layer in model.layers)
    assert "<b>Dense</b>" in first and "dense" not in first.replace("Dense", "")
    assert "Activation: <b>relu</b>" in first and "Activation: <b>linear</b>" in second
    assert "Input shape: <b>(None, 3)</b>" in first and "Output shape: <b>(None, 4)</b>" in first
    assert "Output dtype: <b>float32</b>" in first
    assert "<b>Trainable</b>" in first and "<b>Non-trainable</b>" in second
    plain = model_to_dot(model).get_node(_key(model.layers[0]))[0].get("label")
    assert "shape" not in plain and "Activation" not in plain and "rainable" not in plain


def test_input_layer_shows_only_its_output_shape():
    model, _ = _two_in_two_out()
    label = model_to_dot(model, show_shapes=True).get_node(_key(model.get_layer("a")))[0].get("label")
    assert "Output shape: <b>(None, 3)</b>" in label and "Input shape" not in label


def test_subclassed_model_is_one_box(tmp_path):
    class Net(cornu.models.Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Net()
    model(np.zeros((1, 3)))
    dot = model_to_dot(model)
    assert _nodes(dot) == [_key(model)] and not dot.get_edges()
    plot_model(model, to_file=tmp_path / "net.png", show_layer_names=True)
    assert _image(tmp_path / "net.png").size[0] > 50


def test_file_suffix_picks_the_format(tmp_path):
    model = cornu.models.Sequential([Dense(2, input_shape=(3,)), Dropout(0.5)])
    plot_model(model, to_file=tmp_path / "m.svg")
    assert "<svg" in (tmp_path / "m.svg").read_text()
    plot_model(model, to_file=tmp_path / "m.pdf")
    assert (tmp_path / "m.pdf").read_bytes().startswith(b"%PDF")
    plot_model(model, to_file=tmp_path / "m.jpg")
    assert _image(tmp_path / "m.jpg").format == "JPEG"
    plot_model(model, to_file=tmp_path / "noext")  # no suffix: PNG, as in Keras
    assert (tmp_path / "noext").read_bytes().startswith(b"\x89PNG")
    plot_model(model, to_file=tmp_path / "m.dot")  # the graph's source, no graphviz needed
    (graph,) = pydot.graph_from_dot_data((tmp_path / "m.dot").read_text())
    assert len(_nodes(graph)) == 2 and len(graph.get_edges()) == 1
    assert sorted(os.listdir(tmp_path)) == ["m.dot", "m.jpg", "m.pdf", "m.svg", "noext"]  # no stray temp files


def test_format_that_needs_graphviz_says_so(tmp_path):
    with pytest.raises(ValueError, match=r"'\.gif' file without graphviz.*\.png.*install graphviz"):
        plot_model(_chain(2), to_file=tmp_path / "m.gif")
    assert not os.listdir(tmp_path)


def test_with_graphviz_the_dot_graph_is_rendered_by_pydot(tmp_path, monkeypatch):
    calls = []

    def write(self, path, format="raw"):
        calls.append((self.get("rankdir"), format, len(_nodes(self))))
        with open(path, "w") as file:
            file.write("rendered by graphviz")

    monkeypatch.setattr(model_visualization, "_graphviz_available", lambda: True)
    monkeypatch.setattr(pydot.Dot, "write", write)
    plot_model(_chain(3), to_file=tmp_path / "m.gif", rankdir="LR")
    assert calls == [("LR", "gif", 3)] and (tmp_path / "m.gif").read_text() == "rendered by graphviz"


def test_notebook_gets_an_image_and_a_script_gets_none(tmp_path, monkeypatch):
    IPython = pytest.importorskip("IPython")
    from IPython import display

    path = tmp_path / "m.png"
    image = plot_model(_chain(2), to_file=path)
    assert isinstance(image, display.Image) and image.data == path.read_bytes()
    assert isinstance(plot_model(_chain(2), to_file=tmp_path / "m.svg"), display.SVG)
    assert plot_model(_chain(2), to_file=tmp_path / "m.pdf") is None
    monkeypatch.delitem(sys.modules, "IPython")
    assert plot_model(_chain(2), to_file=path) is None
    assert IPython is not None


def test_unbuilt_model_and_bad_arguments_are_errors(tmp_path):
    with pytest.raises(ValueError, match="has not been built.*input_shape"):
        plot_model(cornu.models.Sequential([Dense(2)]), to_file=tmp_path / "m.png")
    with pytest.raises(ValueError, match="layer_range.*no longer supported"):
        model_to_dot(_chain(2), layer_range=["dense", "dense_1"])
    with pytest.raises(ValueError, match=r"Unrecognized keyword arguments: \['colour'\]"):
        plot_model(_chain(2), to_file=tmp_path / "m.png", colour="red")
    with pytest.raises(ValueError, match="rankdir='BT'"):
        plot_model(_chain(2), to_file=tmp_path / "m.png", rankdir="BT")


def test_without_pydot_model_to_dot_says_how_to_install_and_plot_model_still_draws(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match="pip install pydot"):
        model_to_dot(_chain(2))
    plot_model(_chain(2), to_file=tmp_path / "m.png")
    assert _image(tmp_path / "m.png").format == "PNG"


def test_subgraph_returns_a_cluster():
    cluster = model_to_dot(_chain(2), subgraph=True)
    assert isinstance(cluster, pydot.Cluster) and cluster.get("label") == "sequential"


def test_deep_model_is_laid_out_without_recursion_and_huge_pictures_lower_the_dpi(tmp_path, monkeypatch):
    model = cornu.models.Sequential([Dense(2, input_shape=(2,))] + [Dense(2) for _ in range(1199)])
    options = model_visualization._Options(False, False, False, False, False)
    diagram = model_visualization._Diagram.of(model, options, expand_nested=False)
    ranks = model_visualization._ordered_ranks(diagram)  # 1200 ranks: deeper than Python's recursion limit
    assert [len(boxes) for boxes in ranks] == [1] * 1200
    monkeypatch.setattr(model_visualization, "_MAX_PIXELS", 400)
    with pytest.warns(UserWarning, match="too large for dpi=200; drawn at dpi="):
        plot_model(_chain(4), to_file=tmp_path / "m.png")
    assert max(_image(tmp_path / "m.png").size) <= 400


def test_a_name_without_suffix_gives_a_png_notebook_image(tmp_path):
    display = pytest.importorskip("IPython.display")  # imported, as in a notebook: plot_model returns an image
    image = plot_model(cornu.models.Sequential([Dense(2, input_shape=(3,))]), to_file=tmp_path / "noext")
    assert isinstance(image, display.Image) and image.format == "png"
    assert image.data.startswith(b"\x89PNG")
