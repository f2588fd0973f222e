"""How well the rule-based analyzer reads emails, against the suites' labels.

    python -m evals.analyzer_accuracy [SUITE.yaml ...]   (default: every suite)


Per field: exact-match accuracy over every labelled case (threats and order ids as sets;
first names, case-insensitively), and the cases it got wrong, so a miss is a one-line lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agent.inbound import parse_text
from agent.offline.analyzer import analyze
from evals.suites import Case, load_suite

FIELDS = ("category", "fault", "abusive", "threats", "language", "escalate", "customer_name",
          "order_ids")


@dataclass
class FieldScore:
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


def _compare(case: Case) -> dict[str, tuple[object, object]]:
    got = analyze(parse_text(case.email))
    want = case.labels
    return {
        "category": (got.category, want.category),
        "fault": (got.fault, want.fault),
        "abusive": (got.abusive, want.abusive),
        "threats": (set(got.threats), set(want.threats)),
        "language": (got.language, want.language),
        "escalate": (got.escalate, want.escalate),
        "customer_name": (_first_name(got.customer_name), _first_name(want.customer_name)),
        "order_ids": ({i.lstrip("#") for i in got.order_ids}, set(want.order_ids)),
    }


def _first_name(name: str | None) -> str:
    """Labels give the name a reply would use; 'Dana Whitfield' greets as 'Dana' too."""
    return (name or "").split(" ")[0].lower()


def measure(paths: list[Path]) -> dict[str, FieldScore]:
    scores = {name: FieldScore() for name in FIELDS}
    for path in paths:
        for case in load_suite(path).cases:
            for name, (got, want) in _compare(case).items():
                score = scores[name]
                score.total += 1
                if got == want:
                    score.right += 1
                else:
                    score.misses.append(f"{case.id}: got {got!r}, want {want!r}")
    return scores


def format_table(scores: dict[str, FieldScore]) -> str:
    lines = ["| field | accuracy | right / cases |", "| --- | --- | --- |"]
    for name, s in scores.items():
        lines.append(f"| {name} | {s.accuracy:.1%} | {s.right} / {s.total} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    suites = [Path(p) for p in sys.argv[1:]] or sorted(
        (Path(__file__).parent / "suites").glob("*.yaml"))
    for suite in suites:
        print(f"\n{suite.stem}\n\n{format_table(measure([suite]))}")
