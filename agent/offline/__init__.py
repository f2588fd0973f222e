"""The offline path: a rule-based analyzer and a template composer, no model needed.

Used when no model is configured, as the fallback when the model fails, and as the
baseline every eval compares the model against. `analyze` and `compose` are imported on
first use, so the leaf modules (flags) load without the analyzer.
"""

from __future__ import annotations

from typing import Any

__all__ = ["analyze", "compose"]


def __getattr__(name: str) -> Any:
    if name == "analyze":
        from agent.offline.analyzer import analyze

        return analyze
    if name == "compose":
        from agent.offline.composer import compose

        return compose
    raise AttributeError(name)
