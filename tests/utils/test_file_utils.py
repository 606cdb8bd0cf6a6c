"""get_file against a loopback HTTP server: checks, cache reuse, resumed and broken downloads, extraction, safety."""

import hashlib
import importlib.util
import io
import os
import socket
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from cornu.utils import file_utils
from cornu.utils.file_utils import get_file, hash_file, validate_file

_spec = importlib.util.spec_from_file_location("loopback", Path(__file__).parents[1] / "datasets" / "loopback.py")
loopback = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(loopback)

DATA = bytes(range(256)) * 400  # 102,400 bytes: several read chunks
SHA = hashlib.sha256(DATA).hexdigest()
MD5 = hashlib.md5(DATA).hexdigest()


@pytest.fixture
def server():
    serving = loopback.Loopback()
    serving.files["data.bin"] = DATA
    yield serving
    serving.close()


@pytest.fixture
def homes(tmp_path, monkeypatch):
    """HOME, CORNU_HOME and KERAS_HOME under tmp_path, so no test reads or writes a real cache."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CORNU_HOME", str(tmp_path / "cornu"))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    return tmp_path


def refused_url(name="data.bin"):
    """A loopback URL where nothing listens: connecting is refused, as when offline."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/{name}"


def tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------- hashes
def test_hash_file_and_validate_file_closed_forms(tmp_path):
    path = tmp_path / "abc"
    path.write_bytes(b"abc")
    assert hash_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert hash_file(path, "md5") == "900150983cd24fb0d6963f7d28e17f72"
    assert hash_file(path, "auto") == "900150983cd24fb0d6963f7d28e17f72"  # Keras: "auto" without a hash is md5
    assert validate_file(path, "900150983cd24fb0d6963f7d28e17f72")  # 32 digits: md5
    assert validate_file(path, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    assert not validate_file(path, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "md5")


# ---------------------------------------------------------------------------------------------- downloads
def test_fresh_download_is_checked_and_placed_in_the_cache(server, homes):
    path = get_file("data.bin", origin=server.url("data.bin"), file_hash=SHA)
    assert path == str(homes / "cornu" / "datasets" / "data.bin")
    assert Path(path).read_bytes() == DATA
    assert not Path(path + ".part").exists()
    assert server.requests == [("data.bin", None)]


def test_name_defaults_to_the_url_and_md5_hash_is_the_old_spelling(server, homes):
    path = get_file(origin=server.url("data.bin"), md5_hash=MD5, cache_dir=homes / "c", cache_subdir="sub")
    assert path == str(homes / "c" / "sub" / "data.bin")
    assert Path(path).read_bytes() == DATA


def test_a_good_cached_copy_is_used_without_network(server, homes):
    get_file("data.bin", origin=server.url("data.bin"), file_hash=SHA)
    path = get_file("data.bin", origin=refused_url(), file_hash=SHA)
    assert Path(path).read_bytes() == DATA
    assert len(server.requests) == 1


def test_a_cached_copy_with_the_wrong_hash_is_downloaded_again(server, homes, capsys):
    target = homes / "cornu" / "datasets" / "data.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"outdated")
    get_file("data.bin", origin=server.url("data.bin"), file_hash=SHA)
    assert target.read_bytes() == DATA
    assert "does not match the expected hash" in capsys.readouterr().out


def test_force_download_fetches_again(server, homes):
    get_file("data.bin", origin=server.url("data.bin"))
    server.files["data.bin"] = b"new"
    assert Path(get_file("data.bin", origin=server.url("data.bin"), force_download=True)).read_bytes() == b"new"
    assert len(server.requests) == 2


def test_a_corrupted_download_is_deleted_and_names_url_and_hashes(server, homes):
    server.files["data.bin"] = DATA[:-1] + b"!"
    actual = hashlib.sha256(server.files["data.bin"]).hexdigest()
    with pytest.raises(ValueError, match="corrupted") as info:
        get_file("data.bin", origin=server.url("data.bin"), file_hash=SHA)
    message = str(info.value)
    assert server.url("data.bin") in message and SHA in message and actual in message
    assert os.listdir(homes / "cornu" / "datasets") == [".data.bin.lock"]  # neither the file nor a .part is left


def test_a_dropped_connection_is_resumed_with_range(server, homes):
    server.drop_after["data.bin"] = 40_000
    path = get_file("data.bin", origin=server.url("data.bin"), file_hash=SHA)
    assert Path(path).read_bytes() == DATA
    assert server.requests == [("data.bin", None), ("data.bin", "bytes=40000-")]


def test_a_part_left_by_a_killed_download_is_resumed(server, homes):
    folder = homes / "cornu" / "datasets"
    folder.mkdir(parents=True)
    (folder / "data.bin.part").write_bytes(DATA[:1234])
    path = get_file("data.bin", origin=server.url("data.bin"), file_hash=SHA)
    assert Path(path).read_bytes() == DATA
    assert server.requests == [("data.bin", "bytes=1234-")]


def test_without_a_hash_an_earlier_part_is_not_trusted(server, homes):
    folder = homes / "cornu" / "datasets"
    folder.mkdir(parents=True)
    (folder / "data.bin.part").write_bytes(b"x" * 100)
    assert Path(get_file("data.bin", origin=server.url("data.bin"))).read_bytes() == DATA
    assert server.requests == [("data.bin", None)]


def test_a_full_disk_is_reported_as_itself(server, homes, monkeypatch):
    real_open = open

    class Full:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            raise OSError(28, "No space left on device")

    def fake_open(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        return Full(handle) if str(path).endswith(".part") and "b" in mode and "+" not in mode else handle

    monkeypatch.setattr("builtins.open", fake_open)
    with pytest.raises(OSError, match="No space left"):
        get_file("data.bin", origin=server.url("data.bin"), file_hash=SHA)


def test_a_complete_part_that_was_never_renamed_is_used_without_network(homes):
    folder = homes / "cornu" / "datasets"
    folder.mkdir(parents=True)
    (folder / "data.bin.part").write_bytes(DATA)
    assert Path(get_file("data.bin", origin=refused_url(), file_hash=SHA)).read_bytes() == DATA


def test_a_server_without_range_support_gets_a_whole_new_download(server, homes):
    server.no_range.add("data.bin")
    folder = homes / "cornu" / "datasets"
    folder.mkdir(parents=True)
    (folder / "data.bin.part").write_bytes(DATA[:5000])
    path = get_file("data.bin", origin=server.url("data.bin"), file_hash=SHA)
    assert Path(path).read_bytes() == DATA  # not the kept 5000 bytes followed by the whole file
    assert server.requests == [("data.bin", "bytes=5000-")]


def test_a_stale_part_from_another_file_is_detected_and_fetched_again(server, homes):
    folder = homes / "cornu" / "datasets"
    folder.mkdir(parents=True)
    (folder / "data.bin.part").write_bytes(b"x" * 100)  # bytes of an older file at that URL
    path = get_file("data.bin", origin=server.url("data.bin"), file_hash=SHA)
    assert Path(path).read_bytes() == DATA
    assert server.requests == [("data.bin", "bytes=100-"), ("data.bin", None)]


def test_a_part_longer_than_the_file_starts_over(server, homes):
    folder = homes / "cornu" / "datasets"
    folder.mkdir(parents=True)
    (folder / "data.bin.part").write_bytes(b"x" * (len(DATA) + 10))
    assert Path(get_file("data.bin", origin=server.url("data.bin"), file_hash=SHA)).read_bytes() == DATA
    assert server.requests == [("data.bin", f"bytes={len(DATA) + 10}-"), ("data.bin", None)]


def test_without_a_hash_a_drop_is_still_never_taken_for_a_whole_file(server, homes):
    serve, attempts = server._serve, []

    def always_drop(handler):  # every response stops after 10 bytes: the download gives up, keeping the .part
        server.drop_after["data.bin"] = 10
        attempts.append(handler.headers.get("Range"))
        serve(handler)

    server._serve = always_drop
    with pytest.raises(ConnectionError, match="run again to resume"):
        get_file("data.bin", origin=server.url("data.bin"))
    assert not (homes / "cornu" / "datasets" / "data.bin").exists()
    assert (homes / "cornu" / "datasets" / "data.bin.part").read_bytes() == DATA[: 10 * len(attempts)]
    assert attempts == [None, "bytes=10-", "bytes=20-", "bytes=30-", "bytes=40-"]


def test_offline_without_a_copy_says_where_to_put_the_file(homes):
    with pytest.raises(ConnectionError) as info:
        get_file("data.bin", origin=refused_url(), file_hash=SHA)
    message = str(info.value)
    assert "Could not download" in message
    assert str(homes / "cornu" / "datasets" / "data.bin") in message
    assert not (homes / "cornu" / "datasets" / "data.bin").exists()


def test_http_errors_are_reported_with_their_status(server, homes):
    with pytest.raises(ConnectionError, match="HTTP 404"):
        get_file("missing.bin", origin=server.url("missing.bin"))


def test_two_concurrent_callers_download_once(server, homes):
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(get_file("data.bin", origin=server.url("data.bin"))))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [Path(r).read_bytes() == DATA for r in results] == [True, True]
    assert len(server.requests) == 1


# ---------------------------------------------------------------------------------------------- Keras's cache
def test_a_good_copy_in_keras_cache_is_used_where_it_is(homes):
    keras_copy = homes / "home" / ".keras" / "datasets" / "data.bin"
    keras_copy.parent.mkdir(parents=True)
    keras_copy.write_bytes(DATA)
    assert get_file("data.bin", origin=refused_url(), file_hash=SHA) == str(keras_copy)


def test_keras_home_is_honoured_and_a_bad_keras_copy_is_left_alone(server, homes, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(homes / "kh"))
    keras_copy = homes / "kh" / "datasets" / "data.bin"
    keras_copy.parent.mkdir(parents=True)
    keras_copy.write_bytes(b"bad")
    path = get_file("data.bin", origin=server.url("data.bin"), file_hash=SHA)
    assert path == str(homes / "cornu" / "datasets" / "data.bin")
    assert keras_copy.read_bytes() == b"bad"


def test_an_explicit_cache_dir_does_not_look_in_keras_cache(server, homes):
    keras_copy = homes / "home" / ".keras" / "datasets" / "data.bin"
    keras_copy.parent.mkdir(parents=True)
    keras_copy.write_bytes(DATA)
    path = get_file("data.bin", origin=server.url("data.bin"), file_hash=SHA, cache_dir=homes / "mine")
    assert path == str(homes / "mine" / "datasets" / "data.bin")


# ---------------------------------------------------------------------------------------------- archives
def test_extract_names_follow_keras_3(server, homes):
    server.files["pack.tar.gz"] = tar_gz({"inner/a.txt": b"A"})
    folder = Path(get_file("pack", origin=server.url("pack.tar.gz"), extract=True))
    assert folder == homes / "cornu" / "datasets" / "pack"
    assert (folder / "inner" / "a.txt").read_bytes() == b"A"
    assert (homes / "cornu" / "datasets" / "pack_archive").is_file()
    dotted = Path(get_file("pack.tar.gz", origin=server.url("pack.tar.gz"), extract=True))
    assert dotted == homes / "cornu" / "datasets" / "pack_extracted"
    untarred = Path(get_file("other", origin=server.url("pack.tar.gz"), untar=True))
    assert (untarred / "inner" / "a.txt").read_bytes() == b"A"


def test_zip_archives_are_extracted(server, homes):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("z/b.txt", "B")
    server.files["pack.zip"] = buffer.getvalue()
    folder = Path(get_file("zipped", origin=server.url("pack.zip"), extract=True, archive_format="zip"))
    assert (folder / "z" / "b.txt").read_text() == "B"


def test_a_cached_extraction_is_not_redone(server, homes):
    """cornu extracts once (Keras 3 extracts again on every call); the folder is the same one afterwards."""
    server.files["pack.tar.gz"] = tar_gz({"a.txt": b"A"})
    first = get_file("pack", origin=server.url("pack.tar.gz"), extract=True)
    inode = os.stat(first).st_ino
    second = get_file("pack", origin=refused_url("pack.tar.gz"), extract=True)
    assert second == first and os.stat(second).st_ino == inode


def test_an_archive_member_leaving_the_folder_is_refused(server, homes):
    server.files["evil.tar.gz"] = tar_gz({"../escaped.txt": b"owned"})
    with pytest.raises((ValueError, tarfile.TarError)):
        get_file("evil", origin=server.url("evil.tar.gz"), extract=True)
    assert not (homes / "cornu" / "escaped.txt").exists()
    assert not (homes / "cornu" / "datasets" / "evil").exists()
    assert [n for n in os.listdir(homes / "cornu" / "datasets") if ".part-" in n] == []


def test_a_file_that_is_no_archive_warns(server, homes):
    with pytest.warns(UserWarning, match="Could not extract"):
        get_file("plain", origin=server.url("data.bin"), extract=True)


# ---------------------------------------------------------------------------------------------- arguments
def test_bad_arguments_say_what_to_pass(homes):
    with pytest.raises(ValueError, match="origin"):
        get_file("x")
    with pytest.raises(ValueError, match="cache_dir"):
        get_file(os.path.join("sub", "x.bin"), origin="http://127.0.0.1/x.bin")
    with pytest.raises(ValueError, match="hash_algorithm"):
        get_file("x.bin", origin="http://127.0.0.1/x.bin", hash_algorithm="sha1")
    with pytest.raises(ValueError, match="fname"):
        get_file(origin="http://127.0.0.1/")


def test_unwritable_cache_falls_back_to_a_temporary_folder(server, homes, monkeypatch):
    monkeypatch.setattr(file_utils.os, "access", lambda path, mode: False)
    monkeypatch.setattr(file_utils.tempfile, "gettempdir", lambda: str(homes / "tmp"))
    with pytest.warns(UserWarning, match="Cannot write"):
        path = get_file("data.bin", origin=server.url("data.bin"), file_hash=SHA)
    assert path == str(homes / "tmp" / ".cornu" / "datasets" / "data.bin")


def test_paths_match_keras_get_file(server, homes, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    server.files["pack.tar.gz"] = tar_gz({"a.txt": b"A"})
    cases = [
        dict(fname="data.bin", origin=server.url("data.bin"), file_hash=SHA),
        dict(fname=None, origin=server.url("data.bin"), cache_subdir="sub"),
        dict(fname="pack", origin=server.url("pack.tar.gz"), extract=True),
        dict(fname="pack.tar.gz", origin=server.url("pack.tar.gz"), extract=True),
        dict(fname=None, origin=server.url("pack.tar.gz"), extract=True),
    ]
    for i, case in enumerate(cases):  # a cache each: one case's archive has the name of another's folder
        (homes / f"theirs{i}").mkdir()  # Keras falls back to /tmp/.keras when the folder does not exist yet
        ours = get_file(cache_dir=homes / f"ours{i}", **case)
        theirs = keras.utils.get_file(cache_dir=str(homes / f"theirs{i}"), **case)
        assert os.path.relpath(ours, homes / f"ours{i}") == os.path.relpath(theirs, homes / f"theirs{i}"), case
        assert sorted(os.listdir(ours) if os.path.isdir(ours) else [Path(ours).read_bytes()]) == sorted(
            os.listdir(theirs) if os.path.isdir(theirs) else [Path(theirs).read_bytes()]
        )
