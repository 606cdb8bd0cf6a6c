"""O_DIRECT reads of a memmap's rows (for files bigger than the memory that could cache them) give exactly the rows
in memory: batches announced and never read, more reads than the kernel context holds, a fit end to end; and the
size check that chooses them reads the cgroup's limit."""

import numpy as np
import pytest

import cornu
import cornu.trainers.direct_io as direct_io
from cornu.trainers.direct_io import DirectReader
from cornu.trainers.out_of_core import OutOfCoreArray


@pytest.fixture
def saved(tmp_path):
    data = np.arange(3000 * 37, dtype="float32").reshape(3000, 37)  # 148-byte rows: most straddle no page, some do
    np.save(tmp_path / "x.npy", data)
    memmap = np.load(tmp_path / "x.npy", mmap_mode="r")
    reader = DirectReader.open(tmp_path / "x.npy", memmap.offset, memmap.strides[0], memmap[0].nbytes)
    if reader is None:
        pytest.skip("no O_DIRECT on this file system")
    yield data, memmap, reader
    reader.close()


def test_rows_land_in_their_slots_across_page_boundaries(saved):
    data, _, reader = saved
    rows = np.sort(np.random.default_rng(0).choice(3000, 200, replace=False))
    rows[-1] = 2999  # the last row: its page runs past the end of the file
    slots = np.random.default_rng(1).permutation(200)
    out = np.zeros((200, 37), "float32")
    assert reader.read_into(reader.submit(rows), slots, out)
    np.testing.assert_array_equal(out[slots], data[rows])


def test_rows_whose_pages_touch_are_read_together(saved):
    data, memmap, reader = saved
    # a run of consecutive rows (shuffle="batch"), two rows sharing a page, and rows far apart
    rows = np.array([3, 5, *range(1000, 1100), 2000, 2999])
    ticket = reader.submit(rows)
    first = memmap.offset
    page = lambda row: (first + row * 148) // 4096  # noqa: E731
    assert page(3) == page(5)
    assert len(ticket.requests) == 4  # rows 3 and 5, the run, row 2000, row 2999
    assert ticket.requests["nbytes"][1] == (page(1099) - page(1000) + 1) * 4096
    slots = np.random.default_rng(2).permutation(len(rows))
    out = np.zeros((len(rows), 37), "float32")
    assert reader.read_into(ticket, slots, out)
    np.testing.assert_array_equal(out[slots], data[rows])


def test_buffers_of_batches_of_other_sizes_are_reused(saved):
    data, _, reader = saved
    small = reader.submit(np.arange(0, 3000, 100))  # 30 reads of a page or two
    reader.read_into(small, np.arange(30), np.empty((30, 37), "float32"))
    run = reader.submit(np.arange(0, 500))  # one read of 19 pages: smaller than the 30 reads' buffer
    assert run.pages is small.pages
    out = np.empty((500, 37), "float32")
    assert reader.read_into(run, np.arange(500), out)
    np.testing.assert_array_equal(out, data[:500])


def test_forgotten_batches_are_reaped_and_their_buffers_reused(saved):
    data, _, reader = saved
    tickets = [reader.submit(np.arange(start, start + 50)) for start in (0, 100, 200, 300)]
    for ticket in tickets[:3]:
        reader.forget(ticket)
    out = np.empty((50, 37), "float32")
    assert reader.read_into(tickets[3], np.arange(50), out)
    np.testing.assert_array_equal(out, data[300:350])
    while any(ticket.remaining for ticket in tickets):  # the forgotten reads end; their tickets go
        reader._reap(minimum=1)
    assert list(reader.tickets) == []
    assert len(reader.spare) == 4
    again = reader.submit(np.arange(10, 60))
    assert any(again.pages is ticket.pages for ticket in tickets)  # no new buffer: its pages are already mapped in


