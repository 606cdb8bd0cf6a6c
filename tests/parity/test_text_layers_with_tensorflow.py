"""TextVectorization and StringLookup against Keras's own, which run on TensorFlow's string ops whatever the backend.

Skipped where TensorFlow is not installed (CI): run with an environment that has it, e.g.
`tfvenv/bin/python -m pytest tests/parity/test_text_layers_with_tensorflow.py` (see benchmarks/README.md).
"""

import numpy as np
import pytest

pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from cornu import layers  # noqa: E402

TEXTS = np.array(["The cat sat on the mat.", "A dog ran fast!", "the dog sat", "a cat ran, the end", "Über café naïve"])
TOKENS = np.array([["a", "b", "z"], ["c", "a", "a"]])


@pytest.mark.parametrize(
    "options",
    [
        {"max_tokens": 12, "output_sequence_length": 6},
        {"output_mode": "multi_hot"},
        {"output_mode": "count", "ngrams": 2},
        {"output_mode": "tf_idf", "max_tokens": 10},
        {"split": "character", "output_sequence_length": 8},
        {"standardize": None, "output_sequence_length": 5},
    ],
)
def test_text_vectorization_adapts_and_encodes_as_keras(options):
    ref, ours = keras.layers.TextVectorization(**options), layers.TextVectorization(**options)
    ref.adapt(TEXTS)
    ours.adapt(TEXTS)
    assert [str(t) for t in ref.get_vocabulary()] == ours.get_vocabulary()
    np.testing.assert_allclose(np.asarray(ours(TEXTS)), np.asarray(ref(TEXTS)), rtol=1e-6)


@pytest.mark.parametrize(
    "options",
    [
        {"vocabulary": ["a", "b", "c"]},
        {"vocabulary": ["a", "b", "c"], "output_mode": "one_hot"},
        {"vocabulary": ["a", "b", "c"], "mask_token": "", "num_oov_indices": 2},
        {"vocabulary": ["a", "b", "c"], "output_mode": "tf_idf", "idf_weights": [0.5, 1.0, 2.0]},
    ],
)
def test_string_lookup_encodes_as_keras(options):
    ref, ours = keras.layers.StringLookup(**options), layers.StringLookup(**options)
    np.testing.assert_allclose(np.asarray(ours(TOKENS)), np.asarray(ref(TOKENS)), rtol=1e-6)


def test_string_lookup_adapts_as_keras():
    ref, ours = keras.layers.StringLookup(), layers.StringLookup()
    ref.adapt(TOKENS)
    ours.adapt(TOKENS)
    assert [str(t) for t in ref.get_vocabulary()] == ours.get_vocabulary()
