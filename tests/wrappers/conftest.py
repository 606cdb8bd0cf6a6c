import pytest

from cornu.legacy.translate import reset_warnings


@pytest.fixture(autouse=True)
def _fresh_legacy_warnings():
    """Keras 1 spellings (`nb_epoch`) warn once per process: each test sees its own first warning, and leaves none
    behind for the tests and doctests that run after it."""
    reset_warnings()
    yield
    reset_warnings()
