"""A memmap's rows read with positional reads on its file equal the rows in memory; what cannot be read that way
(copy-on-write, rows not contiguous, a file replaced since it was mapped) falls back to the mapping."""

import os
import threading
import time

import numpy as np
import pytest
import torch

import cornu.trainers.direct_io as direct_io
import cornu.trainers.out_of_core as out_of_core
from cornu.trainers.data import ArrayData
from cornu.trainers.out_of_core import OutOfCoreArray, RowFile

needs_pread = pytest.mark.skipif(not hasattr(os, "preadv") or not os.path.exists("/proc/self/maps"), reason="Linux")


@pytest.fixture(params=["vectored", "row by row", "direct"])
def reader(request, monkeypatch, tmp_path):
    """Every way of reading: io_submit/process_madvise in one call, one preadv/fadvise per row, and O_DIRECT reads
    past the page cache (used for files bigger than the memory that could cache them: forced here)."""
    if request.param == "row by row":
        monkeypatch.setattr(out_of_core, "_vector_io", lambda: None)
    elif out_of_core._vector_io() is None:
        pytest.skip("no Linux AIO here")
    if request.param == "direct":
        np.save(tmp_path / "probe.npy", np.zeros(4))
        if direct_io.DirectReader.open(tmp_path / "probe.npy", 128, 8, 8) is None:
            pytest.skip("no O_DIRECT on this file system")
        monkeypatch.setattr(direct_io, "cache_can_hold", lambda nbytes: False)
    return request.param


def _saved(tmp_path, array, name="x.npy"):
    np.save(tmp_path / name, array)
    return np.load(tmp_path / name, mmap_mode="r")


@needs_pread
@pytest.mark.parametrize("dtype", ["float32", "int16", "float64", "bool"])
def test_rows_read_from_the_file_equal_the_rows_in_memory(tmp_path, reader, dtype):
    data = (np.arange(600 * 5) * 7 % 101).reshape(600, 5).astype(dtype)
    x = OutOfCoreArray(_saved(tmp_path, data))
    assert x._file is not None and x._file.dense
    # shuffled rows, a run of consecutive rows, a repeated row, and more rows than one io_submit takes
    for rows in (
        [5, 3, 599, 0, 3],
        list(range(40, 72)) + [1],
        torch.randperm(600, generator=torch.Generator().manual_seed(0)),
    ):
        index = torch.as_tensor(rows)
        got = x.take(index).numpy()
        assert got.dtype == data.dtype
        np.testing.assert_array_equal(got, data[index.numpy()])
    view = x[100:400]  # a lazy slice shares the open file and counts rows from its own start
    assert view._file is x._file
    np.testing.assert_array_equal(view.take(torch.tensor([299, 0, 17])).numpy(), data[[399, 100, 117]])
    np.testing.assert_array_equal(view.read(10, 20).numpy(), data[110:120])


@needs_pread
def test_a_view_s_last_batch_stops_at_the_view_s_end(tmp_path, reader):
    data = np.arange(40.0, dtype="float32").reshape(20, 2)
    head = OutOfCoreArray(_saved(tmp_path, data))[:10]
    np.testing.assert_array_equal(head.read(8, 12).numpy(), data[8:10])  # not rows 10 and 11 of the file
    train = ArrayData(head, np.arange(10), batch_size=4)
    batches = [x.numpy() for x, _, _ in train.epoch(shuffle=False)]
    np.testing.assert_array_equal(np.concatenate(batches), data[:10])
    assert [len(b) for b in batches] == [4, 4, 2]


