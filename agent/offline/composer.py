"""Compose a reply from `prompts/offline/` templates, driven by an `Analysis` and a `Reading`.

One small template per section of the playbook (greeting, restatement, acknowledgement,
apology, boundary, escalation, resolution, one clarifying question, thanks, sign-off), so a
prompt owner can change one without touching the others. Python decides *what* is known
and allowed; the templates decide the words.

Say only what is supported: a fact is restated only when the analyzer read it with a clear
role (an order number is never called a return or ticket number; a product only beside the
problem it was named with); every distinct issue gets its own line; where no line fits, the
reply quotes the customer briefly or asks one question. Escalation, fault and the boundary
come from one `Decision` (analyzer.decide), which the internal note renders too.
Customer text never reaches a template as template source.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zlib
from typing import Any

from jinja2 import TemplateNotFound

from agent.checks import Context, check_text
from agent.checks.money import find_acts
from agent.checks.words import lexicon as words_lexicon
from agent.config import Policy, Settings
from agent.errors import ConfigError
from agent.inbound import InboundEmail
from agent.models import Analysis, Draft, Facts, InternalNote, Threat, Tone
from agent.offline.analyzer import (
    MAIN_KINDS,
    VAGUE,
    Decision,
    Issue,
    Reading,
    clean_id,
    clean_name,
    decide,
    product_in,
    read,
)
from agent.offline.flags import Ask, Boundary, Handling, Signal, Want
from agent.profiles import Profile
from agent.prompting import make_env

# Section templates, in reply order. Each renders one paragraph (or nothing);
# sections in the same inner tuple share a paragraph.
PARAGRAPHS: tuple[tuple[str, ...], ...] = (
    ("greeting",),
    ("restatement", "acknowledgement", "apology"),
    ("boundary",),
    ("escalation",),
    ("issues",),
    ("resolution",),
    ("clarify",),
    ("thanks",),
)
SECTIONS = (*(s for group in PARAGRAPHS for s in group), "signoff", "subject", "note")

# Languages with their own template folder (prompts/offline/<code>/); English is the root.
# The internal note is for our agents, so it is always rendered from the English root.
TEMPLATE_LANGUAGES = frozenset({"en", "es"})
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German",
                  "pt": "Portuguese", "it": "Italian", "nl": "Dutch"}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
_SAFE_TEXT = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ0-9][A-Za-zÀ-ÖØ-öø-ÿ0-9 '.-]{0,59}$")
_QUOTE_MAX_WORDS = 18


def money(amount: float, currency: str, lang: str = "en") -> str:
    code = currency.upper()
    if lang == "es":  # "20,00 €", "20,00 USD": decimal comma, currency after the amount
        figure = f"{amount:.2f}".replace(".", ",")
        return f"{figure} €" if code == "EUR" else f"{figure} {code}"
    symbol = _SYMBOLS.get(code)
    return f"{symbol}{amount:.2f}" if symbol else f"{amount:.2f} {code}"


def timeline(hours: int, lang: str = "en") -> str:
    """The promised next-step time, never shorter than the policy's `response_hours`."""
    hours = max(1, hours)
    days = hours // 24 if hours % 24 == 0 and hours >= 72 else None
    if lang == "es":
        if days:
            return f"en los próximos {days} días"
        return "en la próxima hora" if hours == 1 else f"en las próximas {hours} horas"
    if days:
        return f"within {days} days"
    return "within the hour" if hours == 1 else f"within {hours} hours"


# Reference words per language, with the Spanish article ("del pedido nº 77120").
_KIND_WORDS = {
    "en": {"order": "order", "booking": "booking", "account": "account", "return": "return",
           "rma": "RMA", "ticket": "ticket", "case": "case", "claim": "claim",
           "invoice": "invoice", "tracking": "tracking number", "flight": "flight",
           "pac": "PAC", "reference": "reference"},
    "es": {"order": "pedido", "booking": "reserva", "account": "cuenta", "return": "devolución",
           "rma": "RMA", "ticket": "incidencia", "case": "caso", "claim": "reclamación",
           "invoice": "factura", "tracking": "número de seguimiento", "flight": "vuelo",
           "pac": "código PAC", "reference": "referencia"},
}
_ES_FEMININE = frozenset({"booking", "account", "return", "ticket", "claim", "invoice",
                          "reference"})
