"""agent.inbound: pasted text, .eml and HTML become an InboundEmail, or a clear InputError."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agent.errors import InputError
from agent.inbound import (
    DEFAULT_MAX_BYTES,
    parse_bytes,
    parse_text,
    read_path,
    split_quoted,
    split_signature,
    truncate,
)

MULTIPART = b"""\
From: Jane Doe <jane@example.com>
To: support@example.com
Subject: =?utf-8?q?Caf=C3=A9_machine_broken?=
Date: Mon, 6 May 2024 09:12:00 +0000
Message-ID: <abc@example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

My caf=C3=A9 machine arrived broken. Order #48213. Fix it now!

On Fri, 3 May 2024, Support <support@example.com> wrote:
> Thanks for your order.
--BOUNDARY
Content-Type: text/html; charset=utf-8

<p>HTML VERSION SHOULD NOT BE USED</p>
--BOUNDARY--
"""

HTML_ONLY = b"""\
From: "Bob Smith" <bob@example.com>
Subject: Where is my parcel
MIME-Version: 1.0
Content-Type: text/html; charset=windows-1252

<html><head><style>p { color: red; }</style></head><body>
<p>Hello,</p><p>My parcel is <b>two weeks</b> late and I paid \x80 40 for shipping.</p>
<ul><li>Order 1234</li><li>Order 5678</li></ul>
<script>alert("x")</script>
</body></html>
"""


# --- plain text -----------------------------------------------------------------------------

def test_plain_text_with_subject_and_from_lines() -> None:
    email = parse_text("Subject: Broken kettle\nFrom: Jane Doe <jane@example.com>\n\n"
                       "Your kettle broke after two days. Fix it.")
    assert email.body == "Your kettle broke after two days. Fix it."
    assert email.subject == "Broken kettle"
    assert email.sender == "jane@example.com"
    assert email.sender_name == "Jane Doe"
    assert email.source_format == "text"
    assert not email.truncated and email.quoted == "" and email.signature is None


@pytest.mark.parametrize(("subject", "sender"), [
    ("Asunto", "De"), ("Objet", "De"), ("Betreff", "Von"), ("Oggetto", "Da"),
    ("Assunto", "De"), ("Onderwerp", "Van"), ("Subject", "From")])
def test_header_lines_in_the_languages_we_read(subject: str, sender: str) -> None:
    email = parse_text(f"{subject}: Pedido 72119\n{sender}: Ana Gil <ana@example.com>\n\n"
                       "Mi pedido no ha llegado.")
    assert email.subject == "Pedido 72119" and email.sender_name == "Ana Gil"
    assert email.body == "Mi pedido no ha llegado."


@pytest.mark.parametrize("text", ["A: yes, I ordered it twice.\n\nWhere is it?",
                                  "An: meine Frage\n\nWo ist es?"])
def test_a_sentence_that_looks_like_a_header_stays_in_the_body(text: str) -> None:
    assert parse_text(text).body == text and parse_text(text).subject is None


def test_plain_text_without_headers_is_all_body() -> None:
    email = parse_text("  I want my money back.  \n")
    assert email.body == "I want my money back."
    assert email.subject is None and email.sender is None


def test_windows_line_endings_are_normalised() -> None:
    assert parse_text("line one\r\nline two\rline three").body == \
        "line one\nline two\nline three"


# --- quoted history and signatures ----------------------------------------------------------

def test_on_wrote_reply_chain_is_split_off() -> None:
    email = parse_text("This is still broken!\n\nOn Mon, 3 May 2024 at 10:00, Support "
                       "<s@example.com> wrote:\n> We are sorry.\n> Regards")
    assert email.body == "This is still broken!"
    assert email.quoted.startswith("On Mon, 3 May 2024")
    assert "> We are sorry." in email.quoted


@pytest.mark.parametrize("header", [
    "-----Original Message-----",
    "From: Support <support@example.com>",
    "________________________________",
    "On Mon, 3 May 2024 at 10:00, Support <s@example.com> wrote:",
    "Am 03.05.2024 um 10:00 schrieb Support <s@example.com>:",
    "Le lun. 3 mai 2024 à 10:00, Support <s@example.com> a écrit :",
    "El lun, 3 may 2024 a las 10:00, Support (<s@example.com>) escribió:",
    "Il giorno lun 3 mag 2024 alle ore 10:00 Support <s@example.com> ha scritto:",
])
def test_other_reply_headers_start_the_quote(header: str) -> None:
    new, quoted = split_quoted(f"New complaint here.\n{header}\nold text")
    assert new == "New complaint here."
    assert quoted.startswith(header.strip()[:10])


def test_angle_bracket_quotes_are_split_off() -> None:
    email = parse_text("Still waiting.\n\n> Your order has shipped.\n> Tracking: 123\n")
    assert email.body == "Still waiting."
    assert email.quoted == "> Your order has shipped.\n> Tracking: 123"


def test_inline_replies_between_quotes_are_kept_whole() -> None:
    text = "See below.\n> q1\nmy answer one\n> q2\nmy answer two\n> q3\nmy answer three"
    email = parse_text(text)
    assert "my answer three" in email.body and email.quoted == ""


def test_a_quote_followed_by_a_signature() -> None:
    email = parse_text("I am angry.\n\n> old quote\n> more quote\n\n-- \nJane\n555-1234")
    assert email.body == "I am angry."
    assert email.quoted == "> old quote\n> more quote"
    assert email.signature == "-- \nJane\n555-1234"


def test_a_signature_above_the_quote() -> None:
    email = parse_text("New text.\n-- \nJane\n> q1\n> q2")
    assert email.body == "New text."
    assert email.signature == "-- \nJane"
    assert email.quoted == "> q1\n> q2"


def test_an_email_that_is_only_a_quote_keeps_the_quote_as_body() -> None:
    email = parse_text("> forwarded complaint\n> second line")
    assert "forwarded complaint" in email.body


@pytest.mark.parametrize("sig", ["-- \nJane Doe\nACME Ltd", "--\nJane", "Sent from my iPhone",
                                 "—\nJ."])
def test_signature_is_split(sig: str) -> None:
    email = parse_text(f"The product is faulty.\n\n{sig}")
    assert email.body == "The product is faulty."
    assert email.signature == sig.strip()


def test_a_lone_signature_delimiter_does_not_empty_the_body() -> None:
    body, signature = split_signature("-- \nonly a signature")
    assert body == "-- \nonly a signature" and signature is None


def test_a_dash_line_far_from_the_end_is_not_a_signature() -> None:
    text = "Intro\n--\n" + "\n".join(f"line {i}" for i in range(20))
    assert split_signature(text) == (text, None)


# --- .eml -----------------------------------------------------------------------------------

def test_multipart_eml_prefers_text_plain_and_decodes_headers() -> None:
    email = parse_bytes(MULTIPART)
    assert email.source_format == "eml"
    assert email.body == "My café machine arrived broken. Order #48213. Fix it now!"
    assert "HTML VERSION" not in email.body
    assert email.subject == "Café machine broken"
    assert email.sender == "jane@example.com" and email.sender_name == "Jane Doe"
    assert email.quoted.startswith("On Fri, 3 May 2024")


def test_eml_pasted_as_text_is_parsed_as_eml() -> None:
    email = parse_text(MULTIPART.decode("utf-8"))
    assert email.source_format == "eml"
    assert email.body.startswith("My café machine")


def test_html_only_eml_becomes_readable_text() -> None:
    email = parse_bytes(HTML_ONLY)
    assert email.source_format == "eml"
    assert "My parcel is two weeks late and I paid € 40 for shipping." in email.body
    assert "Order 1234" in email.body and "Order 5678" in email.body
    for junk in ("<p>", "<b>", "color: red", "alert", "<script"):
        assert junk not in email.body
    assert email.sender_name == "Bob Smith" and email.subject == "Where is my parcel"


def test_eml_with_a_blank_plain_part_falls_back_to_html() -> None:
    raw = MULTIPART.replace(
        b"My caf=C3=A9 machine arrived broken. Order #48213. Fix it now!\n\n"
        b"On Fri, 3 May 2024, Support <support@example.com> wrote:\n> Thanks for your order.",
        b" ")
    assert parse_bytes(raw).body == "HTML VERSION SHOULD NOT BE USED"


def test_eml_with_only_an_attachment_is_refused() -> None:
    raw = (b"From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; "
           b"boundary=b\n\n--b\nContent-Type: application/pdf\n\n%PDF-1.4\n--b--\n")
    with pytest.raises(InputError, match="no text/plain or text/html part"):
        parse_bytes(raw)


def test_eml_with_an_unknown_charset_still_reads() -> None:
    raw = (b"From: a@example.com\nMIME-Version: 1.0\n"
           b"Content-Type: text/plain; charset=x-made-up\n\nPlain words here.\n")
    assert parse_bytes(raw).body == "Plain words here."


def test_base64_eml_body_is_decoded() -> None:
    raw = (b"From: a@example.com\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
           b"Content-Transfer-Encoding: base64\n\nV2hlcmUgaXMgbXkgcmVmdW5kPw==\n")
    assert parse_bytes(raw).body == "Where is my refund?"


def test_malformed_headers_do_not_crash_the_parser() -> None:
    # The stdlib's strict address parser raises IndexError on "From:<".
    email = parse_bytes(b"From:<\nMessage-ID:\nSubject: hi\n\nWhere is my order?")
    assert email.body == "Where is my order?" and email.subject == "hi"


def test_raw_latin1_header_bytes_are_decoded() -> None:
    raw = b"From: Jos\xe9 <jose@example.com>\nSubject: caf\xe9\nMIME-Version: 1.0\n\nHello"
    email = parse_bytes(raw)
    assert email.sender_name == "José" and email.subject == "café"


# --- pasted HTML ----------------------------------------------------------------------------

def test_pasted_html_becomes_text() -> None:
    email = parse_text("<html><body><p>I was charged <b>twice</b>.</p>"
                       "<p>Please look at <a href='https://x.example/o/1'>my order</a></p>"
                       "</body></html>")
    assert email.source_format == "html"
    assert "I was charged twice." in email.body
    assert "https://x.example/o/1" in email.body
    assert "<" not in email.body.replace("<https", "")


def test_html_without_text_is_refused() -> None:
    with pytest.raises(InputError, match="no message text"):
        parse_text("<p>  </p><div></div>")


# --- encodings ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "codec"), [
    ("Café “quoted” – €50 owed", "cp1252"),
    ("naïve résumé, façade", "latin-1"),
    ("Grüße: wo ist meine Bestellung?", "utf-8"),
    ("Grüße: wo ist meine Bestellung?", "utf-8-sig"),
    ("Où est ma commande ? ünïcödé", "utf-16"),  # with BOM
    ("Where is my order? ünïcödé", "utf-16-le"),  # no BOM
    ("Where is my order? ünïcödé", "utf-16-be"),  # no BOM
])
def test_bytes_in_common_encodings_are_decoded(text: str, codec: str) -> None:
    assert parse_bytes(text.encode(codec)).body == text


def test_utf16_eml_file_is_read() -> None:
    raw = "From: a@example.com\nSubject: hi\n\nBroken on arrival.".encode("utf-16")
    email = parse_bytes(raw)
    assert email.body == "Broken on arrival." and email.subject == "hi"


# --- refusals -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   ", "\n\t \n", "\x00\x01"])
def test_empty_text_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="empty"):
        parse_text(text)


@pytest.mark.parametrize("raw", [b"", b"   \n", b"\xef\xbb\xbf", b"\xff\xfe"])
def test_empty_bytes_are_refused(raw: bytes) -> None:
    with pytest.raises(InputError, match="empty"):
        parse_bytes(raw)


@pytest.mark.parametrize("raw", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(200),
    bytes(range(32)) * 10,
])
def test_binary_is_refused(raw: bytes) -> None:
    with pytest.raises(InputError, match="looks binary"):
        parse_bytes(raw)


def test_oversized_bytes_are_refused_with_the_limit_in_the_message() -> None:
    with pytest.raises(InputError, match=r"over the 1,000-byte limit"):
        parse_bytes(b"x" * 1001, max_bytes=1000)
    with pytest.raises(InputError, match="limit"):
        parse_bytes(b"a " * (DEFAULT_MAX_BYTES // 2 + 1))


def test_oversized_text_is_refused() -> None:
    with pytest.raises(InputError, match="limit"):
        parse_text("x" * 1001, max_bytes=1000)


def test_headers_only_is_refused() -> None:
    with pytest.raises(InputError, match="no message text"):
        parse_text("Subject: hello\nFrom: a@example.com\n")


def test_control_characters_and_lone_surrogates_are_cleaned() -> None:
    email = parse_text("Where\x00 is\x07 my\x1b order\ud800?")
    assert email.body == "Where is my order\ufffd?"


# --- size and truncation --------------------------------------------------------------------

def test_long_message_is_truncated_at_a_boundary() -> None:
    paragraph = "This is a sentence about my order. " * 10
    text = "\n\n".join([paragraph.strip()] * 20)
    email = parse_text(text + "\n\n> old quote", max_chars=1000)
    assert email.truncated
    assert len(email.body) <= 1000
    assert email.body.endswith(".")
    assert email.quoted == ""  # history is dropped before the new message is cut


def test_truncate_without_any_boundary_cuts_hard() -> None:
    cut, truncated = truncate("x" * 50, 20)
    assert cut == "x" * 20 and truncated


def test_short_message_is_not_truncated() -> None:
    assert not parse_text("short", max_chars=10).truncated


def test_quote_splitting_is_linear_on_hostile_input() -> None:
    started = time.monotonic()
    parse_text("hi\n" + "> a\nb\nc\n" * 50_000)
    assert time.monotonic() - started < 3


# --- data, not templates --------------------------------------------------------------------

@pytest.mark.parametrize("payload", ["{{ 7*7 }}", "{% for x in range(3) %}x{% endfor %}",
                                     "${7*7}", "{0.__class__}", "%(password)s", "#{7*7}"])
def test_template_text_stays_literal(payload: str) -> None:
    email = parse_text(f"Subject: {payload}\n\nMy order {payload} is late.")
    assert email.body == f"My order {payload} is late."
    assert email.subject == payload


# --- files ----------------------------------------------------------------------------------

def test_read_path_reads_an_eml_file(tmp_path: Path) -> None:
    path = tmp_path / "mail.eml"
    path.write_bytes(MULTIPART)
    assert read_path(path).body.startswith("My café machine")


def test_read_path_errors_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_path(tmp_path / "missing.eml")
    with pytest.raises(InputError, match="is a directory"):
        read_path(tmp_path)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(InputError, match="over the 1,000-byte limit"):
        read_path(big, max_bytes=1000)
    with pytest.raises(InputError, match="cannot read"):
        read_path(big / "not-a-dir")
