"""On-disk cache of judge verdicts, keyed by everything that could change the answer.

The key is sha256 over the model name, the exact messages, the request parameters and the
rubric's content hash. Only successful verdicts are stored; errors are never cached, so a
flaky judge is asked again next time. Writes are atomic (temp file, then rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def default_cache_dir() -> Path:
    env = os.environ.get("CALMREPLY_CACHE_DIR")
    if env:
        return Path(env) / "judge"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("calmreply")) / "judge"


def cache_key(model: str, messages: list[dict[str, str]], params: dict[str, Any],
              rubric_hash: str) -> str:
    payload = {"model": model, "messages": messages, "params": params, "rubric": rubric_hash}
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class JudgeCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.misses += 1
            return None
        if not isinstance(data, dict):
            self.misses += 1
            return None
        self.hits += 1
        return data

    def put(self, key: str, value: dict[str, Any]) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh, ensure_ascii=False)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs a repeat call
