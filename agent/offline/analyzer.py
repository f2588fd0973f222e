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

from agent.checks.abuse import ACRONYMS, INSULT, PROFANITY
from agent.inbound import InboundEmail
from agent.language import detect_language
from agent.models import Analysis, Anger, Category, Facts, Fault, Threat

_F = re.IGNORECASE


def _rx(pattern: str) -> re.Pattern[str]:
    """Patterns are written in lower case and run on lower-cased text (3x faster than re.I)."""
    return re.compile(pattern)


# --- categories -------------------------------------------------------------------------
# (category, pattern, weight, issue label). Strong signals weigh 3-5, weak ones 1. Every rule
# that matches adds its weight once, so several different signals for one category outweigh a
# single strong signal for another (the main complaint usually comes with most detail).
_NEG = r"(?:never|not|hasn'?t|has not|haven'?t|have not|didn'?t|did not|still not|yet to)"
_N = (r"(?:\d{1,3}|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
      r"twenty|several|a\s+few|a\s+couple\s+of)")
_MONEY = r"(?:[$€£]\s?\d|\d+(?:[.,]\d+)?\s?(?:€|eur\b|euros?\b|usd\b|dollars?\b|pounds?\b|gbp\b))"
_CHARGED = (r"(?:charg(?:ed|es|ing)|bill(?:ed|ing)|abgebucht|berechnet|cobra(?:do|ron|r)|"
            r"d[ée]bit[ée])")
# Overdue: waiting for weeks, a promised date gone by, "when it finally arrives".
_LATE_PHRASES = (r"\b(?:first|second|third|fourth|fifth|sixth|\d+(?:st|nd|rd|th))\s+week|"
                 r"weeks?\s+(?:of\s+)?waiting|waiting\s+(?:for\s+)?(?:over\s+|almost\s+|"
                 r"nearly\s+)?" + _N + r"\s+(?:days|weeks|months)|finally\s+(?:arrives?|"
                 r"arrived|shows\s+up|gets\s+here|turns\s+up|comes)|(?:promised|due|expected)"
                 r"\s+(?:for|by|on)\s+(?:last\s+)?\w+day|supposed\s+to\s+(?:arrive|be\s+here|"
                 r"be\s+delivered|come)|should\s+have\s+(?:arrived|been\s+(?:here|delivered))|"
                 r"said\s+it\s+would\s+(?:arrive|be\s+here|be\s+delivered)|"
                 r"would\s+(?:be\s+here|arrive|be\s+delivered)\s+(?:by|for|on|before)\b|"
                 r"dijeron\s+que\s+llegar[íi]a|deb[íi]a\s+(?:haber\s+)?llegad?o|"
                 r"sigo\s+esperando|llevo\s+\w+\s+(?:d[íi]as|semanas?)\s+esperando")
_STUCK = (r"(?:tracking|status|seguimiento)\b[^.]{0,40}?(?:hasn'?t|has\s+not|not|never|no)\s+"
          r"(?:moved|changed|updated|se\s+mueve)|sin\s+movimiento")
_PARTIAL = (r"\b(?:only\s+)?(?:one|1|half)\s+(?:of\s+the\s+)?(?:box|boxes|parcel|parcels|"
            r"package|packages)\s+(?:came|arrived|turned\s+up|showed\s+up)|(?:second|other|"
            r"missing|remaining)\s+(?:box|parcel|package)|half\s+(?:an|my|the)\s+order|"
            r"part\s+of\s+(?:my|the)\s+order")
# A safety hazard (fire, sparks, injury): a defect, and a reason to escalate.
_SAFETY = _rx(r"\bspark(?:ed|s|ing)?\b|caught\s+fire|on\s+fire|burst\s+into\s+flames|"
              r"\bsmok(?:e|ed|ing)\b|scorch\w*|electric\s+shock|shocked\s+me|electrocut\w*|"
              r"explod\w*|\bmelt(?:ed|ing)\b|overheat\w*|fire\s+hazard|safety\s+(?:hazard|issue|"
              r"risk)|\bdangerous\b|\binjur\w*|sprain\w*|hospital|emergency\s+room|"
              r"burn(?:ed|t)\s+(?:my|me|his|her)|allergic\s+reaction|poison\w*|"
              r"peligros[oa]|dangereux|gef[äa]hrlich")

