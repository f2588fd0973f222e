"""Reading and rewriting a user's file: every way it can fail becomes one InputError that
names it (a full disk, a read-only file system, a missing folder), never a traceback."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from agent.errors import InputError


def read_bytes(path: Path, *, max_bytes: int | None = None) -> bytes:
    try:
        if max_bytes is not None and (size := path.stat().st_size) > max_bytes:
            raise InputError(f"{path} is {size:,} bytes, over the {max_bytes:,}-byte limit")
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"no such file: {path} was not found") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory; give a file") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def read_text(path: Path, *, what: str = "UTF-8 text") -> str:
    try:
        return read_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not {what}") from None


def write_atomic(path: Path, data: bytes, *, why: str = "") -> None:
    """Replace `path` with `data` all at once: written to `<path>.tmp`, flushed to disk,
    then renamed over it, so a crash or a full disk leaves the old file or the new one,
    never half of either. The caller must hold whatever lock guards `path`."""
    tmp = path.with_name(path.name + ".tmp")
    created = False
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        created = True
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        created = False
        _fsync_dir(path.parent)
    except OSError as exc:
        if created:
            with contextlib.suppress(OSError):
                tmp.unlink()
        reason = f" {why}" if why else ""
        raise InputError(f"cannot rewrite {path}{reason}: {exc.strerror or exc} "
                         f"(writing {tmp.name}); nothing was changed") from None


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable; some file systems cannot sync a directory, which is fine."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
