"""Issue 12's findings, each reproduced: verdicts on language nobody here wrote.

The eighteen short replies below are written in the style of public customer-service
threads (acknowledgements such as "This is saddening to hear."); they were written for this
test before it was run and are not tuned on. They are graded as `calmreply grade` grades a
bare email: the analyzer's reading of the email, no team labels.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evals.graders import grade_reply
from evals.rubrics import load_rubrics
from evals.situation import from_email

RUBRICS = load_rubrics()

ACKNOWLEDGING = [
    ("My order was supposed to arrive for my daughter's birthday and it's still not here.",
     "This is saddening to hear. We'd like to look into this for you - please DM us your "
     "order number and we'll check where the parcel is."),
    ("Your app keeps logging me out and I've lost my saved cart twice.",
     "We understand your concerns, and losing your cart twice is really annoying. Please "
     "send us a DM with the email on your account so we can take a look."),
    ("Can't get through to anyone about my broken washing machine.",
     "We are sorry to see that you are having trouble reaching us about your washing "
     "machine. Please DM us your order details and we'll get this moving for you."),
    ("Flight delayed 5 hours and no one told us anything at the gate.",
     "Five hours at the gate with no updates is exhausting - we're sorry that happened. "
     "Send us a DM with your booking reference and we'll look into what went wrong."),
    ("Charged twice for my subscription this month!",
     "Oh no, that's not what you want to see on your statement. DM us the last four digits "
     "of the card and we'll get the double charge checked."),
    ("My internet has been down for three days and I work from home.",
     "Three days without internet when you work from home must be incredibly stressful. "
     "We're sorry. Can you DM us your account number so we can book an engineer?"),
    ("The jacket I ordered arrived with a torn sleeve.",
     "That's really disappointing after waiting for your new jacket, we're sorry it arrived "
     "torn. Please DM us a photo and your order number and we'll sort a replacement."),
    ("Been on hold for 45 minutes, this is ridiculous.",
     "We hear you - 45 minutes on hold is far too long, and we're sorry for the wait. DM us "
     "what you need help with and we'll pick it up here."),
    ("My package says delivered but it's nowhere to be found.",
     "We can imagine how worrying it is to see 'delivered' with no parcel in sight. Please "
     "DM us your tracking number and we'll open an investigation with the courier."),
    ("Lost my luggage on the way to my sister's wedding.",
     "Oh no, what an awful way to start a trip to your sister's wedding. We're so sorry. DM "
     "us your bag tag number and we'll trace it for you."),
    ("Your update deleted all my notes.",
     "Losing all your notes is genuinely upsetting, and we're sorry the update caused it. "
     "Please DM us your account email so our team can check for a backup."),
    ("I ordered a cake for a party and it came squashed.",
     "That's heartbreaking when you've planned a party around it. We're sorry your cake "
     "arrived squashed - DM us your order number and we'll make it right."),
    ("Third time my delivery was rescheduled without asking me.",
     "We completely get why you're fed up after three reschedules. That shouldn't happen. "
     "Can you DM us your order number so we can look into it?"),
    ("Your store staff were so rude to me today.",
     "We're really sorry to hear you were treated that way in store today; that's not the "
     "experience we want for anyone. Please DM us which store it was so we can follow up."),
    ("My refund still hasn't come through after 3 weeks.",
     "Waiting three weeks for your money is frustrating, and we're sorry it's taking this "
     "long. Please DM us your order number and we'll chase the refund."),
    ("Train cancelled, stuck at the station at midnight.",
     "Being stranded at the station at midnight sounds miserable, and we're sorry. DM us "
     "your ticket details and we'll help with onward travel and a claim."),
    ("The headphones I bought stopped working after a week.",
     "That's a real letdown after only a week - sorry about that. Please DM us your order "
     "number and we'll arrange a replacement for you."),
    ("I've emailed four times about my account being locked and nobody answers.",
     "We're sorry you've had to chase us four times; we understand how frustrating it is "
     "to be locked out. DM us your username and we'll look at the lock."),
]


def grade(reply: str, email: str, *names: str) -> dict:
    situation = from_email(email)
    rubrics = {n: RUBRICS[n] for n in names} if names else RUBRICS
    return grade_reply(reply, situation, rubrics)


def test_empathy_in_words_nobody_here_wrote_passes() -> None:
    passed = [reply for email, reply in ACKNOWLEDGING
              if grade(reply, email, "empathy")["empathy"].passed]
    # Issue 12 saw 1 of 18 such replies pass.
    assert len(passed) >= 15, f"only {len(passed)} of 18 pass"


def test_sarcastic_sympathy_fails_empathy_and_professionalism_with_the_span() -> None:
    reply = ("I'm sure that must have been absolutely devastating for you… Great job ordering "
             "a birthday present at the last minute.")
    scores = grade(reply, "My son's birthday present arrived a day late and he was "
                   "upset. Order 55120.", "empathy", "professionalism")
    for name in ("empathy", "professionalism"):
        assert scores[name].passed is False, (name, scores[name].reason)
        assert "sarcasm" in scores[name].reason
        assert any("Great job" in e or "devastating" in e for e in scores[name].evidence)


def test_non_apology_that_blames_the_bank_fails_empathy_apology_and_professionalism() -> None:
    reply = ("I'm sorry you feel that way about our service… it may have been caused by your "
             "bank.")
    scores = grade(reply, "You charged my card twice for the same order, #77310. I want "
                   "the second charge reversed.", "empathy", "apology", "professionalism")
    assert scores["apology"].passed is False and "non-apology" in scores["apology"].reason
    assert scores["empathy"].passed is False, scores["empathy"].reason
    assert scores["professionalism"].passed is False, scores["professionalism"].reason
    assert any("bank" in e for e in scores["professionalism"].evidence)


@pytest.mark.parametrize("email", [
    "Just wanted to say thank you - the replacement kettle arrived this morning and it "
    "works perfectly. Great service!",
    "Hi, quick question: do you ship to Norway, and if so how long does it usually take?",
    "Thanks so much to Priya on your chat team, she sorted my booking change in minutes.",
])
def test_apology_does_not_apply_when_the_email_reports_no_problem(email: str) -> None:
    reply = ("Thank you for getting in touch. I'm glad to help: our team will reply to any "
             "follow-up within 48 hours.")
    score = grade(reply, email, "apology")["apology"]
    assert score.passed is None and score.status == "not_applicable", score.reason


def test_that_one_is_on_us_is_owning_the_fault() -> None:
    from evals.situation import Situation

    late = Situation(email="My lamp, order 88120, was due Monday and has not arrived.",
                     category="delivery", fault="ours", language="en", order_ids=("88120",),
                     problem=True, source="labels")
    score = grade_reply("Sorry your lamp on order 88120 is late - that one is on us.", late,
                        {"apology": RUBRICS["apology"]})["apology"]
    assert "does not say plainly that it was our fault" not in score.reason
    assert score.passed is True


def test_good_reply_to_an_out_of_policy_refund_passes_apology() -> None:
    email = ("I bought this blender 45 days ago and it has already stopped working. I want "
             "my money back, this is ridiculous.")
    reply = ("I'm really sorry the blender has given up after only six weeks - that's "
             "disappointing for something you use every day. It is outside our 30-day refund "
             "window, so I can't approve a refund myself, but I've passed your request to our "
             "team lead for an exception review and they will email you within 48 hours. If "
             "you'd prefer a replacement instead, just let me know.")
    score = grade(reply, email, "apology")["apology"]
    assert score.passed is True, score.reason


def test_listening_reads_amounts_with_thousands_separators() -> None:
    email = "You charged me $2,400 twice for one laptop, order 66120. Fix it."
    score = grade("I'm sorry the $2,400 laptop charge on order 66120 was taken twice.",
                  email, "listening")["listening"]
    assert "$2,40'" not in score.reason and "'$2,400'" not in score.reason.split("restate")[-1]
    missed = grade("I'm sorry about the double charge on order 66120.", email,
                   "listening")["listening"]
    assert "'$2,400'" in missed.reason


def test_an_english_article_before_a_portuguese_currency_word_is_no_amount() -> None:
    """'a real letdown' was read as 1 BRL, and listening asked the reply to restate it."""
    from agent.checks.money import find_amounts

    email = "The blender arrived broken. Honestly a real letdown after waiting two weeks."
    score = grade("I'm sorry the blender arrived broken; that is on us. I've sent a "
                  "replacement today.", email, "listening")["listening"]
    assert "a real" not in score.reason
    assert find_amounts("One real problem: a real letdown.") == ()
    assert [(a.value, a.currency) for a in find_amounts("paguei um real e cinco reais")] == [
        (1.0, "BRL"), (5.0, "BRL")]
    assert [a.value for a in find_amounts("a dollar, un euro, twenty-five dollars")] == [
        1.0, 1.0, 25.0]


def test_an_english_number_before_reais_is_an_amount() -> None:
    """'five reais' was no amount: 'five' is English, 'reais' only Portuguese; the plural
    is no English word, so English reads it too ('real' alone stays an adjective)."""
    from agent.checks.money import find_amounts

    assert [(a.value, a.currency) for a in find_amounts("We will refund five reais.")] == [
        (5.0, "BRL")]
    assert find_amounts("Five real problems.") == ()


def test_refund_ten_weeks_after_delivery_is_out_of_policy() -> None:
    email = "My blender was delivered 10 weeks ago and it has stopped working. I want a refund."
    reply = "I have approved a full refund for the blender; it will reach your card within 5 days."
    score = grade(reply, email, "policy")["policy"]
    assert score.passed is False and score.hard_fail == "refund_outside_window"


PUBLIC = os.environ.get("CALMREPLY_PUBLIC")


@pytest.mark.skipif(not PUBLIC or not Path(PUBLIC).is_dir(),
                    reason="public corpora not present (set CALMREPLY_PUBLIC=DIR)")
def test_public_human_labels_are_measured() -> None:
    """Out-of-domain transfer on public corpora, measured (README: Calibration). Issue 12
    saw empathy barely above chance on human empathy ratings; it still is on GoEmotions
    `caring`, so this asserts only what holds: every figure is computed on real rows, and
    empathy ranks essays people wrote with more empathic concern above the rest."""
    from evals.public import evaluate_public

    figures = {(f.corpus, f.rubric, f.metric): f for f in evaluate_public(Path(PUBLIC or ""))}
    assert len(figures) == 7 and all(f.n >= 200 for f in figures.values())
    assert figures[("empathic_reactions", "empathy", "roc_auc")].value > 0.6
    assert figures[("goemotions", "empathy", "roc_auc")].value > 0.53
