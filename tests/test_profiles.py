"""Company profiles: built-in industries, `[profile]` in calmreply.toml, the analyzer and the
model's Analysis schema using the configured categories, and `calmreply profiles`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from agent.config import Settings, load_settings
from agent.errors import ConfigError
from agent.inbound import parse_text
from agent.llm import strict_schema
from agent.messages import draft_messages
from agent.models import DraftResult, output_model
from agent.offline import analyze
from agent.profiles import BUILT_IN, ProfileSettings, built_in
from tests.cli_helpers import run_cli

AIRLINE_EMAIL = ("Subject: Lost bag\n\nMy suitcase never arrived in Lisbon after flight CR 431 "
                 "(booking QX7P2L). Four days now and no update from your baggage desk.\n\nAna")
TELECOM_EMAIL = ("No broadband since Monday. I work from home and your status page says there "
                 "are no known issues. Account 5512-0091.\n\nTom")


def test_built_in_profiles_have_the_industry_categories() -> None:
    assert BUILT_IN == ("ecommerce", "airline", "telecom", "saas")
    assert built_in("airline").category_names == (
        "flight_disruption", "baggage", "refund", "booking", "billing", "loyalty",
        "rude_staff", "other")
    assert built_in("telecom").category_names == (
        "outage", "billing", "contract", "installation", "device", "porting", "rude_staff",
        "other")
    assert built_in("saas").category_names == (
        "outage", "bug", "billing", "account_access", "data_loss", "cancellation", "rude_staff",
        "other")
    assert "returns" in built_in("ecommerce").category_names


@pytest.mark.parametrize(("profile", "email", "category"), [
    ("airline", AIRLINE_EMAIL, "baggage"),
    ("telecom", TELECOM_EMAIL, "outage"),
    ("saas", "Your dashboard has been down since 9am, 502 errors everywhere.", "outage"),
    ("saas", "The CSV export button does nothing since the update.", "bug"),
])
def test_the_analyzer_files_under_the_profile_categories(profile: str, email: str,
                                                         category: str) -> None:
    assert analyze(parse_text(email), profile=built_in(profile)).category == category


def test_the_same_email_under_ecommerce_is_not_forced_into_airline_categories() -> None:
    assert analyze(parse_text(AIRLINE_EMAIL)).category in built_in("ecommerce").category_names


def test_a_config_profile_adds_a_category_with_keywords_and_a_next_step(tmp_path: Path) -> None:
    config = tmp_path / "calmreply.toml"
    config.write_text('[profile]\nuse = "telecom"\nname = "Northwind Fibre"\n\n'
                      '[[profile.categories]]\nname = "tv"\ndescription = "TV channels"\n'
                      'keywords = ["channel", "channels", "tv guide"]\n'
                      'next_step = { en = "check the channels on your TV plan" }\n',
                      encoding="utf-8")
    settings = load_settings(config)
    profile = settings.active_profile
    assert profile.name == "Northwind Fibre" and "tv" in profile.category_names
    assert profile.category_names[-1] == "other"
    email = parse_text("Half my channels have vanished from the TV guide since Friday.\n\nJo")
    analysis = analyze(email, profile=profile)
    assert analysis.category == "tv"
    from agent.drafter import compose_offline

    result = compose_offline(email, settings)
    assert "check the channels on your TV plan" in result.draft.body


@pytest.mark.parametrize("toml", [
    '[profile]\nuse = "bakery"\n',
    '[profile]\n[[profile.categories]]\nname = "tv"\nkeywords = ["tv"]\n',  # no next step
    '[profile]\n[[profile.categories]]\nname = "tv"\nsignals = { no_such_rule = 3 }\n'
    'next_step = { en = "x" }\n',
])
def test_a_bad_profile_is_a_one_line_config_error(tmp_path: Path, toml: str) -> None:
    config = tmp_path / "calmreply.toml"
    config.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError):
        load_settings(config)


def test_the_model_schema_lists_the_configured_categories() -> None:
    schema = output_model(built_in("airline"))
    strict = json.dumps(strict_schema(schema))
    assert '"baggage"' in strict and '"flight_disruption"' in strict
    assert '"delivery"' not in strict
    settings = Settings(profile=ProfileSettings(use="airline"))
    system = draft_messages(parse_text(AIRLINE_EMAIL), settings)[0]["content"]
    assert '"baggage"' in system and "Lost, delayed or damaged bags" in system
    good = {"goal": "g", "issues": ["i"], "category": "baggage", "anger": "calm",
            "abusive": False, "profanity": False, "threats": [], "fault": "ours",
            "language": "en", "customer_name": None, "order_ids": [], "other_refs": [],
            "product": None, "escalate": False, "escalation_reason": None}
    draft = {"subject": "s", "body": "b", "internal_note": {"summary": "n",
                                                            "follow_up": None,
                                                            "escalation": None}}
    assert schema.model_validate({"analysis": good, "draft": draft}).analysis.category == \
        "baggage"
    with pytest.raises(ValidationError):
        schema.model_validate({"analysis": {**good, "category": "delivery"}, "draft": draft})


def test_the_system_prompt_defines_abuse_and_escalation_as_the_team_does() -> None:
    system = draft_messages(parse_text(TELECOM_EMAIL), Settings())[0]["content"]
    assert "abuse is aimed at people" in system
    assert "A chargeback, a review threat or a repeat contact alone does not escalate" in system
    assert "always on legal, chargeback" not in system


@pytest.mark.parametrize(("profile", "email", "category"), [
    ("airline", AIRLINE_EMAIL, "baggage"),
    ("telecom", TELECOM_EMAIL, "outage"),
])
def test_calmreply_draft_files_the_email_under_the_configured_profile(
        tmp_path: Path, profile: str, email: str, category: str) -> None:
    (tmp_path / "calmreply.toml").write_text(f'[profile]\nuse = "{profile}"\n',
                                             encoding="utf-8")
    (tmp_path / "email.txt").write_text(email, encoding="utf-8")
    run = run_cli("draft", "email.txt", "--json", cwd=tmp_path)
    assert run.code in (0, 6), run.err
    assert DraftResult.model_validate_json(run.out).analysis.category == category


def test_calmreply_profiles_lists_them_and_marks_the_one_in_force(tmp_path: Path) -> None:
    run = run_cli("profiles", cwd=tmp_path)
    assert run.code == 0, run.err
    for name in BUILT_IN:
        assert f" {name}" in run.out
    assert "* ecommerce (default)" in run.out
    (tmp_path / "calmreply.toml").write_text('[profile]\nuse = "saas"\n', encoding="utf-8")
    run = run_cli("profiles", cwd=tmp_path)
    assert "* saas" in run.out and "* ecommerce" not in run.out
    run = run_cli("profiles", "telecom", cwd=tmp_path)
    assert run.code == 0 and "porting" in run.out and "next step: I will" in run.out
    run = run_cli("profiles", "bakery", cwd=tmp_path)
    assert run.code == 3 and run.err.startswith("error: no profile 'bakery'")
