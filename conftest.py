"""Doctests in cornu/ see `np`, `torch` and `cornu`, as the docstring examples assume."""

import numpy as np
import pytest
import torch

collect_ignore = ["cornu/__main__.py", "benchmarks", "examples"]


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    import cornu

    doctest_namespace.update({"np": np, "torch": torch, "cornu": cornu})
    cornu.backend.set_random_seed(0)
