"""`TensorBoard`: losses, metrics, weight histograms, the model graph and profiles, as TensorBoard event files.

The files are written by TensorBoard's own event writer (`torch.utils.tensorboard.SummaryWriter`, which needs the
`tensorboard` package), in Keras 3's layout and with its tag names, so `tensorboard --logdir logs` shows a cornu
run as it shows a Keras one:

    logs/train/       epoch_loss, epoch_accuracy, epoch_learning_rate, (epoch_steps_per_second), batch_* scalars,
                      <layer>/<weight>/histogram and /image, the model graph ("keras" and the traced op graph),
                      embeddings (projector) and profiler traces (*.pt.trace.json)
    logs/validation/  epoch_loss, epoch_accuracy, ... (the `val_` logs without their prefix), and
                      evaluation_<name>_vs_iterations
"""

import os
import time
import warnings

import numpy as np
import torch

from cornu.callbacks.callback import Callback

__all__ = ["TensorBoard"]

_INSTALL_HINT = "pip install tensorboard (or pip install cornu[tensorboard])"


class TensorBoard(Callback):
    """Writes what `fit` does to TensorBoard event files under `log_dir`; view them with `tensorboard --logdir`.

    Every epoch writes `epoch_<name>` scalars at step `epoch` (from 0): the training logs and the optimizer's
    `learning_rate` into `log_dir/train`, the `val_` logs, without the prefix, into `log_dir/validation`, so that
    TensorBoard draws training and validation of one metric in one chart. Each evaluation (fit's validation, or
    `evaluate(..., callbacks=[tb])`) also writes `evaluation_<name>_vs_iterations` at step `optimizer.iterations`
    into the validation run, as Keras does.

    Args:
        log_dir: Folder of the logs (a `str` or `os.PathLike`); give each run its own. Defaults to `"logs"`.
        histogram_freq: Every how many epochs to write a histogram of each weight, tagged
            `<layer>/<weight>/histogram` (e.g. `dense/kernel/histogram`; a Sequential model's weights are prefixed
            by its name, `sequential/dense/kernel/histogram`, as in Keras). Epochs `0, f, 2f, ...` are written;
            `0` writes none. Defaults to `0`.
        write_graph: Whether to write the model's graph: the Keras model config (tag `"keras"`, TensorBoard's
            conceptual graph, for Sequential and Functional models) and the op graph traced by `torch.jit.trace`
            on the first training batch (one sample of it). A model that cannot be traced gets a warning, and
            training goes on. Defaults to `True`.
        write_images: Whether to write each weight as an image too (`<layer>/<weight>/image`), when histograms are
            written; values are shown as they are (0 to 1 from black to white, the rest clipped), as in Keras.
            Defaults to `False`.
        write_steps_per_second: Whether to write `epoch_steps_per_second` (and, with `update_freq`,
            `batch_steps_per_second`). Defaults to `False`.
        update_freq: `"epoch"` writes once per epoch; an integer `n` also writes `batch_<name>` scalars (the
            running means of the epoch so far) every `n` training batches, at step = batches since `fit` began
            (from 1); `"batch"` is `1`. Reading batch logs waits for the device, so large `n` train faster.
            Defaults to `"epoch"`.
        profile_batch: `0` for no profiling, a batch number `n`, or a pair `(start, stop)` (or the string
            `"start,stop"`): the training batches (counted from 1 since `fit` began) traced by `torch.profiler`,
            written to `log_dir/train` as a `*.pt.trace.json` file (shown by TensorBoard's PyTorch profiler
            plugin, `pip install torch-tb-profiler`, or by chrome://tracing). Defaults to `0`.
        embeddings_freq: Every how many epochs to write the matrices of the model's `Embedding` layers for
            TensorBoard's projector (`0`: never). Defaults to `0`.
        embeddings_metadata: A file of labels (TSV, one line per row of the matrix, as TensorBoard's projector
            reads) for every Embedding layer, or a dict from layer name to such a file. Defaults to `None`.

    Example:
    >>> import os, tempfile
    >>> from cornu.layers import Dense
    >>> log_dir = tempfile.mkdtemp()
    >>> model = cornu.models.Sequential([Dense(1, input_shape=(2,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[TensorBoard(log_dir)])
    >>> sorted(os.listdir(log_dir))
    ['train']
    """

    def __init__(
        self,
        log_dir="logs",
        histogram_freq=0,
        write_graph=True,
        write_images=False,
        write_steps_per_second=False,
        update_freq="epoch",
        profile_batch=0,
        embeddings_freq=0,
        embeddings_metadata=None,
    ):
        super().__init__()
        _summary_writer_class()  # fail here, with the fix, rather than after the first epoch
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _check_frequency("histogram_freq", histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = _check_update_freq(update_freq)
        self.profile_batch = profile_batch
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self.embeddings_freq = _check_frequency("embeddings_freq", embeddings_freq)
        self.embeddings_metadata = embeddings_metadata
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers = {}
        self._global_train_batch = 0
        self._epoch_start = (0.0, 0)  # (time, optimizer iterations) when the epoch began
        self._batch_start_time = 0.0
        self._graph_input = None
        self._graph_hook = None
        self._profiler = None
        self._profiled_batch = None
        self._in_fit = False

    # ------------------------------------------------------------------ writers
    def _writer(self, run):
        """The event writer of `run` (`"train"` or `"validation"`), created on first use as Keras does: a run
        that logs nothing gets no folder."""
        if run not in self._writers:
            folder = self._train_dir if run == "train" else self._val_dir
            self._writers[run] = _summary_writer_class()(log_dir=folder)
        return self._writers[run]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}  # a later fit() opens new event files

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._in_fit = True
        train = self._writer("train")
        if self.write_graph:
            _write_keras_config(train, self.model)
            self._graph_hook = self.model.register_forward_pre_hook(self._capture_input)
        if self.embeddings_freq:
            self._embedding_layers = _embedding_layers(self.model, self.embeddings_metadata)

    def on_train_end(self, logs=None):
        self._in_fit = False
        self._remove_graph_hook()
        if self._profiler is not None:
            self._stop_profiler()
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start = (time.time(), _iterations(self.model))

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._log_embeddings(epoch)
        for writer in self._writers.values():
            writer.flush()  # an epoch's numbers show in TensorBoard at once, not after the writer's 2 minutes

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()
        if self._start_batch and self._global_train_batch == self._start_batch:
            self._start_profiler()
        if self._profiler is not None:
            self._profiled_batch = torch.profiler.record_function(f"train_batch_{self._global_train_batch}")
            self._profiled_batch.__enter__()

    def on_train_batch_end(self, batch, logs=None):
        if self._profiler is not None:
            self._end_profiled_batch()
        if self._graph_input is not None:
            self._write_traced_graph()
        step = self._global_train_batch
        if self.update_freq == "epoch" or step % self.update_freq:
            return  # the logs are not read: no wait for the device
        writer = self._writer("train")
        if self.write_steps_per_second:
            writer.add_scalar("batch_steps_per_second", 1.0 / max(time.time() - self._batch_start_time, 1e-9), step)
        for name, value in _scalars(logs):
            writer.add_scalar(f"batch_{name}", value, step)

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "iterations"):
            return
        writer = self._writer("validation")
        for name, value in _scalars(logs):
            writer.add_scalar(f"evaluation_{name}_vs_iterations", value, int(optimizer.iterations))
        writer.flush()
        if not self._in_fit:  # a lone evaluate() has no on_train_end to close the files
            self._close_writers()

    # ------------------------------------------------------------------ epoch summaries
    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[len("val_") :]: v for k, v in logs.items() if k.startswith("val_")}
        learning_rate = _learning_rate(self.model)
        if learning_rate is not None:
            train["learning_rate"] = learning_rate
        if self.write_steps_per_second:
            started, iterations = self._epoch_start
            train["steps_per_second"] = (_iterations(self.model) - iterations) / max(time.time() - started, 1e-9)
        for run, values in (("train", train), ("validation", val)):
            if values:
                writer = self._writer(run)
                for name, value in _scalars(values):
                    writer.add_scalar(f"epoch_{name}", value, epoch)

    def _log_weights(self, epoch):
        writer = self._writer("train")
        for path, weight in _weight_paths(self.model):
            values = weight.detach().cpu().numpy()
            writer.add_histogram(f"{path}/histogram", values, epoch)
            if self.write_images:
                image = _weight_image(values)
                if image is not None:
                    writer.add_images(f"{path}/image", image, epoch, dataformats="NHWC")

    def _log_embeddings(self, epoch):
        writer = self._writer("train")
        for layer, metadata in self._embedding_layers:
            labels, header = _read_metadata(metadata) if metadata else (None, None)
            matrix = layer.embeddings.detach().cpu()
            writer.add_embedding(matrix, metadata=labels, metadata_header=header, global_step=epoch, tag=layer.name)

    # ------------------------------------------------------------------ graph
    def _capture_input(self, module, args):
        """Forward pre-hook on the model for the first training batch: keeps one sample of it to trace."""
        if args:
            self._graph_input = _first_sample(args[0])
        self._remove_graph_hook()

    def _remove_graph_hook(self):
        if self._graph_hook is not None:
            self._graph_hook.remove()
            self._graph_hook = None

    def _write_traced_graph(self):
        example, self._graph_input = self._graph_input, None
        model = self.model
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore", torch.jit.TracerWarning)
                warnings.simplefilter("ignore", DeprecationWarning)  # torch 2.13 deprecates the jit.trace it uses
                self._writer("train").add_graph(model, (example,), use_strict_trace=False)
        except Exception as error:  # tracing is best effort: a model torch cannot trace still trains and logs
            warnings.warn(
                f"TensorBoard could not trace model '{model.name}' to write its op graph ({type(error).__name__}: "
                f"{str(error).splitlines()[0] if str(error) else ''}); the rest is logged. Pass write_graph=False "
                f"to skip the graph.",
                stacklevel=2,
            )
        finally:
            if hasattr(model, "_clear_losses"):
                model._clear_losses()  # activity penalties of the traced call must not join the next step's loss

    # ------------------------------------------------------------------ profiler
    def _start_profiler(self):
        activities = [torch.profiler.ProfilerActivity.CPU]
        if torch.cuda.is_available():
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        os.makedirs(self._train_dir, exist_ok=True)
        self._profiler = torch.profiler.profile(
            activities=activities,
            on_trace_ready=torch.profiler.tensorboard_trace_handler(self._train_dir),
            record_shapes=True,
        )
        self._profiler.start()

    def _end_profiled_batch(self):
        if self._profiled_batch is not None:
            self._profiled_batch.__exit__(None, None, None)
            self._profiled_batch = None
        if self._global_train_batch >= self._stop_batch:
            self._stop_profiler()

    def _stop_profiler(self):
        if self._profiled_batch is not None:
            self._profiled_batch.__exit__(None, None, None)
            self._profiled_batch = None
        profiler, self._profiler = self._profiler, None
        profiler.stop()  # writes the trace (on_trace_ready)


