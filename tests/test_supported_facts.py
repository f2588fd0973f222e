"""The unsupported-facts checker catches each kind of fact a draft may invent."""

from __future__ import annotations

import pytest

from agent.config import Settings
from evals.supported_facts import _known_text, unsupported_facts

EMAIL = ("Subject: Re: Your return R-2291\n\nThe return label for my stand mixer has the wrong "
         "address. I opened ticket 55810 on 3 March and paid $249.00. It has been two weeks."
         "\n\nMarta")
KNOWN = _known_text(Settings())


@pytest.mark.parametrize(("draft", "kind"), [
    ("I will check the tracking for order R-2291.", "role"),
    ("Your ticket 55811 is open.", "number"),
    ("Your booking QX7P2L is confirmed.", "id"),
    ("I can refund $300.00 today.", "amount"),
    ("You wrote to us on 14 April.", "date"),
    ("You have waited three weeks.", "duration"),
    ("Your kettle will be replaced.", "product"),
    ("Hi there, I have spoken to Priya about this.", "name"),
])
def test_each_kind_of_invented_fact_is_found(draft: str, kind: str) -> None:
    assert [f.kind for f in unsupported_facts(draft, EMAIL, KNOWN)] == [kind]


def test_facts_from_the_email_and_the_policy_are_supported() -> None:
    draft = ("Hi Marta, the return label for your stand mixer (return R-2291) was wrong and "
             "ticket 55810 was closed. You paid $249.00 and have waited two weeks since "
             "3 March. Our policy allows refunds within 30 days; I can add a $20.00 credit "
             "and will reply within 48 hours.")
    assert unsupported_facts(draft, EMAIL, KNOWN) == []
