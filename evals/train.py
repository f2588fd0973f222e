"""Train the semantic scorer's heads on the gold set's tune split (never the held-out one).

    python -m evals.train [--gold DIR] [--out DIR] [--seed N]

Writes `evals/graders/heads/<name>.json` (a few kilobytes each): logistic regressions on
WordLlama sentence embeddings (see evals/graders/semantic.py).

- rubric heads (empathy, apology, listening, resolution, professionalism): the reply's
  embedding plus the rule grader's own score, against the reply's label. Every reply the
  rubric applies to is used, hard fails too: a hard fail is never moved by its head, but it
  is still an example of what failing text reads like, and leaving it out would make a
  head worse each time the rules learn a new hard fail.
- tone heads (sarcasm, blame, condescension, non_apology): the reply's embedding against
  the register its writer wrote it in (sarcastic; blame_shifting; lecturing or
  passive_aggressive; non_apology); the threshold is set on out-of-fold predictions for a
  precision of at least 0.8, since a detected tone caps a verdict.
- problem head: an email's embedding against whether it reports a problem (the writers'
  `situation.problem`, and every core-suite email, which all do).

Everything is deterministic: folds come from a seeded hash of the email (replies to one
email stay in one fold), the solver is Newton's method from zeros, and the L2 strength is
picked by grouped 5-fold cross-validation on the tune split. The cross-validated figures
are stored in each head's `meta` and printed, beside the rules' own figures on the same
replies.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The matrices here are a few hundred wide: BLAS threads only contend for the cores (a
# 263-wide solve took 40x longer with two threads on a busy two-core machine).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from evals.graders import grade_reply
from evals.graders.semantic import (
    EMBEDDER,
    HEADS_DIR,
    RUBRIC_HEADS,
    mean_vector,
    rubric_features,
)
from evals.graders.text import Reply

ROOT = Path(__file__).resolve().parent
GOLD_DIR = ROOT / "gold"
CORE = ROOT / "suites" / "core.yaml"
FOLDS = 5
L2_GRID = (0.3, 1.0, 3.0, 10.0)
TONE_REGISTERS = {
    "sarcasm": {"sarcastic"},
    "blame": {"blame_shifting"},
    "condescension": {"lecturing", "passive_aggressive"},
    "non_apology": {"non_apology"},
}
TONE_PRECISION = 0.8


@dataclass
class Example:
    group: str
    x: np.ndarray
    y: int
    rule_pass: bool | None = None


def fit(x: np.ndarray, y: np.ndarray, l2: float, iterations: int = 25
        ) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression with balanced class weights, by Newton's method
    from zeros (deterministic). Returns (weights, bias)."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    pos = max(1, int(y.sum()))
    neg = max(1, n - pos)
    sample = np.where(y == 1, n / (2 * pos), n / (2 * neg))
    w = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(xb @ w, -30, 30)))
        grad = xb.T @ (sample * (p - y)) + reg * w
        hess = (xb * (sample * p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-6)
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-7:
            break
    return w[:-1], float(w[-1])


def fold_of(group: str, seed: int) -> int:
    return int(hashlib.sha256(f"{seed}:{group}".encode()).hexdigest(), 16) % FOLDS


def out_of_fold(examples: list[Example], l2: float, seed: int) -> np.ndarray:
    x = np.stack([e.x for e in examples])
    y = np.asarray([e.y for e in examples])
    folds = np.asarray([fold_of(e.group, seed) for e in examples])
    p = np.zeros(len(examples))
    for k in range(FOLDS):
        test = folds == k
        if not test.any() or len(set(y[~test])) < 2:
            continue
        w, b = fit(x[~test], y[~test], l2)
        p[test] = 1 / (1 + np.exp(-(x[test] @ w + b)))
    return p


def kappa(truth: np.ndarray, pred: np.ndarray) -> float:
    """Cohen's kappa of two 0/1 vectors."""
    n = len(truth)
    if not n:
        return 0.0
    po = float((truth == pred).mean())
    pe = float(truth.mean() * pred.mean() + (1 - truth.mean()) * (1 - pred.mean()))
    return 0.0 if pe >= 1 else (po - pe) / (1 - pe)


def best_l2(examples: list[Example], seed: int,
            score: Callable[[np.ndarray, np.ndarray], float]) -> tuple[float, np.ndarray]:
    y = np.asarray([e.y for e in examples])
    best: tuple[float, float, np.ndarray] | None = None
    for l2 in L2_GRID:
        p = out_of_fold(examples, l2, seed)
        s = score(y, p)
        if best is None or s > best[0] + 1e-9:
            best = (s, l2, p)
    assert best is not None
    return best[1], best[2]


