"""Fuzzing agent.inbound: any text or bytes give an InboundEmail with a body, or an InputError.

Inputs are built from fragments that steer the parser into each of its paths (headers,
.eml with MIME parts and transfer encodings, HTML, quotes, signatures, UTF-16) followed
by arbitrary text or bytes, including lone surrogates, NULs and control characters.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.errors import InputError
from agent.inbound import InboundEmail, parse_bytes, parse_text

FUZZ = settings(max_examples=400, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

PREFIXES = [
    "",
    "Subject: Broken\nFrom: Jane <jane@example.com>\n\n",
    "From: a@example.com\nMIME-Version: 1.0\n",
    "From: a@example.com\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n",
    "From: a\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-16\n\n",
    "From: a\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\n\n",
    "From: a\nMIME-Version: 1.0\nContent-Transfer-Encoding: quoted-printable\n\n",
    "From: J <j@x>\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b\n\n"
    "--b\nContent-Type: text/plain\n\n",
    "From: =?utf-8?b?SmFuZQ==?= <\nSubject: =?x-bad?q?=FF?=\nMessage-ID: <\n\n",
    "<html><body><p>",
    "<div><![if x]><!-- ",
    "> quoted\n",
    "Hello\nOn Mon, 3 May 2024, Support <s@x> wrote:\n> ",
    "Hi\n-- \n",
]

any_text = st.text(st.characters(exclude_categories=[]), max_size=400)
texts = st.one_of(
    any_text,
    st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(PREFIXES), any_text),
    st.lists(st.sampled_from([*PREFIXES, "\n", "--b--\n", ">", "\r\n", "\x00"]),
             max_size=12).map("".join),
)
blobs = st.one_of(
    st.binary(max_size=400),
    st.builds(lambda prefix, rest: prefix.encode() + rest, st.sampled_from(PREFIXES),
              st.binary(max_size=400)),
    st.builds(lambda text, codec: text.encode(codec, errors="replace"), any_text,
              st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-16-be", "cp1252",
                               "latin-1", "utf-8-sig"])),
)


def _check(parse: object, value: object) -> None:
    try:
        email = parse(value)  # type: ignore[operator]
    except InputError as exc:
        assert exc.message and "\n" not in exc.message
        return
    assert isinstance(email, InboundEmail)
    assert email.body.strip()
    assert not email.truncated or len(email.body) <= 20_000


@FUZZ
@given(texts)
def test_parse_text_never_crashes(text: str) -> None:
    _check(parse_text, text)


@FUZZ
@given(blobs)
def test_parse_bytes_never_crashes(raw: bytes) -> None:
    _check(parse_bytes, raw)


@FUZZ
@given(st.text(min_size=1, max_size=200), st.integers(min_value=1, max_value=50))
def test_truncation_respects_max_chars(text: str, max_chars: int) -> None:
    try:
        email = parse_text(text, max_chars=max_chars)
    except InputError:
        return
    assert len(email.body) <= max_chars
