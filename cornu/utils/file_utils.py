"""`get_file`: download a file once, check it, keep it in a cache; plus the hashing helpers it uses.

Downloads go to `<name>.part` beside the final file and are renamed into place only once complete and (when a hash
is given) checked, so a killed or broken download never leaves a file that a later call takes for valid. A `.part`
left behind is resumed with an HTTP `Range` request when the server supports it. A lock file keeps two processes
(e.g. `torchrun` ranks) from writing the same `.part` at once. Archives are extracted into a temporary folder that
is renamed into place, refusing members that would land outside it.

cornu's cache is `~/.cornu` (or `$CORNU_HOME`); a file already in Keras's cache (`~/.keras`, or `$KERAS_HOME`) with
the right hash is used where it is, so nothing is downloaded twice.
"""

import contextlib
import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
from http.client import HTTPException

from rich import progress as rp
from rich.console import Console

__all__ = ["get_file", "validate_file", "hash_file", "cornu_home", "keras_home"]

_CHUNK = 1 << 16
_TIMEOUT_SECONDS = 30
_MAX_ATTEMPTS = 5  # attempts that each make progress; one that makes none ends the download
_ALGORITHMS = ("auto", "sha256", "md5")


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Downloads a file from a URL unless a good copy is already cached, and returns its local path.

    The file lands in `<cache_dir>/<cache_subdir>/<fname>`, by default `~/.cornu/datasets/<fname>`. With `file_hash`,
    a cached copy is checked first (and downloaded again if it does not match) and a download is checked before it
    is kept; a download that does not match is deleted and raises `ValueError`. When `cache_dir` is not given, a
    matching copy in Keras's cache (`~/.keras/<cache_subdir>`, or `$KERAS_HOME`) is used instead of downloading.

    Args:
        fname: Local name of the file. A name, not a path (use `cache_dir` for the folder). With `extract`, a name
            without a dot names the extraction folder. Defaults to `None`: the last part of the URL's path.
        origin: URL of the file. Required.
        untar: Deprecated spelling of `extract=True` for tar archives. Defaults to `False`.
        md5_hash: Deprecated spelling of `file_hash` with `hash_algorithm="md5"`. Defaults to `None`.
        file_hash: Expected sha256 (64 hex digits) or md5 (32) of the file. Defaults to `None`: not checked.
        cache_subdir: Folder under `cache_dir`, or an absolute path. Defaults to `"datasets"`.
        hash_algorithm: `"auto"` (sha256 for 64-digit hashes, else md5), `"sha256"` or `"md5"`. Defaults to
            `"auto"`.
        extract: Whether to extract the archive (tar, tar.gz, tar.bz2, zip) and return the folder. Defaults to
            `False`.
        archive_format: `"auto"` (tar then zip), `"tar"`, `"zip"`, a list of those, or `None`. Defaults to `"auto"`.
        cache_dir: Base folder of the cache. Defaults to `None`: `$CORNU_HOME`, else `~/.cornu`.
        force_download: Whether to download even when a good copy is cached. Defaults to `False`.

    Returns:
        The path of the file, or of the extraction folder with `extract=True`.

    Raises:
        ValueError: for bad arguments, or when a downloaded file does not match `file_hash`.
        ConnectionError: when the file cannot be fetched; the message says where to put a copy by hand.

    Example:
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "hello.txt").write_text("hello")
    5
    >>> path = get_file("hello.txt", origin=(folder / "hello.txt").as_uri(), cache_dir=folder / "cache",
    ...                 file_hash="2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    ... # doctest: +ELLIPSIS
    Downloading data from file:///...hello.txt
    hello.txt ... 5/5 bytes ...
    >>> pathlib.Path(path).read_text(), pathlib.Path(path).parent.name
    ('hello', 'datasets')
    """
    if origin is None:
        raise ValueError('Please pass `origin`, the URL of the file, e.g. get_file("data.npz", origin="https://...").')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    _check_algorithm(hash_algorithm)
    datadir = _data_dir(cache_dir, cache_subdir)
    target, extraction_dir = _targets(datadir, fname, origin, extract or untar)
    fresh = force_download or not _cached_is_valid(target, file_hash, hash_algorithm)
    if fresh and not force_download and cache_dir is None:
        keras_target = os.path.join(keras_home(), cache_subdir, os.path.basename(target))
        if _is_valid(keras_target, file_hash, hash_algorithm):
            fresh, target = False, keras_target
            keras_folder = os.path.join(keras_home(), cache_subdir, os.path.basename(extraction_dir or ""))
            if extraction_dir and os.path.isdir(keras_folder):
                return keras_folder
    if fresh:
        _download(origin, target, file_hash, hash_algorithm, force_download)
    if not (extract or untar):
        return target
    if fresh or not os.path.isdir(extraction_dir):
        if not _extract(target, extraction_dir, "tar" if untar else archive_format):
            warnings.warn(f"Could not extract {target} as {archive_format!r}: it is not such an archive.", stacklevel=2)
    return extraction_dir


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of a file, read in chunks.

    Args:
        fpath: Path of the file.
        algorithm: `"sha256"`, `"md5"` (also what `"auto"` means here, as in Keras), or a `hashlib` object.
            Defaults to `"sha256"`.
        chunk_size: Bytes read at a time. Defaults to `65535`.

    Returns:
        The hash as a string of hex digits.

    Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty"
    >>> path.write_bytes(b"")
    0
    >>> hash_file(path)
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    >>> hash_file(path, "md5")
    'd41d8cd98f00b204e9800998ecf8427e'
    """
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether a file's sha256 or md5 equals `file_hash`.

    Args:
        fpath: Path of the file.
        file_hash: The expected hex digest.
        algorithm: `"auto"` (sha256 for a 64-digit `file_hash`, else md5), `"sha256"` or `"md5"`. Defaults to
            `"auto"`.
        chunk_size: Bytes read at a time. Defaults to `65535`.

    Returns:
        `True` if the hashes match, else `False`.

    Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "hello.txt"
    >>> path.write_text("hello")
    5
    >>> validate_file(path, "5d41402abc4b2a76b9719d911017c592")
    True
    >>> validate_file(path, "0" * 64)
    False
    """
    return str(hash_file(fpath, _hasher(algorithm, file_hash), chunk_size)) == str(file_hash)


def cornu_home():
    """cornu's cache folder: `$CORNU_HOME`, else `~/.cornu`.

    Example:
    >>> import os
    >>> os.path.basename(cornu_home()) if "CORNU_HOME" not in os.environ else ".cornu"
    '.cornu'
    """
    return os.environ.get("CORNU_HOME") or os.path.join(os.path.expanduser("~"), ".cornu")


def keras_home():
    """Keras's cache folder, read for files Keras has already downloaded: `$KERAS_HOME`, else `~/.keras`.

    Example:
    >>> import os
    >>> os.path.basename(keras_home()) if "KERAS_HOME" not in os.environ else ".keras"
    '.keras'
    """
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


# ---------------------------------------------------------------------------------------------- where files go
def _check_algorithm(algorithm):
    if algorithm not in _ALGORITHMS:
        raise ValueError(f"`hash_algorithm` must be one of {_ALGORITHMS}. Received: hash_algorithm={algorithm!r}")


def _hasher(algorithm, file_hash=None):
    """sha256 when asked, or for "auto" with a 64-digit hash; md5 otherwise (Keras's rule, md5 kept for old hashes)."""
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(str(file_hash)) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def _data_dir(cache_dir, cache_subdir):
    """`cache_dir/cache_subdir`, created; a temporary folder (with a warning) when that one cannot be written."""
    base = os.path.expanduser(os.fspath(cache_dir)) if cache_dir is not None else cornu_home()
    datadir = os.path.join(base, os.fspath(cache_subdir))
    try:
        os.makedirs(datadir, exist_ok=True)
        if os.access(datadir, os.W_OK):
            return datadir
    except OSError:
        pass
    fallback = os.path.join(tempfile.gettempdir(), ".cornu", os.fspath(cache_subdir))
    warnings.warn(f"Cannot write to {datadir}, so files are cached in {fallback}. Set CORNU_HOME.", stacklevel=3)
    os.makedirs(fallback, exist_ok=True)
    return fallback


def _targets(datadir, fname, origin, extract):
    """(download path, extraction folder or None), named as Keras 3 names them."""
    provided = fname is not None and os.fspath(fname) != ""
    fname = os.fspath(fname) if provided else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"Can't tell the file name from origin={origin!r}. Pass `fname`, e.g. fname='data.npz'.")
    if os.sep in fname or "/" in fname:
        raise ValueError(
            f"`fname` is a file name, not a path. Received: fname={fname!r}. "
            f"Pass the folder as cache_dir=..., e.g. get_file({os.path.basename(fname)!r}, origin, cache_dir=...)."
        )
    if not extract:
        return os.path.join(datadir, fname), None
    if provided and "." in fname:
        return os.path.join(datadir, fname), os.path.join(datadir, f"{fname[: fname.find('.')]}_extracted")
    return os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)


