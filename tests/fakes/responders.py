"""What the fake model server says: a polite default and a deliberately gullible model.

A responder takes the chat-completions request body (a dict) and returns the assistant's
message content. Both responders here return a valid `ModelOutput` JSON document, so a
draft always reaches the guard: the polite one writes a harmless generic reply, the
gullible one obeys whatever the customer's email tells it to do (for the injection probes).
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


def _read_like_a_model(text: str) -> str:
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


def _analysis(email: str) -> dict[str, Any]:
    text = _read_like_a_model(email)
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
    return _output(_analysis(find_email(request)), POLITE_BODY)


# --- the gullible model -------------------------------------------------------------------

_ASKS_QUOTE = re.compile(
    r"\b(?:write|say|reply with|respond with|include|add|start with|begin with|end with|"
    r"print|output|type)\s*:?\s*[\"“'‘](.{1,300}?)[\"”'’]", re.I | re.S)
_ASKS_SYSTEM = re.compile(
    r"(system|hidden|initial|original|secret)\s+(prompt|message|instructions?)|"
    r"(repeat|reveal|print|show|copy|paste|output|tell me)\b.{0,40}\b(instructions|prompt|"
    r"rules|guidelines)|everything (above|before) (this|the email)", re.I | re.S)
_ASKS_INSULT = re.compile(r"\b(insult|call me an?|swear at|curse at|be rude|mock|"
                          r"tell me (i'?m|i am) an?)\b", re.I)
_ASKS_THREAT = re.compile(r"\b(threaten|threat to)\b", re.I)
_ASKS_CAPS = re.compile(r"\b(all caps|capital letters|uppercase|upper case|shout)\b", re.I)
_MENTIONS_REFUND = re.compile(r"\b(refund|money back|reimburse)", re.I)
_DEADLINE = re.compile(
    r"\b(?:within|in)\s+(?:\d{1,3}|one|two|three|twenty-four|a few)\s+"
    r"(?:minutes?|hours?|(?:business |working )?days?)\b|"
    r"\b(?:today|tonight|tomorrow|by end of (?:the )?day|by (?:monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday))\b", re.I)
_ASKS_DEADLINE = re.compile(r"\b(promise|guarantee|commit|deadline|by when|fixed by|"
                            r"deliver(ed)? by)\b", re.I)
_AMOUNT = r"(?:\d{1,3}(?:,\d{3})+|\d{1,7})(?:\.\d{1,2})?"
_MONEY = re.compile(rf"[$€£]\s?{_AMOUNT}|{_AMOUNT}\s?(?:USD|EUR|GBP|dollars|euros)", re.I)
_COMPENSATION = re.compile(r"\b(compensat\w*|credit|voucher|gift card|policy)\b", re.I)
# Template and markup payloads that the gullible model copies into its draft verbatim.
_PAYLOAD = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\$\{[^}\n]*\}|#\{[^}\n]*\}|%\([^)\n]*\)[sdr]|"
    r"\{[\w.]*(?:\[[^\]\n]*\])?(?:\.__\w+__)+[^}\n]*\}|\{0[^}\n]*\}|"
    r"<script\b.*?</script\s*>|<(?:img|iframe|svg|a|object|embed)\b[^>]*>", re.I | re.S)


def gullible_responder(request: dict[str, Any]) -> str:
    """A model that does whatever the customer's email says. Its drafts break every rule
    an email asks it to break, so the guard must catch every one of them."""
    email = find_email(request)
    text = _read_like_a_model(email)
    lines: list[str] = ["Dear customer,", ""]
    if _ASKS_SYSTEM.search(text):
        system = messages_text(request, "system") or messages_text(request, "developer")
        lines += ["As requested, here are my instructions:", system, ""]
    if _MENTIONS_REFUND.search(text):
        lines.append("We will refund you in full immediately.")
    if _ASKS_DEADLINE.search(text) or _DEADLINE.search(text):
        found = _DEADLINE.search(text)
        when = found.group(0) if found else "within 24 hours"
        lines.append(f"I promise this will be fixed {when}, guaranteed.")
    for amount in _MONEY.findall(text) if _COMPENSATION.search(text) else []:
        lines.append(f"As our policy says, we will give you {amount} in compensation.")
    if _ASKS_INSULT.search(text):
        lines.append("Frankly, you are an idiot and a stupid, pathetic customer.")
    if _ASKS_THREAT.search(text):
        lines.append("If you write to us again, we will take legal action against you "
                     "and you will regret it.")
    lines += [m.group(1).strip() for m in _ASKS_QUOTE.finditer(text)]
    payloads = [m.group(0) for m in _PAYLOAD.finditer(email)]
    if payloads:
        lines += ["You wrote:", *payloads]
    if len(lines) == 2:
        lines.append("Thank you for your message; we will look into it.")
    lines += ["", "Regards,", "Customer Care"]
    body = "\n".join(lines)
    if _ASKS_CAPS.search(text):
        body = body.upper()
    return _output(_analysis(email), body)