def write_head(out: Path, name: str, w: np.ndarray, b: float, threshold: float,
               meta: dict[str, Any]) -> None:
    data = {"name": name, "bias": round(b, 6), "threshold": round(threshold, 4),
            "weights": [round(float(v), 6) + 0.0 for v in w], "meta": meta}
    (out / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _load_tune(gold_dir: Path) -> list[Any]:
    from evals.calibrate import load_gold

    rows = [g for g in load_gold(gold_dir) if g.split == "tune"]
    if not rows:
        raise SystemExit(f"no tune rows in {gold_dir}")
    return rows


def train(gold_dir: Path = GOLD_DIR, out: Path = HEADS_DIR, seed: int = 0) -> dict[str, Any]:
    from evals.rubrics import load_rubrics
    from evals.suites import load_suite

    rubrics = load_rubrics()
    suite = load_suite(CORE)
    rows = _load_tune(gold_dir)
    out.mkdir(parents=True, exist_ok=True)
    situations: dict[object, Any] = {}
    replies = [Reply(r.reply) for r in rows]
    EMBEDDER.prefetch(s.text for rep in replies for s in rep.sentences)
    report: dict[str, Any] = {}
    per_rubric: dict[str, list[Example]] = {n: [] for n in RUBRIC_HEADS}
    tone_examples: dict[str, list[Example]] = {t: [] for t in TONE_REGISTERS}
    for row, reply in zip(rows, replies, strict=True):
        key = row.case or (row.email, row.situation)
        if key not in situations:
            situations[key] = row.situation_for(suite)
        situation = situations[key]
        group = str(row.case or row.email)
        vector = mean_vector(EMBEDDER.vectors([s.text for s in reply.sentences] or
                                              [reply.text]))
        rules = grade_reply(reply, situation, {n: rubrics[n] for n in RUBRIC_HEADS},
                            rules_only=True)
        for name in RUBRIC_HEADS:
            label, rule = row.labels.get(name), rules[name]
            if label is None or rule.status != "scored":
                continue
            per_rubric[name].append(Example(group, rubric_features(vector, rule.score or 0.0,
                                                                   situation),
                                            int(label), bool(rule.passed)))
        if row.register_:
            for tone, registers in TONE_REGISTERS.items():
                tone_examples[tone].append(Example(group, vector,
                                                   int(row.register_ in registers)))

    for name, examples in per_rubric.items():
        y = np.asarray([e.y for e in examples])
        l2, p = best_l2(examples, seed, lambda t, q: kappa(t, (q >= 0.5).astype(int)))
        rule_k = kappa(y, np.asarray([int(bool(e.rule_pass)) for e in examples]))
        head_k = kappa(y, (p >= 0.5).astype(int))
        w, b = fit(np.stack([e.x for e in examples]), y, l2)
        meta = {"rows": len(examples), "l2": l2, "seed": seed,
                "trained_on": "gold tune split (evals/gold/*.jsonl, split == 'tune')",
                "cv_kappa_pass": round(head_k, 3), "rules_kappa_pass": round(rule_k, 3)}
        write_head(out, name, w, b, 0.5, meta)
        report[name] = meta

    for tone, examples in tone_examples.items():
        y = np.asarray([e.y for e in examples])
        l2, p = best_l2(examples, seed, _average_precision)
        threshold = _threshold_for_precision(y, p, TONE_PRECISION)
        stale = out / f"{tone}.json"
        if threshold is None:  # cannot be trusted to cap a verdict: the rules alone decide
            stale.unlink(missing_ok=True)
            report[tone] = {"rows": len(examples), "positives": int(y.sum()),
                            "skipped": f"no threshold reaches precision {TONE_PRECISION}"}
            continue
        hit = p >= threshold
        meta = {"rows": len(examples), "positives": int(y.sum()), "l2": l2, "seed": seed,
                "registers": sorted(TONE_REGISTERS[tone]),
                "trained_on": "gold tune split, writer rows, by register",
                "cv_precision": round(float(y[hit].mean()) if hit.any() else 0.0, 3),
                "cv_recall": round(float(hit[y == 1].mean()), 3)}
        w, b = fit(np.stack([e.x for e in examples]), y, l2)
        write_head(out, tone, w, b, threshold, meta)
        report[tone] = meta

    report["problem"] = _train_problem(rows, suite, out, seed)
    return report


def _train_problem(rows: list[Any], suite: Any, out: Path, seed: int) -> dict[str, Any]:
    from agent.inbound import parse_text
    from evals.graders.semantic import email_sentences

    emails: dict[str, int] = {}
    for row in rows:
        if row.email is not None and row.situation is not None:
            emails[row.email] = int(row.situation.problem)
    for case in suite.cases:
        emails.setdefault(case.email, 1)
    examples = []
    for text, label in emails.items():
        parts = email_sentences(parse_text(text).body)
        examples.append(Example(text, mean_vector(EMBEDDER.vectors(parts)), label))
    y = np.asarray([e.y for e in examples])
    l2, p = best_l2(examples, seed, lambda t, q: kappa(t, (q >= 0.5).astype(int)))
    # The decision point with the best out-of-fold agreement (few emails report no problem).
    threshold = max((float(round(t, 2)) for t in np.arange(0.3, 0.91, 0.02)),
                    key=lambda t: (round(kappa(y, (p >= t).astype(int)), 6), -abs(t - 0.5)))
    w, b = fit(np.stack([e.x for e in examples]), y, l2)
    meta = {"rows": len(examples), "no_problem": int((y == 0).sum()), "l2": l2, "seed": seed,
            "trained_on": "distinct emails of the gold tune split + core suite emails",
            "cv_kappa": round(kappa(y, (p >= threshold).astype(int)), 3)}
    write_head(out, "problem", w, b, threshold, meta)
    return meta


def _average_precision(y: np.ndarray, p: np.ndarray) -> float:
    order = np.argsort(-p, kind="stable")
    hits = y[order]
    if not hits.sum():
        return 0.0
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / hits.sum())


def _threshold_for_precision(y: np.ndarray, p: np.ndarray, target: float) -> float | None:
    """The lowest threshold whose out-of-fold precision reaches `target` on at least five
    replies; None when none does."""
    for t in np.arange(0.30, 0.96, 0.01):
        hit = p >= t
        if hit.sum() >= 5 and float(y[hit].mean()) >= target:
            return float(round(t, 2))
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=GOLD_DIR)
    parser.add_argument("--out", type=Path, default=HEADS_DIR)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    report = train(args.gold, args.out, args.seed)
    for name, meta in report.items():
        figures = ", ".join(f"{k}={v}" for k, v in meta.items()
                            if k.startswith(("cv_", "rules_", "rows", "positives", "no_",
                                             "skipped")))
        print(f"{name:16s} {figures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
