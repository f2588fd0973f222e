"""Reports for a run: terminal (rich), JSON, JUnit XML and a self-contained HTML page."""

from __future__ import annotations

from pathlib import Path

from agent.errors import InputError
from evals.reports.html import render_html
from evals.reports.json_report import render_json
from evals.reports.junit import render_junit
from evals.results import RunResult

FILES = {"json": "results.json", "junit": "junit.xml", "html": "report.html"}


def write_reports(run: RunResult, out_dir: Path) -> dict[str, Path]:
    """Write all three file reports into `out_dir`; returns their paths by kind."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = {kind: out_dir / name for kind, name in FILES.items()}
        paths["json"].write_text(render_json(run), encoding="utf-8")
        paths["junit"].write_text(render_junit(run), encoding="utf-8")
        paths["html"].write_text(render_html(run), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write reports to {out_dir}: {exc.strerror}") from None
    return paths
