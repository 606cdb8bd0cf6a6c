"""Attention layers: `MultiHeadAttention` (Vaswani et al., 2017), `Attention` (Luong-style dot product) and
`AdditiveAttention` (Bahdanau-style).

`MultiHeadAttention` keeps Keras's weights: four projections named `query`, `key`, `value` and `attention_output`
with kernels `(dim, num_heads, key_dim)` ... `(num_heads, value_dim, dim)`, so Keras's `get_weights()` loads as it
is. Where Keras's torch backend calls `scaled_dot_product_attention` (no dropout, no scores returned) cornu calls it
too, with Keras's additive `-1e9` mask; otherwise the scores are computed explicitly, masked to `-1e9` and zeroed
where masked after the softmax, as Keras's `Softmax(mask=...)` does.

Masks are passed explicitly (`query_mask=`, `value_mask=`, `key_mask=`, `attention_mask=` for `MultiHeadAttention`,
`mask=[query_mask, value_mask]` for the other two): `True` marks a position that takes part.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from cornu import activations, backend, constraints, initializers, regularizers
from cornu.layers import symbolic
from cornu.layers.base import Layer
from cornu.layers.regularization import dropout as _dropout
from cornu.utils.shapes import format_shape

__all__ = ["MultiHeadAttention", "Attention", "AdditiveAttention"]

_LARGE_NEGATIVE = -1e9  # Keras's masking constant for float32 scores (float16 uses -3e4)


def _large_negative(dtype):
    return -3e4 if dtype == torch.float16 else _LARGE_NEGATIVE


class _Projection(Layer):
    """One of MultiHeadAttention's projections (Keras builds an EinsumDense): contracts the last `bound` axes of
    the input with a kernel `(*input_shape[-bound:], *out_shape)` and adds a bias `out_shape`."""

    def __init__(self, bound, out_shape, use_bias, kernel_initializer, bias_initializer, activation=None, **kwargs):
        regs = {k: kwargs.pop(k) for k in ("kernel_regularizer", "bias_regularizer", "kernel_constraint")}
        bias_constraint = kwargs.pop("bias_constraint")
        super().__init__(**kwargs)
        self.bound, self.out_shape, self.use_bias = bound, tuple(out_shape), use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.activation = activations.get(activation)
        self._regs, self._bias_constraint = regs, bias_constraint

    def build(self, input_shape):
        in_dims = tuple(input_shape[-self.bound :])
        self.kernel = self.add_weight(
            in_dims + self.out_shape, self.kernel_initializer, name="kernel",
            regularizer=self._regs["kernel_regularizer"], constraint=self._regs["kernel_constraint"],
        )  # fmt: skip
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                self.out_shape, self.bias_initializer, name="bias",
                regularizer=self._regs["bias_regularizer"], constraint=self._bias_constraint,
            )  # fmt: skip

    def call(self, inputs):
        outputs = torch.tensordot(inputs, self.kernel, dims=self.bound)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs)


class MultiHeadAttention(Layer):
    """Multi-head attention: `num_heads` scaled dot-product attentions over learned projections of the inputs.

    Each head projects `query` and `key` to `key_dim` and `value` to `value_dim`, computes
    `softmax(q @ k^T / sqrt(key_dim)) @ v`, and the heads are projected back to the query's last size (or to
    `output_shape`).

    Args:
        num_heads: Positive integer, the number of heads.
        key_dim: Positive integer, the size of each head for query and key.
        value_dim: Positive integer, the size of each head for value. Defaults to `None` (`key_dim`).
        dropout: Float, dropout rate on the attention probabilities (training only). Defaults to `0.0`.
        use_bias: Whether the projections add biases. Defaults to `True`.
        output_shape: Int or tuple, the output's trailing shape. Defaults to `None` (the query's last size).
        attention_axes: Int or tuple of the axes attention runs over. Defaults to `None` (all axes but the batch,
            the heads and the features: the sequence axis of `(batch, seq, dim)` inputs).
        sliding_window: Optional positive int: each query position attends only to keys closer than this.
            Defaults to `None`.
        flash_attention: Accepted for Keras compatibility; torch picks its kernel. `True` with `dropout > 0` is
            refused, as in Keras. Defaults to `None`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional penalties (on every projection).
            Default to `None`.
        kernel_constraint, bias_constraint: Optional projections after each update. Default to `None`.
        use_gate: Whether to multiply the heads by a sigmoid gate computed from the query (weights `gate`).
            Defaults to `False`.
        seed: Optional integer for a reproducible dropout. Defaults to `None`.

    Call arguments:
        query: `(batch, T, dim)`. value: `(batch, S, dim_v)`. key: Optional `(batch, S, dim_k)`; defaults to value.
        query_mask, value_mask, key_mask: Optional booleans `(batch, T)` / `(batch, S)`.
        attention_mask: Optional boolean `(batch, T, S)`: `True` where query `t` may attend to key `s`.
        return_attention_scores: Whether to also return the `(batch, num_heads, T, S)` probabilities.
        training: Whether dropout is active.
        use_causal_mask: Whether position `t` may attend only to keys `s <= t`.

    Weights, in order: `query/kernel` `(dim, num_heads, key_dim)`, `query/bias` `(num_heads, key_dim)`, `key/...`,
    (`gate/...`), `value/...`, `attention_output/kernel` `(num_heads, value_dim, dim)`, `attention_output/bias`.

    Example:
    >>> layer = MultiHeadAttention(num_heads=2, key_dim=4)
    >>> out, scores = layer(np.ones((1, 3, 8)), np.ones((1, 5, 8)), return_attention_scores=True)
    >>> tuple(out.shape), tuple(scores.shape), round(float(scores[0, 0, 0].sum().detach()), 4)
    ((1, 3, 8), (1, 2, 3, 5), 1.0)
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        attention_axes=None,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = _positive_int("num_heads", num_heads)
        self.key_dim = _positive_int("key_dim", key_dim)
        self.value_dim = self.key_dim if value_dim is None else _positive_int("value_dim", value_dim)
        if not 0 <= dropout <= 1:
            raise ValueError(f"MultiHeadAttention's dropout must be in [0, 1]. Received: dropout={dropout!r}")
        if flash_attention and dropout > 0:
            raise ValueError(
                f"MultiHeadAttention cannot use flash attention with dropout. Received: flash_attention=True, "
                f"dropout={dropout}. Pass dropout=0.0 or flash_attention=None."
            )
        self.dropout, self.use_bias, self.use_gate, self.seed = float(dropout), bool(use_bias), bool(use_gate), seed
        self._output_shape = _output_shape(output_shape)
        self.attention_axes = _attention_axes(attention_axes)
        if sliding_window is not None and (not isinstance(sliding_window, int) or sliding_window <= 0):
            raise ValueError(
                f"MultiHeadAttention's sliding_window must be None or a positive integer. "
                f"Received: sliding_window={sliding_window!r}"
            )
        self.sliding_window, self.flash_attention = sliding_window, flash_attention
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.mha_activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True
        self._generators = {}

    # ------------------------------------------------------------------ build
    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None:
            raise TypeError(
                f"MultiHeadAttention layer '{self.name}' needs a value tensor: call it as layer(query, value) "
                f"(or layer(x, x) for self-attention)."
            )
        if not symbolic.any_symbolic([query, value, key]):
            query, value, key = (None if t is None else self._to_tensors(t) for t in (query, value, key))
            for name in ("query_mask", "value_mask", "key_mask", "attention_mask"):
                if kwargs.get(name) is not None:
                    kwargs[name] = _as_tensor(kwargs[name], query.device)
            # as in Keras, the masks that earlier layers attached to the tensors (Embedding(mask_zero=True), Masking)
            # fill the <argument>_mask arguments not given
            for name, tensor in (("query_mask", query), ("value_mask", value), ("key_mask", key)):
                if kwargs.get(name) is None and getattr(tensor, "_keras_mask", None) is not None:
                    kwargs[name] = tensor._keras_mask
        if not self.built:
            self.build(tuple(query.shape), tuple(value.shape), None if key is None else tuple(key.shape))
            self.built = True
        return super().__call__(query, value, key, **kwargs)

    def build(self, query_shape, value_shape=None, key_shape=None):
        self._build_shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape is not None:
            self._build_shapes["key_shape"] = key_shape
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(
                f"MultiHeadAttention needs value and key to agree on every axis but the last. Received: "
                f"value_shape={format_shape(value_shape)}, key_shape={format_shape(key_shape)}."
            )
        self._rank = len(query_shape)
        axes = self.attention_axes if self.attention_axes is not None else tuple(range(1, self._rank - 1))
        self._axes = tuple(sorted(a if a >= 0 else self._rank + a for a in axes))
        if any(a <= 0 or a >= self._rank - 1 for a in self._axes):
            raise ValueError(
                f"MultiHeadAttention's attention_axes must name axes between the batch and the features of inputs "
                f"of shape {format_shape(query_shape)}. Received: attention_axes={self.attention_axes}"
            )
        common = dict(
            use_bias=self.use_bias, kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer, kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer, kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint, activity_regularizer=self.mha_activity_regularizer,
            dtype=self.dtype_policy,  # the policy, not its variable dtype: a mixed MHA projects in bfloat16 too
        )  # fmt: skip
        heads_k, heads_v = (self.num_heads, self.key_dim), (self.num_heads, self.value_dim)
        self.query_dense = _Projection(1, heads_k, name="query", **common)
        self.query_dense.build_from_shape(query_shape)
        self.key_dense = _Projection(1, heads_k, name="key", **common)
        self.key_dense.build_from_shape(key_shape)
        self._gate_dense = None
        if self.use_gate:
            self._gate_dense = _Projection(1, heads_v, name="gate", activation="sigmoid", **common)
            self._gate_dense.build_from_shape(query_shape)
        self.value_dense = _Projection(1, heads_v, name="value", **common)
        self.value_dense.build_from_shape(value_shape)
        out = self._output_shape or (query_shape[-1],)
        self.output_dense = _Projection(2, out, name="attention_output", **common)
        self.output_dense.build_from_shape(tuple(query_shape[:-1]) + heads_v)
        self.built = True

    # ------------------------------------------------------------------ call
    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        key = value if key is None else key
        causal_only = use_causal_mask and self.sliding_window is None and all(
            m is None for m in (query_mask, value_mask, key_mask, attention_mask)
        )  # fmt: skip
        if not causal_only:
            attention_mask = self._attention_mask(
                query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
            )
        gate = self._gate_dense(query) if self._gate_dense is not None else None
        q, k, v = self.query_dense(query), self.key_dense(key), self.value_dense(value)
        outputs, scores = self._compute_attention(
            q, k, v, attention_mask, bool(training), return_attention_scores, causal_only
        )
        if gate is not None:
            outputs = outputs * gate
        outputs = self.output_dense(outputs)
        return (outputs, scores) if return_attention_scores else outputs

    def _attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask):
        """Every mask given, as one boolean `(batch, T, S)` (or broadcastable) tensor; `None` when none is."""
        masks = []
        if query_mask is not None:
            masks.append(query_mask.bool().unsqueeze(-1))
        for mask in (value_mask, key_mask):
            if mask is not None:
                masks.append(mask.bool().unsqueeze(-2))
        t, s = query.shape[1], value.shape[1]
        if use_causal_mask:
            masks.append(torch.ones(t, s, dtype=torch.bool, device=query.device).tril().unsqueeze(0))
        if self.sliding_window is not None:
            rows = torch.arange(t, device=query.device).unsqueeze(1)
            cols = torch.arange(s, device=query.device).unsqueeze(0)
            masks.append(((rows - cols).abs() < self.sliding_window).unsqueeze(0))
        if attention_mask is not None:
            masks.insert(0, attention_mask.bool())
        if not masks:
            return None
        combined = masks[0]
        for mask in masks[1:]:
            combined = combined & mask
        return combined

    def _compute_attention(self, q, k, v, mask, training, return_scores, causal_only):
        """Attention on projected `(batch, ..., heads, size)` tensors, as 4-D `(batch', heads, T', size)` runs."""
        batch_axes = [a for a in range(self._rank - 1) if a not in self._axes]
        flat_q, q_attn = _to_heads(q, batch_axes, self._axes)
        flat_k, k_attn = _to_heads(k, batch_axes, self._axes)
        flat_v, _ = _to_heads(v, batch_axes, self._axes)
        batch_sizes = [q.shape[a] for a in batch_axes]
        scores_shape = (*batch_sizes, self.num_heads, *q_attn, *k_attn)
        if mask is not None:
            mask = _flat_mask(mask, scores_shape, len(self._axes), flat_q.shape[0], flat_q.shape[2], flat_k.shape[2])
        scale = 1.0 / math.sqrt(self.key_dim)
        drop = self.dropout > 0 and training
        scores = None
        if not drop and not return_scores:
            # Keras's torch backend: SDPA with the boolean mask turned into an additive 0 / -1e9 bias.
            bias = None if mask is None else torch.where(mask, 0.0, _large_negative(q.dtype)).to(q.dtype)
            out = F.scaled_dot_product_attention(flat_q, flat_k, flat_v, attn_mask=bias, is_causal=causal_only,
                                                 scale=scale)  # fmt: skip
        else:
            if causal_only:
                t, s = flat_q.shape[2], flat_k.shape[2]
                mask = torch.ones(t, s, dtype=torch.bool, device=q.device).tril()
            logits = torch.matmul(flat_q * scale, flat_k.transpose(-1, -2))
            if mask is not None:
                logits = torch.where(mask, logits, _large_negative(logits.dtype))
            probs = torch.softmax(logits, dim=-1)
            if mask is not None:
                probs = torch.where(mask, probs, 0.0)
            scores = probs.reshape(scores_shape)
            if drop:
                probs = _dropout(probs, self.dropout, generator=self._generator(probs.device))
            out = torch.matmul(probs, flat_v)
        return _from_heads(out, q.shape, batch_axes, self._axes, self.value_dim), scores

    def _generator(self, device):
        if self.seed is None:
            return None
        if str(device) not in self._generators:
            self._generators[str(device)] = backend.make_generator(self.seed, device=device)
        return self._generators[str(device)]

    def get_build_config(self):
        """Keras's record of the shapes `build` saw (`{"shapes_dict": {"query_shape": ..., ...}}`), for saving."""
        if not self.built:
            return None
        return {"shapes_dict": {k: None if v is None else list(v) for k, v in self._build_shapes.items()}}

    def build_from_config(self, config):
        """Builds from `get_build_config()`'s dictionary (Keras's `.keras` files carry it)."""
        if config and not self.built:
            shapes = {k: None if v is None else tuple(v) for k, v in config["shapes_dict"].items()}
            self.build(**shapes)

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if self._output_shape:
            return tuple(query_shape[:-1]) + tuple(self._output_shape)
        return tuple(query_shape)

    def compute_mask(self, inputs, previous_mask=None):
        return previous_mask

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self._axes if self.built else self.attention_axes,
            "sliding_window": self.sliding_window,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.mha_activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }


