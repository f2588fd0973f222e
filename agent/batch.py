"""Batch drafting: a JSONL queue of emails in, one JSONL line per email out.

Nothing is lost when the model provider misbehaves or the process is killed:
- each result is appended as one complete line the moment it is done;
- a re-run reads the output first and skips every id already there, so it resumes;
- a half-written last line (the process died mid-write) is cut off and redone;
- an email that fails for good is written with its error, never dropped, so every input
  id appears exactly once. `--retry-failed` drafts those again, replacing their lines.

Input line:  {"id": "...", "email": "...", "customer_name"?: "...", "order_id"?: "..."}
Output line: {"id": "...", "status": "drafted"|"failed", "result": DraftResult|null,
              "error": "..."|null}
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from agent.config import Settings
from agent.errors import CalmreplyError, InputError, redact
from agent.files import read_bytes
from agent.inbound import parse_text
from agent.jsonl import read_jsonl
from agent.models import DraftResult, Facts


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
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_bytes(cleaned)
        os.replace(tmp, out)
    return ids


class AppendLog:
    """One complete line per write(2) on an O_APPEND descriptor: a kill leaves whole lines
    (at worst one torn last line, which `done_ids` repairs)."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None

    def write(self, record: dict[str, Any]) -> None:
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        written = 0
        while written < len(data):
            written += os.write(self.fd, data[written:])

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
                summary.drafted += 1
            except CalmreplyError as exc:
                record = failed(item, exc.message)
                summary.failed += 1
            except Exception as exc:  # a bug must not cost the rest of the queue
                record = failed(item, f"internal error: {type(exc).__name__}: {exc}")
                summary.failed += 1
            log.write(record)
            if on_done is not None:
                on_done()

    try:
        await asyncio.gather(*(one(item) for item in todo))
    finally:
        log.close()
    return summary


def make_drafter(settings: Settings, tone: Any = None,
                 client: Any = None) -> tuple[Drafter, Any]:
    """The per-item draft function over one shared model client (None offline); `client`
    replaces the default one (agent/offload/ replays batch answers through it)."""
    from agent.drafter import draft_email
    from agent.llm import ModelClient

    if client is None:
        client = ModelClient(settings) if settings.model_configured else None

    async def draft(item: BatchItem) -> DraftResult:
        email = parse_text(item.email, max_chars=settings.max_email_chars)
        facts = Facts(customer_name=item.customer_name, order_id=item.order_id) \
            if item.customer_name or item.order_id else None
        return await draft_email(email, settings, tone=tone, facts=facts, client=client)

    return draft, client
