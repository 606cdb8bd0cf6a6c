"""`compile(jit_compile=True)`: the step functions run through `torch.compile`.

What is compiled: the forward pass and the loss of the train step (AOTAutograd compiles the matching backward, which
`torch.autograd.grad` then runs), the forward pass and loss of the test step, and the forward pass of predict. The
optimizer stays outside: its learning rate and bias corrections are host numbers that change every step, which a
compiled graph would turn into a recompilation per step, and it is already a few fused kernels.

Shapes: each function is compiled with static shapes (`dynamic=False`) for the first `STATIC_SIGNATURES` input
signatures it sees (the full batch and the last, partial one of a data set), then once more with a symbolic batch
size for any further signature, so no sequence of batch sizes recompiles without end. predict pads its last batch
to the batch size. On CUDA, models of up to `CUDA_GRAPH_MAX_PARAMS` parameters are compiled with
`mode="reduce-overhead"`, which replays the step as a CUDA graph (launch overhead dominates small models there).
If compiling fails, the step runs eagerly from then on, after one warning.
"""

import warnings

import torch

from cornu.utils import tree

__all__ = ["CompiledSteps", "resolve_jit_compile", "BACKEND", "STATIC_SIGNATURES", "CUDA_GRAPH_MAX_PARAMS"]

BACKEND = "inductor"  # torch.compile's backend; tests use "aot_eager" (same capture, no code generation: fast)
STATIC_SIGNATURES = 3
CUDA_GRAPH_MAX_PARAMS = 20_000_000


def resolve_jit_compile(jit_compile, run_eagerly):
    """`compile`'s `jit_compile` as a bool: `"auto"` is eager (as Keras with the torch backend; on the CPU eager is
    also the faster for the small models cornu's seeds train), and `run_eagerly=True` wins over `True`."""
    if jit_compile == "auto":
        return False
    if jit_compile not in (True, False):
        raise ValueError(f"jit_compile must be True, False or 'auto'. Received: jit_compile={jit_compile!r}")
    if jit_compile and run_eagerly:
        warnings.warn(
            "compile(run_eagerly=True, jit_compile=True): run_eagerly wins, so the steps are not compiled. "
            "Pass run_eagerly=False to compile them.",
            stacklevel=3,
        )
        return False
    return bool(jit_compile)


class CompiledSteps:
    """The compiled step functions of one model, made on first use and kept until the next `compile()`."""

    def __init__(self, model):
        self.model = model
        self.failed = False
        params = sum(p.numel() for p in model.parameters())
        cuda = any(p.device.type == "cuda" for p in model.parameters())
        self.cuda_graphs = cuda and params <= CUDA_GRAPH_MAX_PARAMS
        self.mode = "reduce-overhead" if self.cuda_graphs else None
        self._functions = {}

    def train_forward(self, x, y, sample_weight, layers, regularized):
        """Forward pass and loss in training mode; returns what `Trainer._forward_loss` returns."""
        args = (x, y, sample_weight, layers, regularized, True)
        return self._run("train", self.model._forward_loss, args, (x, y, sample_weight))

    def test_forward(self, x, y, sample_weight, layers, regularized):
        """Forward pass and loss in inference mode."""
        args = (x, y, sample_weight, layers, regularized, False)
        return self._run("test", self.model._forward_loss, args, (x, y, sample_weight))

    def predict(self, x, batch_size):
        """The model's outputs on `x`; a batch smaller than `batch_size` is padded to it and the padding dropped."""
        rows = _rows(x)
        if batch_size and 0 < rows < batch_size and isinstance(x, torch.Tensor):
            padded = torch.cat([x, x.new_zeros((batch_size - rows,) + tuple(x.shape[1:]))])
            outputs = _slice_rows(self._run("predict", _predict_call, (self.model, padded), padded), rows)
        else:
            outputs = self._run("predict", _predict_call, (self.model, x), x)
        if self.cuda_graphs:  # a CUDA graph's outputs live in its own memory, which the next batch's replay reuses
            outputs = tree.map_structure(lambda t: t.clone() if isinstance(t, torch.Tensor) else t, outputs)
        return outputs

    def _run(self, kind, function, args, key):
        if self.failed:
            return function(*args)
        compiled = self._functions.get(kind)
        if compiled is None:
            compiled = self._functions[kind] = _ShapeCache(function, self.mode)
        if self.cuda_graphs:
            torch.compiler.cudagraph_mark_step_begin()
        try:
            return compiled(key, *args)
        except Exception as error:  # noqa: BLE001 - a compiler failure falls back to the eager step, once
            if not compiled.new_signature:
                raise
            self.model._clear_losses()  # a half-run compiled call may have left activity losses behind
            result = function(*args)  # the user's own mistake fails here too, with eager's clearer message
            self.failed = True
            warnings.warn(
                f"jit_compile=True: torch.compile could not compile the {kind} step of model '{self.model.name}' "
                f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}); running it eagerly. "
                "Pass jit_compile=False to compile() to skip the attempt.",
                stacklevel=4,
            )
            return result


class _ShapeCache:
    """`torch.compile(function)` with static shapes for the first few input signatures, then one dynamic graph."""

    def __init__(self, function, mode):
        self.function, self.mode = function, mode
        self.static = _compile(function, dynamic=False, mode=mode)
        self.dynamic = None
        self.seen = set()
        self.new_signature = False

    def __call__(self, key, *args):
        signature = _signature(key)
        self.new_signature = signature not in self.seen
        if not self.new_signature or len(self.seen) < STATIC_SIGNATURES:
            self.seen.add(signature)
            return self.static(*args)
        if self.dynamic is None:
            self.dynamic = _compile(self.function, dynamic=True, mode=self.mode)
        return self.dynamic(*args)


def _compile(function, dynamic, mode):
    if BACKEND != "inductor":  # `mode` is inductor's option
        return torch.compile(function, dynamic=dynamic, backend=BACKEND)
    return torch.compile(function, dynamic=dynamic, mode=mode)


def _predict_call(model, x):
    return model(x, training=False)


def _signature(value):
    """The shapes and dtypes of the tensors in `value` (lists, tuples, dicts), the key of a compiled graph."""
    if isinstance(value, torch.Tensor):
        return (tuple(value.shape), value.dtype)
    if isinstance(value, (list, tuple)):
        return tuple(_signature(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, _signature(v)) for k, v in sorted(value.items()))
    return None


def _rows(x):
    return len(x) if isinstance(x, torch.Tensor) else 0


def _slice_rows(outputs, rows):
    if isinstance(outputs, torch.Tensor):
        return outputs[:rows]
    if isinstance(outputs, (list, tuple)):
        return type(outputs)(_slice_rows(o, rows) for o in outputs)
    if isinstance(outputs, dict):
        return {k: _slice_rows(v, rows) for k, v in outputs.items()}
    return outputs
