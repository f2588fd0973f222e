"""`calmreply grade`: the JSONL contract other tools depend on, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli import main
from evals.rubrics import load_rubrics

EMAIL = ("Subject: order 48213\n\nMy oak desk, order #48213, is ten days late. "
         "I'm fed up.\n\nDana")
GOOD = ("Hi Dana, I'm sorry your desk (order #48213) is late; that's on us. Waiting ten days "
        "is frustrating. I've opened a trace and will email you within 48 hours.")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["grade", *args])
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_contract_one_line_per_input_in_order(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path,
                 {"id": "a", "reply": GOOD, "email": EMAIL},
                 "",  # blank lines are skipped, not inputs
                 {"id": 2, "reply": "I'm sorry you feel that way."},
                 {"id": "c", "reply": "We will issue you a full refund and a $300 voucher."})
    code, out, _ = run([str(path)], capsys)
    assert code == 0
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["id"] for x in lines] == ["a", 2, "c"]
    for line in lines:
        assert set(line) == {"id", "situation_source", "scores"}
        assert list(line["scores"]) == list(load_rubrics())
        for verdict in line["scores"].values():
            assert set(verdict) == {"score", "pass", "reason"}
            assert verdict["pass"] in (True, False, None) and verdict["reason"]
            assert verdict["score"] is None or 0 <= verdict["score"] <= 1
            assert (verdict["score"] is None) == (verdict["pass"] is None)
    # The verdicts on line 1 rest on the analyzer's reading of the email; line 2 has none.
    assert [x["situation_source"] for x in lines] == ["analyzer", "none", "none"]
    first = lines[0]["scores"]
    assert first["apology"]["pass"] is True and first["listening"]["pass"] is True
    assert first["boundaries"]["pass"] is None  # the email is not abusive
    second = lines[1]["scores"]
    assert second["apology"]["pass"] is False and "non-apology" in second["apology"]["reason"]
    for needs_email in ("listening", "language", "escalation"):
        assert second[needs_email]["pass"] is None
    assert lines[2]["scores"]["policy"]["pass"] is False


def test_rubric_filter_and_stdin_and_out_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(
        json.dumps({"id": 1, "reply": GOOD}).encode())))
    out_file = tmp_path / "out.jsonl"
    code, out, _ = run(["-", "--out", str(out_file), "--rubric", "apology",
                        "--rubric", "policy"], capsys)
    assert code == 0 and out == ""
    line = json.loads(out_file.read_text())
    assert list(line["scores"]) == ["apology", "policy"]


@pytest.mark.parametrize(("line", "message"), [
    ("{not json", "line 2: not valid JSON"),
    ('["a list"]', "line 2: expected a JSON object"),
    ('{"reply": "hi"}', "line 2: 'id': Field required"),
    ('{"id": 1, "reply": 5}', "line 2: 'reply' must be a non-empty string"),
    ('{"id": 1, "reply": "hi", "email": 3}', "line 2: 'email' must be a non-empty string"),
])
def test_a_bad_line_is_named_and_nothing_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, message: str) -> None:
    path = write(tmp_path, {"id": 1, "reply": GOOD}, line)
    code, out, err = run([str(path)], capsys)
    assert code == 3 and out == ""
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1


def test_unknown_rubric_and_missing_file(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {"id": 1, "reply": GOOD})
    code, _, err = run([str(path), "--rubric", "kindness"], capsys)
    assert code == 3 and "unknown rubric 'kindness'" in err and "empathy" in err
    code, _, err = run([str(tmp_path / "nope.jsonl")], capsys)
    assert code == 3 and "not found" in err


def test_parallel_grading_gives_the_same_lines_in_the_same_order() -> None:
    from evals.grade import PARALLEL_CHUNK, grade_requests, parse_requests
    from evals.rubrics import load_rubrics

    replies = ["Sorry you feel that way.", "I'm so sorry order #4411 arrived broken; that is "
               "on us. I will send a replacement within 48 hours.", "READ THE MANUAL, idiot."]
    lines = [json.dumps({"id": i, "reply": replies[i % 3],
                         "email": "My kettle, order #4411, arrived broken." if i % 2 else None})
             for i in range(2 * PARALLEL_CHUNK + 7)]
    requests = parse_requests(lines)
    rubrics = load_rubrics()
    serial = list(grade_requests(requests, rubrics))
    parallel = list(grade_requests(requests, rubrics, workers=2))
    assert [r["id"] for r in parallel] == list(range(len(lines)))
    assert parallel == serial
