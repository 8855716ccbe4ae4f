"""Files: atomic writes, the output-path and input-file checks, what a file
is by its first bytes, HDF5 opening."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import socket
import tempfile
import time
from typing import Iterator

import h5py


# A temporary file is `.NAME.HOST-PID.RANDOM.tmp`: HOST is a short hash of
# the host name and PID the writer's process id, so that a later write can
# tell a temporary left by a killed writer from one being written now.
_STALE_SECONDS = 3600.0
_TEMPORARY = r"\.{name}\.([0-9a-f]{{8}})-([0-9]+)\.[a-z0-9_]+\.tmp"


def write_atomically(path, data: str | bytes) -> str:
    """Writes `data` to `path` through a temporary file and a rename.

    The temporary file lives in the target's directory, so the final
    `os.replace` is atomic: readers see the old file or the new one, never
    half of it, and a failure leaves neither a partial file nor the
    temporary behind. The file is flushed to disk (`fsync`) before the
    rename and the directory after it, so after a crash or power loss the
    target is also the old file or the new one. An existing file keeps its
    permissions; a new one gets the umask's, as with a plain `open`. A
    symbolic link is followed: the file it points to is replaced and the link
    kept, as with a plain `open`.

    A writer killed outright (`SIGKILL`, power loss) cannot remove its
    temporary `.NAME.HOST-PID.RANDOM.tmp`; the next write of the same target
    removes it when the process that wrote it is gone: made on this host by
    a process id that no longer runs, or not modified for an hour (written
    on another host of a shared file system, or by a process id since
    reused). Temporaries of live writers and every other file are left
    alone.

    Args:
        path: The file to write.
        data: Text (written as UTF-8 with `\\n` line ends) or bytes.

    Returns:
        `path` as a string.

    Raises:
        OSError: naming the path and the fix when the directory is missing,
            is a file, or is not writable, or when `path` is a directory.

    Example:

    >>> write_atomically("motifs.tsv", "filter\\tnsites\\n")
    'motifs.tsv'
    """
    if not isinstance(data, (str, bytes, bytearray)):
        raise TypeError(
            "data must be str or bytes. "
            f"Received: data of type {type(data).__name__}"
        )
    with atomic_output(path) as temporary:
        with os.fdopen(os.open(temporary, os.O_WRONLY), "wb") as file:
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
    return os.fspath(path)


@contextlib.contextmanager
def atomic_output(path) -> Iterator[str]:
    """A temporary file beside `path` that becomes `path` once complete.

    For writers that need a file name (HDF5, streamed output): the context
    yields the temporary's path; when the block ends without an error the
    file is flushed to disk and renamed to `path`, atomically, with the
    guarantees of `write_atomically` (permissions, symbolic links, stale
    temporaries, durability). On an error the temporary is removed and
    `path` left as it was.

    Args:
        path: The file to write; checked first (`check_writable`).

    Returns:
        A context manager yielding the temporary's path, a str.

    Example:

    >>> with atomic_output("scores.h5") as temporary:
    ...     h5py.File(temporary, "w").close()
    """
    shown = check_writable(path)
    # Through a symbolic link, the file it points to is replaced (beside
    # it), not the link by a regular file.
    target = os.path.realpath(shown)
    directory = os.path.dirname(target)
    mode = _new_file_mode(target)
    try:
        handle, temporary = _create_temporary(target)
    except OSError as error:
        raise PermissionError(
            f"cannot write {shown!r}: directory {directory!r} is not "
            f"writable ({error.strerror}); choose a writable directory"
        ) from error
    os.close(handle)
    try:
        _remove_stale_temporaries(target, keep=temporary)
        yield temporary
        with open(temporary, "rb+") as file:
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


def check_writable(path) -> str:
    """`path` as a string if a file can be written there, else a clear error.

    Called before long work starts (training, a scan), so that a bad output
    path fails at once rather than after hours.

    Args:
        path: The file to write.

    Returns:
        `os.fspath(path)`.

    Raises:
        IsADirectoryError: if `path` is a directory.
        NotADirectoryError: if its directory is a file.
        FileNotFoundError: if its directory does not exist.
        PermissionError: if its directory is not writable.

    Example:

    >>> check_writable("motifs.meme")
    'motifs.meme'
    """
    shown = os.fspath(path)
    target = os.path.abspath(shown)
    directory = os.path.dirname(target)
    if os.path.isdir(target):
        raise IsADirectoryError(
            f"cannot write {shown!r}: it is a directory; give a file name"
        )
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise NotADirectoryError(
            f"cannot write {shown!r}: {directory!r} is not a directory "
            "but a file; choose a path inside a directory"
        )
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"cannot write {shown!r}: directory {directory!r} does not "
            "exist; create it first (e.g. os.makedirs) or choose another path"
        )
    if not os.access(directory, os.W_OK):
        raise PermissionError(
            f"cannot write {shown!r}: directory {directory!r} is not "
            "writable; choose a writable directory"
        )
    return shown


def _remove_stale_temporaries(path, *, keep: str | None = None) -> list[str]:
    """Removes the temporaries that killed writers of `path` left behind.

    Only files named as `write_atomically` names the temporaries of this
    very target are considered, and only those whose writer is gone (see
    `write_atomically`). Files that cannot be removed are left as they are.
    Returns the paths removed.
    """
    target = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(target)
    pattern = re.compile(_TEMPORARY.format(name=re.escape(name)))
    host, now, removed = _host_tag(), time.time(), []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None or entry.path == keep:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            stale = match.group(1) == host and not _process_exists(
                int(match.group(2))
            )
            if not stale:
                age = now - entry.stat(follow_symlinks=False).st_mtime
                stale = age > _STALE_SECONDS
            if stale:
                os.unlink(entry.path)
                removed.append(entry.path)
        except OSError:
            continue
    return removed


def _create_temporary(target: str) -> tuple[int, str]:
    """A new file `.NAME.HOST-PID.RANDOM.tmp` beside `target`, open for writing."""
    directory, name = os.path.split(target)
    return tempfile.mkstemp(
        dir=directory, prefix=f".{name}.{_host_tag()}-{os.getpid()}.", suffix=".tmp"
    )


def _host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def _process_exists(pid: int) -> bool:
    if pid <= 0:
        return True  # Not a process id this host hands out: keep the file.
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # Someone else's process, or no way to tell: keep it.
    return True


def _fsync_directory(directory: str) -> None:
    """Makes a rename in `directory` durable, where the platform allows it."""
    if os.name != "posix":
        return
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(handle)


def _new_file_mode(target: str) -> int:
    """The mode a plain `open(target, "w")` would give: kept, or 0o666 - umask."""
    if os.path.exists(target):
        return os.stat(target).st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def existing_file(path, what: str) -> str:
    """`path` as a string if it names an existing file, else a clear error.

    Args:
        path: The file to read.
        what: What the file is, for the message (`"MODEL"`, `"DeepSEA
            data"`).

    Returns:
        `os.fspath(path)`.

    Raises:
        TypeError: if `path` is not a str or path-like.
        IsADirectoryError: if `path` is a directory.
        FileNotFoundError: if nothing exists at `path`.

    Example:

    >>> existing_file("motifs.meme", "MOTIFS")
    'motifs.meme'
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"{what} must be a file path (str or os.PathLike). "
            f"Received: {what}={path!r}"
        )
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{what} {path} is a directory, not a file.")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} file not found: {path}")
    return path


