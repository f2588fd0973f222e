"""A rule-based read of a customer email that fills the same `Analysis` the model fills.

The rules are data: named regular expressions per language in `agent/offline/lexicon/`,
and the company profile's categories (agent/profiles/), each built from named signals and
keywords. So the read is instant, deterministic and explainable, and a new industry is a
profile, not code. What the composer needs beyond `Analysis` is a `Reading`: typed flags
(signals, wants, the customer's own mistakes), every distinct issue with the sentence it
came from, and references with their role (an order number is not a return number).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from agent.checks.abuse import ACRONYMS, INSULT, PROFANITY, find_insults, find_profanity
from agent.checks.money import find_amounts
from agent.checks.prefilter import Pattern
from agent.checks.text import Sentence, containing, fold, piece_at, sentences
from agent.inbound import InboundEmail
from agent.language import detect, detect_language
from agent.language_tables import LANGUAGES
from agent.models import Analysis, Anger, Facts, Fault, Reference, Threat
from agent.offline.flags import Boundary, Cue, Handling, Reason, SelfError, Signal, Want
from agent.offline.lexicon import Lexicon, lexicon, ref_kind
from agent.profiles import DEFAULT, OTHER, Profile, built_in

# Signals read in every profile: each is an issue of its own whatever the category.
_OWN_ISSUES = (Signal.ticket_closed, Signal.no_reply)
# The kinds of reference a reply may call "your order / booking / account".
MAIN_KINDS = frozenset({"order", "booking", "account"})
STRONG = 3  # a signal this heavy names a problem by itself
# Signals too vague to restate or to count as an issue of their own ("billing", "courier").
VAGUE = frozenset({Signal.shipping_words, Signal.billing_words, Signal.charged_amount,
                   Signal.charged_foreign, Signal.staff_mention, Signal.return_words,
                   Signal.cancel_word, Signal.want_working})


@dataclass(frozen=True)
class Rule:
    category: str
    signal: Signal | None  # None: the category's keywords
    weight: int
    pattern: Pattern


@dataclass(frozen=True)
class Issue:
    """One distinct problem the customer raises."""

    category: str
    signal: Signal | None  # the strongest signal that named it; None: the category's keywords
    label: str  # plain English, for the internal note and Analysis.issues
    sentence: str  # the customer's sentence it was read from
    clause: str  # the part of that sentence that says it (one complaint per clause)
    phrase: str  # the few words of the clause around it (for a brief quote)
    duration: str | None = None  # how long, said in a sentence about this problem


@dataclass(frozen=True)
class Ref:
    id: str
    kind: str  # order | booking | account | return | ticket | case | invoice | flight | ...


@dataclass(frozen=True)
class _Working:
    """What the issue and anger reads need beyond the flags: kept with the reading, so
    those two are read only when asked for (grading asks for neither)."""

    lex: Lexicon
    text: str
    low: str
    parts: tuple[Sentence, ...]
    signals_text: str
    scored: Scored
    hits: dict[Signal, tuple[int, int]]
    abusive_hits: int


@dataclass(frozen=True)
class Reading:
    """Everything the analyzer read, as typed flags. `Analysis` is built from it, and the
    composer reads it (never `Analysis`' display strings)."""

    category: str
    handling: Handling
    scores: tuple[tuple[str, int], ...]
    signals: frozenset[Signal]
    wants: frozenset[Want]
    self_errors: tuple[SelfError, ...]
    threats: tuple[Threat, ...]
    duration: str | None
    repeated: bool
    refs: tuple[Ref, ...]
    product: str | None
    name: str | None
    profanity: bool
    abusive: bool
    fault: Fault
    reasons: tuple[Reason, ...]
    working: _Working = field(repr=False, compare=False)

    @cached_property
    def issues(self) -> tuple[Issue, ...]:
        w = self.working
        return _issues(w.lex, w.text, w.parts, w.signals_text, self.category, self.scores,
                       w.scored, w.hits)

    @cached_property
    def anger(self) -> Anger:
        w = self.working
        return _anger(w.lex, w.text, w.low, w.abusive_hits, self.threats, self.repeated)

    @property
    def escalate(self) -> bool:
        return bool(self.reasons)

    @property
    def safety(self) -> bool:
        return Signal.safety in self.signals

    @property
    def id_kinds(self) -> dict[str, str]:
        return {r.id: r.kind for r in self.refs}

    @property
    def order_ids(self) -> list[str]:
        return [r.id for r in self.refs if r.kind in MAIN_KINDS]


@dataclass(frozen=True)
class Decision:
    """Escalation (and why), whether the reply admits fault, and the boundary: decided once,
    from the analysis, and rendered by the draft, the situation badges and the note alike."""

    escalate: bool
    reasons: tuple[Reason, ...]
    admit_fault: bool  # the reply owns the mistake
    cautious: bool  # legal, safety or injury: no admission, no product-specific remedy
    boundary: Boundary


REASON_TEXT = {Reason.violence: "threatens violence", Reason.legal: "threatens legal action",
               Reason.safety: "reports a safety hazard or injury",
               Reason.manager: "asks for a manager"}


def decide(analysis: Analysis) -> Decision:
    """The one decision every output renders. Read from the analysis, so a model's analysis
    and the offline analyzer's are treated alike."""
    reasons = tuple(r for r in Reason if REASON_TEXT[r] in (analysis.escalation_reason or ""))
    violent = Threat.violence in analysis.threats
    cautious = Threat.legal in analysis.threats or Reason.safety in reasons or violent
    boundary = Boundary.violence if violent else (
        Boundary.respect if analysis.abusive else Boundary.none)
    return Decision(escalate=analysis.escalate, reasons=reasons,
                    admit_fault=analysis.fault is Fault.ours and not cautious,
                    cautious=cautious, boundary=boundary)


# --- the profile's rules -----------------------------------------------------------------
@lru_cache(maxsize=64)
def _rules(profile: Profile, languages: tuple[str, ...]) -> tuple[tuple[Rule, ...],
                                                                  tuple[str, ...]]:
    """Every category rule of the profile, heaviest first, and the category order used to
    break ties (the profile's own order: specific categories first)."""
    lex = lexicon(languages)
    rules: list[Rule] = []
    for spec in profile.categories:
        for signal, weight in spec.signals.items():
            rules.append(Rule(spec.name, signal, weight, lex.signals[signal]))
        if spec.keywords:
            words = "|".join(re.escape(k.lower()) for k in sorted(spec.keywords, key=len,
                                                                  reverse=True))
            rules.append(Rule(spec.name, None, 2, Pattern(rf"(?<!\w)(?:{words})(?!\w)")))
    rules.sort(key=lambda r: -r.weight)
    return tuple(rules), profile.category_names


Scored = dict[str, list[tuple[Rule, tuple[int, int]]]]


def _score(signals_text: str, profile: Profile, languages: tuple[str, ...]) -> tuple[
        dict[Signal, tuple[int, int]], tuple[tuple[str, int], ...], Scored]:
    """Which signals match (first span each), each category's score and the rules that
    scored for it. One phrase counts once per category, strongest rule first; the category
    of the first strong signal gets a point, as an email usually leads with its main
    complaint."""
    rules, order = _rules(profile, languages)
    spans: dict[str, list[tuple[int, int]]] = {}
    scores: dict[str, int] = {}
    scored: Scored = {}
    hits: dict[Signal, tuple[int, int]] = {}
    first: tuple[int, str] | None = None
    for rule in rules:
        taken = spans.setdefault(rule.category, [])
        for m in rule.pattern.finditer(signals_text):
            start, end = m.span()
            if rule.signal is not None and rule.signal not in hits:
                hits[rule.signal] = (start, end)
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            scores[rule.category] = scores.get(rule.category, 0) + rule.weight
            scored.setdefault(rule.category, []).append((rule, (start, end)))
            if rule.weight >= 2 and (first is None or start < first[0]):
                first = (start, rule.category)
            break
    if first is not None:
        scores[first[1]] += 1
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], order.index(kv[0])))
    return hits, tuple(ranked), scored


