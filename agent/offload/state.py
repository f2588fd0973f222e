"""The state of a `--via batch-api` run, kept beside the output so a killed run re-attaches.

`drafts.jsonl.batch.json` holds, per part (one provider batch): the emails in it, its
request file, then the uploaded file id, the batch id, the batch's last status, and
whether its results were downloaded and imported. Every step is saved (written to a
temporary file, synced, renamed) the moment it is done, so a restart carries on from the
last step that finished. The two calls whose answer could be lost to a kill (the upload,
the batch creation) are marked as started before they are made; a restart that finds the
mark looks the file or the batch up at the provider instead of sending it again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from agent.errors import InputError

TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})


class _State(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Part(_State):
    number: int
    ids: list[str]
    requests: str  # file name in the work folder
    bytes: int
    sha256: str
    upload_started: float | None = None  # time.time() when the upload was sent
    file_id: str | None = None
    create_started: bool = False
    batch_id: str | None = None
    status: str | None = None
    completed: int = 0
    failed: int = 0
    total: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    failure: str | None = None  # the provider's reason when the whole batch failed
    results: list[str] = []  # downloaded file names in the work folder
    downloaded: bool = False
    imported: bool = False


class RunState(_State):
    version: int = 1
    run: str  # a token naming this run at the provider (file names, batch metadata)
    model: str
    server: str
    url: str
    parts: list[Part] = []


def state_path(out: Path) -> Path:
    return out.with_name(out.name + ".batch.json")


def work_dir(out: Path) -> Path:
    """Request files and downloaded results live here until they are imported."""
    return out.with_name(out.name + ".batch")


def load_state(out: Path) -> RunState | None:
    path = state_path(out)
    if not path.exists():
        return None
    try:
        return RunState.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError) as exc:
        raise InputError(f"{path} cannot be read ({type(exc).__name__}); it records the "
                         "batches of an earlier run: check them with `calmreply batches`, "
                         "then move the file away to start afresh") from None


def save_state(state: RunState, out: Path) -> None:
    path = state_path(out)
    tmp = path.with_name(path.name + ".tmp")
    data = json.dumps(state.model_dump(mode="json"), indent=1).encode("utf-8")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
