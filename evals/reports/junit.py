"""JUnit XML: one <testsuite> per rubric, one <testcase> per case (and attempt).

A failed verdict is a <failure> carrying the reason and evidence; a rubric that does not
apply, or could not be scored, is <skipped>; a case that could not be drafted is an <error>.
CI systems then show exactly which case failed which rubric, and why.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from evals.results import RunResult


def render_junit(run: RunResult) -> str:
    root = ET.Element("testsuites", name=f"calmreply eval {run.suite}")
    totals: dict[str, int] = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for name, summary in run.rubrics.items():
        suite = ET.SubElement(root, "testsuite", name=name)
        counts: dict[str, int] = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for case in run.cases:
            for k, attempt in enumerate(case.attempts):
                suffix = f" #{k + 1}" if len(case.attempts) > 1 else ""
                tc = ET.SubElement(suite, "testcase", classname=f"{run.suite}.{name}",
                                   name=case.id + suffix, time="0")
                counts["tests"] += 1
                score = attempt.scores.get(name)
                if attempt.error:
                    ET.SubElement(tc, "error", message=attempt.error[:500])
                    counts["errors"] += 1
                elif score is None or score.status != "scored":
                    status = score.status if score else "not graded"
                    reason = score.reason if score else ""
                    ET.SubElement(tc, "skipped", message=f"{status}: {reason}"[:500])
                    counts["skipped"] += 1
                elif not score.passed:
                    el = ET.SubElement(tc, "failure", message=score.reason[:500],
                                       type=score.hard_fail or "below_pass_score")
                    el.text = "\n".join([f"score {score.score}", *score.evidence,
                                         "", "draft:", attempt.draft or ""])
                    counts["failures"] += 1
        rate = "n/a" if summary.pass_rate is None else f"{summary.pass_rate:.1%}"
        props = ET.SubElement(suite, "properties")
        for key, value in (("pass_rate", rate), ("threshold", f"{summary.threshold:.0%}"),
                           ("ok", str(summary.ok).lower()), ("rubric_hash", summary.hash)):
            ET.SubElement(props, "property", name=key, value=value)
        for key, count in counts.items():
            suite.set(key, str(count))
            totals[key] += count
    for key, count in totals.items():
        root.set(key, str(count))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
