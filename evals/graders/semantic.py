"""The semantic scorer beside the rules: sentence embeddings and small trained heads.

- Embeddings: WordLlama's 256-dimension static model, which ships inside the `wordllama`
  wheel (16 MB; nothing is downloaded; loaded on first use only, so `calmreply --help` and
  rubrics without a head never pay for it). Every sentence of a reply is embedded; the
  reply is the normalised mean of its sentences.
- Heads (`heads/*.json`, written by `python -m evals.train`, seeded): logistic regressions.
  A rubric head reads the reply's embedding plus the rule grader's own score; a tone head
  (sarcasm, blame, condescension, non-apology) reads the embedding alone; the `problem`
  head reads an email and says whether it reports a problem (apology applies only then).
- Every head is linear in the sentence vectors, so the sentence that carried a score is
  the one whose vector pushes the head furthest that way: the reason quotes it.

The rule layer keeps hard fails and not-applicable verdicts; a head only moves a scored
verdict, and a tone that is detected caps the rubrics it spoils, with the sentence quoted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from evals.graders.base import Ctx
    from evals.rubrics import Rubric
    from evals.scores import Score
    from evals.situation import Situation

HEADS_DIR = Path(__file__).resolve().parent / "heads"
DIM = 256
RUBRIC_HEADS = ("empathy", "apology", "listening", "resolution", "professionalism")
TONES = ("sarcasm", "blame", "condescension", "non_apology")
# Which rubrics a detected tone spoils, and how it reads in a reason.
SPOILS: dict[str, tuple[str, ...]] = {
    "sarcasm": ("empathy", "professionalism"),
    "condescension": ("empathy", "professionalism"),
    "blame": ("apology", "professionalism"),
    "non_apology": ("apology", "empathy"),
}
TONE_WORDS = {"sarcasm": "sarcasm", "condescension": "condescension or lecturing",
              "blame": "blame shifted onto the customer or a third party",
              "non_apology": "a non-apology"}
TONE_CAP = 0.4  # a spoiled rubric scores at most this (below every pass score)
_CACHE_LIMIT = 200_000


class Embedder:
    """Sentence vectors from WordLlama, cached by sentence; loaded on first use."""

    def __init__(self) -> None:
        self._model: Any = None
        self._cache: dict[str, np.ndarray] = {}

    def _load(self) -> Any:
        if self._model is None:
            import logging
            import os

            # Small matrices: BLAS threads only contend for the cores (grading is one
            # process per core). Takes effect when numpy is not imported yet.
            os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

            root = logging.getLogger()
            handlers, level = list(root.handlers), root.level
            import wordllama
            from wordllama import WordLlama

            # wordllama calls logging.basicConfig(level=INFO) on import, which would print
            # every library's INFO lines on our stderr: put the root logger back.
            root.handlers[:] = handlers
            root.setLevel(level)
            # The packaged tokenizer is only found when cache_dir is the package folder.
            self._model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent,
                                         disable_download=True)
            # Only `_embed` below reads this model (never WordLlama's own embed(), which
            # pads every text of a batch to the longest one): its tokenizer need not pad.
            self._model.tokenizer.no_padding()
        return self._model

    def clear(self) -> None:
        """Forget every sentence's vector (benchmarks measure text never seen)."""
        self._cache.clear()

    def prefetch(self, texts: Iterable[str]) -> None:
        """Embed every new text in one batch (much cheaper than one call per reply)."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if not todo:
            return
        if len(self._cache) + len(todo) > _CACHE_LIMIT:
            self._cache.clear()
        self._cache.update(zip(todo, self._embed(todo), strict=True))

    def _embed(self, texts: list[str]) -> np.ndarray:
        """WordLlama's sentence vector: the mean of the tokens' rows, unit length (a text
        with no token is all zeros). Texts are embedded in groups of similar length, so
        little padding is summed."""
        import numpy as np

        model = self._load()
        table = model.embedding
        rows = [e.ids for e in model.tokenizer.encode_batch(texts, add_special_tokens=False)]
        out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        for first in range(0, len(order), 128):
            group = [i for i in order[first:first + 128] if rows[i]]
            if not group:
                continue
            width = len(rows[group[-1]])
            ids = np.zeros((len(group), width), dtype=np.int64)
            mask = np.zeros((len(group), width), dtype=np.float32)
            for j, i in enumerate(group):
                ids[j, :len(rows[i])] = rows[i]
                mask[j, :len(rows[i])] = 1.0
            np.clip(ids, 0, table.shape[0] - 1, out=ids)
            sums = np.sum(table[ids] * mask[..., None], axis=1, dtype=np.float32)
            sums /= mask.sum(axis=1, keepdims=True)
            sums /= np.linalg.norm(sums, axis=1, keepdims=True)
            out[group] = sums
        return out

    def vectors(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        self.prefetch(texts)
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])


EMBEDDER = Embedder()


def mean_vector(vectors: np.ndarray) -> np.ndarray:
    import numpy as np

    if not len(vectors):
        return np.zeros(DIM, dtype=np.float32)
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean


@dataclass(frozen=True)
class Head:
    """A logistic regression: p = sigmoid(w . x + b). `threshold` is the decision point
    chosen on the tune split (0.5 for rubric heads)."""

    name: str
    weights: np.ndarray
    bias: float
    threshold: float
    meta: dict[str, Any]

    @cached_property
    def extra_weights(self) -> list[float]:
        """The weights after the embedding's (on `rubric_extras`), as Python floats."""
        return self.weights[DIM:].tolist()

    def prob(self, x: np.ndarray) -> float:
        """The probability for a whole feature vector x."""
        return self.prob_at(float(x @ self.weights))

    def prob_at(self, weighted: float) -> float:
        """The probability when w . x is already known."""
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, weighted + self.bias))))


