"""Normalization layers: `BatchNormalization` (batch statistics, moving averages for inference) and
`LayerNormalization` (per-sample statistics).

Both run torch's fused kernels (`F.batch_norm`, `F.layer_norm`) where those compute Keras's numbers. Keras's
moving-average momentum is the complement of torch's, and Keras averages the *biased* batch variance where torch
averages the unbiased one; `BatchNormalization` converts both at the call.
"""

import warnings

import torch
import torch.nn.functional as F

from cornu import backend, constraints, initializers, regularizers
from cornu.layers.base import Layer
from cornu.utils.shapes import format_shape

__all__ = ["BatchNormalization", "LayerNormalization"]


class BatchNormalization(Layer):
    """Normalizes each feature with the batch's mean and variance in training, with moving averages in inference.

    In training (`training=True`, as `fit` calls it) the output is `gamma * (x - mean) / sqrt(var + epsilon) + beta`
    with the batch's mean and biased variance over every axis but `axis`, and the moving statistics move towards them:
    `moving = moving * momentum + batch_value * (1 - momentum)`. In inference the moving statistics are used. A frozen
    layer (`trainable = False`) always runs in inference mode and leaves its statistics alone, as in Keras.

    Args:
        axis: Integer, the features axis (e.g. `1` after a channels_first convolution). Defaults to `-1`.
        momentum: Float, the moving averages' momentum. Defaults to `0.99`.
        epsilon: Float added to the variance. Defaults to `1e-3`.
        center: Whether to add the learned offset `beta`. Defaults to `True`.
        scale: Whether to multiply by the learned `gamma`. Defaults to `True`.
        beta_initializer, gamma_initializer: Default to `"zeros"` and `"ones"`.
        moving_mean_initializer, moving_variance_initializer: Default to `"zeros"` and `"ones"`.
        beta_regularizer, gamma_regularizer: Optional penalties. Default to `None`.
        beta_constraint, gamma_constraint: Optional projections after each update. Default to `None`.
        synchronized: Whether to share batch statistics across devices. Keras supports it only on TensorFlow and
            refuses `True` on its torch backend; so does cornu. Defaults to `False`.
        renorm: Whether to use batch renormalization (Ioffe, 2017): in training the batch statistics are corrected
            by `r = stddev / renorm_stddev` and `d = (mean - renorm_mean) / renorm_stddev` (no gradient through
            either), and three more non-trainable weights are kept: `moving_stddev`, `renorm_mean`,
            `renorm_stddev`. Inference is unchanged. Defaults to `False`.
        renorm_clipping: Optional dict with keys `"rmin"`, `"rmax"`, `"dmax"` clipping `r` to `[rmin, rmax]` and `d`
            to `[-dmax, dmax]`. Defaults to `None` (no clipping).
        renorm_momentum: Momentum of `renorm_mean` and `renorm_stddev`. Defaults to `0.99`.

    Call arguments:
        inputs: Tensor of any rank.
        training: Whether to use (and update) batch statistics.
        mask: Optional boolean tensor of the input's shape without the last axis: only True positions count in the
            batch statistics.

    Input shape: any. Output shape: same as the input. Weights, in order: `gamma`, `beta` (trainable),
    `moving_mean`, `moving_variance` (non-trainable).

    Example:
    >>> layer = BatchNormalization()
    >>> out = layer(np.array([[0.0], [4.0]]), training=True)  # batch mean 2, biased variance 4
    >>> [round(v, 4) for v in out.flatten().tolist()]
    [-0.9999, 0.9999]
    >>> [round(float(w[0]), 4) for w in layer.get_weights()[2:]]  # 0.99 * (0, 1) + 0.01 * (2, 4)
    [0.02, 1.03]
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"BatchNormalization's axis must be an integer. Received: axis={axis!r}")
        if synchronized:
            raise ValueError(
                "BatchNormalization(synchronized=True) is only supported by Keras's TensorFlow backend. "
                "Use synchronized=False."
            )
        renorm_clipping = _check_renorm_clipping(renorm_clipping) if renorm else renorm_clipping
        self.axis = axis
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.synchronized = False
        self.renorm, self.renorm_clipping, self.renorm_momentum = bool(renorm), renorm_clipping, renorm_momentum
        self.supports_masking = True
        self.gamma = self.beta = None

    def build(self, input_shape):
        self._axis = _check_axis(self, self.axis, input_shape)
        shape = (input_shape[self._axis],)
        if shape[0] is None:
            raise ValueError(
                f"BatchNormalization layer '{self.name}' needs the size of axis {self.axis} to be known, but "
                f"received inputs of shape {format_shape(input_shape)}."
            )
        if self.scale:
            self.gamma = self.add_weight(
                shape, self.gamma_initializer, name="gamma", regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint, autocast=False,
            )  # fmt: skip
        if self.center:
            self.beta = self.add_weight(
                shape, self.beta_initializer, name="beta", regularizer=self.beta_regularizer,
                constraint=self.beta_constraint, autocast=False,
            )  # fmt: skip
        self.moving_mean = self.add_weight(shape, self.moving_mean_initializer, name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight(
            shape, self.moving_variance_initializer, name="moving_variance", trainable=False
        )
        if self.renorm:  # Keras's extra state, in its order: the moving stddev, then the renormalization averages
            variance_init = self.moving_variance_initializer

            def stddev_init(shape, dtype=None):
                return torch.sqrt(torch.as_tensor(variance_init(shape, dtype=dtype)))

            self.moving_stddev = self.add_weight(shape, stddev_init, name="moving_stddev", trainable=False)
            self.renorm_mean = self.add_weight(shape, self.moving_mean_initializer, name="renorm_mean", trainable=False)
            self.renorm_stddev = self.add_weight(shape, stddev_init, name="renorm_stddev", trainable=False)

    def call(self, inputs, training=None, mask=None):
        inputs = _as_weight_dtype(self, inputs)
        moved = self._axis != 1  # torch's kernel wants the features on axis 1
        x = inputs.movedim(self._axis, 1) if moved else inputs
        if training and self.trainable:
            if self.renorm:
                weights = self._mask_weights(inputs, mask) if mask is not None else None
                outputs = self._renorm_training(x, *_moments(x, weights))
            elif mask is not None:
                outputs = self._normalize_with(x, *_moments(x, self._mask_weights(inputs, mask)))
            else:
                outputs = self._training(x)
        else:
            outputs = F.batch_norm(
                x, self.moving_mean, self.moving_variance, self.gamma, self.beta, False, 0.0, self.epsilon
            )
        return _as_compute_dtype(self, outputs.movedim(1, self._axis) if moved else outputs)

    def _training(self, x):
        count = x.numel() // x.shape[1]  # values per feature: a Python int from the shape, no host sync
        if count < 2:  # torch refuses one value per channel; Keras's batch variance is then 0
            return self._normalize_with(x, *_moments(x, None))
        # torch's kernel updates `running = (1 - m) * running + m * batch` with the *unbiased* variance; give it
        # m = 1 - momentum and a copy of the variance (autograd keeps the one it was given), then shift its average
        # back onto the biased variance Keras uses.
        running_variance = self.moving_variance.detach().clone()
        outputs = F.batch_norm(
            x, self.moving_mean, running_variance, self.gamma, self.beta, True, 1.0 - self.momentum, self.epsilon
        )
        with torch.no_grad():
            # new = k*old + (1-k)*u with u = biased * n/(n-1); Keras's k*old + (1-k)*biased is new - (new - k*old)/n.
            new = running_variance
            self.moving_variance.copy_(new - (new - self.momentum * self.moving_variance) / count)
        return outputs

    def _mask_weights(self, inputs, mask):
        """The mask (inputs' shape without the last axis, as Keras defines it) as 0/1 weights laid out like `x`."""
        mask = torch.as_tensor(mask, device=inputs.device)
        if mask.ndim != inputs.ndim - 1:
            raise ValueError(
                f"BatchNormalization's mask must have one axis fewer than its inputs. Received: mask of shape "
                f"{format_shape(mask.shape)} for inputs of shape {format_shape(inputs.shape)}."
            )
        weights = mask.to(inputs.dtype).unsqueeze(-1).expand_as(inputs)
        return weights.movedim(self._axis, 1) if self._axis != 1 else weights

    def _normalize_with(self, x, mean, variance):
        with torch.no_grad():
            _average_into(self.moving_mean, mean.detach(), self.momentum)
            _average_into(self.moving_variance, variance.detach(), self.momentum)
        return _normalize(x, mean, variance, self.gamma, self.beta, self.epsilon)

    def _renorm_training(self, x, mean, variance):
        """Batch renormalization (Ioffe, 2017) as Keras computes it: the batch statistics corrected by (r, d)."""
        stddev = torch.sqrt(variance + self.epsilon)
        floor = torch.sqrt(torch.tensor(self.epsilon, dtype=stddev.dtype, device=stddev.device))
        renorm_stddev = torch.maximum(self.renorm_stddev, floor)
        r = (stddev / renorm_stddev).detach()  # corrections carry no gradient
        d = ((mean - self.renorm_mean) / renorm_stddev).detach()
        rmin, rmax, dmax = (self.renorm_clipping.get(key) for key in ("rmin", "rmax", "dmax"))
        r = r.clamp(min=rmin, max=rmax) if rmin is not None or rmax is not None else r
        d = d.clamp(-dmax, dmax) if dmax is not None else d
        gamma = r * self.gamma if self.gamma is not None else r
        beta = d * self.gamma if self.gamma is not None else d
        beta = beta + self.beta if self.beta is not None else beta
        with torch.no_grad():
            batch_mean, batch_stddev = mean.detach(), stddev.detach()
            _average_into(self.renorm_mean, batch_mean, self.renorm_momentum)
            _average_into(self.renorm_stddev, batch_stddev, self.renorm_momentum)
            _average_into(self.moving_mean, batch_mean, self.momentum)
            _average_into(self.moving_stddev, batch_stddev, self.momentum)
            self.moving_variance.copy_(torch.relu(self.moving_stddev * self.moving_stddev - self.epsilon))
        return _normalize(x, mean, variance, gamma, beta, self.epsilon)

    def compute_output_shape(self, input_shape):
        _check_axis(self, self.axis, input_shape)
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


class LayerNormalization(Layer):
    """Normalizes each sample over `axis`: `gamma * (x - mean) / sqrt(var + epsilon) + beta`.

    Unlike `BatchNormalization` the statistics are the sample's own, so training and inference compute the same.

    Args:
        axis: Integer or list of integers, the axes normalized over (and the shape of `gamma`/`beta`).
            Defaults to `-1`.
        epsilon: Float added to the variance. Defaults to `1e-3`.
        center: Whether to add the learned offset `beta`. Defaults to `True`.
        scale: Whether to multiply by the learned `gamma`. Defaults to `True`.
        beta_initializer, gamma_initializer: Default to `"zeros"` and `"ones"`.
        beta_regularizer, gamma_regularizer: Optional penalties. Default to `None`.
        beta_constraint, gamma_constraint: Optional projections after each update. Default to `None`.

    Input shape: any. Output shape: same as the input. Weights: `gamma`, `beta`.

    Example:
    >>> out = LayerNormalization(epsilon=0.0)(np.array([[1.0, 3.0]]))
    >>> out.tolist()
    [[-1.0, 1.0]]
    """

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        rms_scaling = bool(kwargs.pop("rms_scaling", False))
        if rms_scaling:
            warnings.warn(
                "LayerNormalization(rms_scaling=True) is deprecated, as in Keras 3: it divides by the square root of "
                "the variance, not of the mean square. Use rms_scaling=False.",
                DeprecationWarning,
                stacklevel=2,
            )
        super().__init__(**kwargs)
        self.autocast = False  # as in Keras: inputs keep their precision, the statistics are taken in float32
        self.rms_scaling = rms_scaling
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(f"LayerNormalization's axis must be an int or a list of ints. Received: axis={axis!r}")
        self.epsilon = epsilon
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        self._axes = sorted(_check_axis(self, a, input_shape) for a in axes)
        shape = tuple(input_shape[a] for a in self._axes)
        self.gamma = self.beta = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                shape, self.gamma_initializer, name="gamma", regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint, autocast=False,
            )  # fmt: skip
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                shape, self.beta_initializer, name="beta", regularizer=self.beta_regularizer,
                constraint=self.beta_constraint, autocast=False,
            )  # fmt: skip
        rank = len(input_shape)
        # Trailing contiguous axes are what F.layer_norm normalizes; others take the explicit formula.
        self._fused = self._axes == list(range(rank - len(self._axes), rank)) and not self.rms_scaling
        self._broadcast = [input_shape[d] if d in self._axes else 1 for d in range(rank)]
        self._normalized_shape = shape

    def call(self, inputs):
        return _as_compute_dtype(self, self._normalize(_as_weight_dtype(self, inputs)))

    def _normalize(self, inputs):
        if self._fused:
            return F.layer_norm(inputs, self._normalized_shape, self.gamma, self.beta, self.epsilon)
        variance, mean = torch.var_mean(inputs, dim=self._axes, keepdim=True, correction=0)
        scale = torch.rsqrt(variance + self.epsilon)
        if self.rms_scaling:  # Keras's deprecated form: no centring, no offset
            return inputs * scale * self.gamma.reshape(self._broadcast)
        if self.gamma is not None:
            scale = scale * self.gamma.reshape(self._broadcast)
        outputs = (inputs - mean) * scale
        return outputs + self.beta.reshape(self._broadcast) if self.beta is not None else outputs

    def compute_output_shape(self, input_shape):
        for axis in self.axis if isinstance(self.axis, list) else [self.axis]:
            _check_axis(self, axis, input_shape)
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


