"""Grading speed: deterministic graders, and a cached re-run of a judged suite.

    python benchmarks/grading.py

1. Grading the gold replies (all ten rubrics, rules + semantic heads), repeated until at
   least 3,000 replies are graded: prints replies per second, with the situation per
   email prepared once, as the runner does.
2. `calmreply grade`'s path on ONE process where every email is different (a distinct
   reference appended to each): replies per second (goal: at least 2,000/s, aim 5,000),
   and where the time goes: the analyzer's reading of each email, the shared checks, the
   rule graders, the semantic scorer.
3. The same path over replies never graded before, with the embedding cache emptied
   (what a first run over new text costs).
4. A 60-case suite drafted by an instant fake drafter and judged through the real
   ModelClient by a fake OpenAI-compatible server on loopback, run twice with the same
   cache directory: prints the time and the server's chat-request count for the cold run
   and the cached re-run (goal: under 2 s and zero requests).
"""

from __future__ import annotations

import asyncio
import dataclasses
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
from evals.suites import Suite, load_suite  # noqa: E402

CORE = ROOT / "evals" / "suites" / "core.yaml"
GOLD = ROOT / "evals" / "gold"
REPLY = ("Hi, I'm sorry your order is late; that's on us. Waiting is frustrating. I've opened "
         "a trace with the courier and will email you within 48 hours.")


def _tune() -> list[Any]:
    return [g for g in load_gold(GOLD) if g.split == "tune"]


