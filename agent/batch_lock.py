"""One batch run per output file: an exclusive lock next to it that names its holder.

`out.jsonl.lock` is locked with flock(2) (through `filelock`) and holds one JSON line
naming the run that has it: `{"pid": ..., "host": ..., "started": "<UTC ISO time>"}`.
- A second run on the same output is refused at once, with that name in the message.
- The kernel drops the lock when its process ends in any way (kill -9 included), so a
  lock left by a crashed run is free: the next run takes it over and says whose it was.
  Nothing is guessed from pids or ages, so a live run can never lose its lock.
- A clean exit removes the file; a file still naming someone is therefore a crash's.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import BusyError, InputError

if TYPE_CHECKING:
    from filelock import BaseFileLock


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    started: str

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, started {self.started}"

    @classmethod
    def me(cls) -> Holder:
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return cls(os.getpid(), socket.gethostname(), started)


def lock_path(out: Path) -> Path:
    return out.with_name(out.name + ".lock")


def read_holder(path: Path) -> Holder | None:
    """The run named in a lock file, or None (no file, empty, or not ours)."""
    try:
        data = json.loads(path.read_bytes())
        return Holder(int(data["pid"]), str(data["host"]), str(data["started"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class OutputLock:
    """`with OutputLock(out) as lock:` holds the lock; `lock.taken_over` names a crashed
    run whose leftover lock file was taken over (None when there was none)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = lock_path(out)
        self.me = Holder.me()
        self.taken_over: Holder | None = None
        self._fd: int | None = None
        self._lock: BaseFileLock | None = None

    def _write_me(self, fd: int) -> None:
        """Runs with the lock held: replace whatever a crashed holder left with our name
        (filelock versions differ on whether they truncate it first)."""
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps(asdict(self.me)) + "\n").encode("utf-8"))
        self._fd = fd

    def acquire(self) -> OutputLock:
        from filelock import FileLock, Timeout

        leftover = read_holder(self.path)
        # fallback_to_soft=False: on a filesystem without flock, fail rather than pretend.
        lock = FileLock(self.path, timeout=0, thread_local=False, fallback_to_soft=False,
                        preserve_lock_file=True, on_acquired=self._write_me)
        for attempt in range(20):
            try:
                lock.acquire()
                break
            except Timeout:
                holder = read_holder(self.path)
                if holder is not None or attempt == 19:
                    who = holder.describe() if holder else "a run that has not named itself"
                    raise BusyError(
                        f"{self.out} is in use by another calmreply run ({who}); wait for it "
                        f"to finish, or stop it, then re-run to resume") from None
                time.sleep(0.05)  # the holder has the lock but has not written its name yet
            except OSError as exc:
                raise InputError(f"cannot write {self.path}, the lock file for {self.out}: "
                                 f"{exc.strerror or exc}") from None
        self._lock = lock
        if leftover is not None and leftover != self.me:
            self.taken_over = leftover
        return self

    def release(self) -> None:
        if self._lock is None:
            return
        try:
            if self._fd is not None:
                held, named = os.fstat(self._fd), os.stat(self.path)
                if (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino):
                    # Removed while still locked: a run that opened this file meanwhile
                    # finds it unlinked once it gets the lock, and filelock starts afresh.
                    os.unlink(self.path)
        except OSError:
            pass  # a read-only or vanished file: the lock itself still goes below
        finally:
            self._lock.release()
            self._lock = None
            self._fd = None

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
