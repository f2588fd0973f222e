"""A rule-based read of a customer email that fills the same `Analysis` the model fills.

Plain keyword and regular-expression rules (English, plus Spanish for categories,
threats, abuse and fault), so it is instant, deterministic and explainable. It only
extracts facts (ids, product nouns, names) in sanitized form; it never copies the
customer's sentences into anything a template will show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from agent.detect import INSULT, PROFANITY
from agent.inbound import InboundEmail
from agent.language import detect_language
from agent.models import Analysis, Anger, Category, Facts, Fault, Threat

_F = re.IGNORECASE


def _rx(pattern: str) -> re.Pattern[str]:
    """Patterns are written in lower case and run on lower-cased text (3x faster than re.I)."""
    return re.compile(pattern)


# --- categories -------------------------------------------------------------------------
# (category, pattern, weight, issue label). Strong signals weigh 2-3, weak ones 1.
_NEG = r"(?:never|not|hasn'?t|has not|haven'?t|have not|didn'?t|did not|still not|yet to)"
_CATEGORY_RULES: list[tuple[Category, re.Pattern[str], int, str]] = [
    (Category.delivery, _rx(
        _NEG + r"\s+(?:been\s+|even\s+)?(?:arrived?|received?|delivered|shown up|turned up|"
        r"come|got(?:ten)?\s+(?:it|my|the))"), 3, "the order has not arrived"),
    (Category.delivery, _rx(r"where(?:'?s| is| the hell is)\s+my\s+(?:order|package|parcel|"
                            r"delivery|stuff|item)"), 3, "the order has not arrived"),
    (Category.delivery, _rx(r"\b(?:late|delayed|delay|overdue|still waiting|"
                            r"(?:package|parcel|delivery|shipment|order) (?:is|was) late)\b"),
     2, "the delivery is late"),
    (Category.delivery, _rx(r"\b(?:lost|missing)\s+(?:package|parcel|order|delivery|shipment)|"
                            r"(?:package|parcel|shipment)\s+(?:was |is |got |has been )?"
                            r"(?:lost|missing|stolen)"), 3, "the parcel is missing"),
    (Category.delivery, _rx(r"wrong\s+(?:delivery\s+|shipping\s+)?address|delivered\s+to\s+"
                            r"(?:the\s+)?wrong|(?:package|parcel|order|delivery)\s+(?:is|was|has)"
                            r"\s+(?:gone|vanished|disappeared)"), 3, "the parcel went astray"),
    (Category.delivery, _rx(r"\b(?:tracking|shipping|delivery|courier|shipped|dispatched)\b"),
     1, "a delivery problem"),
    (Category.delivery, _rx(r"no (?:me )?ha(?:n)? llegado|nunca lleg[óo]|no lleg[óo]|"
                            r"sigo esperando|d[óo]nde est[áa] mi pedido|retras|"
                            r"paquete perdido|\bentrega\b|\benv[íi]o\b"),
     3, "the order has not arrived"),
    (Category.billing, _rx(r"charged\s+(?:me\s+|us\s+)?(?:twice|two times|double|2x|2 times)|"
                           r"double[- ]?(?:charged|charge|billed)|duplicate\s+(?:charge|payment)|"
                           r"billed\s+(?:me\s+)?twice|two\s+(?:identical\s+)?charges|"
                           r"paid\s+twice"), 4, "they were charged twice for one purchase"),
    (Category.billing, _rx(r"overcharg|wrong\s+amount|charged\s+(?:me\s+)?(?:the\s+)?wrong|"
                           r"charged\s+(?:me\s+)?more\s+than|extra\s+charge|"
                           r"unauthori[sz]ed\s+(?:charge|payment)|incorrect\s+(?:charge|bill)"),
     3, "they were charged the wrong amount"),
    (Category.billing, _rx(r"\b(?:charge|charged|billing|billed|invoice|payment|statement)\b"),
     1, "a billing problem"),
    (Category.billing, _rx(r"cobra(?:do|ron)\s+dos\s+veces|cobro\s+(?:doble|duplicado|indebido)|"
                           r"cargo\s+doble|me\s+cobraron|\bfactura\b"),
     3, "they were charged incorrectly"),
    (Category.defective, _rx(r"\b(?:broken|broke|defective|faulty|damaged|cracked|shattered|"
                             r"smashed|dented|torn|leaking|leaks|malfunction\w*)\b"),
     3, "the item arrived damaged or faulty"),
    (Category.defective, _rx(r"(?:doesn'?t|does not|won'?t|will not|stopped|isn'?t|is not|"
                             r"never)\s+(?:even\s+)?(?:work|working|turn on|switch on|"
                             r"power on|start|heat)"), 3, "the item does not work"),
    (Category.defective, _rx(r"(?:wrong|incorrect)\s+(?:item|product|size|colou?r|model)|"
                             r"(?:sent|received|got|shipped)\s+(?:me\s+)?(?:the\s+)?wrong"),
     3, "the wrong item arrived"),
    (Category.defective, _rx(r"\broto\b|\brota\b|defectuos|dañad|no funciona|no enciende|"
                             r"lleg[óo] mal|art[íi]culo equivocado"),
     3, "the item arrived damaged or faulty"),
    (Category.refund_refused, _rx(
        r"(?:refus|deni|declin|reject)\w*\s+(?:my\s+|the\s+|a\s+|to\s+)?(?:refund|return)|"
        r"(?:refund|return)\s+(?:request\s+)?(?:was\s+|has\s+been\s+|got\s+|is\s+)?"
        r"(?:refused|denied|declined|rejected)|won'?t\s+(?:give\s+me|issue|process)\s+"
        r"(?:a\s+|my\s+)?refund|not\s+(?:eligible|entitled)\s+(?:for|to)\s+(?:a\s+)?refund|"
        r"refuse\w*\s+to\s+refund|no\s+refund"), 5, "a refund was refused"),
    (Category.refund_refused, _rx(r"(?:negaron|rechazaron|niegan|denegaron)\s+(?:el\s+|mi\s+)?"
                                  r"reembolso|reembolso\s+(?:rechazado|denegado)|"
                                  r"no\s+me\s+(?:quieren\s+)?devolver"),
     5, "a refund was refused"),
    (Category.account_locked, _rx(
        r"(?:locked|blocked|suspended|frozen|disabled|deactivated|closed)\s+(?:me\s+)?"
        r"(?:out\s+of\s+)?(?:my\s+)?account|account\s+(?:is\s+|was\s+|has\s+been\s+|got\s+)?"
        r"(?:locked|blocked|suspended|frozen|disabled|deactivated)|locked\s+out|"
        r"(?:can'?t|cannot|unable\s+to|can\s+not)\s+(?:log|sign)\s*in(?:to)?|"
        r"password\s+reset"), 4, "they are locked out of their account"),
    (Category.account_locked, _rx(r"cuenta\s+(?:bloqueada|suspendida|desactivada)|"
                                  r"no\s+puedo\s+(?:entrar|acceder|iniciar\s+sesi[óo]n)"),
     4, "they are locked out of their account"),
    (Category.rude_staff, _rx(r"\b(?:rude|rudely|disrespectful|condescending|unprofessional|"
                              r"hung up on|laughed at me|yelled at me|shouted at me|"
                              r"talked down|dismissive|mocked me)\b"),
     3, "a member of staff treated them badly"),
    (Category.rude_staff, _rx(r"\b(?:your|the)\s+(?:agent|rep|representative|staff|employee|"
                              r"driver|courier|cashier|colleague|person on the phone|"
                              r"customer service (?:rep|agent))\b"), 1, "a staff complaint"),
    (Category.rude_staff, _rx(r"maleducad|groser[oa]|descort[ée]s|me colg[óo]|"
                              r"falta de respeto"), 3, "a member of staff treated them badly"),
    (Category.cancellation, _rx(r"\bcancel(?:l?ed|l?ing|lation|s)?\b|unsubscribe|"
                                r"(?:stop|end|close)\s+(?:my\s+)?(?:subscription|membership|"
                                r"plan)"), 2, "they want to cancel"),
    (Category.cancellation, _rx(r"(?:charged|billed)\s+(?:me\s+)?(?:again\s+)?after\s+"
                                r"(?:i\s+)?cancel|forgot\s+to\s+cancel|auto-?renew|"
                                r"\brenew(?:al|ed)\b"), 3, "they were charged for a renewal"),
    (Category.cancellation, _rx(r"cancelar|cancelaci[óo]n|darme de baja|suscripci[óo]n"),
     3, "they want to cancel"),
]
# When two categories score the same, the more specific one wins.
_PRIORITY = [Category.refund_refused, Category.account_locked, Category.billing,
             Category.defective, Category.delivery, Category.cancellation,
             Category.rude_staff, Category.other]

# --- threats, abuse, anger ----------------------------------------------------------------
_THREATS: list[tuple[Threat, re.Pattern[str]]] = [
    (Threat.legal, _rx(r"\b(?:lawyers?|attorneys?|solicitors?|sue|suing|sued|lawsuit|court|"
                       r"legal action|small claims|trading standards|legal team|"
                       r"abogad[oa]s?|demandar?|demandaré|tribunal(?:es)?|juicio|"
                       r"acciones legales)\b")),
    (Threat.chargeback, _rx(r"\bcharge-?backs?\b|dispute\s+(?:the\s+|this\s+|it\s+)?"
                            r"(?:charge|payment|transaction)|(?:dispute|report)\w*\s+"
                            r"(?:it\s+|this\s+)?with\s+my\s+(?:bank|card)|"
                            r"(?:call|contact|tell)\w*\s+my\s+(?:bank|credit card)|"
                            r"credit\s+card\s+company|contracargo|reclamar?\s+(?:a|con)\s+"
                            r"mi\s+banco|disputar")),
    (Threat.public_review, _rx(r"\b(?:bad|negative|terrible|1[- ]star|one[- ]star|honest|"
                               r"scathing|awful)\s+reviews?|reviews?\s+(?:everywhere|online)|"
                               r"(?:leave|write|post|leaving|writing|posting)\s+(?:a\s+|an\s+)?"
                               r"(?:\w+\s+)?review|trustpilot|twitter|\btweet|tiktok|"
                               r"social media|\bbbb\b|better business bureau|\byelp\b|"
                               r"facebook|instagram|reddit|go(?:ing)? viral|tell everyone|"
                               r"rese[ñn]as?|redes sociales|mala opini[óo]n")),
    (Threat.violence, _rx(r"\b(?:kill|hurt|shoot|stab|punch|beat up|strangle)\s+(?:you|him|"
                          r"her|them|someone|somebody|whoever|your|the\s+(?:staff|manager|"
                          r"driver))|come\s+(?:down|over|round|around)\s+(?:there|to\s+your"
                          r"\s+\w+)\s+and\s+(?!(?:return|pick|collect|get|drop))|"
                          r"burn\s+(?:your|the)\s+\w+\s+down|watch\s+your\s+back|"
                          r"i\s+know\s+where\s+(?:you|your)|you'?ll\s+regret|"
                          r"smash\s+your|break\s+your\s+(?:face|neck|legs)|"
                          r"\bmatar(?:te|los|les)?\b|te\s+voy\s+a\s+(?:pegar|romper|buscar)|"
                          r"romper(?:te|les)?\s+la\s+cara|s[ée]\s+d[óo]nde\s+(?:vives|est[áa]n)")),
]
# Profanity and insults: the same lists the guard and graders use.
_PROFANITY = PROFANITY
_INSULT = INSULT
_HOSTILE = _rx(r"\b(?:ridiculous|unacceptable|disgrace\w*|disgusting|worst|joke|scam|pathetic|"
               r"furious|outraged|livid|angry|fed up|sick of|terrible|horrible|awful|absurd|"
               r"useless|appalling|shameful|insane|inaceptable|verg[üu]enza|estafa|hart[oa]|"
               r"indignante|rid[íi]culo|p[ée]simo|molest[oa]|enfadad[oa]|furios[oa])\b")
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")
_ACRONYMS = frozenset({"USA", "UPS", "DHL", "FAQ", "PDF", "URL", "USD", "EUR", "GBP", "API",
                       "CEO", "SMS", "ETA", "ASAP", "USPS", "VAT", "SKU", "RMA", "BBB", "PIN",
                       "IBAN", "ATM", "LED", "HDMI", "USB", "GPS", "EST", "PST", "UTC", "GMT"})

# --- fault ----------------------------------------------------------------------------------
_THEIRS: list[tuple[str, re.Pattern[str]]] = [
    ("address", _rx(r"\bi\s+(?:typed|entered|put|gave|wrote|used|added)\s+(?:in\s+)?(?:the\s+|a\s+|"
                    r"my\s+)?(?:wrong|old|incorrect)\s+(?:\w+\s+)?(?:address|postcode|zip|"
                    r"post code|apartment|street)|puse\s+mal\s+la\s+direcci[óo]n|"
                    r"direcci[óo]n\s+(?:equivocada|incorrecta)\s+(?:que\s+)?(?:puse|escrib[íi])")),
    ("forgot_cancel", _rx(r"\bi\s+forgot\s+to\s+(?:cancel|turn off|unsubscribe|stop)|"
                          r"didn'?t\s+(?:reali[sz]e|notice|know)\s+(?:it|that|the\s+\w+)\s+"
                          r"(?:would\s+)?(?:auto-?)?renew|olvid[ée]\s+cancelar")),
    ("misread", _rx(r"\bi\s+(?:misread|misunderstood|didn'?t\s+read|did\s+not\s+read|"
                    r"overlooked|missed\s+the)|le[íi]\s+mal")),
    ("wrong_choice", _rx(r"\bi\s+(?:ordered|chose|picked|selected|bought|clicked)\s+(?:the\s+)?"
                         r"wrong|ped[íi]\s+(?:el|la)\s+(?:talla|modelo)\s+equivocad")),
    ("own_mistake", _rx(r"\bmy\s+(?:own\s+)?(?:mistake|fault|bad|error)\b|\bi\s+(?:made|make)\s+"
                        r"a\s+mistake|\bi\s+messed\s+up|me\s+equivoqu[ée]|fue\s+mi\s+culpa|"
                        r"error\s+m[íi]o")),
]
_OURS = _rx(r"your\s+(?:mistake|fault|error)|you\s+(?:people\s+|guys\s+)?(?:charged|sent|lost|"
            r"broke|messed|screwed|shipped)|charged\s+(?:me\s+)?(?:twice|double|two times)|"
            r"double[- ]?charged|duplicate\s+(?:charge|payment)|arrived\s+(?:broken|damaged|"
            r"cracked|smashed|dead)|(?:broken|damaged|defective|faulty|dead)\s+on\s+arrival|"
            r"(?:sent|received|got)\s+(?:me\s+)?(?:the\s+)?wrong\s+(?:item|product|size|colou?r)|"
            r"\b(?:late|delayed|overdue)\b|stopped\s+working|doesn'?t\s+work|does\s+not\s+work|"
            r"cobra(?:do|ron)\s+dos\s+veces|lleg[óo]\s+rot[oa]|culpa\s+(?:de\s+)?ustedes")

# --- wants, repeats, details ------------------------------------------------------------------
_WANTS: list[tuple[str, re.Pattern[str]]] = [
    ("refund", _rx(r"\brefund|money\s+back|reimburs|reembolso|devoluci[óo]n|"
                   r"devuelvan\s+(?:mi|el)\s+dinero")),
    ("replacement", _rx(r"\breplace(?:ment|d)?\b|\bnew\s+one\b|\bexchange\b|reemplaz|"
                        r"sustitu|otro\s+nuevo")),
    ("cancel", _rx(r"\bcancel|unsubscribe|darme\s+de\s+baja|cancelar")),
    ("manager", _rx(r"\b(?:manager|supervisor|someone\s+in\s+charge|your\s+boss|escalate|"
                    r"higher\s+up|head\s+of|gerente|encargad[oa]|jefe|superior)\b")),
    ("explanation", _rx(r"\bwhy\b|\bexplain|\bexplanation|por\s+qu[ée]")),
]
_REPEATED = _rx(r"\b(?:third|fourth|fifth|tenth|\d+(?:st|nd|rd|th))\s+time|"
                r"\b(?:three|four|five|six|several|multiple|many|countless|numerous|\d+)\s+"
                r"(?:times|emails|calls|messages)|\b(?:called|emailed|written|contacted|"
                r"chased)\s+(?:you\s+)?(?:again\s+and\s+again|repeatedly|over\s+and\s+over)|"
                r"keeps?\s+happening|happened\s+again|still\s+(?:hasn'?t|has\s+not|isn'?t|not)"
                r"\s+been\s+(?:fixed|resolved|sorted)|nobody\s+(?:has\s+)?(?:replied|answered|"
                r"got\s+back)|no\s+one\s+(?:has\s+)?(?:replied|answered|got\s+back)|"
                r"(?:tercera|cuarta)\s+vez|varias\s+veces|otra\s+vez|de\s+nuevo|\d+\s+veces")
_NUMBER = (r"(?:\d{1,3}|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
           r"several|a\s+few|a\s+couple\s+of)")
_DURATION = _rx(r"(?:for|over|been|waited|waiting|almost|nearly|more\s+than)\s+(?:about\s+)?("
                + _NUMBER + r"\s+(?:days?|weeks?|months?))\b|\b(" + _NUMBER
                + r"\s+(?:days?|weeks?|months?))\s+(?:ago|late|now|already)\b")
_ID_KEYWORD = re.compile(r"\b(order|ticket|case|invoice|reference|ref|pedido|factura|commande|"
                  r"bestellung|ordine)\s*(?:number|no\.?|num\.?|nº|n°|id|#|n[úu]mero|numero)?"
                  r"\s*[:#]?\s*([A-Z]{0,5}-?\d[A-Z0-9-]{2,19})\b", _F)
_HASH_ID = re.compile(r"#\s?([A-Z]{0,5}-?\d[A-Z0-9-]{2,19})\b", _F)
_ID_KINDS = {"order": "order", "pedido": "order", "commande": "order", "bestellung": "order",
             "ordine": "order", "ticket": "ticket", "case": "case", "invoice": "invoice",
             "factura": "invoice", "reference": "reference", "ref": "reference"}

_PRODUCTS = sorted("""
stand mixer|coffee maker|coffee machine|espresso machine|air fryer|food processor|
vacuum cleaner|robot vacuum|washing machine|bed frame|frying pan|knife set|cookware set|
dinner set|air purifier|rice cooker|slow cooker|pressure cooker|desk lamp|floor lamp|
office chair|dining table|coffee table|bookcase|blender|kettle|toaster|vacuum|lamp|chair|
table|desk|sofa|couch|mattress|pillow|pillows|duvet|rug|curtains|mirror|shelf|dresser|
wardrobe|microwave|oven|fridge|freezer|dishwasher|dryer|mixer|juicer|saucepan|pan|pot|
knives|plates|mugs|vase|heater|fan|humidifier|dehumidifier|iron|speaker|headphones|
earbuds|television|tv|monitor|laptop|phone|tablet|router|printer|camera|watch|shoes|
boots|jacket|dress|sweater|backpack|suitcase|stroller|crib|towels|sheets|bedding|
licuadora|tostadora|hervidor|aspiradora|l[áa]mpara|silla|mesa|sof[áa]|colch[óo]n|
cafetera|auriculares|freidora|microondas|nevera|batidora
""".replace("\n", "").split("|"), key=len, reverse=True)
_PRODUCT = _rx(r"\b(?:" + "|".join(p for p in _PRODUCTS if p) + r")\b")
_MODIFIER = re.compile(r"[a-z][a-z-]{1,15}")
_NOT_MODIFIER = frozenset("""
a an the my your our their his her this that these those new old broken damaged defective
faulty stupid useless damn fucking bloody cheap crappy last first second same other one two
three of for to and or but with from on in at is was it its i me we you they brand whole
entire expensive piece garbage junk el la los las mi un una nuevo nueva
""".split())

# --- names -------------------------------------------------------------------------------------
_CLOSING = re.compile(r"^\s*(?:thanks|thank\s+you|thx|regards|kind\s+regards|best\s+regards|best|"
               r"best\s+wishes|sincerely|yours\s+sincerely|yours\s+truly|yours|cheers|"
               r"regards|signed|from|saludos|un\s+saludo|atentamente|gracias|cordialmente)"
               r"[\s,.!-]*(?P<rest>.*)$", _F)
_NAME = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’.-]{0,20}"
                   r"(?:\s[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’.-]{0,20}){0,2}$")
_BARE_NAME = re.compile(r"^[A-ZÀ-Ö][a-zà-ÿ'’-]{1,20}(?:\s[A-ZÀ-Ö][a-zà-ÿ'’-]{1,20}){0,2}$")
_MY_NAME = re.compile(r"\b(?:[Mm]y name is|[Mm]e llamo|[Mm]i nombre es)\s+"
                      r"([A-ZÀ-Ö][a-zà-ÿ'’-]+(?:\s[A-ZÀ-Ö][a-zà-ÿ'’-]+)?)")
_NOT_NAMES = frozenset("""
customer client user me anonymous angry furious unhappy disappointed frustrated
a an the your you sent from no not never still thanks regards nobody someone buyer
valued loyal former ex done bye goodbye sorry please help order account
""".split())


@dataclass(frozen=True)
class Details:
    """Situation details the composer needs beyond `Analysis` (re-read from the email)."""

    wants: frozenset[str] = frozenset()
    duration: str | None = None
    repeated: bool = False
    labels: frozenset[str] = frozenset()
    self_errors: tuple[str, ...] = ()
    id_kinds: dict[str, str] = field(default_factory=dict)
    rules: tuple[int, ...] = ()  # indices of the _CATEGORY_RULES that matched


def _text(email: InboundEmail) -> str:
    text = f"{email.subject or ''}\n{email.body}"
    return text.replace("’", "'").replace("‘", "'")


def read_details(email: InboundEmail) -> Details:
    """The situation details of an email (cached: the analyzer and composer both ask)."""
    return _details(email.subject or "", email.body)


@lru_cache(maxsize=256)
def _details(subject: str, body: str) -> Details:
    text = f"{subject}\n{body}".replace("’", "'").replace("‘", "'")
    low = text.lower()
    rules = tuple(i for i, (_, rx, _, _) in enumerate(_CATEGORY_RULES) if rx.search(low))
    duration = None
    m = _DURATION.search(low)
    if m:
        duration = " ".join((m.group(1) or m.group(2)).split())
    return Details(
        wants=frozenset(name for name, rx in _WANTS if rx.search(low)),
        duration=duration,
        repeated=bool(_REPEATED.search(low)),
        labels=frozenset(_CATEGORY_RULES[i][3] for i in rules),
        self_errors=tuple(name for name, rx in _THEIRS if rx.search(low)),
        id_kinds=_find_ids(text),
        rules=rules,
    )


def _find_ids(text: str) -> dict[str, str]:
    found: dict[tuple[int, int], tuple[str, str]] = {}
    for m in _ID_KEYWORD.finditer(text):
        found[m.span(2)] = (m.group(2).upper(), _ID_KINDS.get(m.group(1).lower(), "order"))
    for m in _HASH_ID.finditer(text):
        if not any(s <= m.start(1) < e for s, e in found):
            found[m.span(1)] = (m.group(1).upper(), "order")
    ids: dict[str, str] = {}
    for _, (ident, kind) in sorted(found.items()):
        ident = ident.strip("-")
        if ident and ident not in ids and any(c.isdigit() for c in ident):
            ids[ident] = kind
    return ids


def clean_id(raw: str | None) -> str | None:
    """An order id from the agent's facts, reduced to letters, digits and dashes."""
    if not raw:
        return None
    ident = re.sub(r"[^A-Za-z0-9-]", "", raw.strip().lstrip("#")).upper()[:24]
    return ident or None


