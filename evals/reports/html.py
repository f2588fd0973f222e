"""A self-contained HTML report: no scripts, no external files, everything escaped.

A pass-rate bar per rubric (inline SVG, with the threshold marked), then every case with
the email, the draft and each rubric's score and reason. The page is the Jinja template
`templates/report.html.j2` rendered with autoescape on: customer text, drafts, reasons and
names are untrusted, so an email holding <script> shows as text. This module only works
out the numbers (bar geometry, the verdict line); the template owns the markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from evals.results import CaseResult, RunResult, usage_summary

TEMPLATES = Path(__file__).resolve().parent / "templates"
_BAR_W, _ROW_H, _LABEL_W = 420, 26, 130
_OUTCOMES = {0: ("ok", "all rubrics meet their thresholds"),
             1: ("bad", "a rubric is below its threshold"),
             7: ("bad", "harness error: some cases could not be drafted")}


@dataclass(frozen=True)
class Bar:
    rubric: str
    y: int
    width: int
    colour: str
    label: str
    threshold: str
    tick: int


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int = _LABEL_W + _BAR_W + 90
    left: int = _LABEL_W
    bar_width: int = _BAR_W

    @property
    def height(self) -> int:
        return _ROW_H * len(self.bars) + 10


@dataclass(frozen=True)
class CaseView:
    result: CaseResult
    head: str
    bad: bool


@dataclass(frozen=True)
class Outcome:
    css: str
    text: str


@lru_cache(maxsize=1)
def _template() -> Template:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2")


def _chart(run: RunResult) -> Chart:
    bars = []
    for i, s in enumerate(run.rubrics.values()):
        rate = s.pass_rate
        bars.append(Bar(
            rubric=s.rubric, y=i * _ROW_H + 4,
            width=0 if rate is None else round(_BAR_W * rate),
            colour="#9ca3af" if rate is None else ("#2e7d32" if s.ok else "#c62828"),
            label="n/a" if rate is None else f"{rate:.0%}",
            threshold=f"{s.threshold:.0%}", tick=_LABEL_W + round(_BAR_W * s.threshold)))
    return Chart(bars)


def _case(case: CaseResult) -> CaseView:
    attempt = case.first
    failed = [n for n, s in attempt.scores.items() if s.status == "scored" and not s.passed]
    head = "error" if attempt.error else (f"fails {', '.join(failed)}" if failed else "passes")
    return CaseView(result=case, head=head, bad=bool(attempt.error or failed))


def render_html(run: RunResult) -> str:
    css, text = _OUTCOMES.get(run.exit_code, ("bad", f"exit {run.exit_code}"))
    return _template().render(
        run=run, chart=_chart(run), cases=[_case(c) for c in run.cases],
        outcome=Outcome(css, text), started=run.started.isoformat(timespec="seconds"),
        tokens=usage_summary(run))