def test_more_reads_than_the_context_holds(tmp_path, monkeypatch):
    monkeypatch.setattr(direct_io, "CAPACITY", 16)
    data = np.arange(500 * 9, dtype="int64").reshape(500, 9)
    np.save(tmp_path / "x.npy", data)
    memmap = np.load(tmp_path / "x.npy", mmap_mode="r")
    reader = DirectReader.open(tmp_path / "x.npy", memmap.offset, memmap.strides[0], memmap[0].nbytes)
    if reader is None:
        pytest.skip("no O_DIRECT on this file system")
    rows = np.arange(0, 500, 7)  # 72 reads through a context of 16
    out = np.empty((len(rows), 9), "int64")
    assert reader.read_into(reader.submit(rows), np.arange(len(rows)), out)
    np.testing.assert_array_equal(out, data[rows])
    reader.close()


@pytest.mark.parametrize("shuffle", [True, "batch"])
def test_a_memmap_too_big_to_cache_trains_exactly_like_memory(tmp_path, monkeypatch, shuffle):
    monkeypatch.setattr(direct_io, "cache_can_hold", lambda nbytes: False)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6)).astype("float32")
    y = (x[:, 0] > x[:, 1]).astype("int64")
    np.save(tmp_path / "x.npy", x)
    memmap = np.load(tmp_path / "x.npy", mmap_mode="r")
    if OutOfCoreArray(memmap)._file.direct is None:
        pytest.skip("no O_DIRECT on this file system")

    def fit(data):
        cornu.backend.set_random_seed(3)
        model = cornu.Sequential([cornu.layers.Dense(4, activation="relu", input_shape=(6,)), cornu.layers.Dense(2)])
        model.compile("adam", cornu.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(data, y, batch_size=32, epochs=2, shuffle=shuffle, verbose=0)
        return model.get_weights()

    for on_disk, in_memory in zip(fit(memmap), fit(x), strict=True):
        np.testing.assert_array_equal(on_disk, in_memory)


def test_the_size_check_reads_cgroup_v1_and_v2_limits(tmp_path, monkeypatch):
    (tmp_path / "memory" / "job").mkdir(parents=True)
    (tmp_path / "memory" / "job" / "memory.limit_in_bytes").write_text("1610612736\n")
    (tmp_path / "v1").write_text("5:cpu:/\n4:memory:/job\n")
    assert direct_io._cgroup_limit(tmp_path / "v1", tmp_path) == 1610612736
    (tmp_path / "unified").mkdir()
    (tmp_path / "unified" / "memory.max").write_text("max\n")
    (tmp_path / "v2").write_text("0::/unified\n")
    assert direct_io._cgroup_limit(tmp_path / "v2", tmp_path) is None  # no limit
    (tmp_path / "unified" / "memory.max").write_text("2000\n")
    assert direct_io._cgroup_limit(tmp_path / "v2", tmp_path) == 2000
    monkeypatch.setattr(direct_io, "_cgroup_limit", lambda: 2000)
    monkeypatch.setattr(direct_io, "_available_memory", lambda: 10**9)
    assert direct_io.cache_can_hold(2000) and not direct_io.cache_can_hold(2001)


def test_a_refused_read_fails_the_batch_without_waiting_forever(saved, monkeypatch):
    data, _, reader = saved
    original = reader.aio.submit

    def refuse_after_ten(requests):  # the kernel takes the first 10 reads, then refuses the rest (EINVAL)
        taken = original(requests[:10]) if len(requests) > 10 else original(requests)
        reader.aio.stopped_by = 22 if len(requests) > 10 else None
        return taken

    monkeypatch.setattr(reader.aio, "submit", refuse_after_ten)
    ticket = reader.submit(np.arange(0, 3000, 75))  # 40 rows 11 KB apart: a read each
    assert not ticket.ok
    assert not reader.read_into(ticket, np.arange(40), np.empty((40, 37), "float32"))
    assert ticket.remaining == 0  # the 10 reads in flight were waited for: they write into the ticket's pages
    monkeypatch.setattr(reader.aio, "submit", original)
    out = np.empty((5, 37), "float32")
    assert reader.read_into(reader.submit(np.arange(5)), np.arange(5), out)
    np.testing.assert_array_equal(out, data[:5])
