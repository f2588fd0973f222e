"""Fakes for tests and benchmarks: an OpenAI-compatible server that injects faults, the
same server with the Files and Batches endpoints, a stand-in for vLLM's run_batch, and the
responders they answer with (a polite default and a gullible model for injection probes).
"""

from .batch_server import FakeBatchServer, run_requests
from .gullible import gullible_responder
from .model_server import FAULT_KINDS, FakeModelServer, Stats
from .responders import find_email, messages_text, polite_responder

__all__ = [
    "FAULT_KINDS",
    "FakeBatchServer",
    "FakeModelServer",
    "Stats",
    "find_email",
    "gullible_responder",
    "messages_text",
    "polite_responder",
    "run_requests",
]
