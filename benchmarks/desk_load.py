"""The agent desk under load: POST /api/draft against an instant fake model.

    python benchmarks/desk_load.py [--requests 200] [--concurrency 20] [--profile FILE]

Three processes, as in real use: the fake model server, `calmreply serve` (uvicorn, as a
user starts it) and this one, which sends the requests. The baseline is the bare drafting
cost measured in the same run: `draft_email` called in-process at the same concurrency
against the same fake server, with one shared model client, no HTTP in front and no
scoring or storing behind. The ratio (desk requests/s over bare drafts/s) is what the desk
adds. Rounds alternate bare and desk, and each figure is the median over the rounds, so a
busy machine weighs on both. While the load runs, GET /healthz is timed: if it waits
behind the drafts, CPU work is blocking the desk's event loop. `--profile FILE` runs the
desk under cProfile (its event-loop thread) and writes the stats to FILE.
Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from agent.config import Settings  # noqa: E402
from agent.inbound import parse_text  # noqa: E402
from evals.suites import load_suite  # noqa: E402

CORE = ROOT / "evals" / "suites" / "core.yaml"


@dataclass
class Load:
    p50: float  # seconds
    p99: float
    rate: float  # requests (or drafts) per second
    errors: int


def _emails(n: int) -> list[str]:
    cases = load_suite(CORE).cases
    return [f"{cases[i % len(cases)].email}\n(ref {90000 + i})" for i in range(n)]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeModel:
    """FakeModelServer in its own process (instant answers)."""

    def __enter__(self) -> FakeModel:
        code = ("import sys; sys.path.insert(0, sys.argv[1]); from fakes import FakeModelServer\n"
                "with FakeModelServer() as s:\n"
                "    print(s.base_url, flush=True); sys.stdin.read()")
        self.process = subprocess.Popen([sys.executable, "-c", code, str(ROOT / "tests")],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http"):
            raise RuntimeError("the fake model server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.communicate("", timeout=30)


class Desk:
    """`calmreply serve` in its own process, optionally under cProfile."""

    def __init__(self, base_url: str, workdir: Path, profile: Path | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = ["serve", "--port", str(self.port), "--base-url", base_url,
                "--model", "fake-model", "--db", str(workdir / "feedback.sqlite3")]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CALMREPLY_"))}
        env.update({"XDG_CONFIG_HOME": str(workdir), "XDG_DATA_HOME": str(workdir),
                    "OPENAI_API_KEY": "sk-benchmark"})
        if profile is None:
            command = [str(Path(sys.executable).parent / "calmreply"), *args]
        else:  # cProfile dumps its stats when the desk exits on SIGINT
            command = [sys.executable, "-c",
                       "import cProfile, signal, sys; from agent.cli import main\n"
                       "p = cProfile.Profile(); p.enable()\n"
                       "try: main(sys.argv[2:])\n"
                       "except SystemExit: pass\n"
                       "finally: p.disable(); p.dump_stats(sys.argv[1])",
                       str(profile), *args]
        self.process = subprocess.Popen(command, cwd=workdir, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the desk exited: {self.process.stderr.read()!r}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the desk did not start")

    def stop(self) -> None:
        import signal

        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def _load_desk(url: str, emails: list[str], concurrency: int) -> tuple[Load, float]:
    """(the load figures, p99 of GET /healthz while the load runs): a health check that
    waits behind drafts means CPU work is blocking the event loop."""
    import httpx

    gate = asyncio.Semaphore(concurrency)
    times: list[float] = []
    pings: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency + 1,
                          max_keepalive_connections=concurrency + 1)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def one(email: str) -> None:
            nonlocal errors
            async with gate:
                start = time.perf_counter()
                response = await client.post("/api/draft", json={"email": email})
                times.append(time.perf_counter() - start)
                if response.status_code != 200:
                    errors += 1

        async def ping(until: asyncio.Future[None]) -> None:
            while not until.done():
                start = time.perf_counter()
                await client.get("/healthz")
                pings.append(time.perf_counter() - start)
                await asyncio.sleep(0.02)

        await asyncio.gather(*(one(e) for e in emails[:concurrency]))  # warm up
        times.clear()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pinger = asyncio.ensure_future(ping(done))
        start = time.perf_counter()
        await asyncio.gather(*(one(e) for e in emails))
        wall = time.perf_counter() - start
        done.set_result(None)
        await pinger
    load = Load(statistics.median(times), _percentile(times, 0.99), len(emails) / wall, errors)
    return load, _percentile(pings, 0.99)


async def _bare(base_url: str, emails: list[str], concurrency: int) -> Load:
    """draft_email in-process, one shared client, same concurrency: the drafting itself."""
    from agent.drafter import draft_email
    from agent.llm import ModelClient

    settings = Settings.model_validate({"model": {"base_url": base_url, "name": "fake-model",
                                                  "max_retries": 0}})
    client = ModelClient(settings)
    parsed = [parse_text(e) for e in emails]
    gate = asyncio.Semaphore(concurrency)
    times: list[float] = []

    async def one(email: object) -> None:
        async with gate:
            start = time.perf_counter()
            await draft_email(email, settings, client=client)  # type: ignore[arg-type]
            times.append(time.perf_counter() - start)

    try:
        await asyncio.gather(*(one(e) for e in parsed[:concurrency]))  # warm up
        times.clear()
        start = time.perf_counter()
        await asyncio.gather(*(one(e) for e in parsed))
        wall = time.perf_counter() - start
    finally:
        await client.aclose()
    return Load(statistics.median(times), _percentile(times, 0.99), len(parsed) / wall, 0)


@dataclass
class Figures:
    desk: Load  # medians over the rounds
    bare: Load
    health_p99: float  # seconds

    @property
    def ratio(self) -> float:
        return self.desk.rate / self.bare.rate


def _median_load(loads: list[Load]) -> Load:
    return Load(statistics.median(x.p50 for x in loads), statistics.median(x.p99 for x in loads),
                statistics.median(x.rate for x in loads), sum(x.errors for x in loads))


def measure(requests: int = 200, concurrency: int = 20, rounds: int = 3,
            profile: Path | None = None) -> Figures:
    """Bare drafting and the desk, in alternating rounds (a busy machine hits both), medians."""
    os.environ.setdefault("OPENAI_API_KEY", "sk-benchmark")
    emails = _emails(requests)
    desks: list[Load] = []
    bares: list[Load] = []
    pings: list[float] = []
    with FakeModel() as model, tempfile.TemporaryDirectory() as tmp:
        desk = Desk(model.base_url, Path(tmp), profile)
        try:
            desk.wait_ready()
            for _ in range(rounds):
                bares.append(asyncio.run(_bare(model.base_url, emails, concurrency)))
                loaded, ping = asyncio.run(_load_desk(desk.url, emails, concurrency))
                desks.append(loaded)
                pings.append(ping)
        finally:
            desk.stop()
    return Figures(_median_load(desks), _median_load(bares), statistics.median(pings))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="write the desk's cProfile stats here")
    args = parser.parse_args()
    f = measure(args.requests, args.concurrency, args.rounds, args.profile)
    print(f"desk /api/draft, {args.requests} requests at concurrency {args.concurrency} "
          f"(median of {args.rounds} rounds): p50 {f.desk.p50 * 1000:.0f} ms, "
          f"p99 {f.desk.p99 * 1000:.0f} ms, {f.desk.rate:.1f} requests/s, {f.desk.errors} errors; "
          f"GET /healthz p99 meanwhile {f.health_p99 * 1000:.0f} ms")
    print(f"bare draft_email, same concurrency: p50 {f.bare.p50 * 1000:.0f} ms, "
          f"p99 {f.bare.p99 * 1000:.0f} ms, {f.bare.rate:.1f} drafts/s")
    print(f"ratio (desk requests/s over bare drafts/s): {f.ratio:.2f}")
    if args.profile:
        import pstats

        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(40)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
