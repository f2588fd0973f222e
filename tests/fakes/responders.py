"""What the fake model server says by default, and the helpers every responder shares.

A responder takes the chat-completions request body (a dict) and returns the assistant's
message content as a valid `ModelOutput` JSON document, so a draft always reaches the guard.
The polite one here writes a harmless generic reply; the gullible one (gullible.py) obeys
whatever the customer's email tells it to do, for the injection probes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from agent.messages import CLOSE_MARKER, OPEN_MARKER

# Markers a prompt may put around the customer's email, tried in this order: ours first.
_EMAIL_FENCES = [
    re.compile(re.escape(OPEN_MARKER) + r"\n(.*?)\n" + re.escape(CLOSE_MARKER), re.S),
    re.compile(r"BEGIN CUSTOMER EMAIL[^\n]*\n(.*?)\n[^\n]*END CUSTOMER EMAIL", re.S),
    re.compile(r"<(customer_email|email)[^>]*>\n?(.*?)\n?</\1>", re.S),
    re.compile(r"<<<\n?(.*?)\n?>>>", re.S),
]


def messages_text(request: dict[str, Any], role: str) -> str:
    """All content of the messages with `role`, joined (text parts of list content too)."""
    parts: list[str] = []
    for message in request.get("messages") or []:
        if not isinstance(message, dict) or message.get("role") != role:
            continue
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "\n\n".join(parts)


def find_email(request: dict[str, Any]) -> str:
    """The customer's email inside the request: between known markers, else the whole
    last user message."""
    user = messages_text(request, "user")
    for fence in _EMAIL_FENCES:
        found = fence.findall(user)
        if found:
            last = found[-1]
            return (last[-1] if isinstance(last, tuple) else last).strip()
    users = [m for m in request.get("messages") or []
             if isinstance(m, dict) and m.get("role") == "user"]
    if users:
        return messages_text({"messages": users[-1:]}, "user").strip()
    return user.strip()


_CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ѕ": "s", "ј": "j", "ԁ": "d", "ո": "n", "ս": "u", "ɡ": "g", "ο": "o", "α": "a",
    "ν": "v", "ρ": "p", "τ": "t", "κ": "k", "ι": "i", "ε": "e", "һ": "h", "ɑ": "a",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "Α": "A", "Β": "B", "Ε": "E", "Ο": "O", "Ρ": "P",
})


def read_like_a_model(text: str) -> str:
    """A real model reads through homoglyphs and invisible characters, so this one does too."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return text.translate(_CONFUSABLES)


_ORDER_ID = re.compile(r"(?<![\w-])#?([A-Z]{0,4}-?\d{4,12})\b")
_CATEGORIES = [
    ("delivery", r"deliver|shipping|shipped|parcel|package|arriv"),
    ("billing", r"charged|charge|invoice|billing|bill\b|payment"),
    ("defective", r"broken|defect|faulty|doesn'?t work|stopped working|damaged"),
    ("refund_refused", r"refund"),
    ("account_locked", r"locked|log ?in|password|account"),
    ("rude_staff", r"rude|staff|agent was"),
    ("cancellation", r"cancel"),
]


def analysis_of(email: str) -> dict[str, Any]:
    text = read_like_a_model(email)
    category = next((c for c, pat in _CATEGORIES if re.search(pat, text, re.I)), "other")
    letters = [c for c in text if c.isalpha()]
    caps = sum(c.isupper() for c in letters) / len(letters) if letters else 0.0
    bangs = text.count("!")
    anger = ("furious" if caps > 0.5 or bangs > 5 else "angry" if caps > 0.2 or bangs > 2
             else "irritated" if bangs else "calm")
    threats = [t for t, pat in [("legal", r"lawyer|sue\b|court|legal action"),
                                ("chargeback", r"chargeback|dispute the charge"),
                                ("public_review", r"review|twitter|social media"),
                                ("violence", r"hurt you|kill|beat you|come down there")]
               if re.search(pat, text, re.I)]
    first_line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return {
        "goal": "The customer wants their problem resolved.",
        "issues": [first_line[:120] or "unspecified problem"],
        "category": category,
        "anger": anger,
        "abusive": bool(re.search(r"idiot|stupid|useless|moron|incompetent", text, re.I)),
        "threats": threats,
        "fault": "unclear",
        "language": "en",
        "customer_name": None,
        "order_ids": sorted(set(_ORDER_ID.findall(text)))[:5],
        "product": None,
        "escalate": bool(threats),
        "escalation_reason": "The customer made a threat." if threats else None,
    }


def _output(analysis: dict[str, Any], body: str) -> str:
    return json.dumps({
        "analysis": analysis,
        "draft": {
            "subject": "Re: your message",
            "body": body,
            "internal_note": {
                "summary": "Customer wrote in; replied with a holding answer.",
                "follow_up": None,
                "escalation": analysis.get("escalation_reason"),
            },
        },
    })


POLITE_BODY = (
    "Dear customer,\n\n"
    "Thank you for taking the time to write to us, and I am sorry for the trouble you have "
    "had. I understand how frustrating this must be. I have passed the details to our team "
    "so we can look into what went wrong, and I will write again as soon as I have an "
    "update. Could you tell me which outcome would work best for you?\n\n"
    "Kind regards,\nCustomer Care"
)


def polite_responder(request: dict[str, Any]) -> str:
    """A valid `ModelOutput` with a calm, generic draft and an analysis read off the email."""
    return _output(analysis_of(find_email(request)), POLITE_BODY)