_QUOTES = str.maketrans({'"': " ", "“": " ", "”": " "})


def _lower(text: str) -> str:
    """Lower case without quotation marks, so 'refund was "declined"' reads as a phrase.
    Offsets stay those of `text` (quotation marks become spaces)."""
    low = text.lower()
    if len(low) != len(text):  # a letter whose lower case is two characters ("İ")
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low.translate(_QUOTES)


# --- reading -------------------------------------------------------------------------------
def read(email: InboundEmail, profile: Profile | None = None) -> Reading:
    """The full read of an email under a company profile (cached: analyzer, composer and
    guard all ask)."""
    return _read(email.subject or "", email.body, email.signature or "",
                 email.sender_name or "", profile or built_in(DEFAULT))


def clear_cache() -> None:
    """Forget cached reads (benchmarks measure cold reads)."""
    _read.cache_clear()


def references(email: InboundEmail) -> tuple[str, ...]:
    """The reference numbers in the email, without a full read (the guard lets a reply
    repeat them)."""
    return tuple(r.id for r in _find_refs(f"{email.subject or ''}\n{email.body}"))


def _languages(body: str) -> tuple[str, ...]:
    """Whose rules to read with: English and the email's language when detection is sure
    (any language we have no rules for adds none), every language when it is not."""
    found = detect(body)  # cached: analyze() asks again for Analysis.language
    if not found.sure:
        return LANGUAGES
    return ("en",) if found.code == "en" or found.code not in LANGUAGES else ("en", found.code)