# The default escalation contacts, in Spanish; a configured contact is used as written.
_ES_CONTACTS = {"a team lead": "un responsable de equipo", "a manager": "un responsable",
                "a supervisor": "un supervisor", "a senior colleague": "un compañero con más "
                "experiencia", "our complaints team": "nuestro equipo de reclamaciones"}
_ES_DURATION = re.compile(r"^\S+(?: \S+){0,2} (?:d[íi]as|semanas?|mes|meses)$")


def reference(ident: str, kind: str, lang: str = "en") -> str:
    """'order #48213', 'return R-2291', 'pedido nº 77120', 'vuelo CR482'."""
    word = _KIND_WORDS["es" if lang == "es" else "en"].get(kind, kind)
    if lang == "es":
        return f"{word} nº {ident}" if ident.isdigit() else f"{word} {ident}"
    if kind == "order" and ident.isdigit():
        return f"order #{ident}"
    return f"{word} {ident}"


def _policy_context(policy: Policy, lang: str = "en") -> dict[str, Any]:
    contact = policy.escalation_contact
    if lang == "es":
        contact = _ES_CONTACTS.get(contact.strip().lower(), contact)
    return {
        "refunds": policy.refunds,
        "refund_window_days": policy.refund_window_days,
        "refund_cap": money(policy.max_refund, policy.currency, lang)
        if policy.max_refund is not None else None,
        "replacements": policy.replacements,
        "credits": policy.credits and policy.max_credit > 0,
        "credit": money(policy.max_credit, policy.currency, lang),
        "timeline": timeline(policy.response_hours, lang),
        "contact": contact,
    }


def _safe(text: str | None) -> str | None:
    """A short fact (a product, a name) that is plain words only, or None."""
    text = " ".join((text or "").split())[:60]
    if text.isupper():
        text = text.lower()
    return text if text and _SAFE_TEXT.match(text) else None


_QUOTE_BAD = re.compile(r"[{}<>\[\]`|\\#@*_=~^$%]|https?:|www\.|\d{5,}|\b[A-Z]{3,}\b")


def quote(sentence: str) -> str | None:
    """The customer's own words, briefly, when they are safe to echo: no swearing or
    insults, no links, no money or promises, no markup, no instructions, not shouted."""
    text = " ".join(sentence.split()).strip(" -*•>")
    text = re.sub(r"^\d{1,2}[.)]\s+", "", text)  # a list number
    words = text.split()
    if len(words) < 3:
        return None
    if len(words) > _QUOTE_MAX_WORDS:
        cut = " ".join(words[:_QUOTE_MAX_WORDS])
        at = max(cut.rfind(","), cut.rfind(";"), cut.rfind(":"))
        text = cut[:at] if at > len(cut) // 2 else cut + "…"
    text = text.rstrip(".!?,;: ")
    if _QUOTE_BAD.search(text) or '"' in text or "“" in text:
        return None
    lex = words_lexicon()
    if check_text(text, Context(), ("safety", "conduct")) or find_acts(text) \
            or lex.has("instruct", text) or lex.has("meta", text):
        return None
    return text


# Signals restated in general words, with the customer's own words beside them.
QUOTED = frozenset({Signal.not_as_described})


def _quote_issue(issue: Issue) -> str | None:
    """The fewest words that say it and stand on their own: the phrase, the clause or the
    sentence."""
    for text in (issue.phrase, issue.clause, issue.sentence):
        if len(text.split()) >= 4:
            return quote(text)
    return None


def _issue_context(issue: Issue, reading: Reading, profile: Profile, *, lead: bool,
                   main_ref: str | None, lang: str) -> dict[str, Any]:
    """One issue's facts. Only the facts named in its own sentence, except that the first
    issue may use the email's main reference, and its product when no other issue names it."""
    spec = profile.category(issue.category)
    vague = issue.signal is None or issue.signal in VAGUE
    own_refs = [r for r in reading.refs if r.id in issue.sentence.upper()]
    ref = reference(own_refs[0].id, own_refs[0].kind, lang) if own_refs else (
        main_ref if lead else None)
    elsewhere = any(i is not issue and reading.product and reading.product.lower()
                    in i.sentence.lower() for i in reading.issues)
    product = _safe(product_in(issue.sentence)) or (
        _safe(reading.product) if lead and not elsewhere else None)
    steps = spec.next_step
    return {
        "signal": issue.signal.value if issue.signal else "",
        "same_category": issue.category == reading.category,
        "category": issue.category,
        "handling": spec.handling.value,
        "ref": ref,
        "main_ref": ref if own_refs and own_refs[0].kind in MAIN_KINDS else (
            main_ref if lead else None),
        "ref_fem": bool(own_refs) and own_refs[0].kind in _ES_FEMININE,
        "flight": next((r.id for r in own_refs if r.kind == "flight"), None),
        "product": product,
        "quote": _quote_issue(issue) if vague or issue.signal in QUOTED else None,
        "vague": vague,
        "next_step": steps.get(lang) or steps.get("en"),
    }