def clean_name(raw: str | None) -> str | None:
    """A plausible personal name, or None. Never returns template syntax or an address."""
    if not raw:
        return None
    name = " ".join(raw.strip().strip(",.;:!-—").split())
    if not name or not _NAME.match(name) or "@" in name:
        return None
    if any(word.lower() in _NOT_NAMES for word in name.split()):
        return None
    if name.isupper() or name.islower():
        name = " ".join(w[:1].upper() + w[1:].lower() for w in name.split())
    return name


def _sign_off_name(email: InboundEmail) -> str | None:
    lines = [ln.strip() for ln in email.body.splitlines() if ln.strip()]
    if email.signature:
        sig = [ln.strip() for ln in email.signature.splitlines()
               if ln.strip() and not re.fullmatch(r"-- ?|—", ln.strip())]
        if sig and clean_name(sig[0].lstrip("-— ")):
            return clean_name(sig[0].lstrip("-— "))
    tail = lines[-4:]
    for i, line in enumerate(tail):
        m = _CLOSING.match(line)
        if m and len(line) <= 40:
            rest = m.group("rest").strip()
            if rest:
                return clean_name(rest)
            if i + 1 < len(tail):
                return clean_name(tail[i + 1].lstrip("-— "))
    if tail and re.match(r"^[-—~]\s*\S", tail[-1]):
        return clean_name(tail[-1].lstrip("-—~ "))
    # A bare name on its own last paragraph: "...\n\nLucía".
    raw = email.body.rstrip().splitlines()
    if len(raw) >= 3 and not raw[-2].strip() and _BARE_NAME.match(raw[-1].strip()) \
            and not _HOSTILE.search(raw[-1]):
        return clean_name(raw[-1])
    m2 = _MY_NAME.search(email.body)
    return clean_name(m2.group(1)) if m2 else None


