"""`cornu.applications.resnet50`: Keras's older module name for ResNet50 and its preprocessing (see `resnet`)."""

from cornu.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "preprocess_input", "decode_predictions"]
