"""`--via batch-api`: a queue through the OpenAI (or Azure OpenAI) Batch API, kill-safe.

    export the requests, split over the provider's limits (requests per batch, bytes per
    file) -> upload each part -> create its batch -> poll (with the provider's counts)
    -> download the output and error files -> import them into the output

Every step is saved in the state file the moment it is done (state.py). A re-run of the
same command re-attaches: it skips what is done, polls the batches already created, and
never creates a batch for work that already has one. The upload and the creation are
marked as started before they are sent, and a transient failure of either (or a kill in
between) is followed by a look-up at the provider (the file by its name, the batch by its
input file) before anything is sent again. `calmreply batches` lists and cancels batches.

The Files and Batches calls go through the openai SDK with its retries off and one retry
policy here (transient failures only, Retry-After honoured), as the chat client does.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from agent.batch import BatchItem, BatchSummary, done_ids, run_batch
from agent.batch_lock import OutputLock
from agent.config import Settings
from agent.errors import ConfigError, InputError, ModelError, TransientModelError, from_sdk
from agent.llm import MAX_RETRY_AFTER, ModelClient
from agent.models import DraftResult, Tone
from agent.offload.cost import estimate_lines
from agent.offload.export import AtomicFile, endpoint_url, split_requests
from agent.offload.importer import ImportTotals, import_results
from agent.offload.results import read_results
from agent.offload.state import (
    TERMINAL,
    Part,
    RunState,
    load_state,
    save_state,
    state_path,
    work_dir,
)

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types import Batch, FileObject

R = TypeVar("R")
LOOK_BACK_SECONDS = 3600  # clock skew allowed when looking a file or batch up by time
MAX_LOOKUP_PAGES = 50


class Display(Protocol):
    """Where a run reports to: a line of text, and every stage a part reaches
    (exported, uploaded, created, polled, downloaded, imported)."""

    def note(self, text: str) -> None: ...

    def stage(self, stage: str, part: Part, parts: int) -> None: ...


def server_of(settings: Settings) -> str:
    return settings.model.base_url or settings.model.azure_endpoint or "https://api.openai.com/v1"


def files_sdk(settings: Settings) -> AsyncOpenAI:
    """An SDK client for the Files and Batches endpoints. Not the chat client's: for
    Azure that one is bound to a deployment, which would put /files and /batches under
    the deployment's path too."""
    from openai import AsyncAzureOpenAI, AsyncOpenAI

    common: dict[str, Any] = {"api_key": settings.api_key or "not-needed",
                              "timeout": max(settings.model.timeout, 300.0), "max_retries": 0}
    if settings.model.azure_endpoint and not settings.model.base_url:
        return AsyncAzureOpenAI(azure_endpoint=settings.model.azure_endpoint,
                                api_version=settings.model.api_version, **common)
    return AsyncOpenAI(base_url=settings.model.base_url, **common)


class Api:
    """Files and Batches calls with the one retry policy and one-line errors."""

    def __init__(self, settings: Settings, sdk: AsyncOpenAI | None = None,
                 backoff: float = 0.5) -> None:
        self.settings = settings
        self.server = server_of(settings)
        self._owned = sdk is None
        self.sdk = sdk or files_sdk(settings)
        self._backoff = backoff

    async def close(self) -> None:
        if self._owned:
            await self.sdk.close()

    async def call(self, what: str, request: Callable[[], Awaitable[R]],
                   recover: Callable[[], Awaitable[R | None]] | None = None) -> R:
        """`request()`, retried on transient failures. Before a retry, `recover()` may
        find that the failed attempt took effect after all (then its result is used)."""
        retrying = AsyncRetrying(retry=retry_if_exception_type(TransientModelError),
                                 stop=stop_after_attempt(self.settings.model.max_retries + 1),
                                 wait=self._wait, reraise=True)
        failed = False
        async for attempt in retrying:
            with attempt:
                if failed and recover is not None:
                    found = await recover()
                    if found is not None:
                        return found
                failed = True
                return await self._once(what, request)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, what: str, request: Callable[[], Awaitable[R]]) -> R:
        import httpx
        import openai

        try:
            return await request()
        except openai.NotFoundError as exc:
            raise ModelError(f"{what}: {self.server} answered 404 ({_message(exc)}); check "
                             "the id, and that this server has a Batch API") from None
        except (openai.APIError, httpx.TransportError) as exc:
            error = from_sdk(exc, model=self.settings.model.name, base_url=self.server)
            error.message = f"{what}: {error.message}"
            error.args = (error.message,)
            raise error from None

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientModelError) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER)
        return wait_random_exponential(multiplier=self._backoff, max=20)(state)

    async def batches(self, *, limit: int, stop: Callable[[Batch], bool] | None = None
                      ) -> list[Batch]:
        """Newest first, up to `limit` (or until `stop(batch)` says enough)."""
        found: list[Batch] = []
        after: str | None = None
        for _ in range(MAX_LOOKUP_PAGES):
            kwargs: dict[str, Any] = {"limit": min(100, limit)}
            if after:
                kwargs["after"] = after
            page = await self.call("listing batches", partial(self.sdk.batches.list, **kwargs))
            for batch in page.data:
                if stop is not None and stop(batch):
                    return found
                found.append(batch)
                if len(found) >= limit:
                    return found
            if not page.data or page.has_more is False:
                return found
            after = page.data[-1].id
        return found