_BOUGHT = re.compile(r"\b(?:ordered|bought|purchased|received)\s+(?:the|a|an|my|this|your)\s+"
                     r"([A-Z][A-Za-z0-9-]*(?:\s+[A-Za-z0-9][A-Za-z0-9-]*){0,5})")
_PHRASE_STOP = frozenset("""
from on last in for and which that but ago weeks days months week day month two three four
five a an the it is was has have had with at to of by because since order my your
""".split())


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
    low = text.lower()
    for m in _PRODUCT.finditer(low):
        head = m.group(0)
        mods: list[str] = []
        for word in reversed(low[max(0, m.start() - 40):m.start()].split()[-2:]):
            if not _MODIFIER.fullmatch(word):
                break
            mods.insert(0, word)
        while mods and mods[0] in _NOT_MODIFIER:
            mods.pop(0)
        if any(w in _NOT_MODIFIER or _INSULT.fullmatch(w) or _PROFANITY.fullmatch(w)
               for w in mods):
            mods = []
        return " ".join([*mods, head])
    return None


def _anger(text: str, low: str, abusive_hits: int, threats: list[Threat], repeated: bool) -> Anger:
    score = 0
    letters = [c for c in text if c.isalpha()]
    caps_words = [w for w in _CAPS_WORD.findall(text) if w not in _ACRONYMS]
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
    score += min(len(_HOSTILE.findall(low)), 3)
    score += len(threats) + (3 if Threat.violence in threats else 0)
    score += 1 if repeated else 0
    if score >= 7:
        return Anger.furious
    if score >= 4:
        return Anger.angry
    if score >= 1:
        return Anger.irritated
    return Anger.calm