@lru_cache(maxsize=512)
def _read(subject: str, body: str, signature: str, sender_name: str,
          profile: Profile) -> Reading:
    languages = _languages(body)
    lex = lexicon(languages)
    text = fold(f"{subject}\n{body}").replace("’", "'").replace("‘", "'")
    low = _lower(text)
    signals_text = lex.cues[Cue.not_signal].sub(lambda m: " " * len(m.group(0)), low)
    hits, scores, scored = _score(signals_text, profile, languages)
    for signal in (Signal.safety, *_OWN_ISSUES):
        if signal not in hits and (m := lex.signals[signal].search(signals_text)):
            hits[signal] = m.span()
    category = scores[0][0] if scores and scores[0][1] >= 2 else OTHER
    spec = profile.category(category)

    self_errors = tuple(e for e, rx in lex.self_errors.items() if rx.search(low))
    if self_errors:  # drop any admission that was really a denial
        admissions = lex.cues[Cue.denial].sub(" ", low)
        self_errors = tuple(e for e, rx in lex.self_errors.items() if rx.search(admissions))
    wants = frozenset(w for w, rx in lex.wants.items() if rx.search(low))
    threats = tuple(t for t, rx in lex.threats.items() if rx.search(low))
    repeated = lex.cue(Cue.repeated, low)
    name = _sign_off_name(body, signature) or clean_name(sender_name)
    names = tuple(n for n in (name, sender_name) if n)
    parts = sentences(text)
    profanity, abusive, abusive_hits = _abuse(lex, text, low, parts, names,
                                              Threat.violence in threats)
    signals = frozenset(hits)
    fault = _fault(lex, low, spec.handling, signals, self_errors, Threat.violence in threats)
    reasons = tuple(r for r, on in (
        (Reason.violence, Threat.violence in threats),
        (Reason.legal, Threat.legal in threats),
        (Reason.safety, Signal.safety in signals),
        (Reason.manager, Want.manager in wants)) if on)
    return Reading(
        category=category, handling=spec.handling, scores=scores, signals=signals,
        wants=wants, self_errors=self_errors, threats=threats,
        duration=_duration(low), repeated=repeated, refs=_find_refs(text),
        product=_product(text), name=name, profanity=profanity, abusive=abusive,
        fault=fault, reasons=reasons,
        working=_Working(lex, text, low, parts, signals_text, scored, hits,
                         abusive_hits),
    )


