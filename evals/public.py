"""Out-of-domain checks on public human-labelled corpora (optional; never committed).

    calmreply eval calibrate --public DIR

DIR holds the JSONL conversions described in evals/data/README.md (source, commit and
licence of each). None of these texts is a support reply, so every figure here is
*transfer*: how well a grader's score ranks texts the way people rated them. Nothing in
the graders or heads was trained or tuned on them; the test split of each is used.

- politeness (stanford_politeness_stackexchange): professionalism score vs the raters'
  politeness (Spearman; ROC-AUC polite vs impolite quartiles);
- goemotions: empathy score vs `caring` (ROC-AUC);
- empathic_reactions: empathy score vs self-rated empathic concern (ROC-AUC; Spearman);
- isarcasmeval_en: the sarcasm detector vs the author's label and third-party votes.

Texts are graded alone (no email), exactly as `calmreply grade` grades a reply alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from agent.errors import InputError
from agent.jsonl import read_jsonl

FILES = {
    "politeness": "stanford_politeness_stackexchange.jsonl",
    "goemotions": "goemotions.jsonl",
    "empathic_reactions": "empathic_reactions.jsonl",
    "isarcasmeval": "isarcasmeval_en.jsonl",
}


class PublicRow(BaseModel):
    """The fields we read from any of the converted corpora (others are ignored)."""

    model_config = ConfigDict(extra="ignore")

    text: str
    label: Any = None
    score: float | None = None
    split: str = ""
    split_by_writer: str | None = None
    kind: str | None = None
    empathy_proxy: int | None = None
    third_party_votes_sarcastic_of_5: int | None = None


@dataclass(frozen=True)
class PublicFigure:
    corpus: str
    rubric: str
    metric: str  # "roc_auc" | "spearman"
    target: str
    value: float
    n: int


def roc_auc(scores: Sequence[float], positive: Sequence[bool]) -> float:
    """Probability that a positive outranks a negative (ties count half)."""
    ranks = _ranks(scores)
    pos = [r for r, p in zip(ranks, positive, strict=True) if p]
    n_pos, n_neg = len(pos), len(ranks) - len(pos)
    if not n_pos or not n_neg:
        return float("nan")
    return (sum(pos) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    ra, rb = _ranks(a), _ranks(b)
    n = len(ra)
    if n < 3:
        return float("nan")
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    va = sum((x - ma) ** 2 for x in ra)
    vb = sum((y - mb) ** 2 for y in rb)
    return cov / (va * vb) ** 0.5 if va and vb else float("nan")


def _ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties given their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def _rows(directory: Path, corpus: str, keep: Callable[[PublicRow], bool]) -> list[PublicRow]:
    path = directory / FILES[corpus]
    if not path.is_file():
        return []
    return [row for _, row in read_jsonl(path, PublicRow) if keep(row)]


def rubric_scorer(rubric: str) -> Callable[[list[str]], list[float]]:
    """Scores of texts graded alone on one rubric (None, for N/A, counts as 0)."""
    from evals.graders import grade_reply
    from evals.graders.semantic import EMBEDDER
    from evals.graders.text import Reply
    from evals.rubrics import load_rubrics
    from evals.situation import REPLY_ONLY

    chosen = {rubric: load_rubrics()[rubric]}

    def score(texts: list[str]) -> list[float]:
        replies = [Reply(t) for t in texts]
        EMBEDDER.prefetch(s.text for r in replies for s in r.sentences)
        return [grade_reply(r, REPLY_ONLY, chosen)[rubric].score or 0.0 for r in replies]

    return score


def sarcasm_strength(texts: list[str]) -> list[float]:
    """The sarcasm detector's strength: 1.0 for a rule phrase, else the head's probability."""
    from agent.config import Policy
    from evals.graders.base import Ctx
    from evals.graders.semantic import EMBEDDER, load_head, mean_vector
    from evals.graders.text import Reply
    from evals.situation import REPLY_ONLY

    head = load_head("sarcasm")
    replies = [Reply(t) for t in texts]
    EMBEDDER.prefetch(s.text for r in replies for s in r.sentences)
    out = []
    for reply in replies:
        ctx = Ctx(reply=reply, situation=REPLY_ONLY, policy=Policy())
        found = ctx.tones.get("sarcasm")
        if found and found[0] >= 1.0:
            out.append(1.0)
        else:
            out.append(head.prob(mean_vector(ctx.vectors)) if head else 0.0)
    return out


def evaluate_public(directory: Path) -> list[PublicFigure]:
    """Every figure for the corpora present in `directory` (missing files are skipped)."""
    if not directory.is_dir():
        raise InputError(f"--public {directory}: not a folder")
    figures: list[PublicFigure] = []

    rows = _rows(directory, "politeness", lambda r: r.split == "test" and r.score is not None)
    if rows:
        prof = rubric_scorer("professionalism")([r.text for r in rows])
        figures.append(PublicFigure("politeness", "professionalism", "spearman",
                                    "politeness rating (5 raters)",
                                    spearman(prof, [r.score or 0.0 for r in rows]), len(rows)))
        ends = [(s, r.label == "polite") for s, r in zip(prof, rows, strict=True)
                if r.label in ("polite", "impolite")]
        figures.append(PublicFigure("politeness", "professionalism", "roc_auc",
                                    "polite vs impolite quartiles",
                                    roc_auc([s for s, _ in ends], [p for _, p in ends]),
                                    len(ends)))

    rows = _rows(directory, "goemotions", lambda r: r.split == "test")
    if rows:
        emp = rubric_scorer("empathy")([r.text for r in rows])
        figures.append(PublicFigure("goemotions", "empathy", "roc_auc", "caring (2+ raters)",
                                    roc_auc(emp, [bool(r.empathy_proxy) for r in rows]),
                                    len(rows)))

    rows = _rows(directory, "empathic_reactions", lambda r: r.split_by_writer == "test")
    if rows:
        emp = rubric_scorer("empathy")([r.text for r in rows])
        figures.append(PublicFigure("empathic_reactions", "empathy", "roc_auc",
                                    "empathic concern high vs low (self-rated)",
                                    roc_auc(emp, [bool(r.label) for r in rows]), len(rows)))
        figures.append(PublicFigure("empathic_reactions", "empathy", "spearman",
                                    "empathic concern 1-7 (self-rated)",
                                    spearman(emp, [r.score or 0.0 for r in rows]), len(rows)))

    rows = _rows(directory, "isarcasmeval", lambda r: r.split == "test"
                 and r.kind == "original")
    if rows:
        strength = sarcasm_strength([r.text for r in rows])
        figures.append(PublicFigure("isarcasmeval", "sarcasm detector", "roc_auc",
                                    "sarcastic (author's label)",
                                    roc_auc(strength, [bool(r.label) for r in rows]),
                                    len(rows)))
        voted = [(s, r.third_party_votes_sarcastic_of_5) for s, r in
                 zip(strength, rows, strict=True) if r.third_party_votes_sarcastic_of_5
                 is not None]
        if voted:
            figures.append(PublicFigure("isarcasmeval", "sarcasm detector", "spearman",
                                        "third-party sarcastic votes (of 5)",
                                        spearman([s for s, _ in voted],
                                                 [float(v or 0) for _, v in voted]),
                                        len(voted)))
    return figures