def _summary_writer_class():
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as error:
        raise ImportError(
            f"The TensorBoard callback writes its logs with the tensorboard package, which is not installed. "
            f"Install it: {_INSTALL_HINT}."
        ) from error
    return SummaryWriter


def _check_frequency(argument, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"TensorBoard's `{argument}` must be an integer >= 0 (a number of epochs; 0 turns it off). "
            f"Received: {argument}={value!r}."
        )
    return value


def _check_update_freq(update_freq):
    if update_freq == "batch":
        return 1
    if update_freq == "epoch" or (
        isinstance(update_freq, int) and not isinstance(update_freq, bool) and update_freq > 0
    ):
        return update_freq
    raise ValueError(
        f"TensorBoard's `update_freq` must be 'epoch', 'batch' or a positive integer (write every n batches). "
        f"Received: update_freq={update_freq!r}."
    )


def _profile_range(profile_batch):
    """`(start, stop)` batches (from 1) of `profile_batch`; `(0, 0)` means no profiling. Keras's rules."""
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(part) for part in value.split(",")]
        except ValueError:
            value = None
        value = value[0] if value is not None and len(value) == 1 else value
    if isinstance(value, int) and not isinstance(value, bool):
        start, stop = value, value
    elif isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        start, stop = value
    else:
        start, stop = -1, -1
    if start < 0 or stop < start or (start == 0 and stop > 0):
        raise ValueError(
            f"TensorBoard's `profile_batch` must be 0 (no profiling), a batch number such as 5, or a pair of "
            f"positive batch numbers (start, stop) with start <= stop, such as (10, 20). "
            f"Received: profile_batch={profile_batch!r}."
        )
    return start, stop