def _issues(lex: Lexicon, text: str, parts: Sequence[Sentence], signals_text: str, category: str,
            scores: tuple[tuple[str, int], ...], scored: Scored,
            hits: dict[Signal, tuple[int, int]]) -> tuple[Issue, ...]:
    """One issue per category named by a strong signal of its own (the main category
    first; a phrase or a clause already read for another issue does not count twice), plus
    the problems about how we handled it (a ticket closed, no reply), each once."""
    found: list[tuple[int, Issue]] = []
    used: list[tuple[int, int]] = []
    body_at = text.find("\n") + 1  # the subject line comes first
    ranked = sorted(scores, key=lambda kv: kv[0] != category)  # main category first
    for name, score in ranked:
        rules = [(r, span) for r, span in scored.get(name, [])
                 if not any(span[0] < e and s < span[1] for s, e in used)]
        strong = [(r, span) for r, span in rules if r.weight >= STRONG and r.signal is not None
                  and (name == category or r.signal not in VAGUE)]
        if name != category and (score < STRONG or not strong):
            continue
        candidates = strong or [(r, sp) for r, sp in rules if r.signal is not None] or rules
        if not candidates:
            continue
        # Heaviest first; the body says it better than the subject line.
        candidates.sort(key=lambda pair: (-pair[0].weight, pair[1][0] < body_at, pair[1][0]))
        families: set[str] = set()
        for n, (lead, span) in enumerate(candidates):
            family = lex.family[lead.signal] if lead.signal else name
            if family in families or (n and (lead.weight < STRONG or lead.signal in VAGUE)):
                continue  # one line per problem; a further one needs a strong signal
            sentence, clause, phrase = _sentence(text, parts, span[0])
            if any(issue.clause == clause for _, issue in found):
                continue  # the same clause: one complaint, read twice
            families.add(family)
            label = lex.issues[lead.signal] if lead.signal else f"{name.replace('_', ' ')} problem"
            said = [_sentence(text, parts, m.start())[0] for r, _ in scored.get(name, [])
                    if (lex.family[r.signal] if r.signal else name) == family
                    for m in r.pattern.finditer(signals_text)]
            duration = next((d for d in map(_duration, (t.lower() for t in said)) if d), None)
            found.append((0 if name == category and n == 0 else span[0] + 1,
                          Issue(name, lead.signal, label, sentence, clause, phrase, duration)))
        if families:
            used += [m.span() for r, _ in scored.get(name, [])
                     for m in r.pattern.finditer(signals_text)]
    for signal in _OWN_ISSUES:
        if signal in hits and not any(i.signal is signal for _, i in found):
            at = hits[signal][0]
            sentence, clause, phrase = _sentence(text, parts, at)
            if not any(issue.clause == clause for _, issue in found):
                found.append((at + 1, Issue(OTHER, signal, lex.issues[signal], sentence,
                                            clause, phrase)))
    found.sort(key=lambda pair: pair[0])
    return tuple(issue for _, issue in found)


_CLAUSE_BREAK = re.compile(r"[,;:()]\s*(?:(?:but|although|though|whereas|pero|aunque|aber|"
                           r"mais|maar|mas|ma)\s+)?|\s+(?:but|although|though|whereas|pero|"
                           r"aunque|aber|mais|maar|mas|ma)\s+", re.IGNORECASE)
_PHRASE_BREAK = re.compile(r"\s+(?:and|then|so|because|y|und|et|en|e)\s+", re.IGNORECASE)


def _sentence(text: str, parts: Sequence[Sentence], at: int) -> tuple[str, str, str]:
    """The sentence of `text` (split into `parts`) around offset `at` (offsets of the
    lowered text match), the clause of it that holds `at`, and the phrase of that clause."""
    s = containing(parts, at)
    if s is None:
        return "", "", ""
    clause = piece_at(text[s.start:s.end], at - s.start, _CLAUSE_BREAK)
    phrase = piece_at(clause.text, at - s.start - clause.start, _PHRASE_BREAK)
    return s.text, clause.text.strip(), phrase.text.strip()


def _duration(low: str) -> str | None:
    for rx in lexicon().durations:
        if m := rx.search(low):
            return " ".join(m.group("d").split())
    return None