def build_context(email: InboundEmail, analysis: Analysis, settings: Settings, *, tone: Tone,
                  facts: Facts | None = None, reading: Reading | None = None,
                  lang: str = "en") -> dict[str, Any]:
    """Everything the offline templates may use. All strings are sanitized facts or short,
    checked quotes of the customer's own words."""
    profile = settings.active_profile
    reading = reading or read(email, profile)
    decision = decide(analysis)
    name = (clean_name(facts.customer_name) if facts else None) \
        or clean_name(analysis.customer_name)
    main_kind = profile.reference if profile.reference in MAIN_KINDS else "order"
    ids: list[tuple[str, str]] = []
    fact_id = clean_id(facts.order_id) if facts and facts.order_id else None
    if fact_id:
        ids.append((fact_id, main_kind))
    for ref in reading.refs:
        if ref.kind in MAIN_KINDS and all(ref.id != i for i, _ in ids):
            ids.append((ref.id, ref.kind))
    main_ref = reference(*ids[0], lang) if ids else None
    main_fem = bool(ids) and ids[0][1] in _ES_FEMININE
    issues = list(reading.issues)
    issue_ctx = [_issue_context(i, reading, profile, lead=n == 0, main_ref=main_ref,
                                lang=lang) for n, i in enumerate(issues)]
    if analysis.language != lang:  # "your valise" in an English reply: say "your item"
        for item in issue_ctx:
            item["product"] = None
    lead = issue_ctx[0] if issue_ctx else None
    spec = profile.category(analysis.category)
    handling = spec.handling
    product = (lead or {}).get("product") or (
        _safe(analysis.product) if analysis.language == lang else None)

    asks: list[str] = []
    if decision.boundary is not Boundary.violence and not decision.cautious:
        for ask in spec.asks:
            if ask is Ask.reference and not reading.refs and not ids:
                asks.append(ask.value)
            elif ask is Ask.product and not product:
                asks.append("product")
            elif (ask is Ask.member and not ids) or ask in (Ask.steps, Ask.contact):
                asks.append(ask.value)
        if not name and asks in ([], [Ask.reference.value]) \
                and handling not in (Handling.account, Handling.generic):
            asks.append("name")
    signals = sorted(s.value for s in reading.signals)
    # How long they have waited, only when said about the first problem.
    duration = issues[0].duration if issues else None
    if duration and (lang == "es") != bool(_ES_DURATION.match(duration)):
        duration = None  # a duration read in the other language

    ctx: dict[str, Any] = {
        "tone": tone.value,
        "variant": zlib.crc32(email.body.encode("utf-8", "replace")),
        "profile": profile.name,
        "category": analysis.category,
        "handling": handling.value,
        "fault": analysis.fault.value,
        "anger": analysis.anger.value,
        "admit": decision.admit_fault,
        "cautious": decision.cautious,
        "escalate": decision.escalate,
        "reasons": [r.value for r in decision.reasons],
        "boundary": decision.boundary.value,
        "violent": decision.boundary is Boundary.violence,
        "abusive": decision.boundary is Boundary.respect,
        "safety": reading.safety,
        "threats": [t.value for t in analysis.threats],
        "chargeback": Threat.chargeback in analysis.threats,
        "repeated": reading.repeated,
        "wants": sorted(w.value for w in reading.wants),
        "no_credit": Want.no_credit in reading.wants,
        "self_errors": [e.value for e in reading.self_errors],
        "signals": signals,
        "issues": issue_ctx,
        "others": issue_ctx[1:],
        "lead": lead,
        "name": name,
        "first_name": name.split()[0] if name else None,
        "ref": main_ref,
        "ref_fem": main_fem,
        "refs": [reference(r.id, r.kind) for r in reading.refs],
        "all_refs": [reference(r.id, r.kind, lang) for r in reading.refs],
        "spare_refs": [],
        "reference_word": _KIND_WORDS["es" if lang == "es" else "en"].get(main_kind, main_kind),
        "reference_kind": main_kind,
        "product": product,
        "duration": duration,
        "asks": asks,
        "company": settings.company.name,
        "agent_name": settings.company.agent_name,
        "signature": settings.company.signature.strip(),
        "support_hours": settings.company.support_hours,
        "policy": _policy_context(settings.policy, lang),
    }
    # What the line macros (lines.j2) read besides the issue itself: passed to them, so the
    # macro file is imported once and cached instead of re-imported with every render.
    ctx["shared"] = {k: ctx[k] for k in ("duration", "ref", "policy", "reference_word",
                                         "no_credit", "cautious", "signals")}
    return ctx