def _scalars(logs):
    """`(name, float)` for each log value that is one number (vector metrics such as F1Score are skipped)."""
    for name, value in (logs or {}).items():
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                continue
            value = value.item()
        elif isinstance(value, np.ndarray):
            if value.size != 1:
                continue
            value = value.item()
        if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
            yield name, float(value)


def _iterations(model):
    optimizer = getattr(model, "optimizer", None)
    return int(getattr(optimizer, "iterations", 0) or 0)


def _learning_rate(model):
    """The optimizer's current learning rate (a schedule's value at this step), as Keras logs it every epoch."""
    optimizer = getattr(model, "optimizer", None)
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # a loss-scale wrapper reports its inner one
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        return None
    value = optimizer.learning_rate
    return float(value.item() if isinstance(value, torch.Tensor) else value)


def _weight_paths(model):
    """`(path, weight)` for each weight of each layer of `model`, named as Keras 3 names it: `dense/kernel`, and
    `sequential/dense/kernel` in a Sequential model (whose layers Keras builds inside the model's name scope)."""
    from cornu.models.sequential import Sequential

    prefix = f"{model.name}/" if isinstance(model, Sequential) else ""
    found, seen = [], set()
    for layer in model.layers:
        for scope, module in _named_layers(layer, layer.name):
            for weight in _own_weights(module):
                if id(weight) not in seen:
                    seen.add(id(weight))
                    found.append((f"{prefix}{scope}/{getattr(weight, 'keras_name', 'variable')}", weight))
    return [(path.replace(":", "_"), weight) for path, weight in found]


