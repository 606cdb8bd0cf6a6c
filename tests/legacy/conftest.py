import pytest

import cornu.compat
from cornu.legacy.translate import reset_warnings


@pytest.fixture(autouse=True)
def _fresh_legacy_state():
    """Each test sees each spelling's first warning, and leaves `import keras` as it found it."""
    reset_warnings()
    yield
    cornu.compat.uninstall()
    reset_warnings()
