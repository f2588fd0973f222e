"""Reports: HTML escapes everything and stays self-contained; JUnit and JSON are valid."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from markupsafe import escape
from rich.console import Console

from evals.compare import compare, load_run
from evals.reports import write_reports
from evals.reports.html import render_html
from evals.reports.junit import render_junit
from evals.reports.terminal import print_run, print_side_by_side
from evals.results import Attempt, CaseResult, RunResult
from evals.rubrics import load_rubrics, pick
from evals.runner import case_stats, exit_code, summarise
from evals.scores import Score

RUBRICS = pick(load_rubrics(), ["empathy", "policy", "boundaries"])
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


def make_run() -> RunResult:
    good = Attempt(draft="Waiting is frustrating.", source="offline", scores={
        "empathy": Score(rubric="empathy", score=1.0, passed=True, status="scored",
                         reason="ties the feeling", evidence=["Waiting is frustrating."]),
        "policy": Score(rubric="policy", score=1.0, passed=True, status="scored", reason="ok"),
        "boundaries": Score.not_applicable("boundaries", "the email is not abusive"),
    })
    bad = Attempt(draft=f"Reply {EVIL}", source="offline", scores={
        "empathy": Score(rubric="empathy", score=0.3, passed=False, status="scored",
                         reason=f"formula only {EVIL}", evidence=[EVIL]),
        "policy": Score(rubric="policy", score=0.0, passed=False, status="scored",
                        reason="offers $500", evidence=["$500"], hard_fail="amount_over_limit"),
        "boundaries": Score.unscored("boundaries", "judge gave no usable answer"),
    })
    broken = Attempt(error="the model at http://x is down",
                     scores={n: Score.unscored(n, "no draft") for n in RUBRICS})
    cases = [CaseResult(id=f"case-{i}", tags=["t"], email=f"Email {EVIL}", attempts=[a],
                        stats=case_stats([a], RUBRICS))
             for i, a in enumerate([good, bad, broken])]
    run = RunResult(suite="mini", started=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                    rubrics=summarise(cases, RUBRICS), cases=cases, errors=1)
    run.exit_code = exit_code(run)
    return run


class Page(HTMLParser):
    """The elements, attributes and text a browser would see in a report."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_escapes_customer_text_and_is_self_contained() -> None:
    html = render_html(make_run())
    assert "<script>" not in html and "<img" not in html
    assert str(escape(EVIL)) in html  # shown, escaped
    assert "<svg" in html and "pass rate per rubric" in html
    for external in ("<script", "<link", "src=\"http", "href=\"http", "@import"):
        assert external not in html
    assert "case-1" in html and "hard fail: amount_over_limit" in html
    assert "the model at http://x is down" in html
    assert "harness error" in html


def test_every_string_in_a_report_is_text_never_markup() -> None:
    """Hostile text in every field a run carries: the page gains no element or attribute
    from it, and a reader sees each one verbatim."""
    run = make_run()
    run.suite, run.label = f"suite {EVIL}", f"label {EVIL}"
    run.model, run.judge_model = f"model {EVIL}", f"judge {EVIL}"
    case = run.cases[1]
    case.id, case.tags = f"id {EVIL}", [f"tag {EVIL}"]
    case.first.scores["policy"].hard_fail = f"rule {EVIL}"
    run.cases[2].first.error = f"error {EVIL}"
    base = make_run()
    base.cases[1].first.scores["policy"] = Score(rubric="policy", score=1.0, passed=True,
                                                 status="scored", reason="ok")
    run.comparison = compare(base, run, f"baseline {EVIL}")
    page = Page(render_html(run))
    assert {tag for tag, _ in page.tags} <= {
        "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "b", "svg",
        "text", "rect", "line", "table", "tr", "th", "td", "ul", "li", "details",
        "summary", "span", "div", "pre"}
    assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")]
    seen = "".join(page.text)
    for where in ("suite", "label", "model", "judge", "id", "tag", "rule", "error",
                  "baseline", "Email", "Reply", "formula only"):
        assert f"{where} {EVIL}" in seen, where
    assert seen.count(EVIL) >= 12


def test_junit_xml_counts_failures_skips_and_errors() -> None:
    root = ET.fromstring(render_junit(make_run()))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == set(RUBRICS)
    empathy = suites["empathy"]
    assert empathy.get("tests") == "3" and empathy.get("failures") == "1"
    assert empathy.get("errors") == "1"
    failure = empathy.find("testcase[@name='case-1']/failure")
    assert failure is not None and EVIL in (failure.get("message") or "")
    assert suites["boundaries"].get("skipped") == "2"
    policy_fail = suites["policy"].find("testcase/failure")
    assert policy_fail is not None and policy_fail.get("type") == "amount_over_limit"


def test_json_report_round_trips_for_baselines(tmp_path: Path) -> None:
    run = make_run()
    paths = write_reports(run, tmp_path / "out")
    assert set(paths) == {"json", "junit", "html"}
    again = load_run(paths["json"])
    assert again.cases[1].first.scores["policy"].hard_fail == "amount_over_limit"
    assert again.rubrics["policy"].ok is False and again.exit_code == 7


def test_terminal_report_shows_rates_and_worst_cases() -> None:
    console = Console(record=True, width=120)
    run = make_run()
    print_run(run, console)
    text = console.export_text()
    assert "empathy" in text and "50.0%" in text and "BELOW" in text
    assert "case-1 · policy 0.00: offers $500" in text
    assert "error in case-2" in text
    print_side_by_side(run, run, console)
    assert "+0.0%" in console.export_text()
