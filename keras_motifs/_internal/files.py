"""Atomic file writing: a file is either written whole or not at all."""

from __future__ import annotations

import os
import tempfile

import h5py


def write_atomically(path, data: str | bytes) -> str:
    """Writes `data` to `path` through a temporary file and a rename.

    The temporary file lives in the target's directory, so the final
    `os.replace` is atomic: readers see the old file or the new one, never
    half of it, and a failure leaves neither a partial file nor the
    temporary behind. An existing file keeps its permissions; a new one
    gets the umask's, as with a plain `open`.

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
    shown = check_writable(path)
    target = os.path.abspath(shown)
    directory = os.path.dirname(target)
    try:
        handle, temporary = tempfile.mkstemp(
            dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".tmp"
        )
    except OSError as error:
        raise PermissionError(
            f"cannot write {shown!r}: directory {directory!r} is not "
            f"writable ({error.strerror}); choose a writable directory"
        ) from error
    try:
        if isinstance(data, bytes):
            with os.fdopen(handle, "wb") as file:
                file.write(data)
        else:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
                file.write(data)
        os.chmod(temporary, _new_file_mode(target))
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
    return shown


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
        IsADirectoryError: if `path` is a directory.
        FileNotFoundError: if nothing exists at `path`.

    Example:

    >>> existing_file("motifs.meme", "MOTIFS")
    'motifs.meme'
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{what} {path} is a directory, not a file.")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} file not found: {path}")
    return path


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