def _named_layers(layer, scope):
    """The layer and the layers inside it (depth first), each with its `outer/inner` scope."""
    yield scope, layer
    for child in layer._sublayers() if hasattr(layer, "_sublayers") else []:
        yield from _named_layers(child, f"{scope}/{child.name}")


def _own_weights(layer):
    """The layer's own weights (not its sublayers'), in Keras's order: trainable, then non-trainable."""
    if not hasattr(layer, "_own_weights"):
        return []
    return list(layer._own_weights) + list(layer._own_non_trainable) + list(layer._foreign_parameters())


def _weight_image(values):
    """A weight as a batch of NHWC one-channel images, laid out as Keras lays them out; `None` if it cannot be
    shown (3-D convolutions and the like)."""
    image = np.squeeze(values)
    if image.ndim == 1:  # a bias: one column
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:  # a dense kernel, the long side across
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:  # a 1-D convolution kernel (width, in, out): one image per output channel
        image = np.transpose(image, (2, 0, 1))[..., None]
    if image.ndim != 4 or image.shape[-1] not in (1, 3, 4):
        return None
    return image.astype(np.float32)


def _embedding_layers(model, metadata):
    """`(layer, metadata file or None)` for each Embedding layer of `model`; unknown names in `metadata` are an
    error, as in Keras."""
    from cornu.layers.core import Embedding

    layers = [layer for layer in model.layers if isinstance(layer, Embedding)]
    if metadata is None or isinstance(metadata, (str, os.PathLike)):
        return [(layer, metadata) for layer in layers]
    unknown = sorted(set(metadata) - {layer.name for layer in layers})
    if unknown:
        raise ValueError(
            f"TensorBoard's embeddings_metadata names layers that are not Embedding layers of model "
            f"'{model.name}': {unknown}. Its Embedding layers are {[layer.name for layer in layers]}."
        )
    return [(layer, metadata.get(layer.name)) for layer in layers]


def _read_metadata(path):
    """Labels of a projector metadata file: a list of strings (one column, no header), or rows with a header."""
    with open(path, encoding="utf-8") as file:
        lines = file.read().splitlines()
    if lines and "\t" in lines[0]:
        return [line.split("\t") for line in lines[1:]], lines[0].split("\t")
    return lines, None


def _first_sample(inputs):
    """One sample of a batch (a tensor, or a list/tuple/dict of them), detached, to trace the model on."""
    if isinstance(inputs, torch.Tensor):
        return inputs[:1].detach()
    if isinstance(inputs, dict):
        return {key: _first_sample(value) for key, value in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(_first_sample(value) for value in inputs)
    return inputs


def _write_keras_config(writer, model):
    """Writes the model's JSON config under tag `"keras"` at step 0, which TensorBoard's graph dashboard draws as
    the conceptual graph (its `graph_keras_model` plugin), for Sequential and Functional models as Keras does."""
    if type(model).__name__ not in ("Sequential", "Functional") or not hasattr(model, "to_json"):
        return
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.compat.proto.tensor_pb2 import TensorProto

    try:
        config = model.to_json()
    except Exception as error:  # a layer without a config must not stop training
        warnings.warn(f"TensorBoard could not write the config of model '{model.name}': {error}", stacklevel=3)
        return
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="graph_keras_model", content=b"1"))
    tensor = TensorProto(dtype=7, string_val=[config.encode("utf-8")])  # 7: DT_STRING
    summary = Summary(value=[Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])
    writer._get_file_writer().add_summary(summary, global_step=0)
