"""Compose a reply from `prompts/offline/` templates, driven by an `Analysis`.

One small template per section of the playbook (greeting, restatement, acknowledgement,
apology, boundary, escalation, resolution, clarifying questions, thanks, sign-off), so a
prompt owner can change one without touching the others. Python only decides *what* is
known and allowed (facts, policy limits, missing details); the templates decide the words.

Customer text never reaches a template as template source, and raw customer sentences
are never echoed: templates see only sanitized facts (ids, product nouns, a name).
A missing fact becomes a clarifying question, never an empty slot.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zlib
from typing import Any

from jinja2 import TemplateNotFound

from agent.config import Policy, Settings
from agent.errors import ConfigError
from agent.inbound import InboundEmail
from agent.models import Analysis, Category, Draft, Facts, InternalNote, Threat, Tone
from agent.offline.analyzer import Details, clean_id, clean_name, read_details
from agent.prompting import make_env

# Section templates, in reply order. Each renders one paragraph (or nothing);
# sections in the same inner tuple share a paragraph.
PARAGRAPHS: tuple[tuple[str, ...], ...] = (
    ("greeting",),
    ("restatement", "acknowledgement", "apology"),
    ("boundary",),
    ("escalation",),
    ("resolution",),
    ("clarify",),
    ("thanks",),
)
SECTIONS = (*(s for group in PARAGRAPHS for s in group), "signoff", "subject", "note")

# Languages with their own template folder (prompts/offline/<code>/); English is the root.
# The internal note is for our agents, so it is always rendered from the English root.
TEMPLATE_LANGUAGES = frozenset({"en", "es"})
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German",
                  "pt": "Portuguese", "it": "Italian"}
_NEEDS_ORDER = frozenset({Category.delivery, Category.billing, Category.defective,
                          Category.refund_refused, Category.cancellation})
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
_SAFE_PRODUCT = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ0-9][A-Za-zÀ-ÖØ-öø-ÿ0-9 '.-]{0,59}$")


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


# Spanish reference words, with their article (for "del pedido nº 77120", "de la factura").
_ES_KINDS = {"order": ("pedido", "el"), "ticket": ("ticket", "el"), "case": ("caso", "el"),
             "invoice": ("factura", "la"), "reference": ("referencia", "la")}
# The default escalation contacts, in Spanish; a configured contact is used as written.
_ES_CONTACTS = {"a team lead": "un responsable de equipo", "a manager": "un responsable",
                "a supervisor": "un supervisor", "a senior colleague": "un compañero con más "
                "experiencia", "our complaints team": "nuestro equipo de reclamaciones"}
_ES_DURATION = re.compile(r"^\S+(?: \S+){0,2} (?:d[íi]as|semanas?|mes|meses)$")


def _reference(ident: str, kind: str, lang: str = "en") -> str:
    if lang == "es":
        word = _ES_KINDS.get(kind, _ES_KINDS["order"])[0]
        return f"{word} nº {ident}" if ident.isdigit() else f"{word} {ident}"
    if kind == "order":
        return f"order #{ident}" if ident.isdigit() else f"order {ident}"
    return f"{kind} {ident}"


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


def _spanish(ctx: dict[str, Any], ids: list[str], details: Details,
             policy: Policy) -> dict[str, Any]:
    """The reply context with its ready-made phrases in Spanish (`usted` form)."""
    kinds = details.id_kinds
    refs = [_reference(i, kinds.get(i, "order"), "es") for i in ids]
    ref = refs[0] if refs else None
    article = _ES_KINDS.get(kinds.get(ids[0], "order"), _ES_KINDS["order"])[1] if ids else "el"
    product = ctx["product"]
    if product and ref:
        thing = f"su {product} ({ref})"
    elif product or ref:
        thing = f"su {product or ref}"
    else:
        thing = "su pedido"
    duration = details.duration
    return {
        **ctx,
        "ref": ref,
        "refs": refs,
        "el_ref": f"{article} {ref}" if ref else None,
        "del_ref": (f"del {ref}" if article == "el" else f"de la {ref}") if ref else None,
        "thing": thing,
        "duration": duration if duration and _ES_DURATION.match(duration) else None,
        "policy": _policy_context(policy, "es"),
    }


def build_context(email: InboundEmail, analysis: Analysis, settings: Settings, *, tone: Tone,
                  facts: Facts | None = None, details: Details | None = None,
                  lang: str = "en") -> dict[str, Any]:
    """Everything the offline templates may use. All strings are sanitized facts.

    `lang` picks the language of the ready-made phrases (`thing`, `ref`, the policy's
    timeline and amounts); the facts themselves (product, name, ids) stay as written."""
    details = details or read_details(email)
    name = (clean_name(facts.customer_name) if facts else None) \
        or clean_name(analysis.customer_name)
    raw_ids = [facts.order_id] if facts and facts.order_id else []
    ids: list[str] = []
    for ident in (clean_id(x) for x in [*raw_ids, *analysis.order_ids]):
        if ident and ident not in ids:
            ids.append(ident)
    refs = [_reference(i, details.id_kinds.get(i, "order")) for i in ids]
    product = " ".join((analysis.product or "").split())[:60]
    if product.isupper():
        product = product.lower()
    product = product if _SAFE_PRODUCT.match(product) else ""
    ref = refs[0] if refs else None
    if product and ref:
        thing = f"your {product} ({ref})"
    elif product:
        thing = f"your {product}"
    elif ref:
        thing = f"your {ref}"
    else:
        thing = "your order"

    missing: list[str] = []
    category = analysis.category
    violent = Threat.violence in analysis.threats
    if not violent:
        if category in _NEEDS_ORDER and not ref:
            missing.append("order")
        if not name:
            missing.append("name")
        if category is Category.defective and not product:
            missing.append("product")
        if category is Category.account_locked:
            missing.append("account_email")
        if category is Category.rude_staff:
            missing.append("contact_details")
        if category is Category.other:
            missing.append("what_happened")

    labels = details.labels
    ctx = {
        "tone": tone.value,
        "variant": zlib.crc32(email.body.encode("utf-8", "replace")),
        "category": category.value,
        "fault": analysis.fault.value,
        "anger": analysis.anger.value,
        "abusive": analysis.abusive,
        "threats": [t.value for t in analysis.threats],
        "violent": violent,
        "escalate": analysis.escalate,
        "manager": "manager" in details.wants,
        "repeated": details.repeated,
        "wants": sorted(details.wants),
        "self_errors": list(details.self_errors),
        "name": name,
        "first_name": name.split()[0] if name else None,
        "ref": ref,
        "refs": refs,
        "product": product or None,
        "thing": thing,
        "duration": details.duration
        if details.duration and not _ES_DURATION.match(details.duration) else None,
        "not_arrived": bool(labels & {"the order has not arrived", "the parcel is missing",
                                      "the parcel went astray"}),
        "late": "the delivery is late" in labels,
        "double_charge": "they were charged twice for one purchase" in labels,
        "wrong_amount": "they were charged the wrong amount" in labels,
        "wrong_item": "the wrong item arrived" in labels,
        "damaged": "the item arrived damaged or faulty" in labels,
        "not_working": "the item does not work" in labels,
        "renewal": "they were charged for a renewal" in labels,
        "missing": missing,
        "company": settings.company.name,
        "agent_name": settings.company.agent_name,
        "signature": settings.company.signature.strip(),
        "support_hours": settings.company.support_hours,
        "policy": _policy_context(settings.policy),
    }
    if lang == "es":
        return _spanish(ctx, ids, details, settings.policy)
    return ctx


_GLUED = re.compile(r"([.!?;:])(?=[A-ZÁÉÍÓÚÑ¿¡])")


def _paragraph(text: str) -> str:
    """One paragraph: collapse template whitespace, keep a space between sentences."""
    return _GLUED.sub(r"\1 ", " ".join(text.split()))


def compose(email: InboundEmail, analysis: Analysis, settings: Settings, *, tone: Tone,
            facts: Facts | None = None, today: dt.date) -> Draft:
    """A complete draft from the offline templates. Deterministic for the same input."""
    details = read_details(email)
    lang = analysis.language if analysis.language in TEMPLATE_LANGUAGES else "en"
    note_ctx = build_context(email, analysis, settings, tone=tone, facts=facts, details=details)
    ctx = note_ctx if lang == "en" else build_context(
        email, analysis, settings, tone=tone, facts=facts, details=details, lang=lang)
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

    paragraphs: list[str] = []
    for group in PARAGRAPHS:
        text = " ".join(_paragraph(render(s)) for s in group)
        if text.strip():
            paragraphs.append(text.strip())
    paragraphs.append(render("signoff"))
    body = "\n\n".join(paragraphs)

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
    if analysis.escalate:
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
