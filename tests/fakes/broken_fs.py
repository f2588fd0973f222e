"""File systems that fail the way real ones do, for what a test cannot mount.

`FullDisk` lets writes to one file through until `room` bytes, then tears the next write
short and fails the one after with ENOSPC, like a disk filling up mid-line. `ReadOnly`
fails every open of a path ending in a suffix with EROFS. Both stand in for the `os`
module of the one calmreply module that does the writing:

    monkeypatch.setattr(agent.batch, "os", FullDisk(out, room=20_000))

`python -m tests.fakes.broken_fs full-disk OUT ROOM -- <calmreply args>` runs the real CLI
entry point with the batch writer's disk filling up after ROOM bytes of OUT;
`... read-only SUFFIX -- <args>` with the rewriter unable to create files ending in SUFFIX.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Any


class FullDisk:
    """`os`, except that write(2) to `path` fails with ENOSPC once `room` bytes are used."""

    def __init__(self, path: Path, room: int) -> None:
        self.path, self.room = Path(path), room

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def write(self, fd: int, data: bytes) -> int:
        if os.fstat(fd).st_ino != os.stat(self.path).st_ino:
            return os.write(fd, data)
        if self.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        part = bytes(data[:self.room])
        self.room -= len(part)
        return os.write(fd, part)  # short when the room runs out: the line is torn


class ReadOnly:
    """`os`, except that opening a path ending in `suffix` fails with EROFS."""

    def __init__(self, suffix: str) -> None:
        self.suffix = suffix

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def open(self, path: Any, flags: int, *args: Any) -> int:
        if str(path).endswith(self.suffix):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return os.open(path, flags, *args)


def main(argv: list[str]) -> None:
    import agent.batch
    import agent.files
    from agent.cli import main as calmreply

    split = argv.index("--")
    kind, *params = argv[:split]
    if kind == "full-disk":
        agent.batch.os = FullDisk(Path(params[0]), int(params[1]))  # type: ignore[assignment]
    elif kind == "read-only":
        agent.files.os = ReadOnly(params[0])  # type: ignore[assignment]
    else:
        raise SystemExit(f"unknown kind {kind!r}: full-disk OUT ROOM | read-only SUFFIX")
    calmreply(argv[split + 1:])


if __name__ == "__main__":
    main(sys.argv[1:])
