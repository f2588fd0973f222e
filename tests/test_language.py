import pytest

from agent.language import detect, detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My order never arrived and I want my money back, this is not acceptable.", "en"),
        ("Mi pedido no ha llegado todavía y ya han pasado dos semanas. Quiero mi dinero.", "es"),
        ("Ma commande n'est jamais arrivée, je suis très en colère et je veux être remboursé.",
         "fr"),
        ("Meine Bestellung ist noch nicht angekommen und ich habe schon zweimal angerufen.",
         "de"),
        ("O meu pedido ainda não chegou e já faz duas semanas. Quero o meu dinheiro de volta.",
         "pt"),
        ("Il mio ordine non è ancora arrivato e sono passate due settimane, voglio i soldi.",
         "it"),
        ("¿Dónde está mi pedido? Es una vergüenza.", "es"),
    ],
)
def test_detects_each_supported_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "ok", "Hola", "!!!", "12345 #999", "WHERE IS IT"])
def test_short_or_unknown_text_falls_back_to_english(text: str) -> None:
    assert detect_language(text) == "en"


def test_shouting_english_is_still_english() -> None:
    assert detect_language("WHERE IS MY ORDER? YOU HAVE HAD MY MONEY FOR THREE WEEKS!!!") == "en"


def test_english_with_a_spanish_word_stays_english() -> None:
    text = "I ordered the blender from your store in Madrid and it has not arrived, gracias."
    assert detect_language(text) == "en"


@pytest.mark.parametrize(("text", "expected"), [
    ("Ich will mein Geld zurück!", "de"),
    ("Mijn bestelling is nog steeds niet aangekomen en ik wil mijn geld terug.", "nl"),
    ("Мой заказ так и не пришёл, верните мне деньги.", "ru"),
    ("Zamówienie nie dotarło, proszę o zwrot pieniędzy.", "pl"),
])
def test_languages_beyond_the_composer_are_recognised(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_confidence_and_amount_of_text_are_reported() -> None:
    long = detect("My order never arrived and I want my money back, this is not acceptable.")
    assert long.code == "en" and long.sure and long.confidence > 0.8
    assert not detect("ok").sure


def test_ids_amounts_links_and_addresses_are_left_out_of_the_sample() -> None:
    """The noise pattern starts its whole-word alternatives only where a word starts;
    what it removes is what the unanchored form removed, on random text built from the
    characters it cares about (seeded) and on real sentences."""
    import random
    import re

    from agent.language import _NOISE

    plain = re.compile(r"\S*\d\S*|https?://\S+|\S+@\S+|[#*_>|~`]+")
    rng = random.Random(3)
    texts = ["".join(rng.choice("ab1@#*_ \n:/httpsx.~`|>") for _ in range(rng.randint(0, 40)))
             for _ in range(20_000)]
    texts += ["Order #48213 (ref AB-12x) from sam@example.com, see https://x.io/a?b=1 **now**",
              "Meine Bestellung 4711 ist nicht angekommen, bitte an hans@web.de antworten"]
    for text in texts:
        assert _NOISE.sub(" ", text) == plain.sub(" ", text), text
    assert " ".join(_NOISE.sub(" ", texts[-2]).split()) == "Order (ref from see now"
