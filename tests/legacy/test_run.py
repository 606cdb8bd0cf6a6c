"""`cornu run script.py args`: a Keras 2 script, written as its tutorials wrote it, runs unmodified on cornu."""

import os
import subprocess
import sys
import textwrap

import pytest

import cornu.compat
from cornu.cli import main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

KERAS_2_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    from keras.models import Sequential
    from keras.layers.core import Dense, Activation
    from keras.optimizers import SGD
    from keras.utils import np_utils
    import keras.backend as K

    x = np.random.RandomState(0).rand(32, 3).astype("float32")
    y = np_utils.to_categorical((x.sum(1) > 1.5).astype(int), 2)
    model = Sequential()
    model.add(Dense(4, input_dim=3))
    model.add(Activation("relu"))
    model.add(Dense(2, activation="softmax"))
    sgd = SGD(lr=0.1, momentum=0.0, decay=0.01, nesterov=False)
    model.compile(loss="categorical_crossentropy", optimizer=sgd, metrics=["accuracy"])
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    print("argv", sys.argv[1:], __name__)
    print("epochs", len(history.history["loss"]))
    print("iterations", model.optimizer.iterations)
    print("base lr", K.get_value(model.optimizer.lr))
    print("next lr", round(model.optimizer.learning_rate, 6))
    print("epsilon", K.epsilon())
    """
)


def test_cornu_run_executes_a_keras_2_script_with_its_argv(tmp_path, capsys):
    script = tmp_path / "mnist_keras2.py"
    script.write_text(KERAS_2_SCRIPT)
    saved = sys.argv[:]
    with pytest.warns(DeprecationWarning, match="`lr` is the Keras 2 name of `learning_rate`"):
        assert main(["run", str(script), "--data", "x.npz"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "argv ['--data', 'x.npz'] __main__",
        "epochs 2",
        "iterations 8",  # 32 samples / batch 8, twice
        "base lr 0.1",
        f"next lr {round(0.1 / (1 + 0.01 * 8), 6)}",  # Keras 2's lr / (1 + decay * iterations)
        "epsilon 1e-07",
    ]
    assert sys.argv == saved and not cornu.compat.is_installed()


def test_cornu_run_returns_the_scripts_exit_status(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text("import keras, sys\nsys.exit(3)\n")
    assert main(["run", str(script)]) == 3
    with pytest.raises(FileNotFoundError, match="Usage: cornu run script.py"):
        main(["run", str(tmp_path / "missing.py")])


def test_python_dash_m_cornu_run_shows_the_warning_at_the_scripts_line(tmp_path):
    script = tmp_path / "old.py"
    script.write_text("from keras.optimizers import SGD\nopt = SGD(lr=0.5)\nprint(opt.learning_rate)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([REPO, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "cornu", "run", str(script)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "0.5\n"
    assert (
        f"{script}:2: DeprecationWarning: `lr` is the Keras 2 name of `learning_rate`; write `learning_rate=0.5`."
        in (done.stderr)
    )