_CATEGORY_RULES: list[tuple[Category, re.Pattern[str], int, str]] = [
    # delivery: not arrived, late, lost, astray, partial, wrong item, mishandled
    (Category.delivery, _rx(
        _NEG + r"\s+(?:been\s+|even\s+)?(?:arrived?|received?|delivered|shown up|turned up|"
        r"come|got(?:ten)?\s+(?:it|my|the))|(?:parcel|package|order|delivery|shipment|it)\s+"
        r"(?:still\s+)?(?:isn'?t|is\s+not|wasn'?t)\s+(?:still\s+)?(?:here|delivered)"),
     3, "the order has not arrived"),
    (Category.delivery, _rx(r"where(?:'?s| is| are| the \S+ (?:is|are))\s+my\s+(?:\w+\s+)?"
                            r"(?:order|package|parcel|delivery|stuff|items?|things|shipment|"
                            r"purchase)\b|find\s+my\s+(?:\w+\s+)?(?:order|package|parcel)"),
     3, "the order has not arrived"),
    (Category.delivery, _rx(r"\b(?:late|delayed|delay|overdue|still waiting|"
                            r"(?:package|parcel|delivery|shipment|order) (?:is|was) late)\b"),
     2, "the delivery is late"),
    (Category.delivery, _rx(_LATE_PHRASES), 2, "the delivery is late"),
    (Category.delivery, _rx(_STUCK), 3, "the delivery is late"),
    (Category.delivery, _rx(r"\b(?:lost|missing)\s+(?:package|parcel|order|delivery|shipment)|"
                            r"(?:package|parcel|shipment)\s+(?:was |is |got |has been )?"
                            r"(?:lost|missing|stolen)|(?:says|shows|showing|marked|listed|claims)"
                            r"\s+(?:as\s+|it\s+was\s+|it'?s\s+|they\s+were\s+|were\s+|was\s+)?"
                            r"delivered|left\s+(?:it\s+)?(?:at|by|on)\s+(?:the\s+|my\s+)?(?:front\s+)?"
                            r"(?:door|porch|doorstep)|\bstole\b|\bstolen\b"),
     3, "the parcel is missing"),
    (Category.delivery, _rx(_PARTIAL), 3, "the parcel is missing"),
    (Category.delivery, _rx(r"wrong\s+(?:delivery\s+|shipping\s+)?address|delivered\s+to\s+"
                            r"(?:the\s+)?wrong|(?:package|parcel|order|delivery)\s+(?:is|was|has)"
                            r"\s+(?:gone|vanished|disappeared)|(?:old|previous|former)\s+address|"
                            r"haven'?t\s+lived\s+there|moved\s+out\s+of|went\s+to\s+the\s+old"),
     3, "the parcel went astray"),
    (Category.delivery, _rx(r"(?:wrong|incorrect)\s+(?:item|product|size|colou?r|model)|"
                            r"(?:sent|received|got|shipped)\s+(?:me\s+)?(?:the\s+)?wrong|"
                            r"(?:somebody|someone)\s+else'?s|isn'?t\s+mine|not\s+what\s+i\s+"
                            r"(?:ordered|paid\s+for)|what\s+i\s+actually\s+(?:ordered|paid\s+for)|"
                            r"(?:expecting|expected|ordered)\s+(?:a|an|the)\s+[^.]{0,40}?\s+"
                            r"(?:and|but)\s+(?:found|got|received)"), 3, "the wrong item arrived"),
    (Category.delivery, _rx(r"(?:threw|thrown|tossed|dumped|chucked|kicked)\s+(?:my\s+|the\s+)?"
                            r"(?:parcel|package|box|order)"), 3, "a delivery problem"),
    (Category.delivery, _rx(r"\b(?:tracking|shipping|delivery|courier|shipped|dispatched|"
                            r"warehouse|express|expedited)\b"), 1, "a delivery problem"),
    (Category.delivery, _rx(r"no (?:me )?ha(?:n)? llegado|nunca lleg[óo]|no lleg[óo]|"
                            r"sigo esperando|d[óo]nde est[áa] mi pedido|retras|llegar[íi]a|"
                            r"paquete perdido|\bentrega\b|\benv[íi]o\b|pas\s+(?:encore\s+)?"
                            r"(?:re[çc]u|arriv[ée])|jamais\s+(?:re[çc]u|arriv)|o[uù]\s+est\s+"
                            r"(?:mon|ma)\s+(?:colis|commande)|nicht\s+angekommen|"
                            r"nie\s+angekommen|wo\s+ist\s+meine"),
     3, "the order has not arrived"),
    # billing: double charges, wrong amounts, fees, discounts, renewals
    (Category.billing, _rx(_CHARGED + r"\s+(?:me\s+|us\s+|my\s+(?:credit\s+|debit\s+)?"
                           r"(?:card|account)\s+)?(?:twice|two times|three times|\d+ times|"
                           r"double|2x|3x)|double[- ]?(?:charged|charge|billed)|"
                           r"duplicate\s+(?:charge|payment)|two\s+(?:identical\s+)?charges|"
                           r"paid\s+twice|charged\s+twice"), 4,
     "they were charged twice for one purchase"),
    (Category.billing, _rx(r"overcharg|wrong\s+amount|charged\s+(?:me\s+)?(?:the\s+)?wrong|"
                           r"charged\s+(?:me\s+)?more\s+than|extra\s+charge|"
                           r"unauthori[sz]ed\s+(?:charge|payment)|incorrect\s+(?:charge|bill)|"
                           r"(?:coupon|code|discount)\s+(?:was\s+)?(?:not|never)\s+applied"),
     3, "they were charged the wrong amount"),
    (Category.billing, _rx(_CHARGED + r"\s+(?:me\s+|us\s+|my\s+card\s+)?(?:a\s+)?" + _MONEY + "|"
                           + _CHARGED + r"\s+(?:me|us)\s+(?:for|a)\b|card\s+was\s+charged|"
                           r"\b(?:was|were|been|i)\s+charged\b"), 2, "a billing problem"),
    (Category.billing, _rx(r"\b(?:hidden|extra|restocking|handling|service|admin\w*|booking)\s+"
                           r"fees?\b|" + _MONEY + r"[\d.,]*\s+fee\b|fee\s+of\s+[$€£]|surcharge"),
     2, "a billing problem"),
    (Category.billing, _rx(r"promo(?:tion(?:al)?)?\s+code|discount\s+code|coupon|voucher\s+code|"
                           r"bait\s+and\s+switch|false\s+advertising|\d+%\s+off"),
     3, "a discount did not apply"),
    (Category.billing, _rx(r"\b(?:charge|charged|billing|billed|invoice|payment|statement|receipt|"
                           r"bill|fees?)\b"), 1, "a billing problem"),
    (Category.billing, _rx(r"auto-?renew|\brenew(?:al|ed|s)?\b|free\s+trial|\btrial\b|"
                           r"renovar|renovaci[óo]n|verl[äa]nger"),
     3, "they were charged for a renewal"),
    (Category.billing, _rx(r"cobra(?:do|ron)\s+dos\s+veces|cobro\s+(?:doble|duplicado|indebido)|"
                           r"cargo\s+doble|me\s+cobraron|\bfactura\b|abgebucht|abbuchung|"
                           r"rechnung|d[ée]bit[ée]|factur|pr[ée]lev"),
     3, "they were charged incorrectly"),
    # defective: broken, not working, safety hazards, poor fit
    (Category.defective, _rx(r"\b(?:broken|broke|defective|faulty|damaged|cracked|shattered|"
                             r"smashed|dented|torn|leaking|leaks|leaked|malfunction\w*)\b"),
     3, "the item arrived damaged or faulty"),
    (Category.defective, _rx(r"(?:doesn'?t|does not|won'?t|will not|stopped|isn'?t|is not|"
                             r"never)\s+(?:even\s+)?(?:work|working|turn on|switch on|"
                             r"power on|start|heat)"), 3, "the item does not work"),
    (Category.defective, _rx(r"\b(?:came|fell|coming|falling)\s+(?:off|apart)|\bsnapped\b|"
                             r"split\s+(?:along|in\s+two|down|open|apart)|\bripped\b|peeling|"
                             r"\brust(?:ed|y)\b"), 3, "the item arrived damaged or faulty"),
    (Category.defective, _rx(r"stopped\s+(?:dead|heating|charging|cooling|spinning|responding|"
                             r"holding)|(?:loses|lost|losing)\s+(?:suction|power|charge|pressure)|"
                             r"(?:won'?t|doesn'?t|does\s+not|didn'?t)\s+(?:hold\s+(?:a\s+)?charge|"
                             r"charge|heat\s+up)|supposed\s+to\s+(?:run|last|hold)|"
                             r"(?:want|like|need|expect\w*)\s+(?:a\s+)?working\s+\w+|"
                             r"dej[óo]\s+de\s+(?:funcionar|cargar|calentar)"),
     3, "the item does not work"),
    (Category.defective, _rx(r"(?:want|like|need|expect\w*)\s+(?:a\s+)?working\s+(?!day)\w+|"
                             r"\b(?:junk|garbage)\b"), 2, "the item does not work"),
    (Category.defective, _SAFETY, 3, "the item is a safety hazard"),
    (Category.defective, _rx(r"sizes?\s+too\s+(?:small|big|large)|too\s+(?:small|big|large|"
                             r"tight|loose)|size\s+chart"), 2, "the item does not fit"),
    (Category.defective, _rx(r"\broto\b|\brota\b|defectuos|dañad|no funciona|no enciende|"
                             r"lleg[óo] mal|cass[ée]e?\b|ab[îi]m[ée]|en\s+morceaux|"
                             r"d[ée]fectueu|ne\s+(?:marche|fonctionne)\s+(?:pas|plus)|kaputt|"
                             r"defekt|besch[äa]digt|funktioniert\s+nicht"),
     3, "the item arrived damaged or faulty"),
    # refunds refused or stuck
    (Category.refund_refused, _rx(
        r"(?:refus|deni|declin|reject)\w*\s+(?:my\s+|the\s+|a\s+|to\s+)?(?:refund|return)|"
        r"(?:refund|return)\s+(?:request\s+)?(?:was\s+|has\s+been\s+|got\s+|is\s+)?"
        r"(?:refused|denied|declined|rejected)|won'?t\s+(?:give\s+me|issue|process)\s+"
        r"(?:a\s+|my\s+)?refund|not\s+(?:eligible|entitled)\s+(?:for|to)\s+(?:a\s+)?refund|"
        r"refuse\w*\s+to\s+refund|no\s+refund|refunds?\s+(?:aren'?t|are\s+not|isn'?t|is\s+not)"
        r"\s+(?:possible|available|allowed)|(?:outside|past)\s+(?:the\s+|your\s+)?"
        r"(?:\d+[- ]day\s+)?(?:return\s+|refund\s+)?(?:window|period)|final\s+sale"),
     5, "a refund was refused"),
    (Category.refund_refused, _rx(r"(?:asked|applied|requested)\s+(?:you\s+)?(?:for\s+)?"
                                  r"(?:a\s+)?refund"), 3, "a refund request was not accepted"),
    (Category.refund_refused, _rx(r"(?:like|want|need|request|requesting|asking\s+for|demand)\s+"
                                  r"(?:a\s+|my\s+)?(?:full\s+)?refund"),
     2, "they are asking for a refund"),
    (Category.refund_refused, _rx(r"(?:negaron|rechazaron|niegan|denegaron)\s+(?:el\s+|mi\s+)?"
                                  r"reembolso|reembolso\s+(?:rechazado|denegado)|"
                                  r"no\s+me\s+(?:quieren\s+)?devolver"),
     5, "a refund was refused"),
    # account access
    (Category.account_locked, _rx(
        r"(?:locked|blocked|suspended|frozen|disabled|deactivated|closed)\s+(?:me\s+)?"
        r"(?:out\s+of\s+)?(?:my\s+)?(?:own\s+)?account|account\s+(?:is\s+|was\s+|has\s+been\s+|"
        r"got\s+)?(?:still\s+)?(?:locked|blocked|suspended|frozen|disabled|deactivated)"),
     4, "they are locked out of their account"),
    (Category.account_locked, _rx(r"locked\s+out|unlock\s+(?:my\s+)?account"), 3,
     "they are locked out of their account"),
    (Category.account_locked, _rx(r"(?:can'?t|cannot|couldn'?t|unable\s+to|can\s+not)\s+"
                                  r"(?:log|sign)\s*(?:in|on)(?:to)?|password\s+reset"),
     3, "they are locked out of their account"),
    (Category.account_locked, _rx(r"(?:reset|unlock|verification|login|log-in)\s+(?:link|email|"
                                  r"code|page)|reset\s+(?:my\s+)?password|\b2fa\b|two-factor|"
                                  r"access\s+to\s+my\s+(?:own\s+)?account"),
     2, "they cannot get into their account"),
    (Category.account_locked, _rx(r"cuenta\s+(?:bloqueada|suspendida|desactivada)|"
                                  r"no\s+puedo\s+(?:entrar|acceder|iniciar\s+sesi[óo]n)|"
                                  r"compte\s+(?:est\s+)?(?:bloqu|suspendu|d[ée]sactiv)|"
                                  r"d[ée]bloquez|konto\s+(?:ist\s+)?(?:gesperrt|blockiert)"),
     4, "they are locked out of their account"),
    # rude staff
    (Category.rude_staff, _rx(r"\b(?:rude|rudely|disrespectful|condescending|unprofessional|"
                              r"hung up on|laughed at me|yelled at me|shouted at me|"
                              r"talked down|dismissive|mocked me)\b"),
     3, "a member of staff treated them badly"),
    (Category.rude_staff, _rx(r"rolled\s+(?:his|her|their)\s+eyes|walked\s+(?:off|away)\s+"
                              r"(?:mid|while|from)|\blaughed\b|sarcastic|patroni[sz]\w*"),
     3, "a member of staff treated them badly"),
    (Category.rude_staff, _rx(r"humiliat\w*|embarrass\w*\s+(?:me|us)|made\s+me\s+feel\s+"
                              r"(?:small|stupid|like)"), 3, "a member of staff treated them badly"),
    (Category.rude_staff, _rx(r"told\s+me\s+(?:that\s+)?i\s+(?:was|am|had|should)|called\s+me\s+"
                              r"(?:a|an|stupid)|(?:closed|ended)\s+the\s+chat|hung\s+up|"
                              r"how\s+(?:do\s+)?you\s+train|train\s+your\s+(?:staff|people)"),
     3, "a member of staff treated them badly"),
    (Category.rude_staff, _rx(r"\b(?:your|the)\s+(?:\w+\s+)?(?:agent|rep|representative|staff|"
                              r"employee|driver|cashier|colleague|assistant|clerk|person on the "
                              r"phone|shift manager|store manager|man|woman|guy|lady)\s+"
                              r"(?:at|in|on|there)\b|\b(?:your|the)\s+(?:agent|rep|"
                              r"representative|staff|employee|driver|courier|cashier|colleague|"
                              r"customer service (?:rep|agent))\b|\bstore\b"),
     1, "a staff complaint"),
    (Category.rude_staff, _rx(r"maleducad|groser[oa]|descort[ée]s|me colg[óo]|"
                              r"falta de respeto|unh[öo]flich|impoli"),
     3, "a member of staff treated them badly"),
    # cancellation
    (Category.cancellation, _rx(r"(?<!noise-)(?<!noise )\bcancel(?:l?ed|l?ing|lation|s)?\b|"
                                r"unsubscribe|(?:stop|end|close)\s+(?:my\s+)?(?:subscription|"
                                r"membership|plan)"), 2, "they want to cancel"),
    (Category.cancellation, _rx(r"cancel\s+(?:my|the|this|our)\s+(?:[\w-]+\s+){0,2}?"
                                r"(?:subscription|membership|plan|account|order|contract|add-?on|"
                                r"service)|cancel\s+(?:order\s+)?#?\d|cancel\s+it\s+before|"
                                r"(?:want|need|like)\s+(?:it|this|that)\s+cancell?ed|"
                                r"(?:close|delete|deactivate)\s+my\s+account|delete\s+my\s+data|"
                                r"cancel\s+button|tried\s+to\s+cancel|stop\s+emailing|"
                                r"forgot\s+to\s+cancel"), 4, "they want to cancel"),
    (Category.cancellation, _rx(r"(?:charged|billed)\s+(?:me\s+)?(?:again\s+)?after\s+"
                                r"(?:i\s+)?cancel"), 3, "they were charged for a renewal"),
    (Category.cancellation, _rx(r"cancelar|cancelaci[óo]n|darme de baja|suscripci[óo]n|"
                                r"k[üu]ndigung|gek[üu]ndigt|k[üu]ndigen|\bvertrag\b|"
                                r"r[ée]silier|r[ée]siliation|d[ée]sabonner"),
     3, "they want to cancel"),
    (Category.cancellation, _rx(r"cancel(?:en|e|ar)\s+(?:la|mi|el)\s+(?:suscripci[óo]n|"
                                r"membres[íi]a|cuenta|plan|pedido)|no\s+quiero\s+seguir|"
                                r"darme\s+de\s+baja"), 4, "they want to cancel"),
]
_CANCEL_IGNORED = re.compile(
    r"\bi\s+(?:have\s+|had\s+|already\s+)?(?:cancell?ed|unsubscribed)\b.{0,200}?"
    r"(?:\bcharged\b|\bbilled\b|\bstill\b|\bagain\b|\bmore\b|\banother\b|\brenewed\b)|"
    r"gek[üu]ndigt.{0,200}?(?:trotzdem|dennoch|wieder|weiterhin)|"
    r"(?:cancel[ée]|di\s+de\s+baja).{0,200}?(?:cobra|otra\s+vez|de\s+nuevo|siguen)|"
    r"(?:r[ée]sili[ée]|annul[ée]).{0,200}?(?:pr[ée]lev|d[ée]bit|encore|toujours)", re.S)