def _message(exc: BaseException) -> str:
    return " ".join(str(getattr(exc, "message", exc)).split())[:200]


@dataclass
class Outcome:
    summary: BatchSummary = field(default_factory=BatchSummary)
    totals: ImportTotals = field(default_factory=ImportTotals)
    model: str = ""


class BatchRun:
    def __init__(self, items: Sequence[BatchItem], out: Path, settings: Settings, *,
                 tone: Tone | None, concurrency: int, retry_failed: bool, display: Display,
                 sdk: AsyncOpenAI | None = None, backoff: float = 0.5) -> None:
        self.items = list(items)
        self.by_id = {item.id: item for item in self.items}
        self.out = out
        self.settings = settings
        self.tone = tone
        self.concurrency = concurrency
        self.retry_failed = retry_failed
        self.display = display
        self.api = Api(settings, sdk, backoff)
        self.work = work_dir(out)
        self.model = ModelClient(settings).model
        self.url = endpoint_url(settings)
        self.outcome = Outcome(model=self.model)
        self._imports = asyncio.Lock()
        self._live: ModelClient | None = None
        self.state = RunState(run=uuid.uuid4().hex[:12], model=self.model,
                              server=self.api.server, url=self.url)

    def save(self) -> None:
        save_state(self.state, self.out)

    def stage(self, stage: str, part: Part) -> None:
        self.display.stage(stage, part, len(self.state.parts))

    async def run(self) -> Outcome:
        # One run per state file: a second `--via batch-api` on the same output would
        # submit the same work again (the output itself is locked while results are written).
        try:
            with OutputLock(state_path(self.out)):
                await self._run()
        finally:
            await self.api.close()
            if self._live is not None:
                await self._live.aclose()
        return self.outcome

    async def _run(self) -> None:
        known = load_state(self.out)
        if known is not None:
            if (known.model, known.server, known.url) != (self.model, self.api.server, self.url):
                raise ConfigError(
                    f"{state_path(self.out)} belongs to a run with model {known.model} at "
                    f"{known.server}; finish it with the same settings, or cancel its "
                    "batches (calmreply batches cancel ID) and move the file away")
            self.state = known
            self.display.note(f"re-attaching to the run in {state_path(self.out)}")
        done = done_ids(self.out, retry_failed=self.retry_failed)
        pending = [item for item in self.items if item.id not in done]
        self.outcome.summary.skipped = len(self.items) - len(pending)
        active = [p for p in self.state.parts if not p.imported]
        covered = {i for p in active for i in p.ids}
        fresh = [item for item in pending if item.id not in covered]
        if fresh:
            active += await self._export(fresh)
        if active:
            self.display.note(f"state kept in {state_path(self.out)}: if this stops, run the "
                              "same command again to pick the batches up where they are")
            self._live = ModelClient(self.settings)  # re-asks and revisions, live
            tasks = [asyncio.create_task(self._advance(part)) for part in active]
            try:
                await asyncio.gather(*tasks)
            except BaseException:  # one part failed, or the run was stopped: stop them all
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        if all(p.imported for p in self.state.parts):
            state_path(self.out).unlink(missing_ok=True)
            shutil.rmtree(self.work, ignore_errors=True)

    async def _export(self, fresh: list[BatchItem]) -> list[Part]:
        base = len(self.state.parts)
        limits = self.settings.batch_api
        files, exported = await split_requests(
            fresh, self.settings, self.tone,
            lambda n: self.work / f"part-{base + n}.requests.jsonl",
            max_requests=limits.max_requests, max_bytes=limits.max_file_bytes)
        if exported.refused:
            refused = exported.refused

            async def refuse(item: BatchItem) -> DraftResult:
                raise InputError(refused[item.id])

            summary = await run_batch([self.by_id[i] for i in refused], self.out, refuse,
                                      concurrency=1)
            self.outcome.summary.failed += summary.failed
        parts = [Part(number=base + n, ids=f.ids, requests=f.path.name, bytes=f.bytes,
                      sha256=f.sha256) for n, f in enumerate(files, start=1)]
        self.state.parts += parts
        self.save()
        if parts:
            for line in estimate_lines(exported.estimate, self.settings, self.model):
                self.display.note(line)
        for part in parts:
            self.stage("exported", part)
        return parts

    async def _advance(self, part: Part) -> None:
        if part.file_id is None:
            await self._upload(part)
        if part.batch_id is None:
            await self._create(part)
        while part.status not in TERMINAL:
            await self._poll(part)
        if not part.downloaded:
            await self._download(part)
        if not part.imported:
            await self._import(part)

    # --- upload and create: looked up before they are ever sent twice ------------------

    def _filename(self, part: Part) -> str:
        return f"calmreply-{self.state.run}-part{part.number}.jsonl"

    async def _upload(self, part: Part) -> None:
        path = self.work / part.requests
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path} is gone ({exc.strerror}); move {state_path(self.out)} "
                             "away to start afresh") from None
        if hashlib.sha256(data).hexdigest() != part.sha256:
            raise InputError(f"{path} changed since it was written; move "
                             f"{state_path(self.out)} away to start afresh")
        found = await self._find_file(part) if part.upload_started is not None else None
        if found is None:
            part.upload_started = time.time()
            self.save()
            name = self._filename(part)
            found = await self.api.call(
                f"uploading part {part.number}",
                lambda: self.api.sdk.files.create(file=(name, data, "application/jsonl"),
                                                  purpose="batch"),
                recover=lambda: self._find_file(part))
        part.file_id = found.id
        self.save()
        self.stage("uploaded", part)

    async def _find_file(self, part: Part) -> FileObject | None:
        """The id of this part's upload if the provider has it (a kill or a lost answer
        came between the upload and saving its id)."""
        name, since = self._filename(part), (part.upload_started or 0) - LOOK_BACK_SECONDS
        after: str | None = None
        for _ in range(MAX_LOOKUP_PAGES):
            kwargs: dict[str, Any] = {"purpose": "batch", "limit": 100, "order": "desc"}
            if after:
                kwargs["after"] = after
            page = await self.api.call("looking up an upload",
                                       partial(self.api.sdk.files.list, **kwargs))
            for obj in page.data:
                if obj.filename == name and obj.bytes == part.bytes:
                    return obj
                if obj.created_at < since:
                    return None
            if not page.data or page.has_more is False:
                return None
            after = page.data[-1].id
        return None

    async def _create(self, part: Part) -> None:
        found: Batch | None = await self._find_batch(part) if part.create_started else None
        if found is None:
            part.create_started = True
            self.save()
            metadata = {"calmreply": "draft", "run": self.state.run,
                        "part": f"{part.number}/{len(self.state.parts)}",
                        "out": self.out.name[-200:]}
            file_id = cast(str, part.file_id)
            found = await self.api.call(
                f"creating batch {part.number}",
                lambda: self.api.sdk.batches.create(
                    input_file_id=file_id, endpoint=cast(Any, self.url),
                    completion_window="24h", metadata=metadata),
                recover=lambda: self._find_batch(part))
        part.batch_id = found.id
        self._update(part, found)
        self.save()
        self.stage("created", part)

    async def _find_batch(self, part: Part) -> Batch | None:
        """The batch made from this part's upload, if the provider has one."""
        since = (part.upload_started or 0) - LOOK_BACK_SECONDS
        mine = await self.api.batches(limit=100 * MAX_LOOKUP_PAGES,
                                      stop=lambda b: b.created_at < since)
        return next((b for b in mine if b.input_file_id == part.file_id), None)

    # --- poll, download, import -------------------------------------------------------

    async def _poll(self, part: Part) -> None:
        batch_id = cast(str, part.batch_id)
        batch = await self.api.call(f"checking batch {batch_id}",
                                    lambda: self.api.sdk.batches.retrieve(batch_id))
        if self._update(part, batch):
            self.save()
        self.stage("polled", part)
        if part.status not in TERMINAL:
            await asyncio.sleep(self.settings.batch_api.poll_seconds)

    @staticmethod
    def _update(part: Part, batch: Batch) -> bool:
        before = part.model_dump()
        part.status = batch.status
        counts = batch.request_counts
        if counts is not None:
            part.completed, part.failed, part.total = counts.completed, counts.failed, \
                counts.total
        part.output_file_id = batch.output_file_id
        part.error_file_id = batch.error_file_id
        if batch.status == "failed":
            errors = batch.errors.data if batch.errors and batch.errors.data else []
            part.failure = "; ".join(
                (f"line {e.line}: " if e.line else "") + f"{e.message or e.code}"
                for e in errors[:5]) or "no reason given"
        return part.model_dump() != before

    async def _download(self, part: Part) -> None:
        names = []
        for kind, file_id in (("output", part.output_file_id), ("errors", part.error_file_id)):
            if not file_id:
                continue
            content = await self.api.call(f"downloading the {kind} of batch {part.batch_id}",
                                          partial(self.api.sdk.files.content, file_id))
            name = f"part-{part.number}.{kind}.jsonl"
            target = AtomicFile(self.work / name)
            target.write(content.content)
            target.commit()
            names.append(name)
        part.results = names
        part.downloaded = True
        self.save()
        self.stage("downloaded", part)

    def _missing(self, part: Part) -> Callable[[str], str]:
        again = "; re-run with --retry-failed to send it again"
        if part.failure:
            reason = f"batch {part.batch_id} failed as a whole: {part.failure}"
        elif part.status in ("expired", "cancelled"):
            reason = f"batch {part.batch_id} {part.status} before this email was answered"
        else:
            reason = f"batch {part.batch_id} returned no result for this email"
        return lambda _id: reason + again

    async def _import(self, part: Part) -> None:
        async with self._imports:  # one writer of the output at a time
            answers = read_results([self.work / name for name in part.results])
            items = [self.by_id[i] for i in part.ids if i in self.by_id]
            summary = await import_results(
                items, self.out, self.settings, answers, tone=self.tone,
                concurrency=self.concurrency, retry_failed=False,
                missing=self._missing(part), totals=self.outcome.totals, live=self._live)
            self.outcome.summary.drafted += summary.drafted
            self.outcome.summary.failed += summary.failed
            part.imported = True
            self.save()
            self.stage("imported", part)


async def list_batches(settings: Settings, *, limit: int, everything: bool,
                       sdk: AsyncOpenAI | None = None) -> list[Batch]:
    """The newest batches at the provider; only calmreply's unless `everything`."""
    api = Api(settings, sdk)
    try:
        # calmreply's are picked from the newest few pages, not the whole account.
        found = await api.batches(limit=limit if everything else max(100, limit * 10))
    finally:
        await api.close()
    if not everything:
        found = [b for b in found if (b.metadata or {}).get("calmreply")][:limit]
    return found


async def cancel_batches(settings: Settings, ids: Sequence[str],
                         sdk: AsyncOpenAI | None = None) -> list[Batch]:
    api = Api(settings, sdk)
    try:
        return [await api.call(f"cancelling {batch_id}", partial(api.sdk.batches.cancel, batch_id))
                for batch_id in ids]
    finally:
        await api.close()
