"""Turn what a support agent pastes (plain text, a `.eml` file, HTML) into an `InboundEmail`.

The new message is separated from the quoted reply chain and the signature, because only
the new message is what the customer is saying now. Everything here treats the text as
data: nothing is rendered, evaluated or obeyed.

Size: input over `max_input_bytes` is refused. A new message longer than `max_chars` is
cut at a paragraph or sentence boundary near the limit and `truncated` is set, so the
draft can say so; the quoted history is dropped before the new message is cut.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from agent.checks.text import clean
from agent.errors import InputError
from agent.files import read_bytes

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
    re.compile(r"^\s*(On|Am|Le|El|Il|Em|Op)\s.{0,200}(wrote|schrieb|écrit|escribió|scrisse|"
               r"ha scritto|escreveu|schreef)\s*:\s*$", re.I),
    re.compile(r"^\s*Am\s.{0,100}\sschrieb\s.{0,200}:\s*$", re.I),  # German puts the name last
    re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message|Mensaje original)\s*-{2,}",
               re.I),
    re.compile(r"^\s*From:\s.+", re.I),
    re.compile(r"^\s*_{10,}\s*$"),
]
_SIGNATURE_DELIM = re.compile(r"^(-- ?|—|Sent from my \w+.*)$", re.I)
# Header names as mail clients write them in the languages we read (Spanish, French,
# German, Italian, Portuguese, Dutch), each to the English key.
_HEADER_NAMES = {
    "subject": ("subject", "asunto", "objet", "betreff", "oggetto", "assunto", "onderwerp"),
    "from": ("from", "de", "von", "da", "van"),
    "to": ("to", "para", "aan"),  # not "A:" or "An:": too likely to open a sentence
    "date": ("date", "fecha", "datum"),
    "cc": ("cc",),
}
_HEADER_KEY = {name: key for key, names in _HEADER_NAMES.items() for name in names}
_HEADER_LINE = re.compile(r"^(" + "|".join(sorted(_HEADER_KEY, key=len, reverse=True))
                          + r")\s*:\s*(.*)$", re.I)
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
# Control characters mean nothing in an email and break JSON logs, terminals and XML reports.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_STRIP_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _utf16_codec(raw: bytes) -> str | None:
    """'utf-16' when a BOM says so; '-le' / '-be' when every other byte is NUL (no BOM)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = raw[:8192]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, letters, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.6 * len(zeros) and letters.count(0) <= 0.05 * len(letters):
            return codec
    return None