_SAFETY_RULE = next(i for i, rule in enumerate(_CATEGORY_RULES) if rule[1] is _SAFETY)
_CANCEL_IGNORED_RULE = len(_CATEGORY_RULES)
_CATEGORY_RULES.append((Category.cancellation, _CANCEL_IGNORED, 4,
                        "they were still charged or contacted after cancelling"))
# When two categories score the same, the more specific one wins.
_PRIORITY = [Category.refund_refused, Category.account_locked, Category.billing,
             Category.defective, Category.delivery, Category.cancellation,
             Category.rude_staff, Category.other]

_BY_WEIGHT = sorted(range(len(_CATEGORY_RULES)), key=lambda i: -_CATEGORY_RULES[i][2])

# Phrases that look like a category signal but are not one: a button or a code that
# "doesn't work" is not a faulty product; "I ordered the wrong colour" is not a wrong item.
_NOT_SIGNALS = _rx(r"\b(?:code|coupon|voucher|link|button|website|site|app|page|checkout|"
                   r"password|login|phone\s+line|chat)\s+(?:still\s+|even\s+|just\s+)?"
                   r"(?:doesn'?t|does\s+not|won'?t|will\s+not|isn'?t|is\s+not|didn'?t)\s+"
                   r"(?:even\s+)?work|\bi\s+(?:ordered|chose|picked|selected|bought|clicked)\s+"
                   r"(?:the\s+)?wrong")

