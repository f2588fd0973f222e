"""Promised times: when a reply says an outcome will happen, and how many hours that is.

A promised time matters when it is about an outcome outside our hands (the parcel
arriving, the money landing, the fix); promising to write back sooner is fine. The one
timeline rule the guard and the policy grader share.
"""

from __future__ import annotations

import re

from agent.checks.prefilter import Pattern
from agent.checks.text import Span, fold, pieces, sentences

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "twenty-four": 24,
                 "forty-eight": 48, "a few": 3, "a couple of": 2, "an": 1, "a": 1,
                 "un": 1, "una": 1, "dos": 2, "tres": 3, "ein": 1, "einer": 1, "zwei": 2,
                 "drei": 3, "deux": 2, "trois": 3}
DEADLINE = Pattern(
    r"\b(?:within|in\s+the\s+next|in|en|dentro\s+de|innerhalb\s+(?:von|der\s+n[äa]chsten)|"
    r"in\s+den\s+n[äa]chsten|sous|dans\s+les|d'ici)\s+(?:las\s+pr[óo]ximas\s+)?"
    r"(?P<n>\d{1,3}|one|two|three|four|five|twenty-four|forty-eight|a\s+few|a\s+couple\s+of|"
    r"an|a|un|una|dos|tres|ein|einer|zwei|drei|deux|trois)\s+"
    r"(?P<unit>minutes?|minutos?|minuten|hours?|horas?|stunden?|heures?|"
    r"(?:business\s+|working\s+)?days?|d[íi]as?|tage?n?|jours?|"
    r"(?:d[íi]as\s+)?h[áa]biles|werktage?n?|jours\s+ouvr[ée]s)\b|"
    r"\b(?P<word>today|tonight|tomorrow|by\s+end\s+of\s+(?:the\s+)?day|right\s+away|"
    r"immediately|instantly|first\s+thing\s+tomorrow|within\s+the\s+hour|this\s+afternoon|"
    r"hoy|ma[ñn]ana|de\s+inmediato|inmediatamente|heute|morgen|sofort|aujourd'hui|demain|"
    r"imm[ée]diatement|by\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.I)
_PROMISE_VERB = Pattern(
    r"\b(?:will|'ll|guarantee\w*|promise\w*|shall|are\s+going\s+to|is\s+going\s+to|"
    r"\w+(?:ar|er|ir)(?:é|á|án|ás|emos)|\w+(?:erai|erons|eront|era|irai|ira|irons|iront)|"
    r"\w+(?:ar|er|ir)(?:ei|ão)|\w+(?:erò|erà|eremo|irò|irà)|wird|werden|garanti\w*)\b", re.I)
_OUTCOME = Pattern(
    r"\b(?:deliver\w*|arriv\w*|reach\s+you|be\s+with\s+you|in\s+your\s+(?:hands|home|account)|"
    r"land\w*|llegar\w*|estar[áa]n?\s+en\s+(?:tu|su)\s+casa|livr\w*|arrivera|refund\w*|"
    r"reembols\w*|erstatt\w*|rembours\w*|reimburs\w*|money|fix\w*|"
    r"repair\w*|resolv\w*|solucion\w*|gel[öo]st|r[ée]solu|ankommen|geliefert)", re.I)
_ABOUT_US = Pattern(r"\b(?:email|write|reply|respond|update|call|confirm|hear|contact|"
                       r"get\s+back|be\s+in\s+touch|escribir\w*|responder\w*|contactar\w*|env[ií]\w*|correo|"
                       r"melden|antworten|r[ée]pondr\w*|[ée]crir\w*)\w*", re.I)


def hours(m: re.Match[str]) -> float:
    """The promised delay in hours (0 for 'immediately', 8 for 'today')."""
    word = (m.group("word") or "").lower()
    if word:
        if word in ("today", "tonight", "this afternoon", "hoy", "heute", "aujourd'hui",
                    "by end of day", "by end of the day", "within the hour"):
            return 1.0 if word == "within the hour" else 8.0
        if word in ("tomorrow", "first thing tomorrow", "mañana", "manana", "morgen", "demain"):
            return 24.0
        if word.startswith("by "):
            return 24.0
        return 0.0
    raw = " ".join(m.group("n").lower().split())
    n = float(_NUMBER_WORDS[raw]) if raw in _NUMBER_WORDS else float(int(raw))
    unit = m.group("unit").lower()
    if unit.startswith("min"):
        return n / 60
    if unit.startswith(("hour", "hora", "stund", "heure")):
        return n
    return n * 24


_CLAUSE_BREAK = re.compile(r"[,;:()]|\s(?:and|but|y|pero|und|aber|et|mais)\s", re.I)


def find_early_outcomes(text: str, min_hours: float) -> list[tuple[Span, str]]:
    """Promises that an outcome (delivery, money arriving, a fix) happens sooner than
    `min_hours`, each with the sentence it stands in. The promise, the outcome and the time
    must stand in one clause: "I've started a refund today" reports an action taken, and
    "we'll credit you, and I'll reply today" promises only a reply today."""
    folded = fold(text)
    found: list[tuple[Span, str]] = []
    # A clause holds what the whole text holds: when one of the three cannot match the
    # text, no clause needs reading.
    if not all(p.possible(folded) for p in (DEADLINE, _OUTCOME, _PROMISE_VERB)):
        return found
    for sentence in sentences(folded):
        for clause in pieces(sentence.text, _CLAUSE_BREAK):
            if not (_OUTCOME.search(clause.text) and _PROMISE_VERB.search(clause.text)) \
                    or _ABOUT_US.search(clause.text):
                continue
            for m in DEADLINE.finditer(clause.text):
                if hours(m) < min_hours:
                    start = sentence.start + clause.start + m.start()
                    found.append((Span(start, start + len(m.group(0)), m.group(0)),
                                  sentence.text))
    return found


_AGO = Pattern(
    r"\b(?P<n>\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"a\s+few|a\s+couple\s+of|several|a|an)\s+(?P<unit>days?|weeks?|months?|years?)\s+"
    r"(?:ago|back|since|after|later)\b|"
    r"\b(?:for|over|had\s+it\s+for|owned\s+it\s+for|used\s+it\s+for)\s+(?:about\s+|almost\s+|"
    r"nearly\s+|over\s+)?(?P<n2>\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|a\s+few|several|a|an)\s+(?P<unit2>weeks?|months?|years?)\b|"
    r"\bhace\s+(?P<n3>\d{1,3}|una?|dos|tres|cuatro|cinco|seis|diez)\s+"
    r"(?P<unit3>d[íi]as|semanas?|mes(?:es)?|a[ñn]os?)\b", re.I)
_WORD_N = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a few": 3,
           "a couple of": 2, "several": 3, "a": 1, "an": 1, "un": 1, "una": 1, "dos": 2,
           "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "diez": 10}
_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365, "s": 7, "a": 365}


def elapsed_days(text: str) -> float | None:
    """The longest time the customer says has passed since buying or receiving ('ten weeks
    ago', 'had it for 3 months', 'hace dos meses'), in days; None when they say none."""
    best: float | None = None
    for m in _AGO.finditer(fold(text)):
        raw = " ".join((m.group("n") or m.group("n2") or m.group("n3")).lower().split())
        unit = (m.group("unit") or m.group("unit2") or m.group("unit3")).lower()
        n = _WORD_N.get(raw) or (int(raw) if raw.isdigit() else 1)
        key = "m" if unit.startswith("mes") else unit[0]
        days = n * _DAYS.get(key, 1)
        best = days if best is None else max(best, days)
    return best
