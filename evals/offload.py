"""`calmreply eval` through a batch engine (OpenAI/Azure Batch, vLLM run_batch), in steps:

    1. calmreply eval SUITE --export-requests draft-requests.jsonl
       (run them) -> draft-results.jsonl
    2. calmreply eval SUITE --import-results draft-results.jsonl \\
                            --export-requests judge-requests.jsonl
       (run them) -> judge-results.jsonl
    3. calmreply eval SUITE --import-results draft-results.jsonl \\
                            --import-results judge-results.jsonl --out eval-out

A draft request's custom_id is the case id (`case#k` with --repeat K); a judge request's
is `judge-` and a hash of its messages, so a verdict only ever answers the very reply it
was asked about. Requests are recorded from the live code (agent/offload/export.py) and
answers replayed through it (agent/offload/results.py): the drafts are validated and
guarded as live ones, revised live when a model is configured; a judge answer that is
missing or unusable makes that rubric `unscored` (or is asked live, with a model).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from agent.config import Settings
from agent.drafter import draft_email
from agent.errors import CalmreplyError
from agent.inbound import InboundEmail, parse_text
from agent.llm import ModelClient
from agent.models import DraftResult, Facts, Usage
from agent.offload.export import (
    AtomicFile,
    Exported,
    ExportResult,
    RequestRecorder,
    endpoint_url,
    exporting,
    request_line,
)
from agent.offload.results import Answer, read_results, replay_client, replay_settings
from evals.runner import DraftFn
from evals.suites import Suite

T = TypeVar("T", bound=BaseModel)
JUDGE_PREFIX = "judge-"


def draft_custom_id(case_id: str, attempt: int, repeat: int) -> str:
    return case_id if repeat == 1 else f"{case_id}#{attempt + 1}"


def judge_custom_id(messages: list[dict[str, str]]) -> str:
    blob = json.dumps(messages, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return JUDGE_PREFIX + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


def _email_key(email: InboundEmail) -> tuple[str, str, str]:
    return email.subject or "", email.sender_name or "", email.body


class Offload:
    """One eval run's batch side: the suite, and the answers imported for it."""

    def __init__(self, suite: Suite, settings: Settings, repeat: int,
                 result_paths: Sequence[Path]) -> None:
        self.suite = suite
        self.settings = settings
        self.repeat = repeat
        self.answers: dict[str, Answer] = read_results(result_paths) if result_paths else {}
        self.judge_requests: JudgeRequests | None = None

    @property
    def has_judge_answers(self) -> bool:
        return any(key.startswith(JUDGE_PREFIX) for key in self.answers)

    async def export_drafts(self, path: Path) -> ExportResult:
        """Step 1: every case's draft request (K times with --repeat K)."""
        settings = exporting(self.settings)
        recorder = RequestRecorder(settings)
        url = endpoint_url(settings)
        result = ExportResult()
        out = AtomicFile(path)
        try:
            for case in self.suite.cases:
                try:
                    email = parse_text(case.email, max_chars=settings.max_email_chars)
                    await draft_email(email, settings, client=recorder,  # type: ignore[arg-type]
                                      facts=case.facts)
                except Exported as exc:
                    for attempt in range(self.repeat):
                        out.write(request_line(draft_custom_id(case.id, attempt, self.repeat),
                                               exc.body, url))
                        result.estimate.add(exc.body)
                        result.written += 1
                except CalmreplyError as exc:
                    result.refused[case.id] = exc.message
            out.commit()
        except BaseException:
            out.abandon()
            raise
        return result

    def drafter(self, live: ModelClient | None) -> DraftFn:
        """Steps 2 and 3: drafts from the imported answers, through the live drafter."""
        used = replay_settings(self.settings, live)
        queues: dict[tuple[str, str, str], list[str]] = {}
        for case in self.suite.cases:
            try:
                email = parse_text(case.email, max_chars=self.settings.max_email_chars)
            except CalmreplyError:
                continue  # the runner records the same error for the case
            queues.setdefault(_email_key(email), []).extend(
                draft_custom_id(case.id, k, self.repeat) for k in range(self.repeat))
        replayed = Usage()

        async def draft(email: InboundEmail, *, prompts_dir: Path | None = None,
                        facts: Facts | None = None) -> DraftResult:
            custom_id = queues[_email_key(email)].pop(0)
            client = replay_client(used, self.answers.get(custom_id),
                                   f"no result for {custom_id!r} in the imported results",
                                   live, replayed)
            result = await draft_email(email, used, prompts_dir=prompts_dir, client=client,
                                       facts=facts)
            if live is not None:
                live.mode = client.mode
            return result

        return draft

    def judge_client(self, live: ModelClient | None, *, export: bool) -> Any:
        """Step 2 records the judge's requests; step 3 answers them from the results."""
        if export:
            self.judge_requests = JudgeRequests(self.settings)
            return self.judge_requests
        return JudgeReplay(self.settings, self.answers, live)


class JudgeRequests:
    """The judge's client in step 2: records each request it would send (once per
    distinct request); the judge then reports that rubric unscored, as exported."""

    def __init__(self, settings: Settings) -> None:
        self._recorder = RequestRecorder(exporting(settings))
        self._url = endpoint_url(settings)
        self.model = self._recorder.model
        self.lines: dict[str, bytes] = {}
        self.result = ExportResult()

    async def structured(self, messages: list[dict[str, str]], schema: type[T], *,
                         temperature: float | None = None,
                         seed: int | None = None) -> tuple[T, Usage]:
        try:
            await self._recorder.structured(messages, schema, temperature=temperature,
                                            seed=seed)
        except Exported as exc:
            custom_id = judge_custom_id(messages)
            if custom_id not in self.lines:
                self.lines[custom_id] = request_line(custom_id, exc.body, self._url)
                self.result.estimate.add(exc.body)
                self.result.written += 1
            raise
        raise AssertionError("the recorder always raises")  # pragma: no cover

    def write(self, path: Path) -> ExportResult:
        out = AtomicFile(path)
        for line in self.lines.values():
            out.write(line)
        out.commit()
        return self.result


class JudgeReplay:
    """The judge's client in step 3: each verdict from the judge results, validated by
    the live client's code; a reply with no result goes to the live model if there is
    one, else the judge reports it unscored."""

    def __init__(self, settings: Settings, answers: dict[str, Answer],
                 live: ModelClient | None) -> None:
        self._answers = answers
        self._live = live
        self._settings = replay_settings(settings, live)
        self._replayed = Usage()
        self.model = ModelClient(settings).model

    async def structured(self, messages: list[dict[str, str]], schema: type[T], *,
                         temperature: float | None = None,
                         seed: int | None = None) -> tuple[T, Usage]:
        answer = self._answers.get(judge_custom_id(messages))
        if answer is None and self._live is not None:
            return await self._live.structured(messages, schema, temperature=temperature,
                                               seed=seed)
        client = replay_client(self._settings, answer, "no judge result for this reply in "
                               "the imported results", self._live, self._replayed)
        return await client.structured(messages, schema, temperature=temperature, seed=seed)