# --- threats, abuse, anger ----------------------------------------------------------------
_THREATS: list[tuple[Threat, re.Pattern[str]]] = [
    (Threat.legal, _rx(r"\b(?:lawyers?|attorneys?|solicitors?|sue|suing|sued|lawsuit|"
                       r"(?:in|to|into|the)\s+(?:small\s+claims\s+)?court|court\s+(?:case|action)|"
                       r"legal action|small claims|trading standards|legal team|"
                       r"consumer\s+protection|ombudsman|"
                       r"abogad[oa]s?|demandar?|demandaré|tribunal(?:es)?|juicio|"
                       r"acciones legales|(?:rechts)?anwalt|anw[äa]ltin|gericht|verklagen|"
                       r"avocat|poursuites|mise\s+en\s+demeure)\b")),
    (Threat.chargeback, _rx(r"\bcharge-?backs?\b|disput\w*\s+(?:the\s+|this\s+|it\s+|a\s+)?"
                            r"(?:charge|payment|transaction)|(?:dispute|report)\w*\s+"
                            r"(?:it\s+|this\s+)?with\s+my\s+(?:bank|card)|"
                            r"(?:opened|filed|file|open|raise|raised)\s+a\s+dispute|"
                            r"(?:call|contact|tell)\w*\s+my\s+(?:bank|credit card)|"
                            r"credit\s+card\s+company|contracargo|reclamar?\s+(?:a|con)\s+"
                            r"mi\s+banco|disputar")),
    (Threat.public_review, _rx(r"\b(?:bad|negative|terrible|1[- ]star|one[- ]star|honest|"
                               r"scathing|awful)\s+reviews?|reviews?\s+(?:everywhere|online)|"
                               r"(?:leave|write|post|leaving|writing|posting)\s+(?:a\s+|an\s+)?"
                               r"(?:\w+\s+)?review|trustpilot|twitter|\btweet|tiktok|"
                               r"social media|\bbbb\b|better business bureau|\byelp\b|"
                               r"facebook|instagram|reddit|go(?:ing)? viral|tell everyone|"
                               r"\d[\d,.]*k?\s+followers|my\s+followers|the\s+press\b|"
                               r"journalist|newspaper|"
                               r"rese[ñn]as?|redes sociales|mala opini[óo]n")),
    (Threat.violence, _rx(r"\b(?:kill|hurt|shoot|stab|punch|beat up|strangle)\s+(?:you|him|"
                          r"her|them|someone|somebody|whoever|your|the\s+(?:staff|manager|"
                          r"driver))|come\s+(?:down|over|round|around)\s+(?:there|to\s+your"
                          r"\s+\w+)\s+(?:myself\s+)?and\s+(?!(?:return|pick|collect|get|drop))|"
                          r"burn\s+(?:your|the)\s+\w+\s+down|watch\s+your\s+back|"
                          r"i\s+know\s+where\s+(?:you|your)|you'?ll\s+regret|"
                          r"(?:someone|somebody|you|people)\s+(?:is|are|'s|'re|will|'ll)\s+"
                          r"(?:going\s+to\s+|gonna\s+)?get\s+hurt|"
                          r"waiting\s+for\s+(?:him|her|you|them)\s+(?:in\s+the\s+car\s*park|"
                          r"in\s+the\s+parking|outside|after\s+(?:his|her|your|their)\s+shift)|"
                          r"better\s+bring\s+(?:friends|backup|help)|"
                          r"smash\s+your|break\s+your\s+(?:face|neck|legs)|"
                          r"\bmatar(?:te|los|les)?\b|te\s+voy\s+a\s+(?:pegar|romper|buscar)|"
                          r"romper(?:te|les)?\s+la\s+cara|s[ée]\s+d[óo]nde\s+(?:vives|est[áa]n)")),
]
# Profanity and insults: the same lists the guard and graders use.
_PROFANITY = PROFANITY
_INSULT = INSULT
# An insult the writer aims at themselves or denies ("I'm the idiot who...", "I am 62, not
# stupid") is not abuse; nor is a sentence that tells the reply bot what to write.
_NOT_ABUSE_BEFORE = re.compile(
    r"(?:\bnot|n't|\bi'?m|\bi\s+am|\bi\s+feel|\bi\s+felt|\bi\s+look|\bme\s+(?:feel|look)|"
    r"\bmyself)\s+(?:(?:a|an|the|so|such|just|that|as|like|being|this|total|complete|"
    r"real)\s+){0,3}$")
