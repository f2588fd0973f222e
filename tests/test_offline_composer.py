"""The offline composer: playbook sections, policy limits, missing facts, safety."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from agent.config import Company, Policy, Settings
from agent.guard import check_draft, guard_context
from agent.inbound import parse_text
from agent.language import detect_language
from agent.models import Draft, Facts, Tone
from agent.offline import analyze, compose

TODAY = dt.date(2026, 3, 2)

LATE = ("Subject: order #48213\n\nI ordered the Aeropress Go travel kit two weeks ago and it "
        "still hasn't arrived. I want it or my money back.\n\nThanks,\nDana")
DOUBLE = "You charged me twice for order 99812, please fix it.\n\nRegards,\nOmar"
BROKEN = "My stand mixer from order 31337 arrived broken.\n\nThanks,\nLee"
REFUSED = "You refused my refund on order 10022 for no reason.\n\nThanks,\nKim"
LOCKED = "My account is locked and I can't log in.\n\nThanks,\nAda"
RUDE = "The agent on the phone was rude and hung up on me.\n\nThanks,\nRay"
CANCEL = "Please cancel my subscription, order 5521.\n\nThanks,\nEve"
OTHER = "I am not happy with how things went.\n\nThanks,\nSal"
ABUSIVE = ("You IDIOTS charged me TWICE for order 77001. Useless bloody clowns, fix this "
           "shit.\n\nTom")
VIOLENT = ("Order 40404 is late AGAIN. If it's not here by Friday I will come down there and "
           "make you regret it.\n\nVic")
LEGAL = "Order 12121 never arrived. My lawyer will be in touch.\n\nThanks,\nLia"
WRONG_ADDRESS = ("I typed the wrong address on order 65432 and now the parcel is gone. Where "
                 "is it?\n\nThanks,\nJo")
FORGOT = ("I forgot to cancel my membership and you renewed it, order 8080. I want it "
          "cancelled.\n\nThanks,\nMia")
ALL = [LATE, DOUBLE, BROKEN, REFUSED, LOCKED, RUDE, CANCEL, OTHER, ABUSIVE, VIOLENT, LEGAL,
       WRONG_ADDRESS, FORGOT]


def draft(text: str, *, tone: Tone = Tone.warm, settings: Settings | None = None,
          facts: Facts | None = None) -> Draft:
    email = parse_text(text)
    return compose(email, analyze(email, facts), settings or Settings(), tone=tone,
                   facts=facts, today=TODAY)


def paragraphs(d: Draft) -> list[str]:
    return d.body.split("\n\n")


@pytest.mark.parametrize("text", ALL)
def test_no_empty_slots_non_apologies_or_template_leftovers(text: str) -> None:
    for tone in Tone:
        d = draft(text, tone=tone)
        for bad in ("None", "Dear ,", "Hi ,", "#None", "{{", "{%", "  ", " ,", " .",
                    "sorry you feel", "sorry if", "sorry that you feel"):
            assert bad not in d.body, (bad, d.body)
            assert bad not in d.subject
        assert d.body.endswith(Settings().company.signature)
        assert d.internal_note.follow_up == TODAY + dt.timedelta(days=3)
        assert "offline" in d.internal_note.summary


@pytest.mark.parametrize(
    ("text", "category", "specifics"),
    [
        (LATE, "delivery", ["order #48213", "Aeropress Go travel kit", "two weeks",
                                   "check the tracking"]),
        (DOUBLE, "billing", ["order #99812", "twice", "check the payments"]),
        (BROKEN, "defective", ["stand mixer", "order #31337", "damaged", "replacement"]),
        (REFUSED, "refund_refused", ["order #10022", "turned down", "within 30 days"]),
        (LOCKED, "account_locked", ["locked out", "never ask you for your password"]),
        (RUDE, "rude_staff", ["treated you badly", "phone, chat or email"]),
        (CANCEL, "cancellation", ["cancel", "order #5521", "no further payments"]),
        (OTHER, "other", ["what outcome you would like"]),
    ],
)
def test_each_category_restates_specifics_and_offers_a_next_step(
        text: str, category: str, specifics: list[str]) -> None:
    email = parse_text(text)
    analysis = analyze(email)
    assert analysis.category == category
    d = compose(email, analysis, Settings(), tone=Tone.warm, today=TODAY)
    for phrase in specifics:
        assert phrase in d.body, (phrase, d.body)
    assert "within 48 hours" in d.body


def test_wording_varies_by_category() -> None:
    middles = {paragraphs(draft(t))[1] for t in (LATE, DOUBLE, BROKEN, REFUSED, LOCKED, RUDE,
                                                 CANCEL, OTHER)}
    assert len(middles) == 8


def test_wording_varies_by_tone() -> None:
    warm, neutral, formal = (draft(DOUBLE, tone=t) for t in (Tone.warm, Tone.neutral,
                                                             Tone.formal))
    assert warm.body.startswith("Hi Omar,")
    assert neutral.body.startswith("Hello Omar,")
    assert formal.body.startswith("Dear Omar,")
    assert "Yours sincerely," in formal.body and "Best wishes," in warm.body
    assert len({warm.body, neutral.body, formal.body}) == 3


def test_abusive_email_gets_a_boundary_and_no_mirrored_insult() -> None:
    d = draft(ABUSIVE)
    assert "respectful" in d.body
    lowered = d.body.lower()
    for word in ("idiot", "useless", "clown", "shit", "bloody"):
        assert word not in lowered
    caps = [w for w in re.findall(r"\b[A-Z]{3,}\b", d.body)]
    assert caps == []
    polite = draft(DOUBLE)
    assert "respectful" not in polite.body


def test_violence_threat_is_escalated_and_the_conversation_stops() -> None:
    d = draft(VIOLENT)
    assert "threats of harm" in d.body
    assert "a team lead" in d.body
    assert d.internal_note.escalation is not None
    assert "violence" in d.internal_note.escalation
    # No offer or cheerful sign-off while there is a threat of violence.
    assert "replacement" not in d.body and "refund" not in d.body
    assert "Thank you" not in d.body and "Thanks" not in d.body
    assert "regret" not in d.body


def test_legal_threat_is_escalated_in_reply_and_note() -> None:
    d = draft(LEGAL)
    assert "legal action" in d.body and "a team lead" in d.body
    assert d.internal_note.escalation is not None
    assert "legal" in d.internal_note.escalation
    assert draft(DOUBLE).internal_note.escalation is None


def test_escalation_contact_comes_from_policy() -> None:
    settings = Settings(policy=Policy(escalation_contact="our customer care manager"))
    d = draft("Let me talk to your supervisor about order 12345.", settings=settings)
    assert "our customer care manager" in d.body
    assert d.internal_note.escalation is not None
    assert "our customer care manager" in d.internal_note.escalation


def test_fault_ours_is_owned_plainly() -> None:
    assert "the mistake is ours" in draft(DOUBLE).body
    assert "that's our mistake, not yours" in draft(BROKEN).body


def test_fault_unclear_apologises_for_the_experience() -> None:
    d = draft(LOCKED)
    assert "sorry" in d.body.lower()
    assert "mistake is ours" not in d.body and "on us" not in d.body


@pytest.mark.parametrize("text", [WRONG_ADDRESS, FORGOT])
def test_customer_mistake_is_pointed_out_indirectly(text: str) -> None:
    d = draft(text)
    assert "Let's look at this together" in d.body
    lowered = d.body.lower()
    for blame in ("your mistake", "your fault", "you typed", "you forgot", "you should have",
                  "our mistake", "mistake is ours"):
        assert blame not in lowered


def test_missing_name_becomes_a_question_not_an_empty_slot() -> None:
    d = draft("You charged me twice for order 99812.")
    assert d.body.startswith("Hi there,")
    assert "the name the order is under" in d.body
    assert draft("You charged me twice for order 99812.", tone=Tone.formal).body.startswith(
        "Dear customer,")


def test_missing_order_number_is_asked_for() -> None:
    d = draft("My kettle arrived broken.\n\nThanks,\nPriya")
    assert "order number" in d.body
    assert "your kettle arrived damaged" in d.body
    assert "order #" not in d.body
    assert "order number" not in draft(BROKEN).body


def test_missing_product_on_a_defect_is_asked_for() -> None:
    d = draft("Order 1234 arrived damaged.\n\nThanks,\nPriya")
    assert "Which item is affected" in d.body


def test_template_syntax_in_the_email_stays_inert() -> None:
    text = ("Subject: {{ 7*7 }}\n\nMy order {{ 7*7 }} {% for x in range(3) %}X{% endfor %} "
            "arrived broken. {{ config }}\n\nThanks,\n{{ 7*7 }}")
    d = draft(text)
    assert "49" not in d.body and "49" not in d.subject
    assert "XXX" not in d.body
    assert "{{" not in d.body
    assert d.body.startswith("Hi there,")


def test_agent_notes_with_template_syntax_come_out_literally() -> None:
    d = draft(BROKEN, facts=Facts(notes="shipped {{ 7*7 }} on 3 May"))
    assert "shipped {{ 7*7 }} on 3 May" in d.internal_note.summary


def test_unsafe_values_in_a_model_analysis_are_not_shown() -> None:
    email = parse_text(BROKEN)
    analysis = analyze(email).model_copy(update={
        "product": "{{ 7*7 }} mixer", "customer_name": "{% raw %}", "order_ids": ["{{1}}"]})
    d = compose(email, analysis, Settings(), tone=Tone.warm, today=TODAY)
    assert "{" not in d.body and "7*7" not in d.body
    assert d.body.startswith("Hi there,")


@pytest.mark.parametrize("text", [LATE, DOUBLE, BROKEN, REFUSED, FORGOT, CANCEL])
def test_no_refund_promise_when_policy_forbids_refunds(text: str) -> None:
    settings = Settings(policy=Policy(refunds=False, replacements=False, max_credit=15))
    d = draft(text, settings=settings)
    for sentence in re.split(r"(?<=[.?!])\s+", d.body):
        lowered = sentence.lower()
        if "refund" in lowered and "not able" not in lowered and "can't" not in lowered:
            assert not re.search(r"\b(will|can|could|'ll|happy to)\b", lowered), sentence
    for amount in re.findall(r"\$(\d+(?:\.\d+)?)", d.body):
        assert float(amount) <= 15


def test_refund_refused_without_refunds_offers_alternatives() -> None:
    settings = Settings(policy=Policy(refunds=False, max_credit=10))
    d = draft(REFUSED, settings=settings)
    assert "not able to offer a refund" in d.body
    assert "replacement" in d.body and "$10.00" in d.body


def test_credit_never_exceeds_policy_and_uses_its_currency() -> None:
    text = "My order 4545 is a week late.\n\nThanks,\nNed"
    d = draft(text, settings=Settings(policy=Policy(max_credit=12.5, currency="EUR")))
    assert "€12.50" in d.body
    none = draft(text, settings=Settings(policy=Policy(credits=False)))
    assert "credit" not in none.body


def test_refund_cap_is_stated_when_set() -> None:
    d = draft(BROKEN, settings=Settings(policy=Policy(max_refund=40)))
    assert "up to $40.00" in d.body


@pytest.mark.parametrize(("hours", "phrase"), [(24, "within 24 hours"),
                                               (72, "within 3 days"),
                                               (48, "within 48 hours")])
def test_timeline_follows_policy_response_hours(hours: int, phrase: str) -> None:
    d = draft(LATE, settings=Settings(policy=Policy(response_hours=hours)))
    assert phrase in d.body
    for word in ("today", "tomorrow", "right away", "immediately"):
        assert word not in d.body.lower()


def test_signature_and_company_come_from_settings() -> None:
    settings = Settings(company=Company(name="Birch & Co", signature="Alex\nBirch & Co"))
    d = draft(OTHER, settings=settings)
    assert d.body.endswith("Alex\nBirch & Co")


FRENCH = ("Bonjour, ma commande 40-2288 est arrivée cassée. Je suis vraiment déçue et je "
          "veux une solution rapidement.\n\nÉlodie")
GERMAN = ("Guten Tag, für meine Bestellung #83004 wurden mir 149 Euro abgebucht, obwohl im "
          "Warenkorb 119 Euro standen. Ich erwarte eine Erstattung.\n\nJürgen Albrecht")


@pytest.mark.parametrize(("text", "language"), [(FRENCH, "French"), (GERMAN, "German")])
def test_languages_without_templates_fall_back_to_english_with_the_flag(
        text: str, language: str) -> None:
    d = draft(text)
    assert detect_language(d.body) == "en"
    assert f"customer wrote in {language}" in d.internal_note.summary
    assert "must answer in that language" in d.internal_note.summary
    assert "wrote in" not in draft(LATE).internal_note.summary


# --- Spanish: answered in Spanish from prompts/offline/es/ ------------------------------------
ES_DELIVERY = ("Asunto: ¿Dónde está mi pedido?\n\nHola. Hice el pedido #72119 (una cafetera "
               "italiana) hace dieciocho días y todavía no ha llegado. He escrito dos veces y "
               "nadie me contesta. Quiero saber dónde está o que me devuelvan el dinero."
               "\n\nLucía")
ES_BILLING = ("Me han cobrado dos veces el pedido 33-4107. Llevo una semana esperando que "
              "alguien lo arregle. Devuélvanme el cargo duplicado, por favor.\n\nSaludos,\nMarta")
ES_DEFECTIVE = ("Hola, compré una lámpara de escritorio (pedido 77120) y llegó con el cable "
                "roto. Es la segunda vez que me pasa con ustedes y estoy muy molesta. Quiero "
                "una solución ya.\n\nLucía")
ES_CANCEL = ("Me acaban de cobrar 39 € por renovar la suscripción de la revista, pedido 5521, "
             "y yo no quiero seguir. Cancelen la suscripción y devuélvanme el dinero, por "
             "favor.\n\nCarmen")
ES_LOCKED = ("Mi cuenta está bloqueada y no puedo iniciar sesión desde hace tres días. Necesito "
             "entrar ya para ver mis facturas.\n\nSaludos,\nJavier")
ES_ABUSIVE = ("Sois unos INÚTILES y unos ladrones. Me habéis cobrado dos veces el pedido 77001. "
              "Arreglad esta mierda ya.\n\nTomás")
ES_VIOLENT = ("El pedido 40404 llega tarde otra vez. Si no está aquí el viernes iré a vuestra "
              "oficina y os voy a romper la cara.\n\nVíctor")
ES_NO_ORDER = ("Mi pedido no ha llegado y ya han pasado dos semanas. Estoy harto y quiero una "
               "solución.")
ES_ALL = [ES_DELIVERY, ES_BILLING, ES_DEFECTIVE, ES_CANCEL, ES_LOCKED, ES_ABUSIVE, ES_VIOLENT,
          ES_NO_ORDER]
# English sentences that must never appear in a Spanish reply (the signature is config, so
# only the body before it is checked).
_ENGLISH = re.compile(r"\b(thank you|thanks|sorry|apologi[sz]e|i understand|your order|order #|"
                      r"within \d+|dear|hello|hi there|best wishes|kind regards|yours sincerely|"
                      r"could you|i will|i can)\b", re.I)


def reply_text(d: Draft) -> str:
    """Subject and body without the configured (English) signature."""
    body = d.body.removesuffix(Settings().company.signature)
    return f"{d.subject}\n{body}"


@pytest.mark.parametrize("text", ES_ALL)
def test_spanish_email_gets_a_spanish_reply_the_guard_accepts(text: str) -> None:
    email = parse_text(text)
    analysis = analyze(email)
    assert analysis.language == "es"
    for tone in Tone:
        d = compose(email, analysis, Settings(), tone=tone, today=TODAY)
        assert detect_language(d.body) == "es", d.body
        assert not _ENGLISH.search(reply_text(d)), (_ENGLISH.search(reply_text(d)), d.body)
        assert check_draft(d, analysis, guard_context(Settings(), email)) == [], d.body
        for bad in ("None", "{{", "{%", "  ", " ,", " .", "#None", "order"):
            assert bad not in reply_text(d), (bad, d.body)
        assert d.body.endswith(Settings().company.signature)
        # The internal note stays in English for the agent, without the language flag.
        note = d.internal_note.summary
        assert "Replied in Spanish from the offline templates" in note
        assert "LANGUAGE:" not in note and "must answer" not in note
        assert "Composed offline" in note


@pytest.mark.parametrize(
    ("text", "specifics"),
    [
        (ES_DELIVERY, ["Hola Lucía:", "pedido nº 72119", "cafetera", "dieciocho días",
                       "empresa de transporte", "en las próximas 48 horas"]),
        (ES_BILLING, ["Hola Marta:", "pedido 33-4107", "cobros del pedido 33-4107",
                      "en las próximas 48 horas"]),
        (ES_DEFECTIVE, ["Hola Lucía:", "su lámpara (pedido nº 77120)", "sustitución",
                        "reembolsarle", "foto"]),
        (ES_CANCEL, ["Hola Carmen:", "cancelación del pedido nº 5521", "no se realizarán más "
                     "cobros"]),
        (ES_LOCKED, ["Hola Javier:", "sin acceso a su cuenta", "Nunca le pediremos su "
                     "contraseña"]),
    ],
)
def test_spanish_reply_restates_specifics_with_spanish_references(
        text: str, specifics: list[str]) -> None:
    d = draft(text)
    for phrase in specifics:
        assert phrase in d.body, (phrase, d.body)
    assert "pedido nº" in d.subject or "cuenta" in d.subject or "pedido 33-4107" in d.subject


def test_spanish_abusive_email_gets_a_boundary_without_the_insult() -> None:
    d = draft(ES_ABUSIVE)
    assert "respetuosa" in d.body and "Quiero ayudarle" in d.body
    for insult in ("inútiles", "ladrones", "mierda"):
        assert insult not in d.body.lower()
    assert "INÚTILES" not in d.body


def test_spanish_violence_threat_is_escalated_and_the_conversation_stops() -> None:
    email = parse_text(ES_VIOLENT)
    analysis = analyze(email)
    assert analysis.escalate
    d = compose(email, analysis, Settings(), tone=Tone.warm, today=TODAY)
    assert "amenazas de hacer daño" in d.body
    assert "un responsable de equipo" in d.body
    assert "Gracias" not in d.body  # no thanks for a threat
    assert d.internal_note.escalation and "violence" in d.internal_note.escalation
    assert "threatened violence" in d.internal_note.escalation  # the note stays English


def test_spanish_legal_threat_is_escalated_in_the_reply() -> None:
    d = draft("Hace tres semanas pedí una licuadora, pedido 12345, y todavía no ha llegado. "
              "Si no me devuelven el dinero hablaré con mi abogado.\n\nCarmen")
    assert "acciones legales" in d.body and "un responsable de equipo" in d.body
    assert "tres semanas" in d.body
    assert d.internal_note.escalation


def test_spanish_missing_order_becomes_a_spanish_question() -> None:
    d = draft(ES_NO_ORDER)
    assert "¿podría enviarme el número de pedido" in d.body
    assert "Buenos días:" in d.body  # no name: no "Hola ," slot
    assert "order" in d.internal_note.summary  # "Reply asks the customer for: order, name"


def test_spanish_formal_tone_differs_from_warm() -> None:
    warm, formal = draft(ES_DEFECTIVE), draft(ES_DEFECTIVE, tone=Tone.formal)
    assert warm.body.startswith("Hola Lucía:")
    assert formal.body.startswith("Estimado/a Lucía:")
    assert "Le pido disculpas" in formal.body and "Atentamente," in formal.body
    assert "Siento mucho" in warm.body and "Un cordial saludo," in warm.body
    assert warm.body != formal.body
    assert draft(ES_DEFECTIVE, tone=Tone.neutral).body.startswith("Buenos días, Lucía:")


def test_spanish_customer_mistake_is_pointed_out_indirectly() -> None:
    d = draft("Puse mal la dirección en el pedido 65432 y el paquete no ha llegado. "
              "¿Dónde está?\n\nJosé")
    assert "Revisémoslo juntos" in d.body
    assert "error suyo" not in d.body and "culpa suya" not in d.body


def test_spanish_policy_figures_are_localised() -> None:
    settings = Settings(policy=Policy(response_hours=72, max_credit=15, currency="EUR",
                                      refunds=False, replacements=False))
    d = draft(ES_DELIVERY, settings=settings)
    assert "en los próximos 3 días" in d.body
    assert "saldo a favor de hasta 15,00 €" in d.body
    assert "within 3 days" in d.internal_note.summary  # the note keeps English figures
    refunds_off = Settings(policy=Policy(refunds=False))
    d = draft(ES_DEFECTIVE, settings=refunds_off)
    assert "reembols" not in d.body and "sustitución" in d.body


def test_compose_is_deterministic() -> None:
    assert draft(ABUSIVE) == draft(ABUSIVE)


def test_wrong_item_delivered_gets_an_exchange_not_a_tracking_check() -> None:
    import datetime as dt

    from agent.config import Settings
    from agent.inbound import parse_text
    from agent.models import Tone
    from agent.offline import analyze, compose

    email = parse_text("Order #55102: you sent me the wrong item, a blue kettle instead of the "
                       "toaster I ordered. Sort it out.\n\nMarcus")
    analysis = analyze(email)
    body = compose(email, analysis, Settings(), tone=Tone.warm, today=dt.date(2026, 1, 5)).body
    assert analysis.category == "delivery"
    assert "replacement" in body and "photo" in body
    assert "check the tracking" not in body


def test_timeline_wording_for_one_hour_and_whole_days() -> None:
    from agent.offline.composer import timeline

    assert timeline(1) == "within the hour"
    assert timeline(48) == "within 48 hours"
    assert timeline(96) == "within 4 days"
