"""Models: `Sequential` stacks, Functional graphs (`Model(inputs, outputs)`) and subclassed `Model`s."""

from cornu.models.cloning import clone_model
from cornu.models.functional import Functional
from cornu.models.model import Model
from cornu.models.sequential import Sequential
from cornu.saving import load_model, model_from_json

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json"]