_GLUED = re.compile(r"([.!?;:])(?=[A-ZÁÉÍÓÚÑ¿¡])")


def _paragraph(text: str) -> str:
    """One paragraph: collapse template whitespace, keep a space between sentences. A line
    that starts with '- ' stays a line of its own (one per issue)."""
    lines = [ln.strip() for ln in re.split(r"\n(?=\s*- )", text)]
    return "\n".join(_GLUED.sub(r"\1 ", " ".join(ln.split())) for ln in lines if ln.strip())


def compose(email: InboundEmail, analysis: Analysis, settings: Settings, *, tone: Tone,
            facts: Facts | None = None, today: dt.date) -> Draft:
    """A complete draft from the offline templates. Deterministic for the same input."""
    reading = read(email, settings.active_profile)
    decision: Decision = decide(analysis)
    lang = analysis.language if analysis.language in TEMPLATE_LANGUAGES else "en"
    note_ctx = build_context(email, analysis, settings, tone=tone, facts=facts,
                             reading=reading)
    ctx = note_ctx if lang == "en" else build_context(
        email, analysis, settings, tone=tone, facts=facts, reading=reading, lang=lang)
    env = make_env(settings.prompts_dir)
    folder = "offline" if lang == "en" else f"offline/{lang}"

    def render(section: str, *, base: dict[str, Any] = ctx, where: str = folder,
               **extra: Any) -> str:
        try:
            template = env.get_template(f"{where}/{section}.j2")
        except TemplateNotFound:
            raise ConfigError(f"offline template {where}/{section}.j2 is missing; "
                              "restore it from the repository's prompts/ folder") from None
        return template.render(base, **extra).strip()

    def paragraph(group: tuple[str, ...]) -> str:
        return " ".join(_paragraph(render(s)) for s in group).strip()

    paragraphs = [paragraph(group) for group in PARAGRAPHS]
    # A reference no line mentioned is noted with its role, so none is lost or misnamed.
    said = " ".join(paragraphs).lower()
    spare = [r for r in ctx["all_refs"] if r.lower() not in said]
    if spare:
        ctx["spare_refs"] = spare
        paragraphs[1] = paragraph(PARAGRAPHS[1])  # the restatement notes them
    body = "\n\n".join([*(text for text in paragraphs if text), render("signoff")])

    follow_days = max(3, math.ceil(settings.policy.response_hours / 24) + 1)
    note_extra = {
        "analysis_issues": list(analysis.issues),
        "escalation_reason": analysis.escalation_reason,
        "language_name": LANGUAGE_NAMES.get(analysis.language, analysis.language),
        "answered_in_language": lang == analysis.language,
        "reply_language": lang,
        "agent_notes": (facts.notes if facts and facts.notes else None),
        "truncated": email.truncated,
    }
    # The internal note is for our agents: English, from the root folder, English facts.
    summary = _paragraph(render("note", base=note_ctx, where="offline", **note_extra))
    escalation = None
    if decision.escalate:
        escalation = _paragraph(render("note_escalation", base=note_ctx, where="offline",
                                       **note_extra)) or None
    return Draft(
        subject=_paragraph(render("subject")),
        body=body,
        internal_note=InternalNote(
            summary=summary,
            follow_up=today + dt.timedelta(days=follow_days),
            escalation=escalation,
        ),
    )
