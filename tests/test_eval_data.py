"""Structure checks for the hand-written eval data: suites and the gold set.

These tests only load YAML/JSON and check shape and consistency, so a typo in a
case or a gold label fails here with a readable message instead of somewhere
deep inside the eval runner or calibration.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from agent.profiles import built_in

ROOT = Path(__file__).resolve().parents[1]
SUITES = ROOT / "evals" / "suites"
GOLD = ROOT / "evals" / "gold" / "replies.jsonl"

# The core suite covers every category of the default (e-commerce) profile but `returns`,
# which the profile gained with issue 13 (the industries and blind suites cover it).
CATEGORIES = set(built_in("ecommerce").category_names) - {"returns"}
FAULTS = {"ours", "theirs", "unclear"}
THREATS = {"legal", "chargeback", "public_review", "violence"}
# Labels every suite gives; the industries and blind suites add OPTIONAL_LABEL_KEYS.
LABEL_KEYS = {
    "category",
    "fault",
    "abusive",
    "threats",
    "language",
    "escalate",
    "customer_name",
    "order_ids",
}
OPTIONAL_LABEL_KEYS = {"industry", "profanity", "other_refs", "product", "issues", "facts"}
EXPECT_KEYS = {
    "must_own_fault",
    "must_set_boundary",
    "must_escalate",
    "must_not_promise_refund",
    "language",
    "must_mention",
    "literal",
    "must_not_contain",
}
RUBRICS = (
    "empathy",
    "apology",
    "boundaries",
    "listening",
    "resolution",
    "professionalism",
    "policy",
    "escalation",
    "language",
    "safety",
)
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _suite_files() -> list[Path]:
    return sorted(SUITES.glob("*.yaml"))


def _load_suite(name: str) -> dict:
    return yaml.safe_load((SUITES / f"{name}.yaml").read_text(encoding="utf-8"))


def _load_gold() -> list[dict]:
    rows = []
    for n, line in enumerate(GOLD.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:  # pragma: no cover - message only
            pytest.fail(f"{GOLD.name}:{n}: not valid JSON: {exc}")
    return rows


def test_the_three_suites_exist():
    names = {p.stem for p in _suite_files()}
    assert {"core", "injection", "smoke", "holdout"} <= names


@pytest.mark.parametrize("path", _suite_files(), ids=lambda p: p.name)
def test_suite_structure(path: Path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: top level must be a mapping"
    assert data.get("name") == path.stem, f"{path.name}: name must match the file name"
    assert isinstance(data.get("description"), str) and data["description"].strip()
    cases = data.get("cases")
    assert isinstance(cases, list) and cases, f"{path.name}: no cases"

    ids = [c.get("id") for c in cases]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"{path.name}: duplicate ids {dupes}"

    for case in cases:
        where = f"{path.name}:{case.get('id')}"
        # Suites that only measure the analyzer (industries, blind) carry no expectations;
        # injection probes may carry the agent's typed facts, an HTML format and an attack.
        assert {"id", "tags", "email", "labels"} <= set(case) <= {
            "id", "tags", "email", "labels", "expect", "format", "facts", "attack"}, (
            f"{where}: keys {sorted(case)}"
        )
        assert KEBAB.match(case["id"]), f"{where}: id must be kebab-case"
        assert isinstance(case["tags"], list) and case["tags"], f"{where}: tags"
        assert all(isinstance(t, str) and t for t in case["tags"]), f"{where}: tags"
        email = case["email"]
        assert isinstance(email, str) and email.strip(), f"{where}: empty email"

        labels = case["labels"]
        assert LABEL_KEYS <= set(labels) <= LABEL_KEYS | OPTIONAL_LABEL_KEYS, (
            f"{where}: label keys {sorted(labels)}")
        profile = built_in(labels.get("industry", "ecommerce"))
        assert labels["category"] in profile.category_names, (
            f"{where}: category {labels['category']!r}")
        for fact in labels.get("facts") or []:
            assert fact in email, f"{where}: fact {fact!r} is not in the email verbatim"
        assert labels["fault"] in FAULTS, f"{where}: fault {labels['fault']!r}"
        assert isinstance(labels["abusive"], bool), f"{where}: abusive must be a bool"
        assert isinstance(labels["escalate"], bool), f"{where}: escalate must be a bool"
        assert isinstance(labels["threats"], list), f"{where}: threats must be a list"
        assert set(labels["threats"]) <= THREATS, f"{where}: threats {labels['threats']}"
        assert re.fullmatch(r"[a-z]{2}", labels["language"]), f"{where}: language must be ISO 639-1"
        name = labels["customer_name"]
        assert name is None or (isinstance(name, str) and name in email), (
            f"{where}: customer_name not in email"
        )
        assert isinstance(labels["order_ids"], list), f"{where}: order_ids must be a list"
        for oid in labels["order_ids"]:
            assert isinstance(oid, str) and not oid.startswith("#"), f"{where}: order id {oid!r}"
            assert oid in email, f"{where}: order id {oid!r} not in the email"

        if "legal" in labels["threats"] or "violence" in labels["threats"]:
            assert labels["escalate"], f"{where}: legal/violence threats must escalate"
        if "expect" not in case:
            continue
        expect = case["expect"]
        if "blind" in case["tags"]:
            # Written blind from the threat classes: only what the probe plants is expected
            # (evals.suites validates the shape); the conventions below are ours.
            continue
        assert isinstance(expect, dict) and expect, f"{where}: expect must be a non-empty mapping"
        assert set(expect) <= EXPECT_KEYS, (
            f"{where}: unknown expect keys {sorted(set(expect) - EXPECT_KEYS)}"
        )
        for key in (
            "must_own_fault",
            "must_set_boundary",
            "must_escalate",
            "must_not_promise_refund",
        ):
            if key in expect:
                assert isinstance(expect[key], bool), f"{where}: {key} must be a bool"
        assert expect.get("language", labels["language"]) == labels["language"], (
            f"{where}: expect.language != labels.language"
        )
        assert bool(expect.get("must_set_boundary")) == labels["abusive"], (
            f"{where}: boundary vs abusive"
        )
        assert bool(expect.get("must_escalate")) == labels["escalate"], (
            f"{where}: escalate mismatch"
        )
        if labels["fault"] == "ours":
            assert expect.get("must_own_fault") is True, f"{where}: fault ours needs must_own_fault"
        else:
            assert not expect.get("must_own_fault"), (
                f"{where}: must_own_fault only when fault is ours"
            )
        for key in ("must_mention", "literal", "must_not_contain"):
            if key in expect:
                items = expect[key]
                assert isinstance(items, list) and items, f"{where}: {key} must be a non-empty list"
                assert all(isinstance(s, str) and s for s in items), f"{where}: {key}"
        flat = " ".join(email.split()).lower()
        for word in expect.get("must_mention", []):
            assert word.lower() in flat, f"{where}: must_mention {word!r} not in the email"
        for text in expect.get("literal", []):
            assert text in email, f"{where}: literal {text!r} not in the email"


def test_core_counts_and_coverage():
    cases = _load_suite("core")["cases"]
    assert len(cases) >= 64
    labels = [c["labels"] for c in cases]
    assert set(CATEGORIES) == {lab["category"] for lab in labels}
    assert {"ours", "theirs", "unclear"} == {lab["fault"] for lab in labels}
    assert sum(lab["abusive"] for lab in labels) >= 5
    assert {t for lab in labels for t in lab["threats"]} >= THREATS
    langs = Counter(lab["language"] for lab in labels)
    assert langs["es"] >= 2 and langs["fr"] >= 1 and langs["de"] >= 1
    tags = Counter(t for c in cases for t in c["tags"])
    for tag in ("sarcasm", "multi", "injection", "template", "theirs", "caps", "short", "long"):
        assert tags[tag] >= 1, f"core suite has no case tagged {tag!r}"
    assert any(c["labels"]["customer_name"] is None for c in cases)
    assert any(not c["labels"]["order_ids"] for c in cases)


def test_holdout_counts_and_coverage():
    """The held-out suite measures the analyzer honestly; keep it balanced."""
    cases = _load_suite("holdout")["cases"]
    assert len(cases) >= 48
    labels = [c["labels"] for c in cases]
    cats = Counter(lab["category"] for lab in labels)
    assert set(cats) == CATEGORIES and min(cats.values()) >= 5
    assert {"ours", "theirs", "unclear"} == {lab["fault"] for lab in labels}
    assert sum(lab["abusive"] for lab in labels) >= 5
    threats = Counter(t for lab in labels for t in lab["threats"])
    assert all(threats[t] >= 2 for t in THREATS), threats
    langs = Counter(lab["language"] for lab in labels)
    assert langs["es"] >= 2 and langs["fr"] >= 2 and langs["de"] >= 2
    core_emails = {" ".join(c["email"].split()) for c in _load_suite("core")["cases"]}
    for case in cases:
        assert case["id"].startswith("ho-"), f"{case['id']}: holdout ids start with ho-"
        assert " ".join(case["email"].split()) not in core_emails, f"{case['id']}: copied from core"


def test_injection_suite():
    cases = _load_suite("injection")["cases"]
    assert len(cases) >= 32
    for case in cases:
        assert "injection" in case["tags"], f"{case['id']}: every probe is tagged injection"
        assert len(case["tags"]) >= 2, f"{case['id']}: add a kind tag"
    kinds = {t for c in cases for t in c["tags"]}
    for kind in (
        "override",
        "extraction",
        "insult",
        "promise_refund",
        "promise_deadline",
        "fake_policy",
        "jinja",
        "format_string",
        "html",
        "long_input",
        "homoglyph",
        "zero_width",
        "bidi",
        "fullwidth",
    ):
        assert kind in kinds, f"no injection probe of kind {kind!r}"
    longest = max(len(c["email"].encode("utf-8")) for c in cases)
    assert longest >= 25_000
    assert any("\u200b" in c["email"] for c in cases)
    assert any("\u202e" in c["email"] for c in cases)
    assert sum(1 for c in cases if c["expect"].get("literal")) >= 8


def test_smoke_cases_are_copies_of_core():
    core = {c["id"]: c for c in _load_suite("core")["cases"]}
    smoke = _load_suite("smoke")["cases"]
    assert len(smoke) == 6
    for case in smoke:
        assert case["id"] in core, f"smoke case {case['id']} is not in core"
        assert case == core[case["id"]], f"smoke case {case['id']} differs from core"


def test_gold_structure():
    rows = _load_gold()
    core = {c["id"]: c for c in _load_suite("core")["cases"]}
    assert len(rows) >= 320

    ids = [r.get("id") for r in rows]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"duplicate gold ids {dupes}"
    replies = Counter(r.get("reply") for r in rows)
    assert not [t for t, n in replies.items() if n > 1], "duplicate reply texts"

    for row in rows:
        where = f"gold {row.get('id')}"
        assert set(row) == {"id", "case", "split", "kind", "reply", "labels", "why"}, (
            f"{where}: keys {sorted(row)}"
        )
        assert re.fullmatch(r"g\d{3,}", row["id"]), f"{where}: id format"
        assert row["case"] in core, f"{where}: unknown case {row['case']!r}"
        assert row["split"] in {"tune", "heldout"}, f"{where}: split"
        assert row["kind"] in {"good", "bad", "subtle"}, f"{where}: kind"
        assert isinstance(row["reply"], str) and len(row["reply"].strip()) > 20, f"{where}: reply"
        assert isinstance(row["why"], str), f"{where}: why"
        labels = row["labels"]
        assert set(labels) == set(RUBRICS), f"{where}: rubric keys {sorted(labels)}"
        for rubric, value in labels.items():
            assert value in (True, False, None), f"{where}: {rubric}={value!r}"

        case_labels = core[row["case"]]["labels"]
        assert (labels["boundaries"] is None) == (not case_labels["abusive"]), (
            f"{where}: boundaries applies exactly when the email is abusive"
        )
        assert (labels["escalation"] is None) == (not case_labels["escalate"]), (
            f"{where}: escalation applies exactly when escalation is warranted"
        )
        for rubric in (
            "empathy",
            "listening",
            "resolution",
            "professionalism",
            "policy",
            "language",
            "safety",
        ):
            assert labels[rubric] is not None, f"{where}: {rubric} always applies"

        failed = [r for r, v in labels.items() if v is False]
        if row["kind"] == "good":
            assert not failed, f"{where}: a good reply fails {failed}"
        else:
            assert failed, f"{where}: a {row['kind']} reply must fail at least one rubric"
            assert row["why"].strip(), f"{where}: say why"


def test_gold_balance():
    rows = _load_gold()
    n = len(rows)
    heldout = [r for r in rows if r["split"] == "heldout"]
    assert 0.25 <= len(heldout) / n <= 0.35, f"heldout share {len(heldout) / n:.2%}"

    kinds = Counter(r["kind"] for r in rows)
    assert 0.30 <= kinds["subtle"] / n <= 0.50, f"subtle share {kinds['subtle'] / n:.2%}"
    for kind in ("good", "bad", "subtle"):
        share = sum(1 for r in heldout if r["kind"] == kind) / max(kinds[kind], 1)
        assert 0.2 <= share <= 0.4, f"heldout share of {kind} replies is {share:.2%}"

    for split in ("tune", "heldout"):
        part = [r for r in rows if r["split"] == split]
        for rubric in RUBRICS:
            values = {r["labels"][rubric] for r in part}
            assert True in values and False in values, (
                f"{split}: {rubric} needs both true and false labels"
            )

    covered = {r["case"] for r in rows}
    core = {c["id"] for c in _load_suite("core")["cases"]}
    assert covered == core, f"core cases without gold replies: {sorted(core - covered)}"


def _writer_rows() -> list[dict]:
    rows = []
    for path in sorted(Path("evals/gold").glob("writer-*.jsonl")):
        rows += [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
    return rows


def test_writer_gold_sets_are_complete_and_consistent():
    rows = _writer_rows()
    old = _load_gold()
    assert len(rows) + len(old) >= 1500
    held = [r for r in rows if r["split"] == "heldout"]
    assert len(held) == 320 and all(r["id"].startswith("wd-") for r in held)
    assert {r["split"] for r in rows if not r["id"].startswith("wd-")} == {"tune"}
    ids = [r["id"] for r in rows] + [r["id"] for r in old]
    assert len(ids) == len(set(ids))
    for row in rows:
        where = f"gold {row['id']}"
        labels, situation = row["labels"], row["situation"]
        assert set(labels) == set(RUBRICS), where
        assert (labels["apology"] is None) == (not situation["problem"]), where
        assert (labels["boundaries"] is None) == (not situation["abusive"]), where
        assert (labels["escalation"] is None) == (not situation["escalate"]), where
        assert row["register"] and row["industry"] and row["email"].strip(), where
