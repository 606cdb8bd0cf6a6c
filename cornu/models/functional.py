"""The Functional model: a graph of layers, read off the nodes recorded while calling layers on `Input`s."""

from torch import nn

from cornu.layers.input_layer import InputLayer
from cornu.layers.symbolic import KerasTensor
from cornu.models.model import Model
from cornu.utils import tree
from cornu.utils.shapes import format_shape

__all__ = ["Functional"]


class Functional(Model):
    """A model defined by its input and output tensors: `Model(inputs=..., outputs=...)`.

    Inputs and outputs may be one tensor, a list, or a dict (then data is passed and returned by name).

    Example:
    >>> from cornu.layers import Dense, Input
    >>> inputs = Input(shape=(200,))
    >>> outputs = Dense(5, activation="softmax")(Dense(128, activation="sigmoid")(inputs))
    >>> model = Model(inputs=inputs, outputs=outputs)
    >>> model.predict(np.zeros((2, 200)), verbose=0).shape
    (2, 5)
    """

    def __init__(self, inputs, outputs, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._input_structure = _as_structure(inputs, "inputs")
        self._output_structure = _as_structure(outputs, "outputs")
        self.inputs = tree.flatten(self._input_structure)
        self.outputs = tree.flatten(self._output_structure)
        nodes, layers = _map_graph(self.inputs, self.outputs)
        self._nodes = [n for n in nodes if not isinstance(n.layer, InputLayer)]
        self._graph_layers = nn.ModuleDict()  # registered by name, so state_dict keys read 'dense.kernel'
        for layer in layers:
            self._graph_layers[_module_key(layer.name)] = layer
        self._layer_list = layers
        self.built = True

    @property
    def layers(self):
        return list(self._layer_list)

    @property
    def input(self):
        """The model's own inputs, as given to `Model(inputs=...)` (not those of a later call as a layer)."""
        return self._input_structure

    @property
    def output(self):
        """The model's own outputs, as given to `Model(outputs=...)`."""
        return self._output_structure

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input_names(self):
        return [t._keras_history[0].name for t in self.inputs]

    @property
    def output_names(self):
        return [t._keras_history[0].name for t in self.outputs]

    def call(self, inputs, training=None, mask=None):
        values = {}
        for tensor, value in zip(self.inputs, self._flatten_inputs(inputs)):
            values[id(tensor)] = value
        for node in self._nodes:
            node.run(values)
        if len(self.outputs) == 1 and not isinstance(self._output_structure, dict):
            return values[id(self.outputs[0])]  # Keras unwraps a one-element list: outputs=[y] returns y
        return tree.pack_like(self._output_structure, [values[id(t)] for t in self.outputs])

    def _flatten_inputs(self, inputs):
        if isinstance(inputs, dict) and not isinstance(self._input_structure, dict):
            missing = [name for name in self.input_names if name not in inputs]
            if missing:
                raise ValueError(
                    f"Model '{self.name}' has inputs {self.input_names}; the dict given lacks {missing}. "
                    f"Its keys were {sorted(inputs)}."
                )
            return [inputs[name] for name in self.input_names]
        flat = tree.flatten(inputs)
        if len(flat) != len(self.inputs):
            expected = ", ".join(format_shape(t.shape) for t in self.inputs)
            raise ValueError(
                f"Model '{self.name}' expects {len(self.inputs)} input(s) of shape {expected}, but received "
                f"{len(flat)}. Pass a list with one array per Input, in the order given to Model(inputs=...)."
            )
        return flat

    def compute_output_shape(self, input_shape):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def get_config(self):
        # The graph itself is written by cornu.saving; here only what names the model.
        return {"name": self.name, "trainable": self.trainable}


def _as_structure(value, argument):
    if isinstance(value, KerasTensor):
        return value
    if isinstance(value, dict):
        leaves = list(value.values())
    elif isinstance(value, (list, tuple)):
        leaves = tree.flatten(value)
    else:
        leaves = [value]
    bad = [v for v in leaves if not isinstance(v, KerasTensor)]
    if bad or not leaves:
        raise ValueError(
            f"Model({argument}=...) takes the symbolic tensors made by Input(...) and by calling layers on them; "
            f"received {type(bad[0]).__name__ if bad else 'nothing'}. "
            f"Example: x = Input(shape=(200,)); y = Dense(5)(x); Model(inputs=x, outputs=y)."
        )
    return dict(value) if isinstance(value, dict) else (list(value) if isinstance(value, (list, tuple)) else value)


def _module_key(name):
    return name.replace(".", "_")


def _map_graph(inputs, outputs):
    """Nodes from inputs to outputs, and layers in Keras's order (deepest first, then by first visit)."""
    ordered, first_seen = _topological_nodes(inputs, outputs)
    node_depth, layer_depth = {}, {}
    in_graph = set(map(id, ordered))
    for node in reversed(ordered):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    layers = {id(node.layer): node.layer for node in ordered}
    for tensor in inputs:  # inputs that feed no output still belong to the model
        layer = tensor._keras_history[0]
        if id(layer) not in layers:
            layers[id(layer)], layer_depth[id(layer)], first_seen[id(layer)] = layer, 0, -1
    by_depth = sorted(layers.values(), key=lambda layer: (-layer_depth[id(layer)], first_seen[id(layer)]))
    names = [layer.name for layer in by_depth]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"The names {duplicates} are used by several layers of the model; layer names must be unique.")
    ordered_nodes = sorted(ordered, key=lambda node: -node_depth[id(node)])
    return ordered_nodes, by_depth


def _topological_nodes(inputs, outputs):
    finished, in_progress, ordered, first_seen = set(), set(), [], {}
    input_ids = set(map(id, inputs))

    def visit(tensor):
        if tensor._keras_history is None:
            raise ValueError(f"{tensor} was not made by Input(...) or a layer; a model can only use such tensors.")
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in finished:
            return
        if id(node) in in_progress:
            raise ValueError(f"The graph has a cycle through layer '{layer.name}'.")
        first_seen.setdefault(id(layer), len(first_seen))
        in_progress.add(id(node))
        if not isinstance(layer, InputLayer) and id(tensor) not in input_ids:
            for parent in node.input_tensors:
                visit(parent)
        elif isinstance(layer, InputLayer) and id(tensor) not in input_ids:
            raise ValueError(
                f"Graph disconnected: the output depends on Input '{layer.name}', which is not among the model's "
                f"inputs {[t._keras_history[0].name for t in inputs]}. Add it to Model(inputs=[...])."
            )
        finished.add(id(node))
        in_progress.discard(id(node))
        ordered.append(node)

    for tensor in outputs:
        visit(tensor)
    return ordered, first_seen
