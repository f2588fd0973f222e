"""Reading a user's file: every way it can fail becomes one InputError that names it."""

from __future__ import annotations

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