def _find_refs(text: str) -> tuple[Ref, ...]:
    """References with their role, from the keyword before them ("return R-2291" is a
    return; "#48213" alone an order). Ids are as written, upper-cased."""
    lex = lexicon()
    found: dict[tuple[int, int], Ref] = {}
    for m in lex.ref_keyword.finditer(text):
        raw = m.group("id")
        ident = raw.strip("-").upper()
        if not any(c.isdigit() for c in ident) or any(c.islower() for c in raw):
            continue  # "order of 20 items": not an id
        found[m.span("id")] = Ref(ident, ref_kind(m.group("kw")))
    for m in _HASH_ID.finditer(text):
        if not any(s <= m.start(1) < e for s, e in found):
            found[m.span(1)] = Ref(m.group(1).upper().strip("-"), _kind_before(text, m.start()))
    refs: list[Ref] = []
    for _, ref in sorted(found.items()):
        if ref.id and all(r.id != ref.id for r in refs):
            refs.append(ref)
    return tuple(refs)


_HASH_ID = re.compile(r"#\s?([A-Z]{0,5}-?\d[A-Z0-9-]{2,19})\b", re.IGNORECASE)


def _kind_before(text: str, at: int) -> str:
    """'#RT-4471' after 'Return request' is a return; a bare '#48213' is an order."""
    words = re.findall(r"[^\W\d_]+", text[max(0, at - 30):at].lower())[-3:]
    for word in reversed(words):
        kind = ref_kind(word)
        if kind != "reference":
            return kind
    return "order"


def clean_id(raw: str | None) -> str | None:
    """An order id from the agent's facts, reduced to letters, digits and dashes."""
    if not raw:
        return None
    ident = re.sub(r"[^A-Za-z0-9-]", "", raw.strip().lstrip("#")).upper()[:24]
    return ident or None


# --- names ---------------------------------------------------------------------------------
_NAME = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’.-]{0,20}"
                   r"(?:\s[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’.-]{0,20}){0,2}$")
_BARE_NAME = re.compile(r"^[A-ZÀ-Ö][a-zà-ÿ'’-]{1,20}(?:\s[A-ZÀ-Ö][a-zà-ÿ'’-]{1,20}){0,2}$")


def clean_name(raw: str | None) -> str | None:
    """A plausible personal name, or None. Never returns template syntax or an address."""
    if not raw:
        return None
    name = " ".join(raw.strip().strip(",.;:!-—").split())
    if not name or not _NAME.match(name) or "@" in name:
        return None
    if any(word.lower().strip(".") in lexicon().not_names for word in name.split()):
        return None
    if name.isupper() or name.islower():
        name = " ".join(w[:1].upper() + w[1:].lower() for w in name.split())
    return name


def _signed(line: str) -> str | None:
    """A name on a sign-off line, without a title after a comma ("Ravi Menon, CTO")."""
    line = line.strip().lstrip("-—~ ")
    name = clean_name(line)
    if name is None and "," in line:
        head, _, tail = line.partition(",")
        if len(tail.split()) <= 3:
            name = clean_name(head)
    return name


def _sign_off_name(body: str, signature: str) -> str | None:
    lex = lexicon()
    if signature:
        sig = [ln.strip() for ln in signature.splitlines()
               if ln.strip() and not re.fullmatch(r"-- ?|—", ln.strip())]
        if sig and (name := _signed(sig[0])):
            return name
    lines = [ln.strip() for ln in body.splitlines() if ln.strip()]
    tail = lines[-4:]
    for i, line in enumerate(tail):
        m = lex.closing.match(line)
        if m and len(line) <= 40:
            rest = m.group("rest").strip()
            if rest and (name := _signed(rest)):
                return name
            # "Thanks,\nEdna Walsh", or "Thank you dear,\nEdna Walsh": the name on the next line
            if i + 1 < len(tail):
                return _signed(tail[i + 1])
            if rest:
                return None
    if tail and re.match(r"^[-—~]\s*\S", tail[-1]):
        return _signed(tail[-1])
    # A bare name on its own last paragraph: "...\n\nLucía", "...\n\nRavi Menon, CTO".
    raw = body.rstrip().splitlines()
    if len(raw) >= 3 and not raw[-2].strip():
        last = raw[-1].strip()
        head = last.partition(",")[0].strip()
        if _BARE_NAME.match(head) and not lex.cue(Cue.hostile, last.lower()) \
                and len(last.split()) <= 5:
            return _signed(last)
    m2 = lex.my_name.search(body)
    return clean_name(m2.group(1)) if m2 else None


