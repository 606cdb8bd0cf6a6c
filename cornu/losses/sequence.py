"""Sequence losses: CTC (connectionist temporal classification), for unaligned label sequences."""

import torch
import torch.nn.functional as F

from cornu.losses.base import BuiltinLoss

__all__ = ["ctc", "CTC"]

# Keras reserves class 0 for the CTC blank and pads label sequences with it.
_BLANK = 0


def ctc(y_true, y_pred):
    """CTC loss of each sequence: minus the log-probability of its labels over all alignments.

    Args:
        y_true: Integer labels, shape `(batch, max_label_length)`, padded with `0` (the blank, never a class).
        y_pred: Logits (not softmax outputs), shape `(batch, timesteps, num_classes)`.

    Returns:
        A tensor of shape `(batch,)`.

    Example:
    >>> logits = torch.zeros(1, 2, 2)  # two steps, blank or class 1, equally likely
    >>> round(ctc(torch.tensor([[1]]), logits).item(), 4)  # 3 alignments of 4: -log(3/4)
    0.2877
    """
    y_pred = torch.as_tensor(y_pred)
    y_pred = y_pred if y_pred.is_floating_point() else y_pred.float()
    targets = torch.as_tensor(y_true, device=y_pred.device).long()
    batch, steps = y_pred.shape[0], y_pred.shape[1]
    # torch's kernel wants float32 or float64, time first.
    log_probabilities = F.log_softmax(y_pred.to(torch.promote_types(y_pred.dtype, torch.float32)), dim=-1)
    input_lengths = torch.full((batch,), steps, dtype=torch.long, device=y_pred.device)
    target_lengths = (targets != _BLANK).sum(dim=-1)
    return F.ctc_loss(
        log_probabilities.transpose(0, 1), targets, input_lengths, target_lengths, blank=_BLANK, reduction="none"
    )


class CTC(BuiltinLoss):
    """CTC loss (`ctc`), for sequence outputs whose labels are not aligned with the timesteps (speech, OCR).

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"ctc"`.
        dtype: The float type to compute in. Defaults to `None` (floatx).

    Example:
    >>> round(CTC()([[1]], torch.zeros(1, 2, 2)).item(), 4)
    0.2877
    """

    _keeps_integer_targets = True

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, reduction, name, dtype)
