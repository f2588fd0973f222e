"""Batch-API requests: the request a live call would send, written down instead of sent.

One line per request, the format the OpenAI Batch API, Azure OpenAI batch deployments and
vLLM's run_batch all read:

    {"custom_id": "<email id>", "method": "POST", "url": "/v1/chat/completions",
     "body": {"model": ..., "messages": [...], "temperature": ..., "max_tokens": ...,
              "response_format": {"type": "json_schema", ...}}}

The body is not rebuilt here. A `RequestRecorder` stands in for the model client, the
drafter (or the judge) runs exactly as it does live, and the request it asks for is
built by the client's own `chat_request` and written instead of sent. So a prompt change,
a new setting or a seed reaches batch runs and live runs alike.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agent.batch import BatchItem, make_drafter
from agent.config import Settings
from agent.errors import CalmreplyError, InputError, ModelError
from agent.llm import ModelClient
from agent.models import Tone, Usage
from agent.offload.cost import Estimate
from agent.session import Session


class Exported(ModelError):
    """Raised in place of a model call: the request it would have sent is in `body`."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__("exported for a batch run, not sent")
        self.body = body


class RequestRecorder:
    """A model client that records instead of calling: `structured` raises `Exported`
    with the body a live `ModelClient` would send for the same call."""

    def __init__(self, settings: Settings) -> None:
        self._client = ModelClient(settings)
        self.model = self._client.model

    async def structured(self, messages: list[dict[str, str]], schema: type[BaseModel], *,
                         temperature: float | None = None, seed: int | None = None,
                         on_text: Callable[[str], None] | None = None,
                         usage: Usage | None = None) -> Any:
        kwargs = self._client.chat_request(list(messages), schema, temperature, seed,
                                           self._client.mode)
        raise Exported(wire_body(kwargs))


def wire_body(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The JSON body the openai SDK sends for these keyword arguments (it merges
    `extra_body` into the top level)."""
    body = {k: v for k, v in kwargs.items() if k != "extra_body"}
    body.update(kwargs.get("extra_body") or {})
    return body


def endpoint_url(settings: Settings) -> str:
    """The request lines' `url`: Azure OpenAI's batch API names it without /v1."""
    azure = settings.model.azure_endpoint and not settings.model.base_url
    return "/chat/completions" if azure else "/v1/chat/completions"


def request_line(custom_id: str, body: dict[str, Any], url: str) -> bytes:
    line = {"custom_id": custom_id, "method": "POST", "url": url, "body": body}
    return (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def exporting(settings: Settings) -> Settings:
    """Settings for an export: no offline fallback, so a recorded call is never replaced
    by a composed draft."""
    model = settings.model.model_copy(update={"fallback_offline": False})
    return settings.model_copy(update={"model": model})


async def draft_request(item: BatchItem, settings: Settings, tone: Tone | None,
                        recorder: RequestRecorder) -> dict[str, Any]:
    """The body of the request `calmreply draft --batch` would send for this email."""
    draft = make_drafter(Session(settings, client=recorder), tone)  # type: ignore[arg-type]
    try:
        await draft(item)
    except Exported as exc:
        return exc.body
    raise InputError(f"email {item.id!r} was drafted without asking the model")


async def request_lines(items: Sequence[BatchItem], settings: Settings, tone: Tone | None,
                        estimate: Estimate) -> AsyncIterator[tuple[BatchItem, bytes | str]]:
    """(item, request line) per email, or (item, why it cannot be sent) for an email the
    live path would refuse too (empty, binary...)."""
    settings = exporting(settings)
    recorder = RequestRecorder(settings)
    url = endpoint_url(settings)
    for item in items:
        try:
            body = await draft_request(item, settings, tone, recorder)
        except CalmreplyError as exc:
            yield item, exc.message
            continue
        estimate.add(body)
        yield item, request_line(item.id, body, url)


class AtomicFile:
    """A file written under a temporary name and renamed into place when complete, so a
    kill never leaves half a request file under the real name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.bytes = 0
        self.sha256 = hashlib.sha256()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.fh = self.tmp.open("wb")
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None

    def write(self, data: bytes) -> None:
        self.fh.write(data)
        self.bytes += len(data)
        self.sha256.update(data)

    def commit(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.tmp, self.path)

    def abandon(self) -> None:
        self.fh.close()
        self.tmp.unlink(missing_ok=True)


@dataclass
class ExportResult:
    written: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # id -> why it cannot be sent
    estimate: Estimate = field(default_factory=Estimate)


async def write_requests(items: Sequence[BatchItem], path: Path, settings: Settings,
                         tone: Tone | None) -> ExportResult:
    """Every email's request into one JSONL file (for vLLM run_batch or a manual upload)."""
    result = ExportResult()
    out = AtomicFile(path)
    try:
        async for item, line in request_lines(items, settings, tone, result.estimate):
            if isinstance(line, str):
                result.refused[item.id] = line
            else:
                out.write(line)
                result.written += 1
        out.commit()
    except BaseException:
        out.abandon()
        raise
    return result


@dataclass
class RequestFile:
    """One request file of a split export: which emails it holds and its fingerprint."""

    path: Path
    ids: list[str]
    bytes: int
    sha256: str


async def split_requests(items: Sequence[BatchItem], settings: Settings, tone: Tone | None,
                         name: Callable[[int], Path], *, max_requests: int,
                         max_bytes: int) -> tuple[list[RequestFile], ExportResult]:
    """The requests split into files within the provider's limits (requests per batch,
    bytes per file); `name(n)` is where the n-th file (from 1) goes."""
    result = ExportResult()
    files: list[RequestFile] = []
    current: AtomicFile | None = None
    ids: list[str] = []

    def close() -> None:
        nonlocal current
        if current is not None:
            current.commit()
            files.append(RequestFile(current.path, list(ids), current.bytes,
                                     current.sha256.hexdigest()))
            current = None
            ids.clear()

    try:
        async for item, line in request_lines(items, settings, tone, result.estimate):
            if isinstance(line, str):
                result.refused[item.id] = line
                continue
            if len(line) > max_bytes:
                result.refused[item.id] = (
                    f"its request is {len(line):,} bytes, over the provider's limit of "
                    f"{max_bytes:,} bytes per file ([batch_api] max_file_bytes)")
                continue
            if current is not None and (len(ids) >= max_requests
                                        or current.bytes + len(line) > max_bytes):
                close()
            if current is None:
                current = AtomicFile(name(len(files) + 1))
            current.write(line)
            ids.append(item.id)
            result.written += 1
        close()
    except BaseException:
        if current is not None:
            current.abandon()
        raise
    return files, result