# --- products ------------------------------------------------------------------------------
_BOUGHT = re.compile(r"\b(?:ordered|bought|purchased|received)\s+(?:the|a|an|my|this|your)\s+"
                     r"([A-Z][A-Za-z0-9-]*(?:\s+[A-Za-z0-9][A-Za-z0-9-]*){0,5})")
_PHRASE_STOP = frozenset("""
from on last in for and which that but ago weeks days months week day month two three four
five a an the it is was has have had with at to of by because since order my your
""".split())
_MODIFIER = re.compile(r"[a-z][a-z-]{1,15}")


def _named_product(text: str) -> str | None:
    """A product named right after 'ordered the ...', e.g. 'the Aeropress Go travel kit'."""
    m = _BOUGHT.search(text)
    if not m:
        return None
    words: list[str] = []
    for word in m.group(1).split():
        if word.lower() in _PHRASE_STOP or (len(word) > 1 and word.isupper()
                                            and not any(c.isdigit() for c in word)):
            break
        words.append(word)
    return " ".join(words) if words else None


def _product(text: str) -> str | None:
    named = _named_product(text)
    if named:
        return named
    return product_in(text)


def product_in(text: str) -> str | None:
    """A known product noun in `text`, with up to two plain modifiers ('oak standing desk')."""
    lex = lexicon()
    low = text.lower()
    m = lex.products.search(low)
    if not m:
        return None
    mods: list[str] = []
    for word in reversed(low[max(0, m.start() - 40):m.start()].split()[-2:]):
        if not _MODIFIER.fullmatch(word):
            break
        mods.insert(0, word)
    while mods and mods[0] in lex.not_modifiers:
        mods.pop(0)
    if any(w in lex.not_modifiers or INSULT.any_case.fullmatch(w) or PROFANITY.any_case.fullmatch(w)
           for w in mods):
        mods = []
    return " ".join([*mods, m.group(0)])


# --- abuse, anger, fault -------------------------------------------------------------------
_INSULT_WINDOW = 45  # characters either side of an insult where its target is looked for


def _abuse(lex: Lexicon, text: str, low: str, parts: Sequence[Sentence], names: tuple[str, ...],
           violent: bool) -> tuple[bool, bool, int]:
    """(profanity, abusive, abusive hits). Abuse is aimed at people: an insult with a
    person it is aimed at ('you idiots', 'your agent is a moron'), an insult that names a
    person by itself ('thieves'), or an attack ('f*** you'); never the writer's own
    self-mockery, a denial, or a sentence addressed to the reply bot. Swearing about the
    situation is profanity, not abuse."""
    to_bot = [(s.start, s.end) for s in parts if lex.cue(Cue.to_bot, s.text.lower())]

    def aside(pos: int) -> bool:
        return any(s <= pos < e for s, e in to_bot)

    swearing = [s for s in find_profanity(text, names) if not aside(s.start)]
    hits = sum(1 for m in lex.cues[Cue.attack].finditer(low) if not aside(m.start()))
    for span in find_insults(text, names):
        if aside(span.start):
            continue
        word = span.text.lower()
        window = low[max(0, span.start - _INSULT_WINDOW):span.end + 25]
        if lex.cues[Cue.insult_noun].fullmatch(word) or lex.cue(Cue.insult_target, window):
            hits += 1
    return bool(swearing), hits > 0 or violent, hits + len(swearing) // 2


def _anger(lex: Lexicon, text: str, low: str, abusive_hits: int, threats: tuple[Threat, ...],
           repeated: bool) -> Anger:
    score = 0
    letters = [c for c in text if c.isalpha()]
    caps_words = [w for w in re.findall(r"\b[A-Z]{3,}\b", text) if w not in ACRONYMS]
    if len(letters) >= 20 and sum(c.isupper() for c in letters) / len(letters) > 0.5:
        score += 3
    elif len(caps_words) >= 3:
        score += 2
    elif caps_words:
        score += 1
    score += min(len(re.findall(r"[!?]{2,}", text)), 2)
    if text.count("!") >= 3:
        score += 1
    score += min(abusive_hits, 2) * 2
    score += min(len(lex.cues[Cue.hostile].findall(low)), 3)
    score += len(threats) + (3 if Threat.violence in threats else 0)
    score += 1 if repeated else 0
    if score >= 7:
        return Anger.furious
    if score >= 4:
        return Anger.angry
    if score >= 1:
        return Anger.irritated
    return Anger.calm