@needs_pread
def test_multidimensional_rows_strided_rows_and_an_offset_header(tmp_path, reader):
    images = np.arange(50 * 4 * 3, dtype="uint8").reshape(50, 4, 3)
    x = OutOfCoreArray(_saved(tmp_path, images))
    np.testing.assert_array_equal(x.take(torch.tensor([49, 2, 3, 4])).numpy(), images[[49, 2, 3, 4]])
    every_third = OutOfCoreArray(np.load(tmp_path / "x.npy", mmap_mode="r")[::3])  # rows with gaps between them
    assert every_third._file is not None and not every_third._file.dense
    np.testing.assert_array_equal(every_third.take(torch.tensor([1, 0, 16])).numpy(), images[::3][[1, 0, 16]])
    np.testing.assert_array_equal(every_third.read(2, 5).numpy(), images[::3][2:5])
    raw = np.arange(30, dtype="float64").reshape(10, 3)
    with open(tmp_path / "raw.bin", "wb") as f:
        f.write(b"x" * 37 + raw.tobytes())  # an odd header: rows start at byte 37, not on any boundary
    mapped = np.memmap(tmp_path / "raw.bin", dtype="float64", mode="r", offset=37, shape=(10, 3))
    x = OutOfCoreArray(mapped)
    assert x._file is not None and x._file.first == 37
    np.testing.assert_array_equal(x.take(torch.tensor([9, 0, 4])).numpy(), raw[[9, 0, 4]])
    labels = OutOfCoreArray(_saved(tmp_path, np.arange(9, dtype="int64"), "y.npy"))  # 1-D: a row is one number
    assert labels.take(torch.tensor([8, 1])).tolist() == [8, 1]


@needs_pread
def test_what_cannot_be_read_from_the_file_falls_back_to_the_mapping(tmp_path):
    data = np.arange(60.0, dtype="float32").reshape(20, 3)
    _saved(tmp_path, data)
    copy_on_write = np.load(tmp_path / "x.npy", mmap_mode="c")
    copy_on_write[0] = -1.0  # private pages: the file still holds the old row, the array does not
    columns = np.load(tmp_path / "x.npy", mmap_mode="r")[:, ::2]  # each row's values are not one block
    fortran = np.memmap(tmp_path / "f.bin", dtype="float32", mode="w+", shape=(20, 3), order="F")
    fortran[:] = data
    for array, expected in (
        (copy_on_write, np.vstack([[-1.0] * 3, data[1:]])),
        (columns, data[:, ::2]),
        (fortran, data),
    ):
        x = OutOfCoreArray(array)
        assert x._file is None
        np.testing.assert_array_equal(x.take(torch.tensor([0, 19, 7])).numpy(), expected[[0, 19, 7]])
        np.testing.assert_array_equal(x.read(0, 2).numpy(), expected[:2])


@needs_pread
def test_a_file_replaced_after_mapping_is_not_read(tmp_path):
    old = np.zeros((8, 2), "float32")
    mapped = _saved(tmp_path, old)
    np.save(tmp_path / "new.npy", np.ones((8, 2), "float32"))
    os.replace(tmp_path / "new.npy", tmp_path / "x.npy")  # same path, another file (inode)
    x = OutOfCoreArray(mapped)
    assert x._file is None
    np.testing.assert_array_equal(x.take(torch.tensor([3, 1])).numpy(), old[[3, 1]])  # what the mapping holds


@needs_pread
def test_a_truncated_file_raises_a_clear_error(tmp_path, reader):
    data = np.arange(300.0, dtype="float32").reshape(100, 3)
    x = OutOfCoreArray(_saved(tmp_path, data))
    assert x._file is not None
    os.truncate(tmp_path / "x.npy", 128 + 50 * 12)  # the header and 50 rows are left; the mapping is not touched
    np.testing.assert_array_equal(x.take(torch.tensor([49, 3])).numpy(), data[[49, 3]])
    with pytest.raises(OSError, match="truncated after it was opened"):
        x.take(torch.tensor([2, 70]))
    with pytest.raises(OSError, match="truncated after it was opened"):
        x.read(40, 60)


