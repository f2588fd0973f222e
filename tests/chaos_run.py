"""The chaos run: one batch of 1,000 emails through everything that can go wrong at once.

    python -m tests.chaos_run [--emails 1000] [--json FILE]

The real `calmreply draft --batch` (separate processes, as a user runs it) against the
fault-injecting fake model server at 20% faults, while this script:
1. starts a second run on the same output mid-run: it must be refused (exit 8) naming
   the first;
2. kills the first run with SIGKILL; the next run must take its lock over and resume;
3. stops that run with SIGTERM: exit 143, one line, the lock released;
4. fills the disk under the next run: the output is moved onto a small loop-mounted ext4
   file system (else a size-limited tmpfs, else a simulated ENOSPC through a patched
   writer, when this machine may not mount) with a filler leaving little room: exit 3,
   one line, no torn line;
5. resumes on a disk with room until the queue is done.
Then the output must hold every id exactly once. Prints what happened at each step and a
summary (also as JSON with --json); exits 1 if any check failed. Run by .ci/run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CALMREPLY = str(Path(sys.executable).parent / "calmreply")
FAULTS = {"429": 0.04, "500": 0.03, "503": 0.03, "reset": 0.02, "drop": 0.02,
          "malformed": 0.02, "truncated": 0.01, "schema_violation": 0.02, "slow": 0.01}
EMAILS = [
    "My order #{n} is two weeks late and nobody answers. Where is it?",
    "You charged me twice for order {n}. Fix it now.",
    "The kettle from order #{n} arrived with a cracked lid. I want a replacement.",
    "I have been locked out of my account for 3 days, ticket {n}. This is ridiculous.",
]


class Chaos:
    def __init__(self, work: Path, base_url: str, emails: int) -> None:
        self.work, self.base_url, self.emails = work, base_url, emails
        self.queue = work / "q.jsonl"
        self.out = work / "out.jsonl"
        self.failures: list[str] = []
        self.steps: list[dict[str, Any]] = []
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("OPENAI_", "CALMREPLY_"))}
        self.env.update({"XDG_CONFIG_HOME": str(work / ".config"),
                         "XDG_DATA_HOME": str(work / ".data"), "PYTHONPATH": str(ROOT)})
        self.queue.write_text("".join(
            json.dumps({"id": f"e{i:05d}", "email": EMAILS[i % 4].format(n=40000 + i)}) + "\n"
            for i in range(emails)))
        # Short timeouts so the 'slow' fault costs little; retries as shipped.
        (work / "calmreply.toml").write_text("[model]\ntimeout = 0.5\nmax_retries = 4\n")

    # --- helpers -------------------------------------------------------------------------

    def args(self, out: Path | None = None) -> list[str]:
        return ["draft", "--batch", str(self.queue), "--out", str(out or self.out),
                "--base-url", self.base_url, "--concurrency", "20"]

    def start(self, out: Path | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen([CALMREPLY, *self.args(out)], cwd=self.work, env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def run(self, *command: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(command), cwd=self.work, env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=False)

    def lines(self, out: Path | None = None) -> int:
        path = out or self.out
        return path.read_bytes().count(b"\n") if path.exists() else 0

    def wait_for(self, count: int, proc: subprocess.Popen[str], out: Path | None = None) -> int:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if (n := self.lines(out)) >= count:
                return n
            if proc.poll() is not None:
                self.check(False, f"the run ended before {count} lines "
                                  f"(exit {proc.returncode}): {proc.stderr.read()!r}")  # type: ignore[union-attr]
                return self.lines(out)
            time.sleep(0.02)
        self.check(False, f"no {count} lines within 300 s")
        return self.lines(out)

    def check(self, ok: bool, what: str) -> bool:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}", flush=True)
        if not ok:
            self.failures.append(what)
        return ok

    def one_line(self, err: str) -> str:
        lines = [line for line in err.splitlines() if line.strip()
                 and not line.startswith("note: ")]
        self.check("Traceback" not in err and len(lines) == 1,
                   f"one line, no traceback: {err.strip()[:300]!r}")
        return lines[-1] if lines else ""

    def step(self, name: str, **facts: Any) -> None:
        facts = {"step": name, **facts, "lines": self.lines()}
        self.steps.append(facts)
        print(f"- {name}: " + ", ".join(f"{k} {v}" for k, v in facts.items() if k != "step"),
              flush=True)

    # --- the run ----------------------------------------------------------------------------

    def concurrent_then_kill(self) -> None:
        first = self.start()
        self.wait_for(self.emails // 10, first)
        second = self.run(CALMREPLY, *self.args(), timeout=60)
        line = self.one_line(second.stderr)
        self.check(second.returncode == 8, f"a second run is refused with exit 8 "
                                           f"(got {second.returncode})")
        self.check(f"in use by another calmreply run (pid {first.pid} on " in line,
                   "the refusal names the first run by pid and host")
        self.step("second run on the same output", exit=second.returncode, message=line)
        self.wait_for(self.emails // 5, first)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        self.check(first.returncode == -signal.SIGKILL, "the first run was killed with -9")
        self.step("kill -9 mid-run", pid=first.pid)

    def sigterm(self) -> None:
        proc = self.start()
        self.wait_for(self.emails * 9 // 20, proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
        line = self.one_line(err)
        self.check("taking over" in err, "the run after kill -9 took its lock over")
        self.check(proc.returncode == 143, f"SIGTERM: exit 143 (got {proc.returncode})")
        self.check(line.startswith("error: stopped by SIGTERM: the "), "SIGTERM: one line")
        self.check(not self.out.with_name("out.jsonl.lock").exists(), "SIGTERM: lock released")
        self.step("SIGTERM mid-run", exit=proc.returncode, message=line)

    def full_disk(self) -> None:
        before = self.lines()
        # Room for about half of what is left, at the size the lines have so far.
        room = self.out.stat().st_size // max(1, before) * ((self.emails - before) // 2)
        with small_disk(self.work / "small") as (mount, how):
            if mount is None:  # simulated: the batch writer's os.write fails after the room
                done = self.run(sys.executable, "-m", "tests.fakes.broken_fs", "full-disk",
                                str(self.out), str(room), "--", *self.args())
                out = self.out
            else:
                out = mount / "out.jsonl"
                shutil.copyfile(self.out, out)
                fill(mount, room=room)
                done = self.run(CALMREPLY, *self.args(out))
            line = self.one_line(done.stderr)
            self.check(done.returncode == 3, f"full disk: exit 3 (got {done.returncode})")
            self.check("No space left on device" in line, "full disk: says so in one line")
            self.check(out.read_bytes().endswith(b"\n"), "full disk: no torn last line")
            self.check(not out.with_name("out.jsonl.lock").exists(), "full disk: lock released")
            written = self.lines(out) - before
            self.check(written > 0, f"full disk: {written} lines written before it filled")
            if mount is not None:
                shutil.copyfile(out, self.out)  # room again: carry on on the big disk
            self.step(f"disk full ({how})", exit=done.returncode, written=written,
                      message=line)

    def finish(self) -> dict[str, Any]:
        done = self.run(CALMREPLY, *self.args())
        self.check(done.returncode in (0, 5), f"the last run finishes (exit {done.returncode}): "
                                              f"{done.stderr.strip()[-200:]!r}")
        self.step("resume to the end", exit=done.returncode, summary=done.stderr.strip())
        records = [json.loads(line) for line in self.out.read_text().splitlines()]
        ids = Counter(r["id"] for r in records)
        expected = {f"e{i:05d}" for i in range(self.emails)}
        missing, extra = expected - set(ids), set(ids) - expected
        doubled = sorted(i for i, n in ids.items() if n > 1)
        self.check(not missing and not extra and not doubled,
                   f"every id exactly once: {len(missing)} missing, {len(doubled)} doubled")
        self.check(all(r["status"] == "drafted" or r.get("error") for r in records),
                   "every failed line carries its reason")
        return {"lines": len(records), "ids": len(ids), "missing": len(missing),
                "doubled": len(doubled),
                "drafted": sum(r["status"] == "drafted" for r in records),
                "failed": sum(r["status"] == "failed" for r in records)}


def fill(mount: Path, room: int) -> None:
    """Leave about `room` bytes free on the file system at `mount`."""
    stat = os.statvfs(mount)
    spare = stat.f_bavail * stat.f_frsize - room
    if spare > 0:
        with open(mount / "filler", "wb") as filler:
            chunk = b"\0" * (1 << 20)
            while spare > 0:
                spare -= filler.write(chunk[:spare])


@contextlib.contextmanager
def small_disk(mount: Path) -> Iterator[tuple[Path | None, str]]:
    """A small real file system if this machine lets us mount one, else None."""
    mount.mkdir()
    image = mount.with_suffix(".img")
    attempts = [
        ("a loop-mounted 16 MB ext4", [
            ["truncate", "-s", "16M", str(image)],
            ["mkfs.ext4", "-q", "-F", "-O", "^has_journal", "-m", "0", str(image)],
            ["mount", "-o", "loop", str(image), str(mount)]]),
        ("a 16 MB tmpfs", [["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)]]),
    ]
    for how, commands in attempts:
        if all(shutil.which(c[0]) for c in commands) and all(
                subprocess.run(c, capture_output=True, check=False).returncode == 0
                for c in commands):
            try:
                yield mount, how
            finally:
                subprocess.run(["umount", str(mount)], capture_output=True, check=False)
                image.unlink(missing_ok=True)
            return
    image.unlink(missing_ok=True)
    yield None, "simulated ENOSPC through a patched writer: this machine cannot mount"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="write the summary here")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.fakes.model_server import FakeModelServer

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="calmreply-chaos-") as tmp, \
            FakeModelServer(faults=FAULTS, seed=11, slow_seconds=2.0) as server:
        chaos = Chaos(Path(tmp), server.base_url, args.emails)
        print(f"chaos run: {args.emails} emails, {sum(FAULTS.values()):.0%} faults, "
              f"concurrency 20", flush=True)
        chaos.concurrent_then_kill()
        chaos.sigterm()
        chaos.full_disk()
        final = chaos.finish()
        stats = server.stats
        summary = {"emails": args.emails, "requests": stats.chat, "faults": stats.faults,
                   "faults_by_kind": dict(stats.by_kind), **final, "steps": chaos.steps,
                   "failures": chaos.failures,
                   "seconds": round(time.monotonic() - started)}
    print(f"\n{args.emails} emails, {summary['requests']} requests, {summary['faults']} faults "
          f"served; one second run refused, one kill -9, one SIGTERM, one full disk; final file "
          f"{final['lines']} lines: {final['drafted']} drafted, {final['failed']} failed with "
          f"their reason, {final['missing']} lost, {final['doubled']} doubled "
          f"({summary['seconds']} s)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    if chaos.failures:
        print(f"\n{len(chaos.failures)} checks FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