def _check_axis(layer, axis, input_shape):
    rank = len(input_shape)
    if not -rank <= axis < rank:
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}' cannot normalize axis {axis} of inputs of shape "
            f"{format_shape(input_shape)} (rank {rank}). Received: axis={layer.axis}"
        )
    return axis % rank


def _normalize(x, mean, variance, gamma, beta, epsilon):
    """`(x - mean) / sqrt(variance + epsilon) * gamma + beta` with per-feature vectors on axis 1 of `x`."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    scale = torch.rsqrt(variance + epsilon)
    if gamma is not None:
        scale = scale * gamma
    outputs = (x - mean.reshape(shape)) * scale.reshape(shape)
    return outputs + beta.reshape(shape) if beta is not None else outputs


def _average_into(moving, value, momentum):
    """Keras's moving-average update, in place: `moving * momentum + value * (1 - momentum)`."""
    moving.mul_(momentum).add_(value, alpha=1.0 - momentum)


def _check_renorm_clipping(clipping):
    clipping = dict(clipping or {})
    unknown = set(clipping) - {"rmax", "rmin", "dmax"}
    if unknown:
        raise ValueError(
            f"renorm_clipping accepts the keys 'rmax', 'rmin' and 'dmax'. Received: renorm_clipping={clipping}"
        )
    rmin, rmax, dmax = clipping.get("rmin"), clipping.get("rmax"), clipping.get("dmax")
    if rmin is not None and rmax is not None and rmax < rmin:
        raise ValueError(f"renorm_clipping needs rmax >= rmin. Received: rmax={rmax}, rmin={rmin}")
    if dmax is not None and dmax < 0:
        raise ValueError(f"renorm_clipping needs dmax >= 0. Received: dmax={dmax}")
    return clipping


