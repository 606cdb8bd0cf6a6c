"""The training loops behind `fit`, `evaluate` and `predict`, and the data adapters that feed them."""

from cornu.trainers.trainer import Trainer

__all__ = ["Trainer"]
