"""Metric-learning losses on embeddings: Circle loss (Sun et al., 2020), as Keras 3 computes it."""

import torch
import torch.nn.functional as F

from cornu.losses.base import MASK_ATTRIBUTE, BuiltinLoss, as_float_pair

__all__ = ["circle", "Circle"]


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Circle loss: pulls each embedding towards the others of its class and away from the rest.

    Similarity is `1 - cosine distance` between L2-normalised embeddings; each pair is weighted by how far it
    is from its optimum (`1 + margin` apart for negatives, `-margin` for positives), scaled by `gamma`.

    Args:
        y_true: Integer class labels, shape `(batch,)`.
        y_pred: L2-normalised embeddings, shape `(batch, dim)`.
        ref_labels: Labels of the reference embeddings. Defaults to `None` (the batch itself).
        ref_embeddings: Reference embeddings, L2-normalised. Defaults to `None` (the batch itself).
        remove_diagonal: Whether an embedding is left out as its own positive. Defaults to `True`.
        gamma: Scale of the pair weights. Defaults to `80`.
        margin: Relaxation margin. Defaults to `0.4`.

    Returns:
        A tensor of shape `(batch,)`; samples with no positive pair get 0 and are masked out of the mean.

    Example:
    >>> embeddings = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> [round(v, 4) for v in circle([0, 0, 1], embeddings).tolist()]
    [0.0, 0.0, 0.0]
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    labels = y_true.long()
    ref_embeddings = y_pred if ref_embeddings is None else torch.as_tensor(ref_embeddings, device=y_pred.device)
    ref_labels = labels if ref_labels is None else torch.as_tensor(ref_labels, device=y_pred.device).long()
    distances = (1.0 - y_pred @ ref_embeddings.to(y_pred.dtype).T).clamp_min(0.0)
    positive = labels.reshape(-1, 1) == ref_labels.reshape(1, -1)
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~torch.eye(*positive.shape, dtype=torch.bool, device=positive.device)
    positive_weights = ((margin + distances) * positive).clamp_min(0.0)
    negative_weights = ((1.0 + margin - distances) * negative).clamp_min(0.0)
    positive_logits = -gamma * positive_weights * (margin - distances)
    negative_logits = gamma * negative_weights * (1.0 - margin - distances)
    minus_inf = torch.tensor(float("-inf"), dtype=distances.dtype, device=distances.device)
    positive_term = torch.logsumexp(torch.where(positive, positive_logits, minus_inf), dim=1)
    negative_term = torch.logsumexp(torch.where(negative, negative_logits, minus_inf), dim=1)
    losses = F.softplus(positive_term + negative_term)
    setattr(losses, MASK_ATTRIBUTE, losses > 0)
    return losses


class Circle(BuiltinLoss):
    """Circle loss (`circle`) on a batch of L2-normalised embeddings with integer class labels.

    Args:
        gamma: Scale of the pair weights. Defaults to `80.0`.
        margin: Relaxation margin. Defaults to `0.4`.
        remove_diagonal: Whether an embedding is left out as its own positive. Defaults to `True`.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"circle"`.
        dtype: The float type to compute in. Defaults to `None` (floatx).

    Example:
    >>> embeddings = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    >>> round(Circle()([0, 0, 1, 1], embeddings).item(), 1)  # every positive pair is orthogonal: a large loss
    134.4
    """

    def __init__(
        self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size", name="circle", dtype=None
    ):
        super().__init__(
            circle, reduction, name, dtype, gamma=gamma, margin=margin, remove_diagonal=bool(remove_diagonal)
        )
