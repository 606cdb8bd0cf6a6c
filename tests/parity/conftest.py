"""Parity tests compare cornu with the real Keras 3 (torch backend), a test-only dependency."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")
