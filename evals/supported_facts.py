"""Does a draft state only facts the email (or the agent's own facts) supports?

    python -m evals.supported_facts [SUITE.yaml ...] [--misses]   (default: every suite)

For every case the offline composer drafts a reply (under the case's industry profile), and
every fact the draft states is looked up:

- ids and numbers (order, return, ticket, flight numbers; any figure): in the email, or in
  the agent's facts (the policy and the company settings: "48 hours", "30-day");
- amounts of money: the same value in the email or the policy;
- dates and durations (month and weekday names, "the 4th", "two weeks"): in the email, or
  the policy's own timeline;
- products (the product nouns of every language the analyzer knows) and proper names (a
  capitalised word that does not start a sentence): in the email or the settings;
- roles: a reference the draft calls an "order" (or a return, a ticket, a flight, ...) must
  not be introduced as something else in the email ("order R-2291" for "return R-2291").

Independent of the composer's own bookkeeping: it reads the draft's text. `--misses` prints
each unsupported fact: use it on tuned suites only, never on a blind one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from agent.checks.money import find_amounts
from agent.checks.text import fold, sentences
from agent.config import Settings
from agent.drafter import compose_offline
from agent.inbound import parse_text
from agent.offline.composer import money, timeline
from agent.offline.lexicon import lexicon
from agent.profiles import ProfileSettings
from evals.suites import load_suite


@dataclass(frozen=True)
class Unsupported:
    kind: str  # id | number | amount | date | duration | product | name | role
    text: str


_ID = re.compile(r"(?<![\w-])(?:[A-Z]{2} \d{2,4}|[A-Za-z]{0,5}-?\d[A-Za-z0-9-]*)(?![\w-])")
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|"
           "noviembre|diciembre")
_DAYS = ("monday|tuesday|wednesday|thursday|friday|saturday|sunday|lunes|martes|miércoles|"
         "jueves|viernes|sábado|domingo")
_DATE = re.compile(rf"\b\d{{1,2}}\.?\s+(?:de\s+)?(?:{_MONTHS})\b|\b(?:{_MONTHS})\s+\d{{1,2}}\b|"
                   rf"\b(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)\b|\b(?:{_MONTHS}|{_DAYS})\b",
                   re.IGNORECASE)
_CALENDAR = re.compile(rf"(?:{_MONTHS}|{_DAYS})", re.IGNORECASE)
_NUMBER_WORDS = ("a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                 "fifteen|twenty|several|a few|a couple of|una?|dos|tres|cuatro|cinco|seis|"
                 "siete|ocho|nueve|diez|quince|dieciocho|veinte|varios|varias")
_DURATION = re.compile(rf"\b(?:\d+|{_NUMBER_WORDS})[\s-]+(?:days?|weeks?|months?|hours?|"
                       rf"d[íi]as|semanas?|mes(?:es)?|horas?)\b", re.IGNORECASE)
# Reference words in a draft, and the kind each names.
_KINDS = {"order": "order", "pedido": "order", "booking": "booking", "reserva": "booking",
          "account": "account", "cuenta": "account", "return": "return",
          "devolución": "return", "ticket": "ticket", "incidencia": "ticket", "case": "case",
          "caso": "case", "invoice": "invoice", "factura": "invoice", "flight": "flight",
          "vuelo": "flight", "claim": "claim", "reclamación": "claim", "rma": "rma"}
_REF = re.compile(r"\b(" + "|".join(_KINDS) + r")\s+(?:nº\s+|#)?(" + _ID.pattern + ")",
                  re.IGNORECASE)
# Words that introduce a reference in an email (any language we read), and their kind.
_EMAIL_KINDS = {**_KINDS, "bestellung": "order", "commande": "order", "ordine": "order",
                "bestelling": "order", "encomenda": "order", "buchung": "booking",
                "réservation": "booking", "prenotazione": "booking", "boeking": "booking",
                "rechnung": "invoice", "facture": "invoice", "fattura": "invoice",
                "factuur": "invoice", "fatura": "invoice", "vol": "flight", "flug": "flight",
                "volo": "flight", "vlucht": "flight", "voo": "flight", "tracking": "tracking",
                "member": "account", "customer": "account", "pac": "pac", "job": "job",
                "kundennummer": "account", "klantnummer": "account", "client": "account",
                "cliente": "account", "confirmation": "booking"}
_FILLER = frozenset({"ref", "reference", "number", "no", "num", "code", "my", "the", "your",
                     "is", "was", "n", "nº", "nummer", "numero", "número", "request", "id"})


def _norm_id(text: str) -> str:
    return re.sub(r"[\s#]", "", text).upper()


def _known_text(settings: Settings) -> str:
    """The agent's own facts: the policy and the company settings, as the replies write
    them in either language."""
    p, c = settings.policy, settings.company
    parts = [c.name, c.agent_name, c.signature, c.support_hours, p.escalation_contact,
             f"{p.refund_window_days} days", f"{p.refund_window_days} días",
             f"{p.refund_window_days}-day"]
    for lang in ("en", "es"):
        parts += [timeline(p.response_hours, lang), money(p.max_credit, p.currency, lang)]
        if p.max_refund is not None:
            parts.append(money(p.max_refund, p.currency, lang))
    return " ".join(parts)


def _email_kind(email: str, ident: str) -> str | None:
    """The kind of reference the email introduces `ident` as, if it names one."""
    target = _norm_id(ident)
    for m in _ID.finditer(email):
        if _norm_id(m.group(0)) != target:
            continue
        before = email[max(0, m.start() - 30):m.start()].lower()
        words = re.findall(r"[^\W\d_]+", before)
        for word in reversed(words[-3:]):
            if word in _EMAIL_KINDS:
                return _EMAIL_KINDS[word]
            if word not in _FILLER:
                break
    return None


def unsupported_facts(draft: str, email: str, known: str = "") -> list[Unsupported]:
    """Every fact stated in `draft` that neither `email` nor `known` supports."""
    draft, email = fold(draft), fold(email)
    source = f"{email}\n{known}"
    low = source.lower()
    ids = {_norm_id(m.group(0)) for m in _ID.finditer(source)}
    found: list[Unsupported] = []
    amounts = {round(a.value, 2) for a in find_amounts(source)}
    taken: list[tuple[int, int]] = []
    for a in find_amounts(draft):
        if not any(ch.isdigit() for ch in a.span.text):
            continue  # "a real letdown" is not one Brazilian real
        taken.append((a.span.start, a.span.end))
        if round(a.value, 2) not in amounts:
            found.append(Unsupported("amount", a.span.text))
    for m in _DURATION.finditer(draft):
        taken.append(m.span())
        if m.group(0).lower() not in low:
            found.append(Unsupported("duration", m.group(0)))
    for m in _REF.finditer(draft):
        want = _KINDS[m.group(1).lower()]
        got = _email_kind(email, m.group(2))
        if got is not None and got != want and not (want == "order" and got == "reference"):
            found.append(Unsupported("role", m.group(0)))
    for m in _DATE.finditer(draft):
        if any(s <= m.start() < e for s, e in taken):
            continue
        taken.append(m.span())
        if " ".join(m.group(0).lower().removeprefix("the ").split()) not in " ".join(low.split()):
            found.append(Unsupported("date", m.group(0)))
    for m in _ID.finditer(draft):
        if any(s <= m.start() < e for s, e in taken) or not any(c.isdigit()
                                                                for c in m.group(0)):
            continue
        if _norm_id(m.group(0)) not in ids:
            kind = "number" if m.group(0).isdigit() else "id"
            found.append(Unsupported(kind, m.group(0)))
    channels = re.sub(r"\b(?:by\s+)?phone,\s+chat\b|\bpor\s+teléfono\b", " ", draft.lower())
    for m in lexicon().products.finditer(channels):
        noun = m.group(0)
        if not re.search(rf"\b{re.escape(noun.rstrip('s'))}", low):
            found.append(Unsupported("product", noun))
    lines = [s for line in draft.splitlines() for s in sentences(line)]
    for sentence in lines:
        words = re.finditer(r"(?<![\w'’-])([A-ZÀ-Ö][a-zà-ÿ-]+)(?!['’])", sentence.text)
        for n, w in enumerate(words):
            word = w.group(1)
            if n == 0 or w.start() == 0 or sentence.text[:w.start()].rstrip().endswith(
                    ("“", '"', "(", ":", "-", "¿", "¡", "«")):
                continue  # a sentence or a quotation starts here
            if word.lower() not in low and not _CALENDAR.fullmatch(word):
                found.append(Unsupported("name", word))
    return found


def draft_text(settings: Settings, email_text: str) -> tuple[str, str]:
    """The offline draft's subject and body without the configured signature."""
    result = compose_offline(parse_text(email_text), settings, today=dt.date(2026, 3, 2))
    body = result.draft.body.removesuffix(settings.company.signature)
    return f"{result.draft.subject}\n{body}", email_text


