"""The one table of Keras 1/2 argument spellings and their Keras 3 names.

A row is `(owner, old) -> (new, converter)`. `owner` is a class name matched against the class being built and
each of its base classes, most specific first (so `("Embedding", "W_regularizer")` wins over
`("Layer", "W_regularizer")`), or a method such as `"Model.fit"`. `converter` turns the old value into the new one
(`None`: the value is kept). Classes that land later (`Conv2D`, `LSTM`, pooling) already have their rows: the table
is keyed by name, so a class gets them by being called that.

Spellings that need more than a rename are functions beside the table (`REWRITTEN`); spellings that Keras 3 itself
accepts and ignores are `DROPPED`; names that look old but are Keras 3's own are listed in `MODERN` so that nobody
adds a row for them.

Example:
>>> RENAMED[("Model.fit", "nb_epoch")]
('epochs', None)
>>> owners_of("nb_epoch")
['Model.fit', 'Model.fit_generator']
"""

from cornu.legacy.optimizers import decay_to_schedule

__all__ = ["RENAMED", "REWRITTEN", "DROPPED", "MODERN", "KERAS_2", "OLD_NAMES", "owners_of"]

_DATA_FORMATS = {"tf": "channels_last", "th": "channels_first", "default": None}


def _data_format(value):
    """Keras 1's `dim_ordering` values: 'tf' is channels_last, 'th' channels_first, 'default' the configured one."""
    if value not in _DATA_FORMATS:
        raise ValueError(
            f"`dim_ordering` is 'tf', 'th' or 'default'. Received: dim_ordering={value!r}. "
            "Write data_format='channels_last' (for 'tf') or data_format='channels_first' (for 'th')."
        )
    return _DATA_FORMATS[value]


def _kernel_rows_cols(old, value, kwargs, owner):
    """Keras 1's `nb_row=3, nb_col=3` are Keras 3's `kernel_size=(3, 3)`."""
    other = "nb_col" if old == "nb_row" else "nb_row"
    if other not in kwargs:
        raise TypeError(f"{_name(owner)} received `{old}` without `{other}`. Write kernel_size=(rows, cols).")
    rows, cols = (value, kwargs.pop(other)) if old == "nb_row" else (kwargs.pop(other), value)
    return {"kernel_size": (rows, cols)}, f"kernel_size={(rows, cols)!r}"


def _batch_norm_mode(old, value, kwargs, owner):
    """Keras 1's `mode=0` (feature-wise, the only mode Keras 2 kept) is Keras 3's behaviour; other modes are gone."""
    if value != 0:
        raise ValueError(
            f"BatchNormalization's Keras 1 `mode={value!r}` has no Keras 2/3 counterpart (only mode=0 survived). "
            "Remove `mode` for feature-wise normalization, or use LayerNormalization() for per-sample statistics."
        )
    return {}, None


def _samples_to_steps(old, value, kwargs, owner):
    """Keras 1's sample counts of the generator methods: refused, with the batch count to write (it needs the
    generator's batch size, which only the user knows)."""
    new = {"samples_per_epoch": "steps_per_epoch", "nb_val_samples": "validation_steps"}.get(old, "steps")
    raise TypeError(
        f"`{old}={value!r}` is Keras 1's count of samples; Keras 2 and 3 count batches. Write "
        f"`{new}={value!r} // batch_size` (the batch size your generator yields)."
    )


def _name(owner):
    return owner if isinstance(owner, str) else owner.__name__


