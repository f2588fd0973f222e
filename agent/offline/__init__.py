"""The offline path: a rule-based analyzer and a template composer, no model needed.

Used when no model is configured, as the fallback when the model fails, and as the
baseline every eval compares the model against.
"""

from agent.offline.analyzer import analyze
from agent.offline.composer import compose

__all__ = ["analyze", "compose"]