def decode_bytes(raw: bytes) -> str:
    """UTF-8 (with or without BOM) first, then UTF-16 (by BOM or NUL pattern), then the
    encoding charset-normalizer finds most plausible when it reads as another script
    (cp1251 Russian, Shift-JIS, Greek, ...); Latin text stays cp1252, the code page of every
    language we answer in (on a short sample the detector cannot tell Latin code pages
    apart, and cp1252 is right far more often). A handful of 8-bit bytes is too little to
    guess from: cp1252."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    codec = _utf16_codec(raw)
    if codec:
        # A BOM (or the NUL pattern) is strong evidence; a cut-off last byte is not fatal.
        return raw.decode(codec, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    sample = raw[:65536]
    best = from_bytes(sample).best() if sum(b > 127 for b in sample) >= 8 else None
    if best is not None:
        try:
            text = raw.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            text = ""
        letters = [c for c in text if ord(c) > 127 and c.isalpha()]
        other = sum(not unicodedata.name(c, "").startswith("LATIN") for c in letters)
        if letters and other >= 0.6 * len(letters):
            return text
    return raw.decode("cp1252", errors="replace")


def _looks_binary(raw: bytes) -> bool:
    codec = _utf16_codec(raw)
    if codec:
        sample = raw[:8192].decode(codec, errors="replace")
    elif b"\x00" in raw[:8192]:
        return True
    else:
        sample = raw[:8192].decode("latin-1")
    controls = len(_BINARY_CONTROL.findall(sample))
    return controls > max(8, len(sample) // 50)


def html_to_text(html: str) -> str:
    """Readable text of the visible part of an HTML body (hidden text is dropped first)."""
    import html2text

    from agent.html_visible import visible_html

    html = visible_html(html)

    converter = html2text.HTML2Text()
    converter.ignore_images = True
    converter.ignore_links = False
    converter.body_width = 0
    converter.ignore_emphasis = True
    try:
        text = converter.handle(html)
    except Exception:  # html2text on hostile markup: fall back to dropping the tags
        text = re.sub(r"<[^>]*>", " ", html)
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
    """The text/plain part, or the text/html part as text when the plain one is blank."""
    text = ""
    for kind in ("plain", "html"):
        part = message.get_body(preferencelist=(kind,))
        if part is not None:
            text = _part_text(part)
            if text.strip():
                return text
    if message.get_body(preferencelist=("plain", "html")) is None:
        raise InputError("the .eml file has no text/plain or text/html part to read")
    return text


def _part_text(part: MIMEPart) -> str:
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
        headers[_HEADER_KEY[match.group(1).lower()]] = match.group(2).strip()
        i += 1
    if headers and i < len(lines) and lines[i].strip() == "":
        i += 1
    return (headers, "\n".join(lines[i:])) if headers else ({}, text)


def split_quoted(body: str) -> tuple[str, str]:
    """Split the new message from the quoted history (`>` lines and 'On ... wrote:')."""
    lines = body.splitlines()
    found = _quote_start(lines, len(lines))
    if found is not None:
        return "\n".join(lines[:found]).rstrip(), "\n".join(lines[found:]).strip()
    # A quoted block followed by a signature: the signature stays with the new message.
    sig_at = next((i for i in range(len(lines) - 1, max(-1, len(lines) - 12), -1)
                   if _SIGNATURE_DELIM.match(lines[i].rstrip())), None)
    if sig_at is not None:
        found = _quote_start(lines, sig_at)
        if found is not None:
            return ("\n".join(lines[:found] + lines[sig_at:]).rstrip(),
                    "\n".join(lines[found:sig_at]).strip())
    return body.strip(), ""


def _quote_start(lines: list[str], end: int) -> int | None:
    """Where the quoted history in lines[:end] begins: a reply header, or a `>` line
    from which (nearly) everything up to `end` is quoted or blank. Linear time."""
    quoted_after = [0] * (end + 1)  # quote or blank lines in lines[i:end]
    for i in range(end - 1, -1, -1):
        line = lines[i]
        quoted_after[i] = quoted_after[i + 1] + (line.startswith(">") or not line.strip())
    for i, line in enumerate(lines[:end]):
        if i > 0 and any(p.match(line) for p in _QUOTE_HEADERS):
            return i
        if line.startswith(">") and quoted_after[i] >= (end - i) * 0.8:
            return i
    return None


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


def parse_text(text: str, *, max_chars: int = DEFAULT_MAX_CHARS,
               max_bytes: int = DEFAULT_MAX_BYTES) -> InboundEmail:
    """Parse a pasted email (or the text of a .eml / HTML file)."""
    if len(text) > max_bytes:
        raise InputError(f"the input is {len(text):,} characters, over the {max_bytes:,} "
                         "limit; paste only the customer's message")
    # Lone surrogates (from a bad decode upstream) cannot be encoded: they become U+FFFD.
    text = _clean(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise InputError("the email is empty; paste the customer's message or give a file")
    if _looks_like_eml(text):
        return parse_bytes(text.encode("utf-8"), max_chars=max_chars, max_bytes=max_bytes * 4)
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
    if _utf16_codec(raw) or not _looks_like_eml(head.replace("\r\n", "\n")):
        return parse_text(decode_bytes(raw), max_chars=max_chars, max_bytes=max_bytes)
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    sender, subject = _header(message, "From"), _header(message, "Subject")
    try:
        body = _eml_body(message)
    except InputError:
        raise
    except Exception:  # the stdlib's MIME parsing can trip on malformed headers
        body = decode_bytes(raw).replace("\r\n", "\n").partition("\n\n")[2]
    body = _clean(body.replace("\r\n", "\n"))
    return _build(body, subject, sender, "eml", max_chars)


def _header(message: EmailMessage, name: str) -> str | None:
    """A decoded header, or its raw text when the stdlib's strict parser chokes on it."""
    raw = next((str(v) for k, v in message.raw_items() if k.lower() == name.lower()), "")
    try:
        value = str(message.get(name, ""))
    except Exception:
        value = raw
    if "\ufffd" in value and "=?" not in raw:
        # Raw 8-bit header bytes (often latin-1) reach us as surrogate escapes.
        with contextlib.suppress(UnicodeError):
            value = decode_bytes(raw.encode("utf-8", errors="surrogateescape"))
    return " ".join(_clean(value).split()) or None


def _clean(text: str) -> str:
    """No lone surrogates (undecodable bytes), no control characters, and no invisible
    characters (zero-width, bidi controls, Unicode tag characters): what is left is what a
    reader sees, NFKC-normalised, so hidden instructions cannot ride along."""
    return clean(_STRIP_CONTROL.sub("", _SURROGATE.sub("\ufffd", text)))


def read_path(path: Path, *, max_chars: int = DEFAULT_MAX_CHARS,
              max_bytes: int = DEFAULT_MAX_BYTES) -> InboundEmail:
    raw = read_bytes(path, max_bytes=max_bytes)
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
