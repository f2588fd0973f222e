"""Template mistakes a prompt owner makes: one line naming the file and line, exit 4; and
the layout of what the model reads (`prompts check` catches glued items and headings)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from agent.config import Settings
from agent.errors import TemplateFailure
from agent.inbound import parse_text
from agent.messages import draft_messages, render
from agent.prompt_check import layout_problems
from evals.judge import judge_messages
from evals.rubrics import load_rubrics
from evals.situation import Situation
from tests.cli_helpers import run_cli
from tests.conftest import ROOT
from tests.fakes.model_server import FakeModelServer

LATE = ROOT / "prompts/fixtures/late_delivery.txt"


def one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    """A copy of the shipped templates to break."""
    copy = tmp_path / "my-prompts"
    shutil.copytree(ROOT / "prompts", copy)
    return copy


def append(path: Path, text: str) -> int:
    """Add a line to a template; returns its line number."""
    before = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(f"{before}\n{text}\n", encoding="utf-8")
    return before.count("\n") + 2


# --- one line, exit 4, the file and line where it went wrong ------------------------------

def test_an_undefined_variable_in_an_offline_template(tmp_path: Path, prompts: Path) -> None:
    line = append(prompts / "offline" / "greeting.j2", "Hi {{ nickname }}")
    run = run_cli("draft", str(LATE), "--offline", "--prompts", str(prompts), cwd=tmp_path)
    assert run.code == 4
    error = one_line_error(run.err)
    assert f"'offline/greeting.j2' line {line}" in error and "'nickname' is undefined" in error


def test_an_undefined_variable_in_a_playbook_partial_names_the_partial(
        tmp_path: Path, prompts: Path) -> None:
    line = append(prompts / "playbook" / "03_empathy.j2", "{{ mood }}")
    with FakeModelServer() as srv:
        runs = [run_cli("draft", str(LATE), "--base-url", srv.base_url, "--prompts",
                        str(prompts), cwd=tmp_path),
                run_cli("prompts", "render", str(LATE), "--prompts", str(prompts),
                        cwd=tmp_path)]
        assert srv.stats.chat == 0  # found before anything is sent
    for run in runs:
        assert run.code == 4
        error = one_line_error(run.err)
        assert f"'playbook/03_empathy.j2' line {line}" in error and "system.j2" not in error
    check = run_cli("prompts", "check", "--prompts", str(prompts), cwd=tmp_path)
    assert check.code == 4 and "Traceback" not in check.err
    fails = [x for x in check.err.splitlines() if x.startswith("FAIL")]
    # Once, not once per fixture and tone; and the partial, not the file including it.
    assert len(fails) == 1 and f"'playbook/03_empathy.j2' line {line}" in fails[0], fails


def test_prompts_check_reports_an_offline_template_once(tmp_path: Path, prompts: Path) -> None:
    line = append(prompts / "offline" / "es" / "thanks.j2", "{{ gracias }}")
    run = run_cli("prompts", "check", "--prompts", str(prompts), cwd=tmp_path)
    assert run.code == 4 and "Traceback" not in run.err
    fails = [x for x in run.err.splitlines() if x.startswith("FAIL")]
    assert fails == [f"FAIL template 'offline/es/thanks.j2' line {line} in {prompts}: "
                     "'gracias' is undefined"]


def test_a_syntax_error_in_a_partial_names_the_partial(tmp_path: Path, prompts: Path) -> None:
    line = append(prompts / "playbook" / "09_escalation.j2", "{% if %}")
    run = run_cli("prompts", "render", str(LATE), "--prompts", str(prompts), cwd=tmp_path)
    assert run.code == 4
    assert f"'playbook/09_escalation.j2' line {line}" in one_line_error(run.err)


def test_a_template_that_is_not_utf8_is_named(tmp_path: Path, prompts: Path) -> None:
    (prompts / "tone" / "formal.j2").write_bytes(b"Formal \xff\xfe tone.\n")
    run = run_cli("prompts", "render", str(LATE), "--tone", "formal", "--prompts",
                  str(prompts), cwd=tmp_path)
    assert run.code == 4
    error = one_line_error(run.err)
    assert "'tone/formal.j2'" in error and "UTF-8" in error


def test_a_python_error_inside_a_template_is_located_too(prompts: Path) -> None:
    line = append(prompts / "reask.j2", "{{ 1 // 0 }}")
    with pytest.raises(TemplateFailure) as info:
        render("reask.j2", prompts, error="x")
    assert info.value.template == "reask.j2" and info.value.line == line
    assert "ZeroDivisionError" in info.value.message


# --- layout of what the model reads --------------------------------------------------------

def test_the_system_prompt_puts_each_item_on_its_line_and_space_before_headings() -> None:
    system = draft_messages(parse_text(LATE.read_text()), Settings())[0]["content"]
    items = re.findall(r"(?m)^(\d+)\. [A-Z]", system)
    assert items == [str(n) for n in range(1, 15)]
    lines = system.split("\n")
    headings = [i for i, line in enumerate(lines) if line.startswith("## ")]
    assert len(headings) >= 5
    assert all(lines[i - 1] == "" for i in headings), [lines[i - 1] for i in headings]
    assert layout_problems("system.j2", system) == []


@pytest.mark.parametrize("text, what", [
    ("1. Stay calm.2. Listen well.", "numbered item runs into"),
    ("We read it.Then we answer.", "sentences run together"),
    ("Some policy text.\n## Tone\nWarm.", "no blank line before"),
    ("Some policy text.## Tone", "middle of a line"),
    ("One.\n\n\nTwo.", "blank lines in a row"),
])
def test_layout_rules(text: str, what: str) -> None:
    problems = layout_problems("x.j2", text)
    assert len(problems) == 1 and what in problems[0] and problems[0].startswith("x.j2: ")


def test_clean_text_has_no_layout_problems() -> None:
    text = ("Intro, version 2.5 of the policy, e.g. order #48213.\n\n## Playbook\n"
            "1. Calm.\n2. Listen.\n\n## Tone\nWarm.")
    assert layout_problems("x.j2", text) == []


@pytest.mark.parametrize("before, after, expected", [
    ('".j2" +%}\n{% endfor %}', '".j2" %}\n{% endfor %}',
     ("numbered item runs into", "temperature.2. Listening")),
    ("\n\n## Language", "\n## Language", ("no blank line before", "## Language")),
])
def test_prompts_check_catches_what_jinja_whitespace_control_eats(
        tmp_path: Path, prompts: Path, before: str, after: str,
        expected: tuple[str, str]) -> None:
    system = prompts / "system.j2"
    text = system.read_text(encoding="utf-8")
    assert before in text
    system.write_text(text.replace(before, after), encoding="utf-8")
    run = run_cli("prompts", "check", "--prompts", str(prompts), cwd=tmp_path)
    assert run.code == 4
    fails = [x for x in run.err.splitlines() if x.startswith("FAIL")]
    assert any(all(e in f for e in expected) for f in fails), fails


def test_the_judge_prompts_are_laid_out_cleanly() -> None:
    situation = Situation(email=LATE.read_text(), fault="ours", abusive=False,
                          language="en", must_mention=("48213",))
    for rubric in load_rubrics().values():
        for message in judge_messages(rubric, "Hi Dana, sorry.", situation, Settings().policy):
            # The email and reply are the customer's and the drafter's, not ours.
            ours = re.sub(r"<<<[A-Z ]+>>>.*?<<<END [A-Z ]+>>>", "(text)", message["content"],
                          flags=re.S)
            assert layout_problems(f"judge ({rubric.name})", ours) == []