_TO_BOT = _rx(r"reply\s+bot|\bai\s+assistant|\bassistant\s+reading|language\s+model|chatbot|"
              r"\bbot\s*:|in\s+your\s+(?:answer|reply|response)|ignore\s+(?:your|all|previous)"
              r"\s+instructions|system\s+prompt")
_SENTENCE = re.compile(r"(?:[^.!?\n]|\n(?![ \t]*\n))+[.!?]*")  # sentences span line wraps
_HOSTILE = _rx(r"\b(?:ridiculous|unacceptable|disgrace\w*|disgusting|worst|joke|scam|pathetic|"
               r"furious|outraged|livid|angry|fed up|sick of|terrible|horrible|awful|absurd|"
               r"useless|appalling|shameful|insane|inaceptable|verg[üu]enza|estafa|hart[oa]|"
               r"indignante|rid[íi]culo|p[ée]simo|molest[oa]|enfadad[oa]|furios[oa])\b")
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")

# --- fault ----------------------------------------------------------------------------------
# The customer says it was their own doing (checked after negations are removed, so
# "not my fault" or "I didn't type the wrong address" never count).
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
# Denials removed before looking for admissions: "not my fault", "it wasn't my mistake",
# "I didn't make a mistake", "no fue mi culpa".
_DENIAL = _rx(r"(?:\bnot|n't|\bno|\bnever)\s+(?:(?:even|really|at\s+all|my|own|a|any)\s+){0,3}"
              r"(?:mistake|fault|error)\b|(?:\bnot|n't|\bno|\bnever)\s+(?:\w+\s+){0,2}?"
              r"(?:my|mine)\s+(?:own\s+)?(?:mistake|fault|error|bad)|"
              r"\bi\s+(?:didn'?t|did\s+not|never)\s+(?:\w+\s+){0,2}?(?:mistake|wrong)|"
              r"no\s+(?:fue|es)\s+(?:mi\s+culpa|error\s+m[íi]o)")
