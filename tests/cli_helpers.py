"""Run the real `calmreply` console script, as a user would, in a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CALMREPLY = str(Path(sys.executable).parent / "calmreply")


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(*args: str, cwd: Path, stdin: bytes | None = None,
            env: dict[str, str] | None = None, timeout: float = 120) -> Run:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("OPENAI_", "CALMREPLY_"))}
    clean.update({"XDG_CONFIG_HOME": str(cwd / ".config"), "XDG_DATA_HOME": str(cwd / ".data"),
                  "XDG_CACHE_HOME": str(cwd / ".cache"),
                  "COLUMNS": "120"})
    clean.update(env or {})
    done = subprocess.run([CALMREPLY, *args], cwd=cwd, input=stdin or b"", capture_output=True,
                          env=clean, timeout=timeout, check=False)
    return Run(done.returncode, done.stdout.decode("utf-8", "replace"),
               done.stderr.decode("utf-8", "replace"))
