"""Turn what a support agent pastes (plain text, a `.eml` file, HTML) into an `InboundEmail`.

The new message is separated from the quoted reply chain and the signature, because only
the new message is what the customer is saying now. Everything here treats the text as
data: nothing is rendered, evaluated or obeyed.

Size: input over `max_input_bytes` is refused. A new message longer than `max_chars` is
cut at a paragraph or sentence boundary near the limit and `truncated` is set, so the
draft can say so; the quoted history is dropped before the new message is cut.
"""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from agent.errors import InputError

DEFAULT_MAX_BYTES = 2_000_000
DEFAULT_MAX_CHARS = 20_000


class InboundEmail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str
    subject: str | None = None
    sender: str | None = None
    sender_name: str | None = None
    quoted: str = ""
    signature: str | None = None
    truncated: bool = False
    source_format: str = "text"


# Lines that start a quoted reply chain in common mail clients.
_QUOTE_HEADERS = [
    re.compile(r"^\s*On .{0,200}(wrote|schrieb|écrit|escribió|scrisse|escreveu)\s*:\s*$", re.I),
    re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message|Mensaje original)\s*-{2,}",
               re.I),
    re.compile(r"^\s*From:\s.+", re.I),
    re.compile(r"^\s*_{10,}\s*$"),
]
_SIGNATURE_DELIM = re.compile(r"^(-- ?|—|Sent from my \w+.*)$", re.I)
_HEADER_LINE = re.compile(r"^(Subject|From|To|Date|Cc)\s*:\s*(.*)$", re.I)
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


def decode_bytes(raw: bytes) -> str:
    """UTF-8 (with or without BOM) first, then UTF-16 by BOM, then cp1252 / latin-1."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _looks_binary(raw: bytes) -> bool:
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = raw[:8192].decode("latin-1")
    controls = len(_BINARY_CONTROL.findall(sample))
    return controls > max(8, len(sample) // 50)


def html_to_text(html: str) -> str:
    import html2text

    converter = html2text.HTML2Text()
    converter.ignore_images = True
    converter.ignore_links = False
    converter.body_width = 0
    converter.ignore_emphasis = True
    text = converter.handle(html)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _looks_like_eml(text: str) -> bool:
    head = text[:4000]
    has_mime = re.search(r"^(MIME-Version|Content-Type|Received|Message-ID)\s*:", head,
                         re.I | re.M)
    has_from = re.search(r"^From\s*:", head, re.I | re.M)
    return bool(has_mime and has_from)


def _looks_like_html(text: str) -> bool:
    return bool(re.match(r"\s*(<!doctype html|<html|<body|<div|<p[\s>])", text, re.I))


def _eml_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        raise InputError("the .eml file has no text/plain or text/html part to read")
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True)
        content = decode_bytes(payload if isinstance(payload, bytes) else b"")
    if not isinstance(content, str):
        content = decode_bytes(content)
    if part.get_content_type() == "text/html":
        content = html_to_text(content)
    return str(content)


def _split_headers(text: str) -> tuple[dict[str, str], str]:
    """Optional `Subject:` / `From:` lines at the very top of pasted text."""
    headers: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines) and i < 6:
        match = _HEADER_LINE.match(lines[i])
        if not match:
            break
        headers[match.group(1).lower()] = match.group(2).strip()
        i += 1
    if headers and i < len(lines) and lines[i].strip() == "":
        i += 1
    return (headers, "\n".join(lines[i:])) if headers else ({}, text)


def split_quoted(body: str) -> tuple[str, str]:
    """Split the new message from the quoted history (`>` lines and 'On ... wrote:')."""
    lines = body.splitlines()
    for i, line in enumerate(lines):
        if i == 0:
            continue
        if any(p.match(line) for p in _QUOTE_HEADERS):
            return "\n".join(lines[:i]).rstrip(), "\n".join(lines[i:]).strip()
        if line.startswith(">"):
            rest = lines[i:]
            quoted_share = sum(1 for r in rest if r.startswith(">") or not r.strip())
            if quoted_share >= len(rest) * 0.8:
                return "\n".join(lines[:i]).rstrip(), "\n".join(rest).strip()
    return body.strip(), ""


def split_signature(body: str) -> tuple[str, str | None]:
    lines = body.splitlines()
    for i in range(len(lines) - 1, max(-1, len(lines) - 12), -1):
        if _SIGNATURE_DELIM.match(lines[i].rstrip()):
            main = "\n".join(lines[:i]).rstrip()
            if main:
                return main, "\n".join(lines[i:]).strip()
    return body, None


def truncate(text: str, max_chars: int) -> tuple[str, bool]:
    if len(text) <= max_chars:
        return text, False
    cut = text[:max_chars]
    for sep in ("\n\n", ". ", "\n"):
        at = cut.rfind(sep)
        if at > max_chars * 0.7:
            return cut[: at + len(sep)].rstrip(), True
    return cut.rstrip(), True


def parse_text(text: str, *, max_chars: int = DEFAULT_MAX_CHARS) -> InboundEmail:
    """Parse a pasted email (or the text of a .eml / HTML file)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError("the email is empty; paste the customer's message or give a file")
    if _looks_like_eml(text):
        return parse_bytes(text.encode("utf-8"), max_chars=max_chars)
    fmt = "text"
    if _looks_like_html(text):
        text, fmt = html_to_text(text), "html"
    headers, body = _split_headers(text)
    return _build(body, headers.get("subject"), headers.get("from"), fmt, max_chars)


def parse_bytes(raw: bytes, *, max_chars: int = DEFAULT_MAX_CHARS,
                max_bytes: int = DEFAULT_MAX_BYTES) -> InboundEmail:
    """Parse raw bytes: a .eml file, or text in any common encoding."""
    if len(raw) > max_bytes:
        raise InputError(f"the input is {len(raw):,} bytes, over the {max_bytes:,}-byte "
                         "limit; paste only the customer's message")
    if not raw.strip():
        raise InputError("the email is empty; paste the customer's message or give a file")
    if _looks_binary(raw):
        raise InputError("the input looks binary, not an email; give a .txt, .eml or .html file")
    head = raw[:4000].decode("latin-1")
    if not _looks_like_eml(head.replace("\r\n", "\n")):
        return parse_text(decode_bytes(raw), max_chars=max_chars)
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    body = _eml_body(message).replace("\r\n", "\n")
    sender = str(message.get("From", "")) or None
    subject = str(message.get("Subject", "")) or None
    return _build(body, subject, sender, "eml", max_chars)


def read_path(path: Path, *, max_chars: int = DEFAULT_MAX_CHARS,
              max_bytes: int = DEFAULT_MAX_BYTES) -> InboundEmail:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{path} is {size:,} bytes, over the {max_bytes:,}-byte limit")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory; give an email file") from None
    except PermissionError:
        raise InputError(f"cannot read {path}: permission denied") from None
    return parse_bytes(raw, max_chars=max_chars, max_bytes=max_bytes)


def _build(body: str, subject: str | None, sender: str | None, fmt: str,
           max_chars: int) -> InboundEmail:
    new, quoted = split_quoted(body)
    new, signature = split_signature(new)
    if not new.strip():
        if quoted:
            new, quoted = quoted, ""
        else:
            raise InputError("the email has no message text; paste the customer's message")
    new, cut = truncate(new.strip(), max_chars)
    name, address = parseaddr(sender or "")
    return InboundEmail(
        body=new,
        subject=(subject or "").strip() or None,
        sender=address or (sender or None),
        sender_name=name or None,
        quoted=quoted if not cut else "",
        signature=signature,
        truncated=cut,
        source_format=fmt,
    )