@dataclass(frozen=True)
class Reading:
    """What the heads see of one reply, from two matrix products over every head at
    once: each head's w . x over the reply's embedding, and which sentence pushes each
    head furthest up and furthest down."""

    leaning: dict[str, float]  # head -> w . reply vector (the embedding part of w . x)
    highest: list[int]  # head column -> the sentence with the largest w . sentence vector
    lowest: list[int]  # head column -> the sentence with the smallest

    def carrier(self, head: str, sentences: list[str], *, high: bool) -> str:
        """The sentence whose vector pushes `head` furthest up (or down)."""
        if not sentences:
            return ""
        column = _bank().index[head]
        return sentences[(self.highest if high else self.lowest)[column]]


@dataclass(frozen=True)
class _Bank:
    index: dict[str, int]  # head -> column
    matrix: np.ndarray  # DIM x heads: every head's weights on the embedding


@lru_cache(maxsize=1)
def _bank() -> _Bank:
    import numpy as np

    heads = [h for n in (*RUBRIC_HEADS, *TONES) if (h := load_head(n)) is not None]
    if not heads:
        return _Bank({}, np.zeros((DIM, 0), dtype=np.float32))
    return _Bank({h.name: i for i, h in enumerate(heads)},
                 np.ascontiguousarray(np.stack([h.weights[:DIM] for h in heads], axis=1)))


def read(vectors: np.ndarray, reply_vector: np.ndarray) -> Reading:
    bank = _bank()
    leaning = dict(zip(bank.index, (reply_vector @ bank.matrix).tolist(), strict=True))
    pushes = vectors @ bank.matrix  # sentences x heads (a reply has at least one sentence)
    return Reading(leaning, pushes.argmax(axis=0).tolist(), pushes.argmin(axis=0).tolist())


@lru_cache(maxsize=32)
def load_head(name: str, directory: Path = HEADS_DIR) -> Head | None:
    path = directory / f"{name}.json"
    if not path.is_file():
        return None
    import numpy as np

    data = json.loads(path.read_text(encoding="utf-8"))
    return Head(name=name, weights=np.asarray(data["weights"], dtype=np.float32),
                bias=float(data["bias"]), threshold=float(data["threshold"]),
                meta=data.get("meta", {}))


def has_head(rubric: str) -> bool:
    return rubric in RUBRIC_HEADS and load_head(rubric) is not None


# --- features (the one definition train.py and grading share) ------------------------------

def rubric_features(reply_vector: np.ndarray, rule_score: float, situation: Situation
                    ) -> np.ndarray:
    """The reply's embedding, the rule score, and who was at fault (an apology is fitted
    to fault): the one feature definition training and grading share."""
    import numpy as np

    extra = np.asarray(rubric_extras(rule_score, situation), dtype=np.float32)
    return np.concatenate([reply_vector, extra])


