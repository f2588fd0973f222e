"""Fakes for tests and benchmarks: an OpenAI-compatible server that injects faults, and
the responders it answers with (a polite default and a gullible model for injection probes).
"""

from .gullible import gullible_responder
from .model_server import FAULT_KINDS, FakeModelServer, Stats
from .responders import find_email, messages_text, polite_responder

__all__ = [
    "FAULT_KINDS",
    "FakeModelServer",
    "Stats",
    "find_email",
    "gullible_responder",
    "messages_text",
    "polite_responder",
]