@needs_pread
def test_read_ahead_hints_cover_each_batch_and_change_nothing(tmp_path, reader, monkeypatch):
    data = np.arange(200.0, dtype="float32").reshape(100, 2)
    x = OutOfCoreArray(_saved(tmp_path, data))
    asked = []
    original = RowFile.will_need

    def recording(self, rows, batch=False):
        asked.append((rows.tolist(), batch))
        original(self, rows, batch)

    monkeypatch.setattr(RowFile, "will_need", recording)
    data_on_disk = ArrayData(x, np.arange(100), batch_size=16)
    order = torch.randperm(100, generator=torch.Generator().manual_seed(1))
    in_memory = ArrayData(data, np.arange(100), batch_size=16)
    generator = torch.Generator().manual_seed(1)
    disk = [b[0].numpy() for b in data_on_disk.epoch(shuffle=True, generator=generator)]
    memory = [b[0].numpy() for b in in_memory.epoch(shuffle=True, generator=torch.Generator().manual_seed(1))]
    for a, b in zip(disk, memory, strict=True):
        np.testing.assert_array_equal(a, b)
    batches = [sorted(order[i : i + 16].tolist()) for i in range(0, 100, 16)]
    # each batch's rows asked for once, ahead, as a batch; take did not ask again
    assert sorted(asked) == sorted((rows, True) for rows in batches)
    assert x._file.announced == {}
    # rows nobody announced (the data-parallel reader): take asks for them itself, or reads them at once (direct)
    np.testing.assert_array_equal(x.take(torch.tensor([5, 1])).numpy(), data[[5, 1]])
    assert asked[-1] == (([1, 5], False) if reader != "direct" else (batches[-1], True))


@needs_pread
def test_consecutive_rows_are_one_read_and_leave_no_cache_behind_a_file_too_big_to_cache(tmp_path, reader, monkeypatch):
    data = (np.arange(300 * 5) % 97).reshape(300, 5).astype("float32")
    x = OutOfCoreArray(_saved(tmp_path, data))
    advice, reads = [], []
    fadvise, preadv = os.posix_fadvise, os.preadv
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, *rest: advice.append(rest) or fadvise(fd, *rest))
    monkeypatch.setattr(os, "preadv", lambda fd, buffers, offset: reads.append(offset) or preadv(fd, buffers, offset))
    x.will_need(40, 72, torch.arange(40, 72).flip(0))  # announced as a batch (shuffle="batch" gives such runs)
    row = lambda n: x.array.offset + n * 20  # noqa: E731
    assert advice == [(row(40), 32 * 20, os.POSIX_FADV_WILLNEED)]  # the whole range, in one hint
    got = x.take(torch.arange(40, 72).flip(0)).numpy()  # slots not in file order: the run is read, then placed
    np.testing.assert_array_equal(got, data[40:72][::-1])
    assert reads == [row(40)]
    dropped = [a for a in advice if a[-1] == os.POSIX_FADV_DONTNEED]
    assert dropped == ([(row(40), 32 * 20, os.POSIX_FADV_DONTNEED)] if reader == "direct" else [])
    assert x._file.announced == {}
    np.testing.assert_array_equal(x.read(100, 110).numpy(), data[100:110])  # shuffle=False's batches: dropped too
    dropped = [a for a in advice if a[-1] == os.POSIX_FADV_DONTNEED]
    assert dropped[1:] == ([(row(100), 10 * 20, os.POSIX_FADV_DONTNEED)] if reader == "direct" else [])


@needs_pread
def test_batch_shuffled_epochs_equal_memory_and_direct_reads_need_no_reader_thread(tmp_path, reader):
    data = np.arange(500.0 * 3, dtype="float32").reshape(500, 3)
    disk = ArrayData(OutOfCoreArray(_saved(tmp_path, data)), np.arange(500), batch_size=32)
    memory = ArrayData(data, np.arange(500), batch_size=32)
    threads = []
    got = []
    for batch in disk.epoch(shuffle="batch", generator=torch.Generator().manual_seed(4)):
        threads.append(any(t.name == "cornu-prefetch" for t in threading.enumerate()))
        got.append(batch[0].numpy())
    want = [b[0].numpy() for b in memory.epoch(shuffle="batch", generator=torch.Generator().manual_seed(4))]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    # O_DIRECT reads and run reads are started batches ahead and never block: read in the training thread
    assert any(threads) == (reader != "direct")


def test_prefetch_refills_in_bursts_after_the_consumer_takes_half():
    log = []

    def batches():
        for i in range(40):
            log.append("made")
            yield i

    taken = []
    for item in out_of_core.prefetched(batches(), depth=8):
        time.sleep(0.003)  # a slow consumer: the reader fills the queue and then waits
        log.append("took")
        taken.append(item)
    assert taken == list(range(40))
    runs = [len(run) for run in "".join("m" if e == "made" else " " for e in log).split()]
    # one wake-up per 5 or more batches (8 slots, refilled once 3 are left), not one per batch
    assert len(runs) <= 10 and max(runs[1:-1]) >= 4, runs