def rubric_extras(rule_score: float, situation: Situation) -> list[float]:
    """The features after the embedding: the rule score and who was at fault."""
    fault = situation.expected_fault
    return [rule_score, float(fault == "ours"), float(fault == "theirs")]


def sentence_texts(ctx: Ctx) -> list[str]:
    return [s.text for s in ctx.reply.sentences] or [ctx.reply.text]


# --- grading ---------------------------------------------------------------------------

def tones(ctx: Ctx) -> dict[str, tuple[float, str]]:
    """The tones detected in the reply, each with its strength and the words that carry
    it: first the rule layer's phrases (strength 1.0, the phrase quoted), then each tone
    head at or above its threshold (its probability, the sentence that carries it)."""
    from evals.graders.lexicon import BLAME, NON_APOLOGY, SARCASM, SHIFT

    out: dict[str, tuple[float, str]] = {}
    reply_ = ctx.reply
    for tone, patterns in (("sarcasm", (SARCASM,)), ("blame", (BLAME, SHIFT)),
                           ("non_apology", (NON_APOLOGY,))):
        found = [span for pattern in patterns for span in reply_.find(pattern)]
        if found:
            out[tone] = (1.0, reply_.sentence_at(found[0].start).text)
    reading = ctx.reading
    for tone in TONES:
        head = load_head(tone)
        if head is None:
            continue
        p = head.prob_at(reading.leaning[tone])
        if p >= head.threshold and tone not in out:
            out[tone] = (p, reading.carrier(tone, sentence_texts(ctx), high=True))
    return out


def combine(ctx: Ctx, rubric: Rubric, rule: Score) -> Score:
    """The rule verdict moved by the rubric's head and capped by detected tones. Hard
    fails, not-applicable and unscored verdicts stand as the rules gave them."""
    from evals.graders.base import verdict

    if rule.status != "scored" or rule.hard_fail or rule.score is None:
        return rule
    head = load_head(rubric.name) if rubric.name in RUBRIC_HEADS else None
    spoilers = {t: v for t, v in ctx.tones.items() if rubric.name in SPOILS[t]}
    if head is None and not spoilers:
        return rule
    score, reason, evidence = rule.score, rule.reason, list(rule.evidence)
    if head is not None:
        reading = ctx.reading
        extras = rubric_extras(rule.score, ctx.situation)
        p = head.prob_at(reading.leaning[head.name] + sum(
            w * x for w, x in zip(head.extra_weights, extras, strict=True)))
        # Map the head's decision point (0.5) onto the rubric's pass score.
        score = _rescale(p, rubric.pass_score)
        sentence = reading.carrier(head.name, sentence_texts(ctx), high=rubric.passes(score))
        leaning = "meets" if rubric.passes(score) else "falls short of"
        reason += f"; read as a whole it {leaning} the rubric ({p:.2f})"
        if sentence:
            reason += f', most of all "{_clip(sentence)}"'
            evidence = [sentence, *evidence]
    for tone, (p, sentence) in spoilers.items():
        score = min(score, TONE_CAP)
        how = "" if p >= 1.0 else f" ({p:.2f})"
        reason += f'; reads as {TONE_WORDS[tone]}{how}: "{_clip(sentence)}"'
        evidence = [sentence, *evidence]
    return verdict(rubric, score, reason, list(dict.fromkeys(evidence)))


def _rescale(p: float, pass_score: float) -> float:
    """p in 0..1 with 0.5 moved to `pass_score`, piecewise linear (order kept)."""
    if p >= 0.5:
        return pass_score + (p - 0.5) / 0.5 * (1.0 - pass_score)
    return p / 0.5 * pass_score * 0.999


def _clip(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@lru_cache(maxsize=4096)
def email_reports_problem(body: str) -> bool | None:
    """The `problem` head's reading of an email; None when there is no head."""
    head = load_head("problem")
    if head is None:
        return None
    return head.prob(mean_vector(EMBEDDER.vectors(email_sentences(body)))) >= head.threshold


def email_sentences(body: str) -> list[str]:
    """The sentences of an email, as the `problem` head reads them."""
    from agent.checks.text import sentences

    return [s.text for s in sentences(body)] or [body]