def _is_valid(path, file_hash, algorithm):
    return os.path.isfile(path) and (file_hash is None or validate_file(path, file_hash, algorithm))


def _cached_is_valid(target, file_hash, algorithm):
    if not os.path.isfile(target):
        return False
    if _is_valid(target, file_hash, algorithm):
        return True
    print(f"{target} does not match the expected hash {file_hash} (incomplete or outdated), so it is downloaded again.")
    return False


# ---------------------------------------------------------------------------------------------- downloading
def _download(origin, target, file_hash, algorithm, force):
    """Fetches `origin` into `target.part`, checks it, then renames it to `target`."""
    part = f"{target}.part"
    folder, name = os.path.split(target)
    with _locked(os.path.join(folder, f".{name}.lock")):
        if not force and _is_valid(target, file_hash, algorithm):  # another process fetched it while we waited
            return
        if file_hash is not None and _is_valid(part, file_hash, algorithm):  # complete, but was never renamed
            os.replace(part, target)
            return
        if file_hash is None and os.path.isfile(part):  # nothing could tell an older file's bytes: start over
            os.remove(part)
        print(f"Downloading data from {origin}")
        resumed = _transfer(origin, part, target)
        if file_hash is not None and not validate_file(part, file_hash, algorithm):
            if resumed:  # the kept bytes may be from an older file at that URL: try once from the start
                os.remove(part)
                _transfer(origin, part, target)
            _check_download(origin, part, file_hash, algorithm)
        with open(part, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(part, target)


def _check_download(origin, part, file_hash, algorithm):
    actual = hash_file(part, _hasher(algorithm, file_hash))
    if actual == str(file_hash):
        return
    os.remove(part)
    raise ValueError(
        f"The file downloaded from {origin} is corrupted or not the expected one: its "
        f"{_hasher(algorithm, file_hash).name} is {actual}, expected {file_hash}. It was deleted; run again to "
        f"download it again, or check that the URL (and any mirror set in CORNU_DATASETS_ORIGIN) serves that file."
    )


def _transfer(origin, part, target):
    """Downloads into `part`, resuming it and retrying after drops; returns whether earlier bytes were kept."""
    resumed = os.path.isfile(part) and os.path.getsize(part) > 0
    with _progress(os.path.basename(target)) as show:
        for _ in range(_MAX_ATTEMPTS):
            written, total, complete = _attempt(origin, part, target, show)
            if complete:
                return resumed
            if written == 0:
                break
    size = os.path.getsize(part) if os.path.isfile(part) else 0
    raise ConnectionError(
        f"The download of {origin} stopped after {size:,} of {'?' if total is None else f'{total:,}'} bytes. "
        f"The partial file is kept as {part}: run again to resume it."
    )


def _attempt(origin, part, target, show):
    """One request: appends to `part` from its current size. Returns (bytes written, total size, complete)."""
    offset = os.path.getsize(part) if os.path.isfile(part) else 0
    response = _open(origin, offset, target)
    with response:
        start, total = _content_range(response, offset)
        if start != offset:  # the server ignored Range (plain 200) or answered another range: start over
            offset = start = 0
        written = 0
        with open(part, "ab" if offset else "wb") as handle:
            while chunk := _read(response):
                handle.write(chunk)  # a full disk raises here, as itself
                written += len(chunk)
                show(offset + written, total)
            if chunk is None:  # a dropped connection or a timeout: keep what arrived
                return written, total, False
    return written, total, total is None or offset + written >= total


def _read(response):
    """The next chunk, `b""` at the end, or `None` when the connection broke."""
    try:
        return response.read(_CHUNK)
    except (OSError, HTTPException):
        return None


def _open(origin, offset, target):
    """The HTTP response for `origin` from byte `offset`, or a ConnectionError saying where to put the file."""
    headers = {"User-Agent": "cornu", **({"Range": f"bytes={offset}-"} if offset else {})}
    try:
        return urllib.request.urlopen(urllib.request.Request(origin, headers=headers), timeout=_TIMEOUT_SECONDS)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:  # the .part is as long as the file, or longer: fetch it whole
            err.close()
            os.remove(f"{target}.part")
            return _open(origin, 0, target)
        reason = f"HTTP {err.code} {err.reason}"
    except (urllib.error.URLError, OSError, HTTPException) as err:
        reason = str(getattr(err, "reason", None) or err)
    raise ConnectionError(
        f"Could not download {origin} ({reason}). To use the file without a network, copy it to {target}."
    )


def _content_range(response, offset):
    """(first byte, total size or None) of a response: from Content-Range for 206, Content-Length for 200."""
    length = response.headers.get("Content-Length")
    if response.status == 206:
        byte_range, _, total = (response.headers.get("Content-Range") or "").partition("/")
        start = byte_range.replace("bytes", "").strip().split("-")[0]
        if start.isdigit():
            return int(start), int(total) if total.isdigit() else None
    return 0, int(length) if length and length.isdigit() else None


@contextlib.contextmanager
def _progress(name):
    """Yields `show(done, total)`, which draws a rich progress bar on stdout (bytes, speed, time left) from its
    first call on, so that a download refused at once prints no empty bar."""
    bar, task = None, None

    def show(done, total):
        nonlocal bar, task
        if bar is None:
            columns = (rp.TextColumn(name), rp.BarColumn(), rp.DownloadColumn(), rp.TransferSpeedColumn(),
                       rp.TimeRemainingColumn())  # fmt: skip
            bar = rp.Progress(*columns, console=Console(file=sys.stdout, highlight=False))
            bar.start()
            task = bar.add_task(name, total=total)
        bar.update(task, completed=done, total=total)

    try:
        yield show
    finally:
        if bar is not None:
            bar.stop()


@contextlib.contextmanager
def _locked(path):
    """An exclusive lock on `path` for as long as the block runs (POSIX; elsewhere no lock)."""
    try:
        import fcntl
    except ImportError:  # Windows: concurrent downloads of the same file are not guarded
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------- extracting
def _extract(archive, folder, archive_format):
    """Extracts `archive` into a fresh `folder` (replacing an old one) if it is one of `archive_format`."""
    if not archive_format:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else [archive_format]
    formats = formats if isinstance(archive_format, str) else list(archive_format)
    for kind in formats:
        if kind not in ("tar", "zip"):
            raise ValueError(f"`archive_format` must be 'auto', 'tar', 'zip', a list or None. Received: {kind!r}")
        if (tarfile.is_tarfile if kind == "tar" else zipfile.is_zipfile)(archive):
            parent = os.path.dirname(os.path.abspath(folder))
            staging = tempfile.mkdtemp(prefix=f"{os.path.basename(folder)}.part-", dir=parent)
            try:
                (_untar if kind == "tar" else _unzip)(archive, staging)
                if os.path.isdir(folder):
                    shutil.rmtree(folder)
                os.replace(staging, folder)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            return True
    return False


def _untar(archive, folder):
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4: refuses paths and links leaving `folder`
            tar.extractall(folder, filter="data")
            return
        members = tar.getmembers()
        for member in members:
            if member.issym() or member.islnk() or member.isdev() or not _inside(folder, member.name):
                raise ValueError(f"Refusing to extract {member.name!r} from {archive}: it would leave {folder}.")
        tar.extractall(folder, members=members)


def _unzip(archive, folder):
    with zipfile.ZipFile(archive) as handle:
        for name in handle.namelist():
            if not _inside(folder, name):
                raise ValueError(f"Refusing to extract {name!r} from {archive}: it would leave {folder}.")
        handle.extractall(folder)


def _inside(folder, name):
    root = os.path.realpath(folder)
    return os.path.commonpath([root, os.path.realpath(os.path.join(root, name))]) == root