def check_suite(path: Path) -> tuple[int, list[tuple[str, list[Unsupported]]]]:
    """(drafts, [(case id, unsupported facts)] for the drafts that state any)."""
    suite = load_suite(path)
    bad: list[tuple[str, list[Unsupported]]] = []
    for case in suite.cases:
        settings = Settings(profile=ProfileSettings(use=case.labels.industry))
        draft, email = draft_text(settings, case.email)
        facts = unsupported_facts(draft, email, _known_text(settings))
        if facts:
            bad.append((case.id, facts))
    return len(suite.cases), bad


if __name__ == "__main__":
    import sys

    args = [a for a in sys.argv[1:] if a != "--misses"]
    suites = [Path(p) for p in args] or sorted(
        (Path(__file__).parent / "suites").glob("*.yaml"))
    for suite_path in suites:
        drafts, bad = check_suite(suite_path)
        facts = [f for _, fs in bad for f in fs]
        kinds = Counter(f.kind for f in facts)
        print(f"{suite_path.stem}: {drafts} drafts, {len(bad)} state an unsupported fact "
              f"({len(facts)} facts: {dict(kinds) or 'none'})")
        if "--misses" in sys.argv:
            for case_id, fs in bad:
                print(f"  {case_id}: " + "; ".join(f"{f.kind} {f.text!r}" for f in fs))
