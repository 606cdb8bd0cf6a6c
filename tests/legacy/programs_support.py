"""Running the legacy programs (`tests/legacy/programs/*.py`) through `python -m cornu run`, and their data."""

import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

PROGRAMS = Path(__file__).parent / "programs"
REPO = Path(__file__).resolve().parents[2]
MNIST_SAMPLE = REPO / "cornu" / "datasets" / "data" / "mnist_sample.npz"
_NUMBER = re.compile(r"^(?P<label>[^:]+?):?\s+(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)$")


def write_pokemon_csv(path, n=300, seed=0):
    """A stand-in for the seeds' `pkgo_city66_class5_v1.csv`: a header row, 200 feature columns and the class (0-4)
    in column 200, with the real file's class imbalance; 24 of the features carry the class, the rest is noise."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(5, size=n, p=[0.12, 0.52, 0.08, 0.12, 0.16])
    x = rng.normal(0, 1, (n, 200))
    x[:, 20:44] += rng.normal(0, 1, (5, 24))[labels]
    header = ",".join([f"f{i}" for i in range(200)] + ["class"])
    np.savetxt(path, np.column_stack([x, labels]), delimiter=",", header=header, comments="", fmt="%.6g")
    return str(path)


def load_pokemon_csv(path):
    """What the programs read: float32 features, integer classes."""
    data = np.genfromtxt(path, delimiter=",", skip_header=1)
    return data[:, :200].astype("float32"), data[:, 200].astype("int")


def printed_numbers(stdout):
    """`{label: number}` for each printed line `label: number` (the tutorials' `print('Accuracy:', score[1])`)."""
    found = {}
    for line in stdout.splitlines():
        match = _NUMBER.match(line.strip())
        if match:
            found[match["label"].strip()] = float(match["value"])
    return found


class ProgramRuns:
    """Runs `tests/legacy/programs/<name>` with `python -m cornu run` in subprocesses, all at once (one torch thread
    each), and keeps `{name: CompletedProcess}` with the printed numbers parsed into `.numbers`."""

    def __init__(self, cwd):
        self.cwd = cwd

    def run_all(self, programs, timeout=180):
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        started = {}
        for name, args in programs.items():
            folder = self.cwd / Path(name).stem
            folder.mkdir(exist_ok=True)  # each program writes its files (model.h5) in a folder of its own
            command = [sys.executable, "-m", "cornu", "run", str(PROGRAMS / name), *map(str, args)]
            started[name] = subprocess.Popen(
                command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        done = {}
        for name, process in started.items():
            stdout, stderr = process.communicate(timeout=timeout)
            done[name] = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
            done[name].numbers = printed_numbers(stdout)
            done[name].folder = self.cwd / Path(name).stem
        return done


def check_ran(result):
    """The program exited 0; its stderr is shown otherwise."""
    assert result.returncode == 0, f"{result.args}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


@contextlib.contextmanager
def one_thread():
    """Runs the in-process reference on one torch thread, as the programs run (`OMP_NUM_THREADS=1`), so both sum
    in the same order."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
