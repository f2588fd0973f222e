"""Non-UTF-8 input is decoded by charset detection (issue 13: a cp1251 email was garbage)."""

from __future__ import annotations

import pytest

from agent.inbound import decode_bytes, parse_bytes

RUSSIAN = ("Здравствуйте! Мой заказ 55120 до сих пор не пришёл, хотя прошло три недели. "
           "Верните деньги.")


def test_a_cp1251_russian_email_decodes() -> None:
    email = parse_bytes(f"Subject: Заказ 55120\n\n{RUSSIAN}\n".encode("cp1251"))
    assert email.body == RUSSIAN
    assert email.subject == "Заказ 55120"


@pytest.mark.parametrize(("text", "codec"), [
    ("Η παραγγελία μου δεν έφτασε ακόμα και θέλω επιστροφή χρημάτων.", "cp1253"),
    ("ご注文の商品がまだ届きません。返金してください。", "shift_jis"),
    # Latin text stays cp1252 even when a short sample looks like another code page.
    ("Café crème, señor Müller: ça coûte 12 € — désolé.", "cp1252"),
    ("Café “quoted” – €50 owed", "cp1252"),
    ("Grüße aus Köln, Bestellung 4411 ist nicht angekommen.", "latin-1"),
])
def test_other_code_pages_decode(text: str, codec: str) -> None:
    assert decode_bytes(text.encode(codec)) == text
