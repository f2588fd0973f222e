"""Grading speed: deterministic graders, and a cached re-run of a judged suite.

    python benchmarks/grading.py

1. Deterministic grading of the gold replies (all ten rubrics), repeated until at least
   3,000 replies are graded: prints replies per second (goal: at least 2,000/s), with the
   situation per case prepared once, as the runner and `calmreply grade` do.
2. A 60-case suite drafted by an instant fake drafter and judged through the real
   ModelClient by a fake OpenAI-compatible server on loopback, run twice with the same
   cache directory: prints the time and the server's chat-request count for the cold run
   and the cached re-run (goal: under 2 s and zero requests).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.config import Settings  # noqa: E402
from agent.inbound import InboundEmail  # noqa: E402
from agent.models import Analysis, Draft, DraftResult, InternalNote  # noqa: E402
from evals.calibrate import load_gold  # noqa: E402
from evals.graders import grade_reply  # noqa: E402
from evals.rubrics import load_rubrics  # noqa: E402
from evals.situation import from_case  # noqa: E402
from evals.suites import Suite, load_suite  # noqa: E402

CORE = ROOT / "evals" / "suites" / "core.yaml"
GOLD = ROOT / "evals" / "gold" / "replies.jsonl"
REPLY = ("Hi, I'm sorry your order is late; that's on us. Waiting is frustrating. I've opened "
         "a trace with the courier and will email you within 48 hours.")


def deterministic(replies: int = 3000) -> float:
    """Grades at least `replies` gold replies; prints and returns replies per second."""
    suite = load_suite(CORE)
    rubrics = load_rubrics()
    gold = load_gold(GOLD)
    situations = {g.case: from_case(suite.case(g.case)) for g in gold}
    items = [(g.reply, situations[g.case]) for g in gold]
    grade_reply(items[0][0], items[0][1], rubrics)  # warm the regex caches
    rounds = max(1, replies // len(items) + 1)
    start = time.perf_counter()
    for _ in range(rounds):
        for reply, situation in items:
            grade_reply(reply, situation, rubrics)
    seconds = time.perf_counter() - start
    n = rounds * len(items)
    rate = n / seconds
    print(f"deterministic: {n} replies x {len(rubrics)} rubrics in {seconds:.2f} s = "
          f"{rate:,.0f} replies/s (goal >= 2,000/s: {'ok' if rate >= 2000 else 'MISSED'})")
    return rate


def parallel(replies: int = 6000) -> tuple[float, float, int]:
    """`calmreply grade`'s path (emails parsed, situations built) on one process and on
    every core; prints and returns (serial/s, parallel/s, workers)."""
    from evals.grade import GradeRequest, grade_requests

    suite = load_suite(CORE)
    rubrics = load_rubrics()
    gold = load_gold(GOLD)
    rounds = max(1, replies // len(gold) + 1)
    requests = [GradeRequest(i, i, g.reply, suite.case(g.case).email)
                for i, g in enumerate(gold * rounds)]
    workers = os.cpu_count() or 1
    rates = []
    for n_workers in (1, workers):
        start = time.perf_counter()
        for _ in grade_requests(requests, rubrics, workers=n_workers):
            pass
        rates.append(len(requests) / (time.perf_counter() - start))
    print(f"calmreply grade path, {len(requests)} replies: {rates[0]:,.0f}/s on 1 process, "
          f"{rates[1]:,.0f}/s on {workers} ({rates[1] / rates[0]:.2f}x; goal >= 2,000/s: "
          f"{'ok' if rates[1] >= 2000 else 'MISSED'})")
    return rates[0], rates[1], workers


def _result() -> DraftResult:
    analysis = Analysis(goal="g", issues=[], category="delivery", anger="angry", abusive=False,
                        threats=[], fault="ours", language="en", customer_name=None,
                        order_ids=[], product=None, escalate=False, escalation_reason=None)
    return DraftResult(source="model", model="fake", analysis=analysis, guard=[], flagged=False,
                       draft=Draft(subject="Re", body=REPLY, internal_note=InternalNote(
                           summary="s", follow_up=None, escalation=None)))


async def _instant_draft(email: InboundEmail, *,
                         prompts_dir: Path | None = None) -> DraftResult:
    return _result()


def _judge_answer(request: dict[str, Any]) -> str:
    return json.dumps({"reason": "meets the criteria", "score": 0.9, "pass": True,
                       "evidence": []})


async def _judged_run(suite: Suite, base_url: str, cache_dir: Path) -> tuple[float, int]:
    from agent.session import Session
    from evals.judge import Judge
    from evals.judge_cache import JudgeCache
    from evals.runner import run_suite

    settings = Settings.model_validate({"model": {"base_url": base_url, "name": "fake-model",
                                                  "max_retries": 0}})
    start = time.perf_counter()
    async with Session(settings) as session:
        assert session.client is not None
        judge = Judge(session.client, cache=JudgeCache(cache_dir))
        await run_suite(suite, settings, load_rubrics(), draft=_instant_draft, judge=judge,
                        concurrency=8)
    return time.perf_counter() - start, judge.calls


def cached_rerun() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from fakes import FakeModelServer

    full = load_suite(CORE)
    suite = full.model_copy(update={"cases": full.cases[:60], "name": "core-60"})
    os.environ.setdefault("OPENAI_API_KEY", "sk-benchmark")
    with tempfile.TemporaryDirectory() as tmp, FakeModelServer(_judge_answer) as server:
        cold, cold_calls = asyncio.run(_judged_run(suite, server.base_url, Path(tmp)))
        cold_requests = server.stats.chat
        warm, warm_calls = asyncio.run(_judged_run(suite, server.base_url, Path(tmp)))
        warm_requests = server.stats.chat - cold_requests
    print(f"judged suite, 60 cases, cold:   {cold:.2f} s, {cold_requests} chat requests "
          f"({cold_calls} judge calls)")
    verdict = "ok" if warm < 2 and warm_requests == 0 else "MISSED"
    print(f"judged suite, 60 cases, cached: {warm:.2f} s, {warm_requests} chat requests "
          f"({warm_calls} judge calls) (goal < 2 s and 0 requests: {verdict})")


if __name__ == "__main__":
    deterministic()
    parallel()
    cached_rerun()