# Our error, said plainly: these beat any weaker sign that the customer was at fault.
_OURS = _rx(r"your\s+(?:own\s+)?(?:mistake|fault|error|screw-?up)|because\s+of\s+you\b|"
            r"you\s+(?:people\s+|guys\s+)?(?:lost|broke|messed|screwed|forgot|ignored)|"
            r"(?:charg|bill)(?:ed|ing)\s+(?:me\s+|us\s+|my\s+(?:credit\s+|debit\s+)?"
            r"(?:card|account)\s+)?(?:twice|double|two\s+times|three\s+times|\d+\s+times)|"
            r"double[- ]?charged|duplicate\s+(?:charge|payment)|two\s+(?:identical\s+)?charges|"
            r"arrived\s+(?:broken|damaged|cracked|smashed|dead)|(?:broken|damaged|defective|"
            r"faulty|dead)\s+on\s+arrival|(?:sent|received|got)\s+(?:me\s+)?(?:the\s+)?wrong\s+"
            r"(?:item|product|size|colou?r)|(?:coupon|code|discount)\s+(?:was\s+)?(?:not|never)"
            r"\s+applied|even\s+though\s+i\s+(?:updated|changed|corrected|cancell?ed)|"
            r"(?:approved|confirmed|promised)\b.{0,160}?\b(?:declined|refused|denied|rejected|"
            r"took\s+it\s+back|reversed)|cobra(?:do|ron|steis|is)\s+dos\s+veces|"
            r"habéis\s+cobrado\s+dos|lleg[óo]\s+rot[oa]|culpa\s+(?:de\s+)?ustedes")
# Signs the delivery is overdue (so the delay is ours), as opposed to "paid two weeks ago".
_OVERDUE = _rx(_LATE_PHRASES + "|" + _STUCK + "|" + _PARTIAL +
               r"|\b(?:late|delayed|overdue)\b|(?:been|waiting|waited|for|over)\s+(?:about\s+|"
               r"almost\s+|nearly\s+|more\s+than\s+|over\s+)?" + _N + r"\s+(?:days|weeks|months)|"
               r"\b(?:second|third|fourth|fifth|sixth|\d+(?:st|nd|rd|th))\s+week|"
               r"never\s+(?:arrived|came|showed\s+up|turned\s+up)|still\s+(?:hasn'?t|has\s+not|"
               r"not|isn'?t)\s+(?:arrived|arrive|here|come|been\s+delivered|shown\s+up|showed\s+up|"
               r"turned\s+up)|label\s+created|into\s+" + _N + r"\s+weeks")
