"""How fast the offline path is: analyze + compose, drafts per second on one core.

    python benchmarks/offline_composer.py [--seconds 3]

The goal is at least 500 drafts/s. Prints the figure; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.config import Policy, Settings
from agent.inbound import InboundEmail, parse_text
from agent.models import Tone
from agent.offline import analyze, analyzer, compose

EMAILS = [
    "Subject: WHERE IS MY ORDER #48213???\n\nI ordered the Aeropress Go travel kit TWO WEEKS "
    "ago and it still hasn't shown up. Honestly this is pathetic. I want to know where it is "
    "or I want my money back.\n\nDana",
    "You idiots charged me TWICE for the same blender. I have called three times and your "
    "staff keep telling me to wait. My lawyer will be in touch and I'm filing a chargeback.",
    "My stand mixer from order 31337 arrived broken, the bowl is cracked.\n\nThanks,\nLee",
    "You refused my refund on order 10022 for no reason. I'll leave a one-star review on "
    "Trustpilot.\n\nRegards,\nKim Park",
    "My account is locked and I can't log in to see my invoices. Let me speak to a manager.",
    "The agent on the phone was incredibly rude and hung up on me. Unacceptable!!!",
    "I forgot to cancel my membership and you renewed it, order 8080. Cancel it now.\n\nMia",
    "I typed the wrong address on order 65432 and now the parcel is gone.\n\nThanks,\nJo",
    "Order 40404 is late AGAIN. If it's not here by Friday I will come down there and make "
    "you regret it.",
    "Mi pedido 12345 no ha llegado y ya han pasado dos semanas. Quiero un reembolso o "
    "hablaré con mi abogado.\n\nSaludos, Carmen",
    "I am not happy with how things went with your company.\n\nSal",
    "Subject: {{ 7*7 }}\n\nMy kettle {% for x in range(9) %}x{% endfor %} stopped working.",
]


def measure(seconds: float = 3.0) -> tuple[float, float]:
    """(drafts per second for analyze + compose, analyses per second)."""
    # Distinct emails (a different order number and name each), so no cache flatters us.
    names = ["Dana", "Kim Park", "Lee", "Omar", "Priya", "Jo", "Carmen", "Vic", "Ada", "Tom"]
    emails: list[InboundEmail] = [
        parse_text(f"{EMAILS[i % len(EMAILS)]} (ref order {40000 + i})\n\nThanks,\n"
                   f"{names[i % len(names)]}")
        for i in range(6000)
    ]
    settings_list = [Settings(), Settings(policy=Policy(refunds=False, response_hours=72))]
    tones = list(Tone)
    today = dt.date.today()

    def one(i: int) -> None:
        email = emails[i % len(emails)]  # 6000 distinct: cache misses after the first lap
        compose(email, analyze(email), settings_list[i % 2], tone=tones[i % 3], today=today)

    for i in range(len(EMAILS) * 6):  # warm up: compile templates and regexes
        one(i)
    analyzer.clear_cache()
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(50):
            one(count)
            count += 1
    elapsed = time.perf_counter() - start
    analyzer.clear_cache()
    analyze_start = time.perf_counter()
    for i in range(2000):
        analyze(emails[-1 - i])
    analyze_only = 2000 / (time.perf_counter() - analyze_start)
    return count / elapsed, analyze_only


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rate, analyze_only = measure(args.seconds)
    print(f"offline composer: {rate:,.0f} drafts/s (analyze + compose, one core, "
          f"{len(EMAILS)} kinds of email, all distinct, for {args.seconds:g} s); "
          f"analyze alone: {analyze_only:,.0f}/s; goal >= 500/s")


if __name__ == "__main__":
    main()
