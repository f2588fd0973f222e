"""How well the rule-based analyzer reads emails, against the suites' labels.

    python -m evals.analyzer_accuracy [SUITE.yaml ...] [--by-industry] [--misses]
                                                              (default: every suite)

Each case is read under its industry's company profile (labels.industry, e-commerce by
default). Per field, exact-match accuracy over the cases that label it:

- threats as sets; order_ids and other_refs as sets of ids (spaces and '#' ignored);
  customer_name by first name, case-insensitively;
- product: both absent, or both present and sharing their last word ("stand mixer" vs
  "mixer"), case-insensitively;
- issues (count): as many distinct issues as the labels list (the analyzer's notes about
  a manager, a chargeback or a repeat contact are not issues).

`--by-industry` adds a table per industry. `--misses` prints the cases each field got
wrong: use it on tuned suites only, never on a blind one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agent.inbound import parse_text
from agent.models import Analysis
from agent.offline.analyzer import analyze
from agent.profiles import built_in
from evals.suites import Case, Labels, load_suite

# Notes the analyzer adds to `issues` that are not problems the customer raised.
NOTES = frozenset({"asks to speak to a manager", "mentions a chargeback with their bank",
                   "has already contacted us about this more than once",
                   "the customer is unhappy with our service"})


def _ids(values: list[str]) -> set[str]:
    return {re.sub(r"[\s#]", "", v).upper() for v in values}


def _first_name(name: str | None) -> str:
    """Labels give the name a reply would use; 'Dana Whitfield' greets as 'Dana' too."""
    return (name or "").split(" ")[0].lower()


def _product(got: str | None, want: str | None) -> bool:
    if not got or not want:
        return not got and not want
    return got.lower().split()[-1] == want.lower().split()[-1]


Check = Callable[[Analysis, Labels], "bool | None"]
# field -> (got, want) comparison; None when the suite does not label the field.
CHECKS: dict[str, Check] = {
    "category": lambda a, w: a.category == w.category,
    "fault": lambda a, w: a.fault == w.fault,
    "abusive": lambda a, w: a.abusive == w.abusive,
    "profanity": lambda a, w: None if w.profanity is None else a.profanity == w.profanity,
    "threats": lambda a, w: set(a.threats) == set(w.threats),
    "language": lambda a, w: a.language == w.language,
    "escalate": lambda a, w: a.escalate == w.escalate,
    "customer_name": lambda a, w: _first_name(a.customer_name) == _first_name(w.customer_name),
    "order_ids": lambda a, w: _ids(a.order_ids) == _ids(w.order_ids),
    "other_refs": lambda a, w: None if w.other_refs is None else (
        _ids([r.id for r in a.other_refs]) == _ids([r.id for r in w.other_refs])),
    "product": lambda a, w: None if w.issues is None else _product(a.product, w.product),
    "issues (count)": lambda a, w: None if w.issues is None else (
        len([i for i in a.issues if i not in NOTES]) == len(w.issues)),
}
FIELDS = tuple(CHECKS)


@dataclass
class FieldScore:
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


def read(case: Case) -> Analysis:
    return analyze(parse_text(case.email), profile=built_in(case.labels.industry))


def measure(paths: list[Path], industry: str | None = None) -> dict[str, FieldScore]:
    scores = {name: FieldScore() for name in FIELDS}
    for path in paths:
        for case in load_suite(path).cases:
            if industry is not None and case.labels.industry != industry:
                continue
            got = read(case)
            for name, check in CHECKS.items():
                verdict = check(got, case.labels)
                if verdict is None:
                    continue
                score = scores[name]
                score.total += 1
                if verdict:
                    score.right += 1
                else:
                    score.misses.append(case.id)
    return scores


def format_table(scores: dict[str, FieldScore]) -> str:
    lines = ["| field | accuracy | right / cases |", "| --- | --- | --- |"]
    for name, s in scores.items():
        if s.total:
            lines.append(f"| {name} | {s.accuracy:.0%} | {s.right} / {s.total} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    suites = [Path(p) for p in args] or sorted(
        (Path(__file__).parent / "suites").glob("*.yaml"))
    for suite in suites:
        scores = measure([suite])
        print(f"\n{suite.stem}\n\n{format_table(scores)}")
        if "--by-industry" in sys.argv:
            for name in sorted({c.labels.industry for c in load_suite(suite).cases}):
                print(f"\n{suite.stem}, {name}\n\n{format_table(measure([suite], name))}")
        if "--misses" in sys.argv:
            for name, s in scores.items():
                if s.misses:
                    print(f"  {name}: {', '.join(s.misses)}")