def deterministic(replies: int = 3000) -> float:
    """Grades at least `replies` gold replies; prints and returns replies per second."""
    suite = load_suite(CORE)
    rubrics = load_rubrics()
    gold = _tune()
    situations: dict[object, Any] = {}
    for g in gold:
        key = g.case or g.email
        if key not in situations:
            situations[key] = g.situation_for(suite)
    items = [(g.reply, situations[g.case or g.email]) for g in gold]
    grade_reply(items[0][0], items[0][1], rubrics)  # warm the caches, load the model
    rounds = max(1, replies // len(items) + 1)
    start = time.perf_counter()
    for _ in range(rounds):
        for reply, situation in items:
            grade_reply(reply, situation, rubrics)
    seconds = time.perf_counter() - start
    n = rounds * len(items)
    rate = n / seconds
    print(f"gold replies: {n} replies x {len(rubrics)} rubrics in {seconds:.2f} s = "
          f"{rate:,.0f} replies/s")
    return rate


def _distinct_requests(n: int, offset: int, *, new_replies: bool = False) -> list[Any]:
    """n grade lines whose emails all differ (the gold emails, each with a new reference).
    The replies repeat (about 900 gold replies), so whatever is cached per reply text
    is reused; with `new_replies` each reply also ends with a short line of its own
    ("Ticket T-<n>"), so every reply text is new. That line is one more sentence to read
    and embed, and it can move a verdict (a throughput figure, not a grading one); the
    reply's other sentences still repeat."""
    from evals.grade import GradeRequest

    gold = [g for g in _tune() if g.email is not None]
    return [GradeRequest(i, i, gold[i % len(gold)].reply + (
        f"\n\nTicket T-{offset + i}" if new_replies else ""),
        f"{gold[i % len(gold)].email}\n\nReference CR-{offset + i}") for i in range(n)]


def distinct(replies: int = 2000) -> dict[str, float]:
    """`calmreply grade` on one process, every email different: replies/s, the same with
    every reply text different too, and the microseconds per reply spent in each stage
    (measured one after the other, same inputs, same run)."""
    from agent.checks import Context, check_text
    from evals.grade import grade_requests
    from evals.graders.semantic import EMBEDDER
    from evals.situation import from_email

    rubrics = load_rubrics()
    list(grade_requests(_distinct_requests(200, 10**7), rubrics))  # load the model
    requests = _distinct_requests(replies, 0)
    start = time.perf_counter()
    for _ in grade_requests(requests, rubrics, workers=1):
        pass
    total = time.perf_counter() - start

    fresh = _distinct_requests(replies, 2 * 10**7)
    start = time.perf_counter()
    situations = [from_email(r.email) for r in fresh]
    analyzer = time.perf_counter() - start
    start = time.perf_counter()
    for r, s in zip(fresh, situations, strict=True):
        check_text(r.reply, Context(email=s.email, refs=s.order_ids))
    checks = time.perf_counter() - start
    # The rules alone: applicability settled, so the `problem` head is not consulted.
    settled = [dataclasses.replace(s, problem=True) for s in situations]
    start = time.perf_counter()
    for r, s in zip(fresh, settled, strict=True):
        grade_reply(r.reply, s, rubrics, rules_only=True)
    rules = time.perf_counter() - start
    # Last, so its new texts do not push the repeated replies out of the caches the stage
    # figures above were measured with.
    start = time.perf_counter()
    for _ in grade_requests(_distinct_requests(replies, 6 * 10**7, new_replies=True), rubrics,
                            workers=1):
        pass
    new_replies = time.perf_counter() - start
    EMBEDDER.prefetch([])
    n = len(requests)
    out = {"rate": n / total, "rate_new_replies": n / new_replies, "total_us": total / n * 1e6,
           "analyzer_us": analyzer / n * 1e6, "checks_us": checks / n * 1e6,
           "graders_us": (rules - checks) / n * 1e6}
    out["semantic_us"] = max(0.0, out["total_us"] - out["analyzer_us"] - rules / n * 1e6)
    print(f"calmreply grade, 1 process, {n} distinct emails: {out['rate']:,.0f} replies/s "
          f"({out['total_us']:,.0f} us/reply: analyzer {out['analyzer_us']:,.0f}, checks "
          f"{out['checks_us']:,.0f}, rule graders {out['graders_us']:,.0f}, semantic "
          f"{out['semantic_us']:,.0f}) (goal >= 2,000/s: "
          f"{'ok' if out['rate'] >= 2000 else 'MISSED'})")
    print(f"the same with every reply distinct too (a ticket line added to each): "
          f"{out['rate_new_replies']:,.0f} replies/s")
    return out


def unseen() -> float:
    """`calmreply grade` on one process over text it has never read: every gold reply
    that has an email (each reply once, each reply and each email made distinct by a
    reference line, so no cache keyed by the text holds it), with the sentence-embedding
    cache emptied first. Only an email's own sentences repeat (a gold email has about two
    replies). Prints and returns replies per second."""
    from evals.grade import GradeRequest, grade_requests
    from evals.graders.semantic import EMBEDDER

    rubrics = load_rubrics()
    list(grade_requests(_distinct_requests(50, 4 * 10**7), rubrics))  # load the model
    gold = [g for g in load_gold(GOLD) if g.email is not None]
    requests = [GradeRequest(i, i, f"{g.reply}\n\nTicket T-{5 * 10**7 + i}",
                             f"{g.email}\n\nReference CR-{5 * 10**7 + i}")
                for i, g in enumerate(gold)]
    EMBEDDER.clear()
    start = time.perf_counter()
    for _ in grade_requests(requests, rubrics, workers=1):
        pass
    rate = len(requests) / (time.perf_counter() - start)
    print(f"calmreply grade, 1 process, {len(requests)} replies never seen before (cold "
          f"embedding cache): {rate:,.0f} replies/s")
    return rate


def parallel(replies: int = 6000) -> tuple[float, float, int]:
    """`calmreply grade`'s path (distinct emails) on one process and on every core;
    prints and returns (serial/s, parallel/s, workers)."""
    from evals.grade import grade_requests

    rubrics = load_rubrics()
    requests = _distinct_requests(replies, 3 * 10**7)
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
    distinct()
    unseen()
    parallel()
    cached_rerun()