# Weaker signs the customer's own choice caused it, read only for the matching category:
# an agreed auto-renewal or trial, an old address still on the order, a size that doesn't fit,
# a promo code whose terms it doesn't meet.
_THEIRS_WEAK: list[tuple[frozenset[Category], re.Pattern[str]]] = [
    (frozenset({Category.billing, Category.cancellation}),
     _rx(r"auto-?renew|\brenew(?:al|ed|s)?\b|\btrial\b|renovar|renovaci[óo]n")),
    (frozenset({Category.delivery}),
     _rx(r"(?:my\s+)?(?:old|previous|former)\s+address|haven'?t\s+lived\s+there|"
         r"moved\s+out\s+of|don'?t\s+live\s+there")),
    (frozenset({Category.defective, Category.other}),
     _rx(r"(?:doesn'?t|does\s+not|don'?t|didn'?t|won'?t)\s+fit\b|sizes?\s+too\s+(?:small|big|large)|"
         r"too\s+(?:small|big|large|tight|loose)")),
    (frozenset({Category.billing}),
     _rx(r"(?:code|coupon|voucher)\b[^.]{0,40}?(?:invalid|expired|doesn'?t\s+work|does\s+not\s+"
         r"work|won'?t\s+work|isn'?t\s+working|rejected)")),
]
# Charged one amount when another was shown: "total of $112 ... my card was charged $140".
_AMOUNTS = re.compile(r"[$€£]\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:€|eur\b|euros?\b|"
                      r"usd\b|dollars?\b|pounds?\b)")
_SHOWN = _rx(r"\b(?:total|checkout|cart|basket|showed|displayed|listed|advertised|quoted|"
             r"instead\s+of|even\s+though|although)\b|warenkorb|obwohl|statt|carrito|"
             r"en\s+lugar\s+de|panier|au\s+lieu\s+de")
_CHARGE_VERB = _rx(_CHARGED + r"|\bcharged?\b|\btook\b|\btaken\b")


def _charged_more_than_shown(low: str) -> bool:
    amounts = {float((m.group(1) or m.group(2)).replace(",", ".")) for m in _AMOUNTS.finditer(low)}
    return len(amounts) >= 2 and bool(_SHOWN.search(low)) and bool(_CHARGE_VERB.search(low))


# Categories where the complaint is about something we did unless shown otherwise.
_OURS_BY_DEFAULT = frozenset({Category.defective, Category.rude_staff})

# --- wants, repeats, details ------------------------------------------------------------------
_WANTS: list[tuple[str, re.Pattern[str]]] = [
    ("refund", _rx(r"\brefund|money\s+back|reimburs|reembolso|devoluci[óo]n|"
                   r"devuelvan\s+(?:mi|el)\s+dinero")),
    ("replacement", _rx(r"\breplace(?:ment|d)?\b|\bnew\s+one\b|\bexchange\b|reemplaz|"
                        r"sustitu|otro\s+nuevo")),
    ("cancel", _rx(r"\bcancel|unsubscribe|darme\s+de\s+baja|cancelar")),
    # Asking for a manager, not merely mentioning one ("your shift manager Steve").
    ("manager", _rx(r"(?:speak|talk|chat)\s+(?:to|with)\s+(?:a|an|your|the|some|an?other)?\s*"
                    r"(?:\w+\s+)?(?:manager|supervisor|boss)|(?:want|need|demand|get|give|put|"
                    r"see)\s+(?:me\s+)?(?:(?:to|through)\s+)?(?:a|an|your|the)\s+(?:manager|"
                    r"supervisor)|\bescalat\w*|someone\s+(?:more\s+)?(?:senior|in\s+charge|"
                    r"with\s+(?:authority|power))|higher\s+up|your\s+boss|(?:manager|supervisor)"
                    r"\s*(?:now|please|immediately)|(?:hablar|habl[ea])\s+con\s+(?:el|la|un|una|"
                    r"su)\s+(?:gerente|encargad[oa]|jefe|superior|responsable|supervisor)")),
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
_NUMBER_ES = (r"(?:\d{1,3}|una?|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|"
              r"trece|catorce|quince|diecis[ée]is|diecisiete|dieciocho|diecinueve|veinte|"
              r"treinta|vari[oa]s|unas?\s+cuantas|unos\s+cuantos)")
_DURATION_ES = _rx(r"(?:hace|llevo|llevamos|desde\s+hace|m[áa]s\s+de|casi)\s+(?:ya\s+)?("
                   + _NUMBER_ES + r"\s+(?:d[íi]as|semanas?|mes(?:es)?))\b")
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
    safety: bool = False  # describes a safety hazard (fire, sparks, injury)
    scores: tuple[tuple[Category, int], ...] = ()  # category scores, best first


def _score(signals: str) -> tuple[tuple[int, ...], tuple[tuple[Category, int], ...]]:
    """Which rules match, and each category's score. One phrase counts once per category
    ("was charged twice" is one signal, not three), strongest rule first; the category of
    the first strong signal gets a point, as a rambling email usually leads with its main
    complaint."""
    spans: dict[Category, list[tuple[int, int]]] = {}
    scores: dict[Category, int] = {}
    matched: list[int] = []
    first: tuple[int, Category] | None = None
    for index in _BY_WEIGHT:
        category, rx, weight, _ = _CATEGORY_RULES[index]
        taken = spans.setdefault(category, [])
        for m in rx.finditer(signals):
            start, end = m.span()
            if index not in matched:
                matched.append(index)
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            scores[category] = scores.get(category, 0) + weight
            if weight >= 2 and (first is None or start < first[0]):
                first = (start, category)
            break
    if first is not None:
        scores[first[1]] += 1
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], _PRIORITY.index(kv[0])))
    return tuple(sorted(matched)), tuple(ranked)


