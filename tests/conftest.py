import numpy as np
import pytest
import torch

import cornu


@pytest.fixture(autouse=True)
def _fresh_session():
    """Each test starts from the same seed and fresh layer names, so values and names are reproducible."""
    cornu.backend.set_random_seed(0)
    from cornu.utils.naming import reset_names

    reset_names()
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)


torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
