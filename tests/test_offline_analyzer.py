"""The rule-based analyzer: each category and each signal path."""

from __future__ import annotations

import pytest

from agent.inbound import parse_text
from agent.models import Analysis, Anger, Category, Facts, Fault, Threat
from agent.offline.analyzer import analyze, clean_name


def read(text: str, facts: Facts | None = None) -> Analysis:
    return analyze(parse_text(text), facts)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("My order #55120 still hasn't arrived and it's been two weeks.", Category.delivery),
        ("Where is my parcel? The delivery is a week late.", Category.delivery),
        ("You charged me twice for order 88231. I only bought one lamp.", Category.billing),
        ("I was overcharged on my last invoice, the wrong amount was taken.", Category.billing),
        ("The kettle arrived broken, the lid is cracked.", Category.defective),
        ("My new toaster stopped working after two days.", Category.defective),
        ("You sent me the wrong item, I ordered a blue rug.", Category.defective),
        ("Your team refused my refund for order 10022 even though it was unused.",
         Category.refund_refused),
        ("My account is locked and I can't log in to see my orders.", Category.account_locked),
        ("The agent on the phone was incredibly rude and hung up on me.", Category.rude_staff),
        ("Please cancel my subscription, I have asked before.", Category.cancellation),
        ("I have a question about your opening hours in general.", Category.other),
        ("Mi pedido no ha llegado todavía.", Category.delivery),
        ("Me cobraron dos veces el mismo pedido.", Category.billing),
        ("La licuadora llegó rota y no funciona.", Category.defective),
        ("Mi cuenta bloqueada desde ayer, no puedo entrar.", Category.account_locked),
        ("Quiero cancelar mi suscripción.", Category.cancellation),
    ],
)
def test_category(text: str, category: Category) -> None:
    assert read(text).category is category


@pytest.mark.parametrize(
    ("text", "threat"),
    [
        ("Sort this out or I will talk to my lawyer.", Threat.legal),
        ("I am going to sue you in small claims court.", Threat.legal),
        ("I'll file a chargeback with my bank.", Threat.chargeback),
        ("I will dispute the charge with my credit card company.", Threat.chargeback),
        ("I'm leaving a one-star review on Trustpilot.", Threat.public_review),
        ("Everyone on social media will hear about this.", Threat.public_review),
        ("If this isn't fixed I will come down there and make you pay.", Threat.violence),
        ("I swear I will hurt whoever packed this.", Threat.violence),
        ("Voy a hablar con mi abogado.", Threat.legal),
        ("Pondré una reseña terrible en redes sociales.", Threat.public_review),
    ],
)
def test_threats(text: str, threat: Threat) -> None:
    assert threat in read(text).threats


def test_no_threats_in_a_plain_complaint() -> None:
    analysis = read("My order arrived late and the box was dented. Not happy.")
    assert analysis.threats == []
    assert not analysis.escalate
    assert analysis.escalation_reason is None


def test_figure_of_speech_is_not_violence() -> None:
    assert Threat.violence not in read("This delay is killing me, where is my order?").threats


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I'll see you in court over order 12345.", "legal"),
        ("I will kill you if my order is late again.", "violence"),
        ("I want to speak to a manager about order 12345.", "manager"),
        ("Filing a chargeback with my bank today.", "chargeback"),
        ("This is the third time I'm writing about order 12345.", "repeatedly"),
    ],
)
def test_escalation_paths(text: str, reason: str) -> None:
    analysis = read(text)
    assert analysis.escalate
    assert analysis.escalation_reason is not None
    assert reason in analysis.escalation_reason


def test_abuse_and_anger_levels() -> None:
    calm = read("Hello, my order 12345 has not arrived yet. Could you check? Thanks, Ann")
    irritated = read("My order 12345 is late again. This is unacceptable.")
    furious = read("YOU IDIOTS LOST MY ORDER AGAIN!!! This is the worst, most pathetic "
                   "company. Absolute scam!!!")
    assert calm.anger is Anger.calm and not calm.abusive
    assert irritated.anger is Anger.irritated and not irritated.abusive
    assert furious.anger is Anger.furious and furious.abusive


def test_profanity_is_abusive() -> None:
    assert read("Where the fuck is my blender?").abusive
    assert read("Sois unos inútiles, mi pedido no ha llegado.").abusive


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("You charged me twice for the same order.", Fault.ours),
        ("The mixer arrived broken.", Fault.ours),
        ("My order is two weeks late.", Fault.ours),
        ("I typed the wrong address when ordering and the parcel never came.", Fault.theirs),
        ("I forgot to cancel before the renewal and now I was charged.", Fault.theirs),
        ("I misread the size chart and the jacket doesn't fit.", Fault.theirs),
        ("Fue mi culpa, puse mal la dirección.", Fault.theirs),
        ("My account is locked and nobody tells me why.", Fault.unclear),
    ],
)
def test_fault(text: str, fault: Fault) -> None:
    assert read(text).fault is fault


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Order #12345 is late.", ["12345"]),
        ("order 12345 and order number 67890", ["12345", "67890"]),
        ("see ticket AB-778 please", ["AB-778"]),
        ("pedido nº 4411 no ha llegado", ["4411"]),
        ("I ordered 3 weeks ago and paid $49.99", []),
    ],
)
def test_order_and_ticket_numbers(text: str, ids: list[str]) -> None:
    assert read(text).order_ids == ids


def test_facts_win_over_the_email() -> None:
    analysis = read("Order #12345 is late.\n\nThanks,\nBob",
                    Facts(customer_name="Robert Stone", order_id="#99-1"))
    assert analysis.customer_name == "Robert Stone"
    assert analysis.order_ids[0] == "99-1"
    assert "12345" in analysis.order_ids


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("My kettle is broken.\n\nThanks,\nPriya", "Priya"),
        ("My kettle is broken.\n\nRegards, John Smith", "John Smith"),
        ("My kettle is broken.\n\n- MARCO", "Marco"),
        ("Hola, mi pedido no llegó.\n\nSaludos,\nCarmen", "Carmen"),
        ("My kettle is broken. Fix it!", None),
        ("My kettle is broken.\n\nThanks,\nAn angry customer", None),
    ],
)
def test_customer_name_from_sign_off(text: str, name: str | None) -> None:
    assert read(text).customer_name == name


def test_customer_name_from_sender_header() -> None:
    text = "From: Dana Whitfield <dana@example.com>\nSubject: late\n\nWhere is my order?"
    assert read(text).customer_name == "Dana Whitfield"


def test_name_cleaning_rejects_template_syntax_and_addresses() -> None:
    assert clean_name("{{ 7*7 }}") is None
    assert clean_name("bob@example.com") is None
    assert clean_name("ANNA LEE") == "Anna Lee"


def test_product_and_language() -> None:
    analysis = read("I ordered the Aeropress Go travel kit two weeks ago.")
    assert analysis.product == "Aeropress Go travel kit"
    assert read("My new stand mixer is broken.").product == "stand mixer"
    spanish = read("Mi pedido 4411 no ha llegado y estoy muy molesta con ustedes.")
    assert spanish.language == "es"
    assert read("Where is my order?").language == "en"


def test_issues_and_goal_describe_the_situation() -> None:
    analysis = read("You charged me twice for order 12345 and I want my money back. "
                    "Let me speak to your manager.")
    assert "they were charged twice for one purchase" in analysis.issues
    assert "asks to speak to a manager" in analysis.issues
    assert "money back" in analysis.goal