MultiHeadAttention.compute_output_shape._probes = True  # symbolic calls probe: scores and several inputs


class Attention(Layer):
    """Dot-product attention (Luong-style): `softmax(query @ key^T) @ value`.

    With `score_mode="concat"` the scores are `concat_score_weight * sum(tanh(query + key))` instead. The layer is
    called on a list `[query, value]` or `[query, value, key]` (key defaults to value).

    Args:
        use_scale: Whether to multiply the scores by a learned scalar `scale` (initially 1). Defaults to `False`.
        score_mode: `"dot"` or `"concat"`. Defaults to `"dot"`.
        dropout: Float, dropout rate on the attention probabilities (training only). Defaults to `0.0`.
        seed: Optional integer for a reproducible dropout. Defaults to `None`.

    Call arguments:
        inputs: `[query (batch, Tq, dim), value (batch, Tv, dim)]`, optionally with `key (batch, Tv, dim)`.
        mask: Optional `[query_mask (batch, Tq), value_mask (batch, Tv)]` booleans. Outputs of masked query
            positions are zero; masked values get no attention.
        training, return_attention_scores, use_causal_mask: As for `MultiHeadAttention`.

    Output shape: `(batch, Tq, dim)` (and the `(batch, Tq, Tv)` probabilities).

    Example:
    >>> q = np.array([[[1.0, 0.0]]]); v = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    >>> out, scores = Attention()([q, v], return_attention_scores=True)
    >>> [round(s, 4) for s in scores[0, 0].tolist()]  # softmax([1, 0])
    [0.7311, 0.2689]
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"{type(self).__name__}'s score_mode must be 'dot' or 'concat'. Received: score_mode={score_mode!r}"
            )
        if not 0 <= dropout <= 1:
            raise ValueError(f"{type(self).__name__}'s dropout must be in [0, 1]. Received: dropout={dropout!r}")
        self.use_scale, self.score_mode, self.dropout, self.seed = bool(use_scale), score_mode, dropout, seed
        self.supports_masking = True
        self.scale = self.concat_score_weight = None
        self._generators = {}

    def build(self, input_shape):
        _check_inputs(self, input_shape)
        if self.use_scale:
            self.scale = self.add_weight((), "ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight((), "ones", name="concat_score_weight")

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = torch.matmul(query, key.transpose(-1, -2))
            return scores * self.scale if self.scale is not None else scores
        pairs = query.unsqueeze(-2) + key.unsqueeze(-3)
        if self.scale is not None:
            pairs = self.scale * pairs
        return self.concat_score_weight * torch.tanh(pairs).sum(-1)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        _check_inputs(self, inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask, value_mask = (None, None) if not mask else (_as_bool(mask[0], query), _as_bool(mask[1], query))
        scores = self._scores(query, key)
        scores_mask = value_mask.unsqueeze(-2) if value_mask is not None else None
        if use_causal_mask:
            causal = torch.ones(scores.shape[-2:], dtype=torch.bool, device=scores.device).tril()
            scores_mask = causal if scores_mask is None else scores_mask & causal
        if scores_mask is not None:
            # Keras subtracts 1e9 (65504 in float16) from masked scores rather than replacing them.
            scores = torch.where(scores_mask, scores, scores - (65504.0 if scores.dtype == torch.float16 else 1e9))
        weights = torch.softmax(scores, dim=-1)
        probs = weights
        if training and self.dropout > 0:
            probs = _dropout(weights, self.dropout, generator=self._generator(weights.device))
        outputs = torch.matmul(probs, value)
        if query_mask is not None:
            outputs = torch.where(query_mask.unsqueeze(-1), outputs, 0.0)
        return (outputs, weights) if return_attention_scores else outputs

    def _generator(self, device):
        if self.seed is None:
            return None
        if str(device) not in self._generators:
            self._generators[str(device)] = backend.make_generator(self.seed, device=device)
        return self._generators[str(device)]

    def compute_mask(self, inputs, previous_mask=None):
        if previous_mask is None or previous_mask[0] is None:
            return None
        return torch.as_tensor(previous_mask[0])

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], input_shape[1][-1])

    def get_config(self):
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }


Attention.compute_output_shape._probes = True  # the scores make a second output when asked for


class AdditiveAttention(Attention):
    """Additive attention (Bahdanau-style): scores `sum(scale * tanh(query + key))` over the features.

    Args:
        use_scale: Whether to learn a per-feature `scale` of shape `(dim,)` (Glorot-uniform initialised).
            Defaults to `True`.
        dropout: Float, dropout rate on the attention probabilities (training only). Defaults to `0.0`.
        seed: Optional integer for a reproducible dropout. Defaults to `None`.

    Call arguments and shapes: as for `Attention`.

    Example:
    >>> q = np.zeros((1, 1, 2)); v = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    >>> AdditiveAttention(use_scale=False)([q, v]).tolist()  # equal scores: the mean of the values
    [[[0.5, 0.5]]]
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        _check_inputs(self, input_shape)
        if self.use_scale:
            self.scale = self.add_weight((input_shape[0][-1],), "glorot_uniform", name="scale")

    def _scores(self, query, key):
        pairs = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        return (pairs * self.scale if self.scale is not None else pairs).sum(-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config


# ---------------------------------------------------------------------------------------------------- helpers
def _positive_int(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"MultiHeadAttention's {name} must be a positive integer. Received: {name}={value!r}")
    return value


def _output_shape(output_shape):
    if not output_shape:
        return None
    if isinstance(output_shape, int):
        return (output_shape,)
    if not isinstance(output_shape, (tuple, list)):
        raise ValueError(
            f"MultiHeadAttention's output_shape must be an int, a tuple or a list. Received: "
            f"output_shape={output_shape!r}"
        )
    return tuple(output_shape)


def _attention_axes(axes):
    if axes is None:
        return None
    if isinstance(axes, int):
        return (axes,)
    if not isinstance(axes, (list, tuple)):
        raise ValueError(f"MultiHeadAttention's attention_axes must be an int, list or tuple. Received: {axes!r}")
    return tuple(axes)


def _to_heads(x, batch_axes, attn_axes):
    """`(batch, ..., heads, size)` -> `(prod(batch axes), heads, prod(attention axes), size)`."""
    rank = x.ndim
    order = list(batch_axes) + [rank - 2] + list(attn_axes) + [rank - 1]
    moved = x.permute(order)
    attn_sizes = [x.shape[a] for a in attn_axes]
    batch = math.prod(x.shape[a] for a in batch_axes)
    return moved.reshape(batch, x.shape[rank - 2], math.prod(attn_sizes), x.shape[rank - 1]), attn_sizes


def _from_heads(out, query_shape, batch_axes, attn_axes, value_dim):
    """The inverse of `_to_heads` for the attention output, laid out as the projected query with `value_dim`."""
    rank = len(query_shape)
    sizes = [query_shape[a] for a in batch_axes] + [query_shape[rank - 2]] + [query_shape[a] for a in attn_axes]
    out = out.reshape(*sizes, value_dim)
    order = list(batch_axes) + [rank - 2] + list(attn_axes) + [rank - 1]
    inverse = [order.index(a) for a in range(rank)]
    return out.permute(inverse)


def _flat_mask(mask, scores_shape, n_attn, batch, t, s):
    """A boolean mask laid out as Keras's scores (`(batch..., heads, T..., S...)`) in `_to_heads`'s 4-D layout."""
    while mask.ndim < len(scores_shape):  # Keras inserts the missing axes before the query's attention axes
        mask = mask.unsqueeze(-2 * n_attn - 1)
    if len(scores_shape) == 4:
        return mask
    return mask.expand(scores_shape).reshape(batch, scores_shape[-2 * n_attn - 1], t, s)


def _as_tensor(value, device):
    return torch.as_tensor(value if torch.is_tensor(value) else np.asarray(value), device=device)


def _as_bool(mask, like):
    if mask is None:
        return None
    mask = _as_tensor(mask, like.device)
    return mask.bool() if mask.dtype == torch.bool else mask > 0.5


def _check_inputs(layer, inputs, mask=None):
    name = type(layer).__name__
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(
            f"{name} layer must be called on a list of inputs: [query, value] or [query, value, key]. "
            f"Received: inputs of type {type(inputs).__name__}."
        )
    if not 2 <= len(inputs) <= 3:
        raise ValueError(
            f"{name} layer takes a list of 2 or 3 inputs ([query, value] or [query, value, key]). "
            f"Received: {len(inputs)} inputs."
        )
    if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
        raise ValueError(
            f"{name} layer's mask must be a list [query_mask, value_mask]. Received: mask={mask!r}. "
            f"Pass mask=[None, value_mask] to mask only the values."
        )
