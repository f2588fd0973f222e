"""Handing a queue to a batch engine: export and import of N emails, against the CPU a live
batch spends per email.

    python benchmarks/offload.py [--emails 10000]

Each phase runs in its own process, so its peak memory (VmHWM) is its own:
- export: N Batch-API request lines (`agent.offload.export.write_requests`);
- import: the N results (answered by the fake's responder, as run_batch would, untimed)
  read, validated, guarded and written as output lines, no model configured;
- live: 500 emails through `run_batch` against an instant fake server in another process;
  the figure is this process's CPU time (`time.process_time`) per email, what a live
  batch costs on the machine that drives it, whatever the model's latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from agent.batch import BatchItem  # noqa: E402
from agent.config import Settings  # noqa: E402
from agent.session import Session  # noqa: E402
from evals.suites import load_suite  # noqa: E402

CORE = ROOT / "evals" / "suites" / "core.yaml"
LIVE_EMAILS = 500


def items(n: int) -> list[BatchItem]:
    """n distinct emails from the core suite (a different reference each)."""
    cases = load_suite(CORE).cases
    return [BatchItem(id=f"e{i:06d}", email=f"{cases[i % len(cases)].email}\n(ref {90000 + i})")
            for i in range(n)]


def _peak_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries the
    parent's resident size at fork into a child's ru_maxrss, even across exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _export(n: int, folder: Path) -> dict[str, Any]:
    from agent.offload.export import write_requests

    queue = items(n)
    settings = Settings.model_validate({"model": {"name": "fake-model"}})
    before, cpu, wall = _peak_mb(), time.process_time(), time.perf_counter()
    result = asyncio.run(write_requests(queue, folder / "requests.jsonl", settings, None))
    return {"seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
            "written": result.written, "mb_before": before, "mb_peak": _peak_mb(),
            "bytes": (folder / "requests.jsonl").stat().st_size}


def _import(n: int, folder: Path) -> dict[str, Any]:
    from agent.offload.importer import ImportTotals, import_results, no_result
    from agent.offload.results import read_results

    queue = items(n)
    settings = Settings.model_validate({"model": {"name": "fake-model"}})
    paths = [folder / "results.jsonl"]
    before, cpu, wall = _peak_mb(), time.process_time(), time.perf_counter()
    answers = read_results(paths)
    summary = asyncio.run(import_results(
        queue, folder / "drafts.jsonl", settings, answers, tone=None, concurrency=8,
        retry_failed=False, missing=no_result(paths), totals=ImportTotals(), live=None))
    return {"seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
            "drafted": summary.drafted, "failed": summary.failed, "mb_before": before,
            "mb_peak": _peak_mb()}


def _live(base_url: str) -> dict[str, Any]:
    from agent.batch import make_drafter, run_batch

    queue = items(LIVE_EMAILS)
    settings = Settings.model_validate({"model": {"base_url": base_url, "name": "fake-model",
                                                  "max_retries": 0}})
    session = Session(settings)
    draft = make_drafter(session)

    async def go(out: Path) -> Any:
        try:
            return await run_batch(queue, out, draft, concurrency=16)
        finally:
            await session.aclose()

    with tempfile.TemporaryDirectory() as tmp:
        cpu, wall = time.process_time(), time.perf_counter()
        summary = asyncio.run(go(Path(tmp) / "out.jsonl"))
        seconds, used = time.perf_counter() - wall, time.process_time() - cpu
    return {"seconds": seconds, "cpu": used, "drafted": summary.drafted}


def _in_process(phase: str, *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--phase", phase, *args],
                          capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(n: int) -> dict[str, dict[str, Any]]:
    """{'export': ..., 'import': ..., 'live': ...}, each phase in a fresh process."""
    from fakes import FakeModelServer, run_requests

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        exported = _in_process("export", str(n), tmp)
        run_requests(folder / "requests.jsonl", folder / "results.jsonl")
        imported = _in_process("import", str(n), tmp)
    # The server runs here, the drafting in the child: the child's CPU is its own.
    with FakeModelServer() as server:
        live = _in_process("live", server.base_url)
    return {"export": exported, "import": imported, "live": live}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--phase", choices=["export", "import", "live"])
    parser.add_argument("args", nargs="*")
    args = parser.parse_args()
    if args.phase == "export":
        print(json.dumps(_export(int(args.args[0]), Path(args.args[1]))))
    elif args.phase == "import":
        print(json.dumps(_import(int(args.args[0]), Path(args.args[1]))))
    elif args.phase == "live":
        print(json.dumps(_live(args.args[0])))
    else:
        print(json.dumps(measure(args.emails), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