def _text(email: InboundEmail) -> str:
    text = f"{email.subject or ''}\n{email.body}"
    return text.replace("’", "'").replace("‘", "'")


def _lower(text: str) -> str:
    """Lower case without quotation marks, so 'refund was "declined"' reads as a phrase."""
    return text.lower().replace('"', "").replace("“", "").replace("”", "")


def read_details(email: InboundEmail) -> Details:
    """The situation details of an email (cached: the analyzer and composer both ask)."""
    return _details(email.subject or "", email.body)


@lru_cache(maxsize=256)
def _details(subject: str, body: str) -> Details:
    text = f"{subject}\n{body}".replace("’", "'").replace("‘", "'")
    low = _lower(text)
    signals = _NOT_SIGNALS.sub(" ", low)
    rules, scores = _score(signals)
    duration = None
    m = _DURATION.search(low)
    if m:
        duration = " ".join((m.group(1) or m.group(2)).split())
    elif m := _DURATION_ES.search(low):
        duration = " ".join(m.group(1).split())
    self_errors = tuple(name for name, rx in _THEIRS if rx.search(low))
    if self_errors:  # drop any admission that was really a denial
        admissions = _DENIAL.sub(" ", low)
        self_errors = tuple(name for name, rx in _THEIRS if rx.search(admissions))
    return Details(
        wants=frozenset(name for name, rx in _WANTS if rx.search(low)),
        duration=duration,
        repeated=bool(_REPEATED.search(low)),
        labels=frozenset(_CATEGORY_RULES[i][3] for i in rules),
        self_errors=self_errors,
        id_kinds=_find_ids(text),
        rules=rules,
        safety=_SAFETY_RULE in rules,
        scores=scores,
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
    caps_words = [w for w in _CAPS_WORD.findall(text) if w not in ACRONYMS]
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


def _abusive_hits(low: str) -> int:
    """Profanity and insults, leaving out insults the writer aims at themselves or denies
    ("I'm the idiot who paid", "not stupid") and sentences addressed to the reply bot."""
    if not (_PROFANITY.search(low) or _INSULT.search(low)):
        return 0
    hits = 0
    for m in _SENTENCE.finditer(low):
        sentence = m.group(0)
        if not (_PROFANITY.search(sentence) or _INSULT.search(sentence)) \
                or _TO_BOT.search(sentence):
            continue
        hits += len(_PROFANITY.findall(sentence))
        hits += sum(1 for i in _INSULT.finditer(sentence)
                    if not _NOT_ABUSE_BEFORE.search(sentence, 0, i.start()))
    return hits


def _fault(low: str, category: Category, details: Details, violent: bool) -> Fault:
    """Theirs when they say so; ours when our error is plain or the category implies it;
    unclear otherwise. Fault is never conceded to a threat of violence."""
    if details.self_errors:
        return Fault.theirs
    if violent:
        return Fault.unclear
    if _OURS.search(low) or (category is Category.cancellation
                             and _CANCEL_IGNORED_RULE in details.rules) or (
            category is Category.billing and _charged_more_than_shown(low)):
        return Fault.ours
    if category is Category.refund_refused:
        return Fault.unclear  # a disputed decision: the review decides
    if any(category in cats and rx.search(low) for cats, rx in _THEIRS_WEAK):
        return Fault.theirs
    if category in _OURS_BY_DEFAULT:
        return Fault.ours
    if category is Category.delivery and (
            _OVERDUE.search(low) or "the wrong item arrived" in details.labels):
        return Fault.ours
    return Fault.unclear


def analyze(email: InboundEmail, facts: Facts | None = None) -> Analysis:
    """Read the email with rules. Facts typed by the agent win over what the email says."""
    text = _text(email)
    low = _lower(text)
    details = read_details(email)

    issues: list[str] = []
    for index in details.rules:
        _, _, weight, label = _CATEGORY_RULES[index]
        if weight >= 2 and label not in issues:
            issues.append(label)
    category = Category.other
    if details.scores and details.scores[0][1] >= 2:
        category = details.scores[0][0]

    threats = [kind for kind, rx in _THREATS if rx.search(low)]
    violent = Threat.violence in threats
    abusive_hits = _abusive_hits(low)
    anger = _anger(text, low, abusive_hits, threats, details.repeated)
    fault = _fault(low, category, details, violent)

    # Escalate on violence, legal threats, a request for a manager and safety hazards.
    # A chargeback, a public review or a repeat contact alone does not escalate.
    reasons: list[str] = []
    if violent:
        reasons.append("threatens violence")
    if Threat.legal in threats:
        reasons.append("threatens legal action")
    if details.safety:
        reasons.append("reports a safety hazard")
        issues.append("reports a safety hazard")
    if "manager" in details.wants:
        reasons.append("asks for a manager")
        issues.append("asks to speak to a manager")
    if Threat.chargeback in threats:
        issues.append("mentions a chargeback with their bank")
    if details.repeated:
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
        abusive=abusive_hits > 0 or violent,
        threats=threats,
        fault=fault,
        language=detect_language(email.body),
        customer_name=name,
        order_ids=order_ids,
        product=_product(text),
        escalate=bool(reasons),
        escalation_reason="; ".join(reasons) or None,
    )
