"""DataParallel on the CPU: 2 processes launched by torchrun on loopback (gloo), compared with one process.

The programs are in `workers.py`; each torchrun launch takes ~10 s, so one launch serves every check of a scenario.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import cornu
from cornu.distribute import LOCAL, DataParallel, FullyShardedDataParallel, distribution, is_chief, set_distribution
from cornu.distribute.sharding import ShardedData, split_bounds
from cornu.trainers.data import ArrayData

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import workers  # noqa: E402


def torchrun(scenario, out, max_restarts=0):
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR")}
    env.update(OMP_NUM_THREADS="1", PYTHONPATH=ROOT + os.pathsep + env.get("PYTHONPATH", ""), CORNU_DEVICE="cpu")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    command += [f"--max-restarts={max_restarts}", os.path.join(HERE, "workers.py"), scenario, str(out)]
    done = subprocess.run(command, env=env, cwd=HERE, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ranks = [np.load(out / f"rank{r}.npz") for r in (0, 1)]
    logs = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    return ranks, logs


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    ranks, logs = torchrun("main", out)
    return out, ranks, logs


@pytest.fixture(scope="module")
def one_process():
    model = workers.build()
    history = workers.train(model)
    arrays, logs = workers.results(model, history)
    unseeded = workers.build(seed=0)
    workers.train(unseeded, epochs=1)
    arrays.update({f"unseeded{i}": w for i, w in enumerate(unseeded.get_weights())})
    arrays.update(workers.train_on_generator())
    arrays.update(workers.train_with_steps_per_epoch())
    return arrays, logs


def test_weights_identical_on_ranks_and_equal_to_one_process(two_ranks, one_process):
    _, ranks, _ = two_ranks
    reference, _ = one_process
    names = [k for k in reference if k.startswith("w")]
    assert len(names) == 4
    for name in names:
        np.testing.assert_array_equal(ranks[0][name], ranks[1][name])  # the same update on both ranks, bit for bit
        # same global batch (8 = 4 + 4, the 41st sample alone on rank 0) and seed: the single-process weights
        np.testing.assert_allclose(ranks[0][name], reference[name], rtol=1e-5, atol=1e-6)
    assert not np.allclose(ranks[0]["w0"], workers.build().get_weights()[0])  # it did train


@pytest.mark.parametrize("prefix", ["unseeded", "generator", "steps_per_epoch"])
def test_other_runs_equal_one_process(two_ranks, one_process, prefix):
    """`unseeded`: ranks seeded differently start from rank 0's weights and shuffle with its permutation;
    `generator`: a generator of global batches is split per rank (its last batch, 1 sample, is rank 0's alone);
    `steps_per_epoch`: passes of 6 batches spread over epochs of 4, rank 1 having 5 batches a pass."""
    _, ranks, _ = two_ranks
    reference, _ = one_process
    for i in range(4):
        np.testing.assert_array_equal(ranks[0][f"{prefix}{i}"], ranks[1][f"{prefix}{i}"])
        np.testing.assert_allclose(ranks[0][f"{prefix}{i}"], reference[f"{prefix}{i}"], rtol=1e-5, atol=1e-6)
    assert not np.allclose(reference[f"{prefix}0"], workers.build(seed=workers.SEEDS.get(prefix, 0)).get_weights()[0])


def test_history_identical_on_ranks_and_equal_to_one_process(two_ranks, one_process):
    _, _, logs = two_ranks
    _, reference = one_process
    assert logs[0]["history"] == logs[1]["history"]  # metric states all-reduced: the same floats everywhere
    assert sorted(logs[0]["history"]) == sorted(reference["history"])
    for key, values in reference["history"].items():
        np.testing.assert_allclose(logs[0]["history"][key], values, rtol=1e-5, err_msg=key)


def test_evaluate_is_global(two_ranks, one_process):
    _, _, logs = two_ranks
    _, reference = one_process
    assert logs[0]["evaluate"] == logs[1]["evaluate"]
    for key, value in reference["evaluate"].items():
        np.testing.assert_allclose(logs[0]["evaluate"][key], value, rtol=1e-5, err_msg=key)


def test_predict_returns_every_sample_in_order(two_ranks, one_process):
    _, ranks, _ = two_ranks
    reference, _ = one_process
    for r in (0, 1):
        for name in ("predicted", "predicted_generator"):  # arrays (batches 4, last 3) and a generator (5, last 3)
            assert ranks[r][name].shape == (23, 3)
            np.testing.assert_allclose(ranks[r][name], reference[name], rtol=1e-5, atol=1e-6)
    # each row is the model's output for that row of x (not a permutation of the right rows)
    model = workers.build()
    model.set_weights([ranks[0][f"w{i}"] for i in range(4)])
    expected = model(torch.from_numpy(ranks[0]["x_pred"])).detach().numpy()
    np.testing.assert_allclose(ranks[0]["predicted"], expected, rtol=1e-5, atol=1e-6)


def test_only_rank0_prints_and_writes(two_ranks):
    out, _, logs = two_ranks
    assert (out / "checkpoint_by_rank0.txt").read_text().split() == ["0", "1", "2"]
    assert not (out / "checkpoint_by_rank1.txt").exists()
    rows = (out / "log.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + workers.EPOCHS
    assert float(rows[-1].split(",")[3]) == pytest.approx(logs[0]["history"]["loss"][-1])
    assert "Epoch 3/3" in logs[0]["printed"] and logs[1]["printed"] == ""
    assert logs[0]["apply_restored"] and logs[1]["apply_restored"]  # fit leaves optimizer.apply as it was


def test_stop_buffers_and_tensorboard(two_ranks):
    out, ranks, _ = two_ranks
    assert int(ranks[0]["stopped_epochs"]) == int(ranks[1]["stopped_epochs"]) == 1  # rank 1's stop stops rank 0 too
    moving = [name for name in ranks[0].files if name.startswith("moving")]
    assert len(moving) == 2  # moving_mean, moving_variance
    for name in moving:  # each rank normalized its own half, then took rank 0's statistics at the epoch's end
        np.testing.assert_array_equal(ranks[0][name], ranks[1][name])
    assert not np.allclose(ranks[0]["moving0"], 0)  # trained: the moving mean left its initial zeros
    assert (out / "board_rank0").is_dir() and not (out / "board_rank1").exists()


def test_ranks_that_cannot_all_read_the_backup_stop_with_the_fix(two_ranks):
    _, _, logs = two_ranks
    for entry in logs:  # rank 0 resumes at epoch 1 from its folder, rank 1 finds nothing in its own
        assert "rank 0: 1, rank 1: None" in entry["unreadable_backup"]
        assert "storage that every machine reads" in entry["unreadable_backup"]


def test_killed_worker_resumes_from_backup_with_the_same_weights(tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "kill").mkdir()
    plain, _ = torchrun("plain", tmp_path / "plain", max_restarts=1)
    killed, logs = torchrun("kill", tmp_path / "kill", max_restarts=1)
    assert (tmp_path / "kill" / "killed").exists()  # rank 1 did SIGKILL itself in epoch 3 (index 2) ...
    assert [entry["attempt"] for entry in logs] == [1, 1]  # ... torchrun restarted both workers ...
    assert [entry["epochs"] for entry in logs] == [2, 2]  # ... which resumed after the 2 backed-up epochs
    for name in plain[0].files:
        np.testing.assert_array_equal(killed[0][name], plain[0][name])
        np.testing.assert_array_equal(killed[1][name], plain[0][name])
    assert not (tmp_path / "kill" / "backup").exists()  # rank 0 removed the backup when fit completed


# ---------------------------------------------------------------------- in one process
def test_split_bounds_cover_the_batch_in_rank_order():
    for count in range(0, 12):
        for world in (1, 2, 3, 4):
            bounds = [split_bounds(count, world, r) for r in range(world)]
            assert bounds[0][0] == 0 and bounds[-1][1] == count
            assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
            assert max(hi - lo for lo, hi in bounds) - min(hi - lo for lo, hi in bounds) <= 1


class _Rank:
    def __init__(self, rank, world_size):
        self.rank, self.world_size = rank, world_size
        self.empty_steps = 0

    def empty_step(self):
        self.empty_steps += 1


def test_sharded_batches_are_each_ranks_part_of_the_global_batch():
    x = np.arange(11.0).reshape(11, 1)
    parts = []
    for rank in (0, 1, 2):
        strategy = _Rank(rank, 3)
        data = ShardedData(ArrayData(x, batch_size=6), strategy, training=True)
        parts.append([batch[0][:, 0].tolist() for batch in data.epoch()])
        assert strategy.empty_steps == 0
    # batch 1 = samples 0..5 (2 each), batch 2 = samples 6..10 (2, 2, 1)
    assert parts == [[[0, 1], [6, 7]], [[2, 3], [8, 9]], [[4, 5], [10]]]


def test_empty_part_of_a_batch_still_takes_the_step():
    strategy = _Rank(1, 2)
    data = ShardedData(ArrayData(np.arange(5.0).reshape(5, 1), batch_size=4), strategy, training=True)
    assert data.steps == 1  # the last batch (1 sample) is rank 0's alone ...
    assert [b[0][:, 0].tolist() for b in data.epoch()] == [[2.0, 3.0]]
    # ... so rank 1 takes that step's all-reduce right after its first one (GradientReducer)
    assert strategy.step_weight == 0.5 and strategy.trailing_empty == 1 and strategy.empty_steps == 0
    alone = ShardedData(ArrayData(np.ones((1, 1)), batch_size=2), strategy, training=True)
    assert alone.steps == 0 and list(alone.epoch()) == [] and strategy.empty_steps == 1  # no batch at all


def test_global_batch_size_must_split_evenly():
    with pytest.raises(ValueError, match=r"divisible by 2.*batch_size=7.*Use batch_size=6 or 8"):
        ShardedData(ArrayData(np.ones((8, 1)), batch_size=7), _Rank(0, 2), training=True)


def test_one_process_is_local_and_chief():
    assert distribution() is None and cornu.distribute.current() is LOCAL and is_chief()
    model = workers.build()
    workers.train(model, epochs=1)
    assert "apply" not in vars(model.optimizer)  # nothing shadowed on the single-process hot path


def test_set_distribution_checks_its_argument():
    with pytest.raises(ValueError, match="DataParallel"):
        set_distribution("mirrored")
    with pytest.raises(ValueError, match="backend='nccl'|Use 'gloo'"):
        DataParallel(backend="ncl")
    strategy = DataParallel(backend="gloo")
    set_distribution(strategy)
    try:
        assert distribution() is strategy
    finally:
        set_distribution(None)
    assert distribution() is None


def test_fully_sharded_data_parallel_is_a_data_parallel_that_set_distribution_takes():
    """Its training runs are in test_sharded.py; here: it is constructed and accepted like DataParallel."""
    strategy = FullyShardedDataParallel(backend="gloo")
    assert isinstance(strategy, DataParallel) and strategy.backend == "gloo"
    with pytest.raises(ValueError, match="Use 'gloo' or 'nccl'"):
        FullyShardedDataParallel(backend="mpi")
    set_distribution(strategy)
    try:
        assert distribution() is strategy
    finally:
        set_distribution(None)


def test_explicit_data_parallel_outside_torchrun_says_how_to_launch(monkeypatch):
    for name in ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    set_distribution(DataParallel(backend="gloo"))
    try:
        model = workers.build()
        with pytest.raises(RuntimeError, match=r"missing: MASTER_ADDR.*torchrun --nproc_per_node=2"):
            workers.train(model, epochs=1)
    finally:
        set_distribution(None)
