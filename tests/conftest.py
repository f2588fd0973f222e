"""Shared test set-up: no test reaches a real model, the internet, or the user's config."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


class NetworkEscape(RuntimeError):
    """A test tried to connect somewhere other than this machine."""


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str) or host == "localhost":
        return True  # unix sockets and 'localhost'
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every connection to a non-loopback address, so nothing escapes respx."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise NetworkEscape(f"test tried to reach {address!r}")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise NetworkEscape(f"test tried to reach {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No API key, base URL, user config, cache or data leaks in from (or out to) the
    machine running the tests."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CALMREPLY_MODEL", "OPENAI_ORG_ID",
                 "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(name, str(tmp_path_factory.mktemp(name.lower())))
    monkeypatch.delenv("CALMREPLY_CACHE_DIR", raising=False)
    monkeypatch.delenv("CALMREPLY_FEEDBACK_DB", raising=False)


def completion(content: str | None, *, finish_reason: str = "stop",
               prompt_tokens: int = 120, completion_tokens: int = 80,
               refusal: str | None = None) -> dict[str, Any]:
    """A /v1/chat/completions response body, as an OpenAI-compatible server sends it."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": refusal},
            "finish_reason": finish_reason,
        }],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def good_output(**draft_overrides: Any) -> dict[str, Any]:
    """A valid ModelOutput a decent model would give for the late-delivery fixture."""
    draft = {
        "subject": "Re: your order #48213",
        "body": (
            "Hi Dana,\n\nThank you for writing to us about order #48213. Waiting two weeks for "
            "the Aeropress Go travel kit, and missing the birthday it was meant for, is "
            "genuinely disappointing, and I am sorry we let you down. The tracking has not "
            "moved since the label was created, so I have opened a trace with the courier. "
            "I will write to you within 48 hours with what they find, and if the parcel "
            "cannot be found we will send a replacement or start a refund, whichever you "
            "prefer.\n\nThank you for your patience while we sort this out.\n\nSam\n"
            "Customer Care, Acme Home Goods"
        ),
        "internal_note": {
            "summary": "Order 48213 stuck at label created; trace opened; offered "
                       "replacement or refund if lost.",
            "follow_up": "2026-11-26",
            "escalation": None,
        },
    }
    draft.update(draft_overrides)
    return {
        "analysis": {
            "goal": "Find the parcel or get a refund.",
            "issues": ["order #48213 two weeks late", "tracking stuck"],
            "category": "delivery",
            "anger": "angry",
            "abusive": False,
            "threats": [],
            "fault": "ours",
            "language": "en",
            "customer_name": "Dana",
            "order_ids": ["48213"],
            "product": "Aeropress Go travel kit",
            "escalate": False,
            "escalation_reason": None,
        },
        "draft": draft,
    }
