"""Tests for keras_motifs._internal.files: atomic writes, durability, stale temporaries."""

import os
import random
import signal
import stat
import subprocess
import sys
import time

import pytest

from keras_motifs._internal import files
from keras_motifs._internal.files import write_atomically


def temporaries(directory, name):
    """The temporaries of target `name` in `directory`, as write_atomically names them."""
    return sorted(
        entry for entry in os.listdir(directory)
        if entry.startswith(f".{name}.") and entry.endswith(".tmp")
    )


def test_writes_text_as_utf8_and_bytes_as_given(tmp_path):
    path = tmp_path / "out.txt"
    assert write_atomically(path, "α\r\nβ\n") == str(path)
    assert path.read_bytes() == "α\r\nβ\n".encode("utf-8")
    write_atomically(str(path), b"\x00\xff")
    assert path.read_bytes() == b"\x00\xff"
    write_atomically(path, bytearray(b"ab"))
    assert path.read_bytes() == b"ab"
    assert temporaries(tmp_path, "out.txt") == []


def test_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    os.chmod(path, 0o640)
    write_atomically(path, "new")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert path.read_text() == "new"


def test_new_file_gets_the_umask_mode(tmp_path):
    umask = os.umask(0o027)
    try:
        write_atomically(tmp_path / "new.txt", "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == 0o640


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        write_atomically(tmp_path / "missing" / "out.txt", "x")
    assert not (tmp_path / "missing").exists()


def test_directory_as_target(tmp_path):
    with pytest.raises(IsADirectoryError, match="it is a directory"):
        write_atomically(tmp_path, "x")


def test_file_as_directory(tmp_path):
    (tmp_path / "file").write_text("keep")
    with pytest.raises(NotADirectoryError, match="is not a directory but a file"):
        write_atomically(tmp_path / "file" / "out.txt", "x")
    assert (tmp_path / "file").read_text() == "keep"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root writes into read-only directories; needs a non-root user")
def test_read_only_directory(tmp_path):
    directory = tmp_path / "read_only"
    directory.mkdir()
    os.chmod(directory, 0o555)
    try:
        with pytest.raises(PermissionError, match="is not writable"):
            write_atomically(directory / "out.txt", "x")
    finally:
        os.chmod(directory, 0o755)
    assert os.listdir(directory) == []


@pytest.mark.parametrize("data", [None, 3, ["a"]])
def test_data_must_be_text_or_bytes(tmp_path, data):
    with pytest.raises(TypeError, match="data must be str or bytes. Received"):
        write_atomically(tmp_path / "out.txt", data)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failure_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch, failing):
    path = tmp_path / "out.txt"
    path.write_text("old")

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, failing, fail)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, "new")
    monkeypatch.undo()
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_file_is_synced_before_the_rename_and_directory_after(tmp_path, monkeypatch):
    events = []
    fsync, replace = os.fsync, os.replace

    def logged_fsync(handle):
        kind = "directory" if stat.S_ISDIR(os.fstat(handle).st_mode) else "file"
        events.append(f"fsync {kind}")
        fsync(handle)

    def logged_replace(source, target):
        events.append("replace")
        replace(source, target)

    monkeypatch.setattr(files.os, "fsync", logged_fsync)
    monkeypatch.setattr(files.os, "replace", logged_replace)
    write_atomically(tmp_path / "out.txt", "x")
    expected = ["fsync file", "replace"] + (["fsync directory"] if os.name == "posix" else [])
    assert events == expected


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temporaries_of_the_same_target_only_are_removed(tmp_path):
    host = files._host_tag()
    other_host = "0" * 8 if host != "0" * 8 else "1" * 8
    dead = dead_pid()
    names = {
        f".out.txt.{host}-{dead}.abcd_123.tmp": "removed",  # Killed writer.
        f".out.txt.{host}-{os.getpid()}.abcdefgh.tmp": "kept",  # Live writer.
        f".out.txt.{other_host}-{dead}.abcdefgh.tmp": "kept",  # Other host, recent.
        f".out.txt.{other_host}-{dead}.zzzzzzzz.tmp": "old",  # Other host, old.
        f".out.txt.old.{host}-{dead}.abcdefgh.tmp": "kept",  # Another target's.
        f".out.{host}-{dead}.abcdefgh.tmp": "kept",  # Another target's.
        ".out.txt.abcdefgh.tmp": "kept",  # Not named by this version.
        ".out.txt.backup01.tmp": "kept",
        "out.txt.tmp": "kept",
    }
    for name in names:
        (tmp_path / name).write_text("partial")
    old = time.time() - 2 * 3600
    os.utime(tmp_path / f".out.txt.{other_host}-{dead}.zzzzzzzz.tmp", (old, old))
    directory = tmp_path / f".out.txt.{host}-{dead}.directory.tmp"
    directory.mkdir()
    write_atomically(tmp_path / "out.txt", "new")
    left = set(os.listdir(tmp_path))
    expected = {name for name, fate in names.items() if fate == "kept"}
    assert left == expected | {"out.txt", directory.name}


def test_own_temporary_name_carries_host_and_pid(tmp_path, monkeypatch):
    seen = []
    replace = os.replace

    def spy(source, target):
        seen.append(os.path.basename(source))
        replace(source, target)

    monkeypatch.setattr(files.os, "replace", spy)
    write_atomically(tmp_path / "out.txt", "x")
    assert seen[0].startswith(f".out.txt.{files._host_tag()}-{os.getpid()}.")
    assert seen[0].endswith(".tmp")


WRITER = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("atomic_files", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
payload = bytes(range(256)) * (int(sys.argv[3]) // 256)
print("ready", flush=True)
i = 0
while True:
    i += 1
    stamp = b"%012d\\n" % i
    module.write_atomically(sys.argv[2], stamp + payload + stamp)
"""


def complete(data, size):
    """Whether `data` is one whole file as WRITER writes them."""
    stamp = data[:13]
    return (len(data) == size + 26 and data[-13:] == stamp
            and data[13:-13] == bytes(range(256)) * (size // 256))


@pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")
def test_killed_writers_leave_old_or_new_file_and_next_write_cleans_up(tmp_path):
    size = 4 << 20
    target = tmp_path / "big.bin"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    shuffle = random.Random(0)
    left_behind = 0
    for _ in range(20):
        writer = subprocess.Popen(
            [sys.executable, str(script), files.__file__, str(target), str(size)],
            stdout=subprocess.PIPE,
        )
        assert writer.stdout.readline() == b"ready\n"
        time.sleep(shuffle.uniform(0.0, 0.08))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        if target.exists():
            assert complete(target.read_bytes(), size)
        left_behind = max(left_behind, len(temporaries(tmp_path, "big.bin")))
    # Some kills hit a write in progress, so there was something to clean.
    assert left_behind >= 1
    write_atomically(target, b"final")
    assert target.read_bytes() == b"final"
    assert temporaries(tmp_path, "big.bin") == []


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symbolic_link_is_followed_and_kept(tmp_path):
    (tmp_path / "runs").mkdir()
    real = tmp_path / "runs" / "motifs.meme"
    real.write_text("old")
    link = tmp_path / "latest.meme"
    link.symlink_to(real)
    write_atomically(link, "new")
    assert link.is_symlink()
    assert real.read_text() == "new"
    assert temporaries(tmp_path, "latest.meme") == []
    assert temporaries(tmp_path / "runs", "motifs.meme") == []