def _as_weight_dtype(layer, inputs):
    # torch's fused kernels refuse mixed dtypes; Keras computes in float32 (or wider) and returns the layer's dtype.
    dtype = backend.torch_dtype(layer.dtype)
    return inputs if inputs.dtype == dtype else inputs.to(dtype)


def _as_compute_dtype(layer, outputs):
    # Under a mixed policy the statistics are taken in float32 (half types overflow in the sums), as Keras does,
    # and the result goes back to the compute dtype; a no-op under a plain policy.
    dtype = layer._compute_torch_dtype
    return outputs if outputs.dtype == dtype or not dtype.is_floating_point else outputs.to(dtype)


def _moments(x, weights):
    """Per-feature (axis 1) mean and biased variance of `x`, over the positions where `weights` is 1 if given."""
    dims = [d for d in range(x.ndim) if d != 1]
    if weights is None:
        variance, mean = torch.var_mean(x, dim=dims, correction=0)
        return mean, variance
    # Keras's masked moments divide by (count + epsilon), so an all-masked feature gives 0, not NaN.
    count = weights.sum(dim=dims) + backend.epsilon()
    mean = (x * weights).sum(dim=dims) / count
    centred = (x - mean.reshape((1, -1) + (1,) * (x.ndim - 2))) * weights
    return mean, (centred * centred).sum(dim=dims) / count