# Weaker signs of the customer's own choice, read only for the matching handling.
_THEIRS_WEAK: tuple[tuple[frozenset[Handling], Cue], ...] = (
    (frozenset({Handling.billing, Handling.cancellation}), Cue.theirs_renewal),
    (frozenset({Handling.delivery}), Cue.theirs_address),
    (frozenset({Handling.defective, Handling.generic}), Cue.theirs_fit),
    (frozenset({Handling.billing}), Cue.theirs_code),
    (frozenset({Handling.billing}), Cue.theirs_usage),
)


def _charged_more_than_shown(lex: Lexicon, low: str) -> bool:
    amounts = {a.value for a in find_amounts(low)}
    return len(amounts) >= 2 and lex.cue(Cue.shown_price, low) \
        and lex.cue(Cue.charge_verb, low)


def _fault(lex: Lexicon, low: str, handling: Handling, signals: frozenset[Signal],
           self_errors: tuple[SelfError, ...], violent: bool) -> Fault:
    """Theirs when they say so; ours when our error is plain; unclear otherwise. Fault is
    never conceded to a threat of violence."""
    if self_errors:
        return Fault.theirs
    if violent:
        return Fault.unclear
    if lex.cue(Cue.ours, low) or (handling is Handling.cancellation
                                  and Signal.cancel_ignored in signals) or (
            handling is Handling.billing and _charged_more_than_shown(lex, low)):
        return Fault.ours
    if handling is Handling.refund and not signals & lex.ours:
        return Fault.unclear  # a disputed decision: the review decides
    if any(handling in kinds and lex.cue(cue, low) for kinds, cue in _THEIRS_WEAK):
        return Fault.theirs
    if handling in (Handling.defective, Handling.staff) or signals & lex.ours:
        return Fault.ours
    if handling is Handling.delivery and (
            lex.cue(Cue.overdue, low) or Signal.wrong_item in signals
            or signals & {Signal.late_phrase, Signal.tracking_stuck, Signal.partial_delivery}):
        return Fault.ours
    return Fault.unclear


# --- the analysis --------------------------------------------------------------------------
def analyze(email: InboundEmail, facts: Facts | None = None,
            profile: Profile | None = None) -> Analysis:
    """Read the email with rules. Facts typed by the agent win over what the email says."""
    profile = profile or built_in(DEFAULT)
    reading = read(email, profile)
    spec = profile.category(reading.category)

    issues = [i.label for i in reading.issues]
    if Want.manager in reading.wants:
        issues.append("asks to speak to a manager")
    if Threat.chargeback in reading.threats:
        issues.append("mentions a chargeback with their bank")
    if reading.repeated and Signal.no_reply not in reading.signals:
        issues.append("has already contacted us about this more than once")

    order_ids = reading.order_ids
    fact_id = clean_id(facts.order_id) if facts else None
    if fact_id:
        order_ids = [fact_id, *[i for i in order_ids if i != fact_id]]
    name = (clean_name(facts.customer_name) if facts else None) or reading.name

    goal = f"The customer wants {spec.goal}"
    if Want.refund in reading.wants and spec.handling is not Handling.refund:
        goal += ", and asks for their money back"
    elif Want.replacement in reading.wants:
        goal += ", and asks for a replacement"

    return Analysis(
        goal=goal + ".",
        issues=list(dict.fromkeys(issues)) or ["the customer is unhappy with our service"],
        category=reading.category,
        anger=reading.anger,
        abusive=reading.abusive,
        profanity=reading.profanity,
        threats=list(reading.threats),
        fault=reading.fault,
        language=detect_language(email.body),
        customer_name=name,
        order_ids=order_ids,
        other_refs=[Reference(id=r.id, kind=r.kind) for r in reading.refs
                    if r.kind not in MAIN_KINDS],
        product=reading.product,
        escalate=reading.escalate,
        escalation_reason="; ".join(REASON_TEXT[r] for r in reading.reasons) or None,
    )