# File kinds told by their first bytes, whatever the suffix.
FILE_KINDS = {
    "zip": "a zip archive",
    "npy": "a numpy .npy array",
    "hdf5": "an HDF5 file",
    "matlab": "a MATLAB 5 .mat file",
    "gzip": "a gzip-compressed file",
}


def file_kind(path) -> str:
    """What the file `path` is by its signature (first bytes), not its suffix.

    Args:
        path: An existing file.

    Returns:
        One of `FILE_KINDS` (`"zip"` for `.keras` and `.npz` files,
        `"hdf5"` for `.h5` files and MATLAB 7.3 `.mat` files, ...), or
        `"other"`.

    Example:

    >>> h5py.File("in_vivo_ctcf_balanced_model.weights.hd5", "w").close()
    >>> file_kind("in_vivo_ctcf_balanced_model.weights.hd5")
    'hdf5'
    """
    with open(path, "rb") as handle:
        head = handle.read(32)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if h5py.is_hdf5(path):  # also behind a user block (MATLAB 7.3)
        return "hdf5"
    if head.startswith(b"MATLAB 5.0 MAT-file"):
        return "matlab"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    return "other"


def describe_file(path) -> str:
    """What the file `path` is, in words, for messages.

    Example:

    >>> with open("model.json", "w") as handle:
    ...     _ = handle.write('{"class_name": "Sequential"}')
    >>> print(describe_file("model.json"))
    a text file starting with '{"class_name": "Sequential"}'
    """
    kind = file_kind(path)
    if kind in FILE_KINDS:
        return FILE_KINDS[kind]
    with open(path, "rb") as handle:
        head = handle.read(256)
    if not head:
        return "an empty file"
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut at 256
            return f"a binary file starting with the bytes {head[:8].hex(' ')}"
        text = head[: error.start].decode("utf-8-sig")
    first = text.strip().split("\n", 1)[0].strip()
    return f"a text file starting with {first[:40]!r}"


def open_hdf5(path, what: str = "HDF5") -> h5py.File:
    """Opens an existing HDF5 file for reading, with a clear error otherwise.

    Args:
        path: The file.
        what: What the file is, for the messages.

    Returns:
        An `h5py.File` open for reading.

    Raises:
        FileNotFoundError, IsADirectoryError: see `existing_file`.
        ValueError: if the file is not HDF5.
        OSError: if HDF5 cannot read it (truncated or damaged).

    Example:

    >>> with open_hdf5("example.h5") as handle:
    ...     list(handle)
    ['testxdata']
    """
    path = existing_file(path, what)
    if not h5py.is_hdf5(path):
        raise ValueError(f"{path} is not an HDF5 file.")
    try:
        return h5py.File(path, "r")
    except OSError as error:
        raise OSError(
            f"Cannot read {path} as HDF5 (truncated or damaged?): {error}"
        ) from None
