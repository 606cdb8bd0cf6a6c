import pytest

import cornu.compat
from cornu.legacy.translate import reset_warnings
from tests.legacy.programs_support import ProgramRuns, write_pokemon_csv

# The programs are Keras scripts for `cornu run`, not modules: `--doctest-modules` must not import (run) them.
collect_ignore = ["programs"]


@pytest.fixture(autouse=True)
def _fresh_legacy_state():
    """Each test sees each spelling's first warning, and leaves `import keras` as it found it."""
    reset_warnings()
    yield
    cornu.compat.uninstall()
    reset_warnings()


@pytest.fixture(scope="module")
def program_runs(tmp_path_factory):
    return ProgramRuns(tmp_path_factory.mktemp("programs"))


@pytest.fixture(scope="module")
def pokemon_csv(tmp_path_factory):
    return write_pokemon_csv(tmp_path_factory.mktemp("data") / "pkgo_city66_class5_v1.csv")
