"""Which language an email (or a draft) is written in: a fast, dependency-free guess.

Scores common function words per language, plus a few letters that only some languages
use. Short or ambiguous text falls back to English, because a wrong non-English guess
costs more (the draft gets flagged for a human) than a wrong English one.
Used by the offline analyzer and by the guard (the draft must match the customer).
"""

from __future__ import annotations

import re

SUPPORTED = ("en", "es", "fr", "de", "pt", "it")
FALLBACK = "en"

# Frequent short words, chosen so that each list has many words the others lack.
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and is are was were you your my i me it this that have has had not with for "
        "of to be been will would can could what when why how they them there their our "
        "we us an at on from still never just did does do don't didn't haven't it's i'm "
        "order which who about because but if or".split()
    ),
    "es": frozenset(
        "el los las es y está están estoy muy pero porque con para por del una uno mi mis "
        "su sus que qué yo no nunca ya todavía han ha he hemos usted ustedes sin como "
        "cuando donde este esta esto eso ese pedido dinero quiero llegó tengo nada más "
        "también hace días semanas al lo le se".split()
    ),
    "fr": frozenset(
        "le les et est sont je vous nous ne pas jamais toujours avec pour dans une un du "
        "des mon ma mes votre vos qui que quoi c'est j'ai ai suis été sur ce cette mais "
        "depuis commande rien plus très aussi jours semaines au aux il elle".split()
    ),
    "de": frozenset(
        "der die das und ist sind ich sie wir nicht nie noch mit für ein eine einen mein "
        "meine ihr ihre ihren was wann warum wie habe hat haben war wurde auf auch aber "
        "schon seit bestellung kein keine nichts bitte tage wochen dem den zu zum".split()
    ),
    "pt": frozenset(
        "o os as é e está estão estou muito mas porque com para por do da dos das um uma "
        "meu minha meus seu sua que não nunca já ainda foi tenho você vocês sem como "
        "quando onde este esta isso pedido dinheiro quero chegou nada mais também dias "
        "semanas ao no na".split()
    ),
    "it": frozenset(
        "il lo gli le è e sono ho non mai ancora con per una uno un del della dei mio mia "
        "miei suo sua che cosa perché ma anche già questo questa quello ordine soldi "
        "voglio arrivato niente più molto giorni settimane al nel nella io voi".split()
    ),
}

# Letters that are strong hints on their own (each hit counts like one extra word).
_LETTERS: dict[str, str] = {
    "es": "ñ¿¡",
    "fr": "œçêèëîïûù",
    "de": "ßäöü",
    "pt": "ãõçâê",
    "it": "ìòù",
}

_WORD = re.compile(r"[a-zà-öø-ÿœß']+")
_MIN_HITS = 3


def detect_language(text: str) -> str:
    """ISO 639-1 code of `text`'s language among SUPPORTED; 'en' when unsure."""
    sample = text[:4000].lower()
    words = _WORD.findall(sample)
    if len(words) < 3:
        return FALLBACK
    scores = dict.fromkeys(SUPPORTED, 0.0)
    for word in words:
        for lang, stops in _STOPWORDS.items():
            if word in stops:
                scores[lang] += 1
    for lang, letters in _LETTERS.items():
        hits = sum(sample.count(ch) for ch in letters)
        scores[lang] += min(hits, 5) * 0.75
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if best == FALLBACK:
        return FALLBACK
    # A non-English guess needs enough evidence and a clear margin over the runner-up.
    enough = top >= _MIN_HITS or (top >= 2 and scores[FALLBACK] == 0)
    if not enough or top < second * 1.2 or top < scores[FALLBACK] * 1.3:
        return FALLBACK
    return best
