"""Batch drafting: a JSONL queue of emails in, one JSONL line per email out.

Nothing is lost and nothing is doubled, whatever happens to the process or the disk:
- one run per output file: `out.jsonl.lock` (see batch_lock.py) is held for the whole run,
  so a second run, or a `--retry-failed` while a run is going, is refused at once;
- each result is appended as one complete line the moment it is done;
- a re-run reads the output first and skips every id already there, so it resumes;
- a half-written last line (the process died mid-write) is cut off and redone; rewriting
  the file (that repair, or dropping failed lines for `--retry-failed`) happens under the
  lock, into a temporary file renamed over the output, so a crash leaves old or new whole;
- a write that fails (a full disk) is undone to the last whole line and stops the run
  with one line; a re-run resumes;
- a run notices when its file was replaced or removed under it, and stops instead of
  writing results into a copy nobody will read;
- an email that fails for good is written with its error, never dropped, so every input
  id appears exactly once. `--retry-failed` drafts those again, replacing their lines.

Input line:  {"id": "...", "email": "...", "customer_name"?: "...", "order_id"?: "..."}
Output line: {"id": "...", "status": "drafted"|"failed", "result": DraftResult|null,
              "error": "..."|null}
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, field_validator

from agent.batch_lock import Holder, OutputLock
from agent.errors import BusyError, CalmreplyError, InputError, redact
from agent.files import read_bytes, write_atomic
from agent.inbound import parse_text
from agent.jsonl import read_jsonl
from agent.models import DraftResult, Facts, Tone

if TYPE_CHECKING:
    from agent.session import Session


class BatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    email: str
    customer_name: str | None = None
    order_id: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _number_id(cls, value: object) -> object:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


@dataclass
class BatchSummary:
    drafted: int = 0
    failed: int = 0
    skipped: int = 0


def read_items(path: Path) -> list[BatchItem]:
    """Every input line, validated up front: a bad line stops the batch before it starts."""
    items: list[BatchItem] = []
    seen: set[str] = set()
    for number, item in read_jsonl(path, BatchItem, shape='{"id": ..., "email": ...}'):
        if item.id in seen:
            raise InputError(f"{path} line {number}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise InputError(f"{path} has no emails in it")
    return items


def done_ids(out: Path, *, retry_failed: bool) -> set[str]:
    """Ids already in the output; repairs a torn last line and drops failed ones if asked."""
    if not out.exists():
        return set()
    if not out.is_file():
        raise InputError(f"--out {out} is not a regular file; give a .jsonl file path")
    raw = read_bytes(out)
    keep: list[bytes] = []
    ids: set[str] = set()
    for line in raw.split(b"\n"):
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue  # the torn line of a killed run (or blank): redone below
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            continue
        if retry_failed and record.get("status") == "failed":
            continue
        if record["id"] not in ids:
            ids.add(record["id"])
            keep.append(line)
    cleaned = b"".join(line + b"\n" for line in keep)
    if cleaned != raw:
        write_atomic(out, cleaned, why="to repair its torn last line or drop failed lines")
    return ids


class AppendLog:
    """One complete line per write(2) on an O_APPEND descriptor: a kill leaves whole lines
    (at worst one torn last line, which `done_ids` repairs). A failed write is cut back to
    the last whole line; a file replaced or removed under the run stops it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.written = 0
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
        stat = os.fstat(self.fd)
        self.identity = (stat.st_dev, stat.st_ino)

    def write(self, record: dict[str, Any]) -> None:
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        self.check_same_file()
        size = os.fstat(self.fd).st_size
        try:
            done = 0
            while done < len(data):
                done += os.write(self.fd, data[done:])
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, size)  # no torn line left behind (and space given back)
            raise InputError(
                f"cannot write {self.path}: {exc.strerror or exc}; the {self.written} results "
                "written by this run are kept; free some space (or fix the file system) and "
                "re-run the same command to resume") from None
        self.written += 1
        self.check_same_file()

    def check_same_file(self) -> None:
        try:
            stat = os.stat(self.path)
            same = (stat.st_dev, stat.st_ino) == self.identity
        except FileNotFoundError:
            same = False
        if not same:
            raise BusyError(
                f"{self.path} was replaced or removed by another program while this run was "
                f"writing it; stopped after {self.written} results so none go to a deleted "
                "copy; re-run the same command to resume")

    def close(self) -> None:
        os.close(self.fd)


def failed(item: BatchItem, reason: str) -> dict[str, Any]:
    return {"id": item.id, "status": "failed", "result": None,
            "error": redact(reason)}


Drafter = Callable[[BatchItem], Any]  # async: BatchItem -> DraftResult


async def run_batch(
    items: list[BatchItem],
    out: Path,
    draft: Drafter,
    *,
    concurrency: int,
    retry_failed: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[], None] | None = None,
    on_takeover: Callable[[Holder], None] | None = None,
) -> BatchSummary:
    """Draft every item not yet in `out`, holding `out`'s lock from the first read to the
    last write. Raises BusyError when another run holds it (or replaces the file), and
    InputError when the file cannot be written."""
    if out.exists() and not out.is_file():
        raise InputError(f"--out {out} is not a regular file; give a .jsonl file path")
    with OutputLock(out) as lock:
        if lock.taken_over is not None and on_takeover is not None:
            on_takeover(lock.taken_over)
        return await _run_locked(items, out, draft, concurrency=concurrency,
                                 retry_failed=retry_failed, on_start=on_start, on_done=on_done)


async def _run_locked(
    items: list[BatchItem],
    out: Path,
    draft: Drafter,
    *,
    concurrency: int,
    retry_failed: bool,
    on_start: Callable[[int], None] | None,
    on_done: Callable[[], None] | None,
) -> BatchSummary:
    summary = BatchSummary()
    already = done_ids(out, retry_failed=retry_failed)
    todo = [item for item in items if item.id not in already]
    summary.skipped = len(items) - len(todo)
    if on_start is not None:
        on_start(len(todo))
    log = AppendLog(out)
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(item: BatchItem) -> None:
        async with gate:
            try:
                result: DraftResult = await draft(item)
                record = {"id": item.id, "status": "drafted",
                          "result": result.model_dump(mode="json"), "error": None}
            except CalmreplyError as exc:
                record = failed(item, exc.message)
            except Exception as exc:  # a bug must not cost the rest of the queue
                record = failed(item, f"internal error: {type(exc).__name__}: {exc}")
            log.write(record)  # a failed write stops the whole run (the task group)
            if record["status"] == "drafted":
                summary.drafted += 1
            else:
                summary.failed += 1
            if on_done is not None:
                on_done()

    try:
        async with asyncio.TaskGroup() as group:
            for item in todo:
                group.create_task(one(item))
    except BaseExceptionGroup as errors:
        raise _first(errors) from None
    finally:
        log.close()
    return summary


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error to report from a task group: ours first (one line), else the first."""
    flat: list[BaseException] = []
    for exc in group.exceptions:
        flat += [_first(exc)] if isinstance(exc, BaseExceptionGroup) else [exc]
    return next((e for e in flat if isinstance(e, CalmreplyError)), flat[0])


def make_drafter(session: Session, tone: Tone | None = None) -> Drafter:
    """The per-item draft function over the session's one model client."""
    settings = session.settings

    async def draft(item: BatchItem) -> DraftResult:
        email = parse_text(item.email, max_chars=settings.max_email_chars,
                           max_bytes=settings.max_input_bytes)
        facts = Facts(customer_name=item.customer_name, order_id=item.order_id) \
            if item.customer_name or item.order_id else None
        return await session.draft(email, tone=tone, facts=facts)

    return draft
