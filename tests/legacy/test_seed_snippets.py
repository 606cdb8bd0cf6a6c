"""Every Keras statement of the seeds runs on cornu (`import keras` answered by cornu, as under `cornu run`), after
the setup its slide assumes, and does what its check says; the seeds' typos get errors that name the fix."""

import ast
import builtins
import glob
import os
import warnings

import pytest

import cornu.compat
from tests.legacy.programs_support import MNIST_SAMPLE, one_thread, write_pokemon_csv
from tests.legacy.seed_snippets import SNIPPETS, keras_statements, setup_code, statement_key

SEEDS = "/work/shared/seeds"
KERAS = [s for s in SNIPPETS if s.status != "not_keras"]


def _param(snippet):
    marks = [pytest.mark.xfail(reason=snippet.xfail, strict=True)] if snippet.xfail else []
    return pytest.param(snippet, id=snippet.where.split(",")[0], marks=marks)


@pytest.fixture
def seed_folder(tmp_path, monkeypatch):
    """The slides' working folder: the Pokémon CSV under its own name; files the snippets write land here."""
    write_pokemon_csv(tmp_path / "pkgo_city66_class5_v1.csv", n=64)
    monkeypatch.chdir(tmp_path)
    cornu.compat.install()
    with warnings.catch_warnings(), one_thread():  # the slides' models are small: one thread is fastest
        warnings.simplefilter("ignore", DeprecationWarning)  # the one-time hints to modern spellings
        yield tmp_path


def _execute(code, namespace):
    """Runs `code`; the value of a final expression is kept as `_`, as an interactive session would show it."""
    tree = ast.parse(code)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<seed>", "exec"), namespace)
    if last is not None:
        namespace["_"] = eval(compile(ast.Expression(last.value), "<seed>", "eval"), namespace)


@pytest.mark.parametrize("snippet", [_param(s) for s in KERAS])
def test_seed_statement_runs(snippet, seed_folder):
    namespace = {"MNIST_PATH": str(MNIST_SAMPLE), "__name__": "__seed__"}
    exec(setup_code(snippet.setup), namespace)
    _execute(snippet.runnable, namespace)
    exec(snippet.check, namespace)


@pytest.mark.parametrize("snippet", [_param(s) for s in SNIPPETS if s.typos])
def test_seed_typos_get_an_error_with_the_fix(snippet, seed_folder):
    for line, error, fix in snippet.typos:
        with pytest.raises(getattr(builtins, error), match=fix):
            exec(line, {})


def test_the_list_is_sound():
    keys = [statement_key(s.text) for s in SNIPPETS]
    assert len(keys) == len(set(keys))  # each block once
    for snippet in SNIPPETS:
        assert snippet.status in ("runs", "fixed", "not_keras"), snippet.where
        if snippet.status == "not_keras":
            assert snippet.note and not snippet.check, snippet.where
        else:
            assert snippet.check and "assert" in snippet.check, snippet.where  # every statement is checked
            assert (snippet.status == "fixed") == (snippet.code is not None and snippet.note is not None)
    assert sum(s.status == "runs" for s in SNIPPETS) > sum(s.status == "fixed" for s in SNIPPETS)


@pytest.mark.skipif(not os.path.isdir(SEEDS), reason="the seeds are not on this machine (CI): the list stands")
def test_the_list_covers_every_block_of_the_seeds():
    in_seeds = set()
    for path in sorted(glob.glob(os.path.join(SEEDS, "*.txt"))):
        with open(path, encoding="utf-8") as f:
            in_seeds.update(keras_statements(f.read()))
    listed = {statement_key(s.text) for s in SNIPPETS}
    missing = in_seeds - listed
    assert not missing, f"seed code not in tests/legacy/seed_snippets.py: {sorted(missing)}"
    assert not listed - in_seeds, "entries of seed_snippets.py that the seeds no longer have"