_GOALS = {
    Category.delivery: "to receive the order, or at least know where it is",
    Category.billing: "to have the incorrect charge put right",
    Category.defective: "a working item in place of the faulty one",
    Category.refund_refused: "to have the refused refund looked at again",
    Category.account_locked: "to get back into their account",
    Category.rude_staff: "to have the way they were treated taken seriously",
    Category.cancellation: "to cancel and not be charged again",
    Category.other: "to have their complaint looked at and resolved",
}


def analyze(email: InboundEmail, facts: Facts | None = None) -> Analysis:
    """Read the email with rules. Facts typed by the agent win over what the email says."""
    text = _text(email)
    low = text.lower()
    details = read_details(email)

    scores: dict[Category, int] = {}
    issues: list[str] = []
    for index in details.rules:
        category, _, weight, label = _CATEGORY_RULES[index]
        scores[category] = scores.get(category, 0) + weight
        if weight >= 2 and label not in issues:
            issues.append(label)
    best = max(scores.values(), default=0)
    category = Category.other
    if best >= 2:
        category = next(c for c in _PRIORITY if scores.get(c, 0) == best)

    threats = [kind for kind, rx in _THREATS if rx.search(low)]
    abusive_hits = len(_PROFANITY.findall(low)) + len(_INSULT.findall(low))
    anger = _anger(text, low, abusive_hits, threats, details.repeated)

    if details.self_errors:
        fault = Fault.theirs
    elif _OURS.search(low) or (category is Category.delivery and details.duration):
        fault = Fault.ours
    else:
        fault = Fault.unclear

    reasons: list[str] = []
    if Threat.violence in threats:
        reasons.append("threatens violence")
    if Threat.legal in threats:
        reasons.append("threatens legal action")
    if Threat.chargeback in threats:
        reasons.append("mentions a chargeback with their bank")
    if "manager" in details.wants:
        reasons.append("asks for a manager")
        issues.append("asks to speak to a manager")
    if details.repeated:
        reasons.append("says this has failed repeatedly")
        issues.append("has already contacted us about this more than once")

    order_ids = list(details.id_kinds)
    fact_id = clean_id(facts.order_id) if facts else None
    if fact_id:
        order_ids = [fact_id, *[i for i in order_ids if i != fact_id]]

    name = (clean_name(facts.customer_name) if facts else None) or _sign_off_name(email) \
        or clean_name(email.sender_name)

    goal = f"The customer wants {_GOALS[category]}"
    if "refund" in details.wants and category is not Category.refund_refused:
        goal += ", and asks for their money back"
    elif "replacement" in details.wants:
        goal += ", and asks for a replacement"

    return Analysis(
        goal=goal + ".",
        issues=issues or ["the customer is unhappy with our service"],
        category=category,
        anger=anger,
        abusive=abusive_hits > 0,
        threats=threats,
        fault=fault,
        language=detect_language(email.body),
        customer_name=name,
        order_ids=order_ids,
        product=_product(text),
        escalate=bool(reasons),
        escalation_reason="; ".join(reasons) or None,
    )
