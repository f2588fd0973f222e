"""The config: every number has a range, checked at load; file < environment < flags."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from agent.commands.options import settings_from
from agent.config import Settings, _allowed, load_settings
from agent.errors import ConfigError
from tests.cli_helpers import run_cli
from tests.conftest import ROOT

LATE = ROOT / "prompts/fixtures/late_delivery.txt"


def numeric_fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    found = []
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found += numeric_fields(kind, f"{prefix}{name}.")
        elif {int, float} & set(getattr(kind, "__args__", (kind,))) and kind is not bool:
            found.append(f"{prefix}{name}")
    return found


def test_every_number_in_the_config_has_a_range() -> None:
    names = numeric_fields(Settings)
    assert {"policy.max_credit", "policy.response_hours", "model.timeout",
            "model.temperature", "max_input_bytes", "desk.header_timeout"} <= set(names)
    for name in names:
        model: type[BaseModel] = Settings
        *path, last = name.split(".")
        for part in path:
            model = model.model_fields[part].annotation  # type: ignore[assignment]
        assert _allowed(model.model_fields[last]) is not None, f"{name} has no range"


def test_the_example_config_is_valid_and_lists_every_section() -> None:
    data = tomllib.loads((ROOT / "calmreply.example.toml").read_text())
    settings = Settings.model_validate(data)
    assert settings == Settings(), "the example should show the defaults"
    assert set(data) >= {"company", "policy", "model", "desk"}


@pytest.mark.parametrize(("toml", "needle"), [
    ("[policy]\nmax_credit = nan", "policy.max_credit = nan is out of range; "
     "allowed: 0 to 1,000,000, a finite number"),
    ("[policy]\nmax_credit = inf", "policy.max_credit = inf is out of range"),
    ("[policy]\nmax_refund = -1", "policy.max_refund = -1 is out of range; "
     "allowed: more than 0, up to 1,000,000"),
    ("[policy]\nresponse_hours = 0", "policy.response_hours = 0 is out of range; "
     "allowed: 1 to 8,760"),
    ("[policy]\nresponse_hours = -5", "policy.response_hours = -5 is out of range"),
    ("[policy]\nresponse_hours = 1000000000000",
     "policy.response_hours = 1000000000000 is out of range"),
    ("[policy]\nrefund_window_days = -1", "policy.refund_window_days = -1 is out of range"),
    ("[model]\ntimeout = 0", "model.timeout = 0 is out of range; allowed: more than 0, "
     "up to 3,600"),
    ("[model]\ntimeout = -1.5", "model.timeout = -1.5 is out of range"),
    ("[model]\ntemperature = -3", "model.temperature = -3 is out of range; allowed: 0 to 2"),
    ("[model]\ntemperature = nan", "model.temperature = nan is out of range"),
    ("[model]\nmax_tokens = 10", "model.max_tokens = 10 is out of range"),
    ("max_input_bytes = 0", "max_input_bytes = 0 is out of range; allowed: 1,000 to "
     "100,000,000"),
    ("max_email_chars = 99999999999", "max_email_chars = 99999999999 is out of range"),
    ("[desk]\nheader_timeout = 0", "desk.header_timeout = 0 is out of range"),
    ("[desk]\nmax_connections = 0", "desk.max_connections = 0 is out of range"),
    ("[policy]\nmax_credit = 'lots'", "policy.max_credit = 'lots': Input should be a valid "
     "number"),
])
def test_a_number_out_of_range_is_refused_with_key_value_and_range(
        tmp_path: Path, toml: str, needle: str) -> None:
    path = tmp_path / "calmreply.toml"
    path.write_text(toml + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = caught.value.message
    assert needle in message and "\n" not in message, message
    assert message.startswith(str(path))


def test_a_huge_response_hours_is_exit_4_not_an_overflow(tmp_path: Path) -> None:
    """It used to reach the offline composer and die there with an OverflowError."""
    (tmp_path / "calmreply.toml").write_text("[policy]\nresponse_hours = 1000000000000\n")
    run = run_cli("draft", str(LATE), cwd=tmp_path)
    assert run.code == 4, run.err
    assert "Traceback" not in run.err and "OverflowError" not in run.err
    assert run.err.strip().splitlines() == [
        f"error: {tmp_path / 'calmreply.toml'}: policy.response_hours = 1000000000000 is out "
        "of range; allowed: 1 to 8,760"]


def test_file_then_environment_then_flags(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "calmreply.toml"
    config.write_text('[model]\nname = "from-file"\nbase_url = "http://127.0.0.1:1/file"\n')
    only_file = settings_from(config, None, None, None, False)
    assert (only_file.model.name, only_file.model.base_url) == \
        ("from-file", "http://127.0.0.1:1/file")

    monkeypatch.setenv("CALMREPLY_MODEL", "from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/env")
    env_wins = settings_from(config, None, None, None, False)
    assert (env_wins.model.name, env_wins.model.base_url) == \
        ("from-env", "http://127.0.0.1:1/env")

    flags_win = settings_from(config, "from-flag", "http://127.0.0.1:1/flag", None, False)
    assert (flags_win.model.name, flags_win.model.base_url) == \
        ("from-flag", "http://127.0.0.1:1/flag")


def test_the_readme_states_the_same_order() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "calmreply.toml, then the environment variables, then CLI flags" in readme
    example = (ROOT / "calmreply.example.toml").read_text()
    assert "this file < environment variables < command-line flags" in example
