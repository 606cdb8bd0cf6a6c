"""FullyShardedDataParallel on the CPU: 2 processes launched by torchrun on loopback (gloo), compared with one process.

The program is `sharded_workers.py`; one torchrun launch (a few seconds) serves every check that needs two ranks.
"""

import io
import json
import os
import subprocess
import sys
import zipfile

import h5py
import numpy as np
import pytest
import torch

import cornu
from cornu.distribute import DataParallel, FullyShardedDataParallel, distribution, set_distribution
from cornu.distribute import strategy as strategy_module
from cornu.distribute.zero import assign_owners, local_state_bytes, shard_optimizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import sharded_workers as workers  # noqa: E402

RUNS = ("adam", "sgd", "sgd_final", "nadam", "lonely", "resume_same", "resume_fresh")


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("fsdp")
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR")}
    env.update(OMP_NUM_THREADS="1", PYTHONPATH=ROOT + os.pathsep + env.get("PYTHONPATH", ""), CORNU_DEVICE="cpu")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    done = subprocess.run(
        command + [os.path.join(HERE, "sharded_workers.py"), str(out)],
        env=env,
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ranks = [np.load(out / f"rank{r}.npz") for r in (0, 1)]
    logs = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    return out, ranks, logs


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    out = tmp_path_factory.mktemp("single")
    arrays, logs = workers.run(str(out))
    arrays.update(workers.reference_resume())
    return out, arrays, logs


def optimizer_variables(path):
    with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as f:
        group = f["optimizer/vars"]
        return [np.asarray(group[str(i)]) for i in range(len(group))]


@pytest.mark.parametrize("run", RUNS)
def test_weights_identical_on_ranks_and_equal_to_one_process(two_ranks, one_process, run):
    _, ranks, _ = two_ranks
    _, reference, _ = one_process
    expected = "resume_reference" if run.startswith("resume") else run
    for i in range(1 if run == "lonely" else 6):
        # each variable is updated by its owner and broadcast: the same bits on both ranks
        np.testing.assert_array_equal(ranks[0][f"{run}_w{i}"], ranks[1][f"{run}_w{i}"])
        np.testing.assert_allclose(ranks[0][f"{run}_w{i}"], reference[f"{expected}_w{i}"], rtol=1e-5, atol=1e-6)


def test_the_runs_exercise_what_they_claim(one_process):
    _, reference, _ = one_process
    untrained = workers.build("adam").get_weights()
    assert not np.allclose(reference["adam_w0"], untrained[0])  # it trained
    unclipped = workers.build(cornu.optimizers.Adam(learning_rate=0.01))
    workers.fit(unclipped, 3)
    assert not np.allclose(reference["adam_w0"], unclipped.get_weights()[0], atol=1e-4)  # global_clipnorm did clip
    assert not np.allclose(reference["sgd_w0"], reference["sgd_final_w0"], atol=1e-4)  # EMA averages differ


def test_history_identical_on_ranks_and_equal_to_one_process(two_ranks, one_process):
    _, _, logs = two_ranks
    _, _, reference = one_process
    for run in ("adam", "sgd"):
        assert logs[0][f"{run}_history"] == logs[1][f"{run}_history"]
        assert sorted(logs[0][f"{run}_history"]) == ["accuracy", "loss"]
        for key, values in reference[f"{run}_history"].items():
            np.testing.assert_allclose(logs[0][f"{run}_history"][key], values, rtol=1e-5, err_msg=key)
    assert logs[0]["adam_iterations"] == logs[1]["adam_iterations"] == reference["adam_iterations"] == 18
    assert logs[0]["lonely_iterations"] == logs[1]["lonely_iterations"] == 12  # rank 1 owns nothing and counts


@pytest.mark.parametrize("run", ["adam", "sgd"])
def test_each_rank_holds_half_the_optimizer_state(two_ranks, one_process, run):
    _, ranks, _ = two_ranks
    _, reference, _ = one_process
    whole = int(reference[f"{run}_bytes"])  # Adam: 2 slots; SGD: momentum and the EMA average; 123 floats each
    assert whole == 123 * 4 * 2
    shares = [int(rank[f"{run}_bytes"]) for rank in ranks]
    assert sum(shares) == whole
    assert shares == [62 * 8, 61 * 8]  # rank 0 owns 48 + 8 + 6 floats, rank 1 40 + 18 + 3


def test_build_optimizer_before_fit_builds_only_the_share(two_ranks):
    _, ranks, _ = two_ranks
    for rank in ranks:  # the Adam run's optimizer was built by strategy.build_optimizer, never whole
        assert int(rank["adam_bytes_before_fit"]) == int(rank["adam_bytes"])


@pytest.mark.parametrize("name", ["adam", "sgd", "nadam", "adam_epoch1", "adam_epoch2", "adam_epoch3", "sgd_batch"])
def test_saved_files_hold_the_whole_optimizer_state_of_one_process(two_ranks, one_process, name):
    """`model.save` on rank 0 after fit, and ModelCheckpoint at each epoch's end or every 4 batches (the last one at
    batch 16, mid-epoch), write every rank's state."""
    out, _, _ = two_ranks
    single, _, _ = one_process
    ours, expected = optimizer_variables(out / f"{name}.keras"), optimizer_variables(single / f"{name}.keras")
    assert len(ours) == len(expected) > 6
    for i, (a, b) in enumerate(zip(ours, expected)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"{name} variable {i}")
    loaded = cornu.models.load_model(out / f"{name}.keras")  # the file loads in one process, state and all
    np.testing.assert_allclose(loaded.optimizer.get_weights()[2], expected[2], rtol=1e-5, atol=1e-6)


def test_resume_from_backup_continues_at_the_interrupted_epoch(two_ranks):
    _, _, logs = two_ranks
    for entry in logs:
        assert entry["resume_same_epochs"] == entry["resume_fresh_epochs"] == 2  # epochs 3 and 4


def test_what_a_shard_cannot_do_says_what_to_do(two_ranks):
    _, _, logs = two_ranks
    assert "save from rank 0 after fit" in logs[1]["adam_get_weights_error"]
    assert "adam_get_weights_error" not in logs[0]  # rank 0 saved
    assert "Train with fit()" in logs[0]["train_on_batch_error"]
    assert logs[0]["repr"] == "<FullyShardedDataParallel backend='gloo' rank=0 world_size=2>"


# ---------------------------------------------------------------------- in one process
def test_owners_balance_the_state_and_are_deterministic():
    assert assign_owners([40, 8, 48, 6, 18, 3], 2) == [1, 0, 0, 0, 1, 1]
    assert assign_owners([5, 5, 5], 3) == [0, 1, 2]
    assert assign_owners([7], 2) == [0]  # more ranks than variables: rank 1 owns none
    rng = np.random.default_rng(0)
    for world in (2, 3, 4):
        sizes = rng.integers(1, 100, size=20).tolist()
        owners = assign_owners(sizes, world)
        loads = [sum(s for s, o in zip(sizes, owners) if o == r) for r in range(world)]
        assert max(loads) - min(loads) <= max(sizes)


class _Rank:
    def __init__(self, rank, world_size):
        self.rank, self.world_size = rank, world_size


def test_a_shard_keeps_its_part_and_shows_the_whole_layout():
    params = [torch.nn.Parameter(torch.full((n,), float(n))) for n in (4, 3, 2)]  # owners: 0, 1, 1
    optimizer = cornu.optimizers.Adam()
    optimizer.build(params)
    whole = [np.full(v.shape, float(i)) for i, v in enumerate(optimizer.get_weights())]
    shard_optimizer(optimizer, params, _Rank(0, 2))
    assert local_state_bytes(optimizer) == 4 * 4 * 2  # only the first variable's momentum and velocity
    assert len(optimizer.variables) == len(whole) == 2 + 3 * 2
    optimizer.set_weights(whole)  # keeps its own part of a whole state (a restored backup)
    assert optimizer.iterations == 0 and optimizer._slots["momentum"][0].tolist() == [2.0] * 4
    assert optimizer._slots["velocity"][0].tolist() == [3.0] * 4
    with pytest.raises(RuntimeError, match="save from rank 0"):
        optimizer.get_weights()
    with pytest.raises(RuntimeError, match="Train with fit()"):
        optimizer.apply([torch.ones(4), torch.ones(3), torch.ones(2)], params)
    assert shard_optimizer(optimizer, params, _Rank(0, 2)) is optimizer._zero  # once
    with pytest.raises(ValueError, match="new optimizer"):
        shard_optimizer(optimizer, params[:2], _Rank(0, 2))


def test_an_optimizer_without_per_variable_state_saves_on_every_rank():
    params = [torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(1))]
    optimizer = cornu.optimizers.SGD(0.1)
    shard_optimizer(optimizer, params, _Rank(1, 2))  # not built: built on its own variable only
    assert optimizer._params == [params[1]]
    assert [w.tolist() for w in optimizer.get_weights()] == [0, pytest.approx(0.1)]


def test_loss_scale_optimizer_is_refused_with_the_fix():
    optimizer = cornu.optimizers.LossScaleOptimizer(cornu.optimizers.SGD())
    with pytest.raises(ValueError, match="mixed_bfloat16"):
        shard_optimizer(optimizer, [torch.nn.Parameter(torch.ones(1))], _Rank(0, 2))


def test_set_distribution_takes_it_and_torchrun_still_means_data_parallel(monkeypatch):
    strategy = FullyShardedDataParallel(backend="gloo")
    assert isinstance(strategy, DataParallel) and strategy.backend == "gloo"
    set_distribution(strategy)
    try:
        assert distribution() is strategy
    finally:
        set_distribution(None)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setitem(strategy_module._state, "auto", None)
    assert type(distribution()) is DataParallel
