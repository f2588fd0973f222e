"""A self-contained HTML report: no scripts, no external files, everything escaped.

A pass-rate bar per rubric (inline SVG, with the threshold marked), then every case with
the email, the draft and each rubric's score and reason. Customer text and drafts are
untrusted: every value goes through html.escape, so an email holding <script> shows as text.
"""

from __future__ import annotations

from html import escape

from evals.results import CaseResult, RunResult, usage_summary
from evals.scores import Score

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2327;max-width:1100px}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;text-align:left;
border-bottom:1px solid #e2e4e7;vertical-align:top}
.ok{color:#1a7f37}.bad{color:#c62828}.na{color:#6b7280}
details{border:1px solid #e2e4e7;border-radius:6px;margin:.5rem 0;padding:.4rem .8rem}
summary{cursor:pointer;font-weight:600}pre{white-space:pre-wrap;background:#f6f7f8;
padding:.6rem;border-radius:4px;margin:.3rem 0}.cols{display:grid;
grid-template-columns:1fr 1fr;gap:1rem}.tag{background:#eef;border-radius:3px;
padding:0 .3rem;margin-right:.2rem;font-size:12px}.ev{color:#4b5563;font-size:12px}
"""
_BAR_W, _ROW_H, _LABEL_W = 420, 26, 130


def _chart(run: RunResult) -> str:
    rows = list(run.rubrics.values())
    height = _ROW_H * len(rows) + 10
    parts = [f'<svg role="img" aria-label="pass rate per rubric" width="{_LABEL_W + _BAR_W + 90}"'
             f' height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for i, s in enumerate(rows):
        y = i * _ROW_H + 4
        rate = s.pass_rate
        width = 0 if rate is None else round(_BAR_W * rate)
        colour = "#9ca3af" if rate is None else ("#2e7d32" if s.ok else "#c62828")
        label = "n/a" if rate is None else f"{rate:.0%}"
        tx = _LABEL_W + round(_BAR_W * s.threshold)
        parts += [
            f'<text x="0" y="{y + 15}" font-size="13">{escape(s.rubric)}</text>',
            f'<rect x="{_LABEL_W}" y="{y}" width="{_BAR_W}" height="18" fill="#eceff1"/>',
            f'<rect x="{_LABEL_W}" y="{y}" width="{width}" height="18" fill="{colour}">'
            f'<title>{escape(s.rubric)}: {label} (threshold {s.threshold:.0%})</title></rect>',
            f'<line x1="{tx}" x2="{tx}" y1="{y - 2}" y2="{y + 20}" stroke="#111" '
            f'stroke-dasharray="3,2"/>',
            f'<text x="{_LABEL_W + _BAR_W + 8}" y="{y + 15}" font-size="13">{label}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)


def _verdict(score: Score) -> str:
    if score.status != "scored":
        return f'<span class="na">{escape(score.status.replace("_", " "))}</span>'
    cls, word = ("ok", "pass") if score.passed else ("bad", "FAIL")
    hard = f" (hard fail: {escape(score.hard_fail)})" if score.hard_fail else ""
    return f'<span class="{cls}">{word} {score.score:.2f}{hard}</span>'


def _case(case: CaseResult) -> str:
    attempt = case.first
    failed = [n for n, s in attempt.scores.items() if s.status == "scored" and not s.passed]
    head = "error" if attempt.error else (f"fails {', '.join(failed)}" if failed else "passes")
    cls = "bad" if attempt.error or failed else "ok"
    tags = "".join(f'<span class="tag">{escape(t)}</span>' for t in case.tags)
    rows = []
    for name, score in attempt.scores.items():
        ev = "".join(f"<div class=ev>“{escape(e)}”</div>" for e in score.evidence)
        stat = case.stats.get(name)
        spread = ""
        if stat and len(case.attempts) > 1 and stat.scored:
            spread = f"<div class=ev>{stat.passes}/{stat.scored} passed, spread {stat.spread}"\
                     f"{' (flaky)' if stat.flaky else ''}</div>"
        rows.append(f"<tr><td>{escape(name)}</td><td>{_verdict(score)}</td>"
                    f"<td>{escape(score.reason)}{ev}{spread}</td>"
                    f"<td class=na>{escape(score.source)}</td></tr>")
    draft = escape(attempt.draft) if attempt.draft is not None else \
        f'<span class="bad">{escape(attempt.error or "no draft")}</span>'
    return (f'<details><summary>{escape(case.id)} — <span class="{cls}">{escape(head)}'
            f"</span> {tags}</summary><div class=cols><div><b>Email</b><pre>"
            f"{escape(case.email)}</pre></div><div><b>Draft</b><pre>{draft}</pre></div></div>"
            f"<table><tr><th>rubric</th><th>verdict</th><th>reason and evidence</th>"
            f"<th>grader</th></tr>{''.join(rows)}</table></details>")


def _summary_table(run: RunResult) -> str:
    rows = []
    for s in run.rubrics.values():
        rate = "n/a" if s.pass_rate is None else f"{s.pass_rate:.1%}"
        status = '<span class="ok">ok</span>' if s.ok else '<span class="bad">below</span>'
        rows.append(f"<tr><td>{escape(s.rubric)}</td><td>{rate}</td><td>{s.threshold:.0%}</td>"
                    f"<td>{s.passed}</td><td>{s.failed}</td><td>{s.not_applicable}</td>"
                    f"<td>{s.unscored}</td><td>{s.hard_fails}</td><td>{status}</td></tr>")
    return ("<table><tr><th>rubric</th><th>pass rate</th><th>threshold</th><th>passed</th>"
            "<th>failed</th><th>n/a</th><th>unscored</th><th>hard fails</th><th></th></tr>"
            + "".join(rows) + "</table>")


def _comparison(run: RunResult) -> str:
    comp = run.comparison
    if comp is None:
        return ""
    items = []
    for title, changes in (("Regressions", comp.regressions),
                           ("Improvements", comp.improvements)):
        lis = "".join(f"<li>{escape(c.case)} · {escape(c.rubric)}: {escape(c.reason)}</li>"
                      for c in changes) or "<li>none</li>"
        items.append(f"<h3>{title} vs {escape(comp.baseline)}</h3><ul>{lis}</ul>")
    return "<h2>Compared with baseline</h2>" + "".join(items)


def render_html(run: RunResult) -> str:
    verdict = {0: ("ok", "all rubrics meet their thresholds"),
               1: ("bad", "a rubric is below its threshold"),
               7: ("bad", "harness error: some cases could not be drafted")}.get(
        run.exit_code, ("bad", f"exit {run.exit_code}"))
    who = escape(run.model or "offline composer")
    judge = f", judge {escape(run.judge_model)}" if run.judge_model else ""
    cases = "".join(_case(c) for c in run.cases)
    tokens = f"<p>{escape(usage_summary(run))}</p>" if usage_summary(run) else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>calmreply eval: {escape(run.suite)}</title><style>{_CSS}</style></head><body>"
        f"<h1>calmreply eval: {escape(run.suite)} {escape(run.label)}</h1>"
        f"<p>{len(run.cases)} cases × {run.repeat} · drafted by {who}{judge} · "
        f"{escape(run.started.isoformat(timespec='seconds'))} · {run.seconds:.1f}s · "
        f'<b class="{verdict[0]}">{escape(verdict[1])}</b></p>'
        f"{tokens}"
        f"<h2>Pass rate per rubric</h2>{_chart(run)}{_summary_table(run)}{_comparison(run)}"
        f"<h2>Cases</h2>{cases}</body></html>"
    )