RENAMED = {
    # Any layer: Keras 1 names of the weight arguments (Keras 2 renamed them all at once).
    ("Layer", "init"): ("kernel_initializer", None),
    ("Layer", "W_regularizer"): ("kernel_regularizer", None),
    ("Layer", "b_regularizer"): ("bias_regularizer", None),
    ("Layer", "W_constraint"): ("kernel_constraint", None),
    ("Layer", "b_constraint"): ("bias_constraint", None),
    ("Layer", "bias"): ("use_bias", None),
    ("Layer", "dim_ordering"): ("data_format", _data_format),
    # Convolution and pooling layers (Conv1D/2D/3D, SeparableConv2D, MaxPooling2D, ...).
    ("Layer", "border_mode"): ("padding", None),
    ("Layer", "subsample"): ("strides", None),
    ("Layer", "nb_filter"): ("filters", None),
    ("Conv1D", "filter_length"): ("kernel_size", None),
    ("Conv1D", "subsample_length"): ("strides", None),
    ("Conv2D", "atrous_rate"): ("dilation_rate", None),
    ("Conv1D", "atrous_rate"): ("dilation_rate", None),
    ("MaxPooling1D", "pool_length"): ("pool_size", None),
    ("MaxPooling1D", "stride"): ("strides", None),
    ("AveragePooling1D", "pool_length"): ("pool_size", None),
    ("AveragePooling1D", "stride"): ("strides", None),
    ("UpSampling1D", "length"): ("size", None),
    # Core layers.
    ("Dense", "output_dim"): ("units", None),
    ("Dropout", "p"): ("rate", None),
    ("GaussianDropout", "p"): ("rate", None),
    ("GaussianNoise", "sigma"): ("stddev", None),
    ("Embedding", "init"): ("embeddings_initializer", None),
    ("Embedding", "W_regularizer"): ("embeddings_regularizer", None),
    ("Embedding", "W_constraint"): ("embeddings_constraint", None),
    ("LeakyReLU", "alpha"): ("negative_slope", None),
    ("PReLU", "init"): ("alpha_initializer", None),
    ("BatchNormalization", "beta_init"): ("beta_initializer", None),
    ("BatchNormalization", "gamma_init"): ("gamma_initializer", None),
    # Models and their methods.
    ("Model", "input"): ("inputs", None),
    ("Model", "output"): ("outputs", None),
    ("Model.fit", "nb_epoch"): ("epochs", None),
    # Optimizers (Keras 1 and 2 both said `lr`).
    ("Optimizer", "lr"): ("learning_rate", None),
}

# (owner, old) -> why it can go: the argument changes nothing (Keras 3 itself ignores `input_length`).
DROPPED = {
    ("Embedding", "input_length"): "the input length comes from the data",
}

for _rnn in ("SimpleRNN", "GRU", "LSTM"):
    RENAMED.update(
        {
            (_rnn, "output_dim"): ("units", None),
            (_rnn, "inner_init"): ("recurrent_initializer", None),
            (_rnn, "U_regularizer"): ("recurrent_regularizer", None),
            (_rnn, "U_constraint"): ("recurrent_constraint", None),
            (_rnn, "dropout_W"): ("dropout", None),
            (_rnn, "dropout_U"): ("recurrent_dropout", None),
        }
    )
    DROPPED[(_rnn, "consume_less")] = "a speed hint of Keras 1 (Keras 2's `implementation`); the math is the same"
for _rnn in ("GRU", "LSTM"):  # SimpleRNN has no inner (recurrent) activation
    RENAMED[(_rnn, "inner_activation")] = ("recurrent_activation", None)
del _rnn

for _method in ("Model.fit_generator", "Model.evaluate_generator", "Model.predict_generator"):
    RENAMED.update(
        {
            (_method, "nb_worker"): ("workers", None),
            (_method, "pickle_safe"): ("use_multiprocessing", None),
            (_method, "max_q_size"): ("max_queue_size", None),
        }
    )
del _method
RENAMED[("Model.fit_generator", "nb_epoch")] = ("epochs", None)

# (owner, old) -> function(old, value, kwargs, owner_class) -> (new keywords, the line to write). The function may
# take further old keywords out of `kwargs` (nb_row takes nb_col); it raises when the old value has no Keras 3 form.
REWRITTEN = {
    ("Optimizer", "decay"): decay_to_schedule,
    ("Conv2D", "nb_row"): _kernel_rows_cols,
    ("Conv2D", "nb_col"): _kernel_rows_cols,
    ("BatchNormalization", "mode"): _batch_norm_mode,
    ("Model.fit_generator", "samples_per_epoch"): _samples_to_steps,
    ("Model.fit_generator", "nb_val_samples"): _samples_to_steps,
    ("Model.evaluate_generator", "val_samples"): _samples_to_steps,
    ("Model.predict_generator", "val_samples"): _samples_to_steps,
}

# Names that look like Keras 1/2 but are Keras 3's own arguments: no row, no warning.
MODERN = {
    ("Layer", "input_dim"),
    ("Layer", "input_shape"),
    ("Layer", "batch_input_shape"),
    ("Layer", "weights"),
    ("Embedding", "output_dim"),
    ("ELU", "alpha"),
    ("Optimizer", "epsilon"),
}

# Old names that were still current in Keras 2 (the rest are Keras 1's), for the warning's wording.
KERAS_2 = {"lr", "decay", "alpha", "input_length"}

OLD_NAMES = frozenset(old for _, old in (*RENAMED, *REWRITTEN, *DROPPED))


def owners_of(old):
    """The owners that have a row for the old argument name `old` (a reader's index into the table).

    Example:
    >>> owners_of("p")
    ['Dropout', 'GaussianDropout']
    """
    return sorted(owner for owner, name in (*RENAMED, *REWRITTEN, *DROPPED) if name == old)
