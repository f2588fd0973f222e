"""The agent desk end to end in a real headless Chromium (Debian's chromium + chromium-driver).

Paste an email, click Draft, see the draft, the badges and the scores; markup in an email
or in a model's answer is shown as text and never runs; a model failure is a clear
message on the page. With CALMREPLY_UPDATE_SCREENSHOT=1 it also rewrites docs/desk.png,
the screenshot in the README.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.config import ModelSettings, Settings
from tests.conftest import ROOT, good_output
from tests.fakes import FakeModelServer
from tests.web_live import live_desk

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1400"]
XSS = '<img src=x onerror="window.__xss=1"> <script>window.__xss=1</script>'
HOSTILE = (
    "Subject: Order #48213 - WHERE IS IT\n\n"
    "This is absolutely RIDICULOUS. I ordered the Aeropress Go travel kit two weeks ago "
    "(order #48213), paid for express shipping, and the tracking hasn't moved since the "
    "label was created. It was a birthday present and the birthday was on Saturday.\n\n"
    "Your chat bot is useless and nobody answers the phone. I want a refund for the "
    "shipping at the very least, or I'm disputing the charge with my bank.\n\nDana Whitfield"
)

pytestmark = [
    pytest.mark.browser,
    # CI sets CALMREPLY_REQUIRE_BROWSER=1: there a missing browser fails instead of skipping.
    pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists())
                       and not os.environ.get("CALMREPLY_REQUIRE_BROWSER"),
                       reason="needs /usr/bin/chromium and /usr/bin/chromedriver: "
                              "apt-get install -y chromium chromium-driver"),
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def fill_and_draft(driver: Any, url: str, email: str, **facts: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.ID, "engine").text not in ("", "…"))
    driver.find_element(By.ID, "email").send_keys(email)
    for field, value in facts.items():
        driver.find_element(By.ID, field).send_keys(value)
    driver.find_element(By.ID, "draft-btn").click()
    WebDriverWait(driver, 30).until(
        lambda d: "ready" in d.find_element(By.ID, "status").text
        or d.find_element(By.ID, "error").is_displayed())
    WebDriverWait(driver, 5).until(ec.element_to_be_clickable((By.ID, "draft-btn")))


def text_of(driver: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.ID, element_id).text)


def value_of(driver: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.ID, element_id).get_attribute("value"))


def injected_elements(driver: Any) -> int:
    """img/script elements inside the page's cards: none may come from customer text."""
    return int(driver.execute_script(
        "return document.querySelectorAll('main img, main script, main iframe').length"))


def test_paste_draft_see_scores_then_edit_grade_and_rate(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with live_desk(Settings(), tmp_path / "fb.sqlite3") as url:
        fill_and_draft(browser, url, HOSTILE, order_id="48213")
        assert not browser.find_element(By.ID, "error").is_displayed(), text_of(browser, "error")
        draft = value_of(browser, "draft")
        assert "48213" in draft and len(draft) > 200
        assert "Offline composer" in text_of(browser, "engine")
        badges = text_of(browser, "read")
        for label in ("Anger", "Abuse", "Threats", "Escalate"):
            assert label in badges
        assert text_of(browser, "goal").startswith("Goal:")
        rubrics = browser.find_elements(By.CSS_SELECTOR, "#scores li")
        assert len(rubrics) >= 5, text_of(browser, "scores-empty")
        assert all(r.find_element(By.CLASS_NAME, "reason").text for r in rubrics)
        assert "applicable rubrics pass" in text_of(browser, "scores-summary")
        assert "not sent" in text_of(browser, "note-title") or text_of(browser, "note-summary")
        # The README's screenshot is refreshed only on request, so tests never dirty the tree.
        shot = ROOT / "docs" / "desk.png" if os.environ.get("CALMREPLY_UPDATE_SCREENSHOT") \
            else tmp_path / "desk.png"
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000

        box = browser.find_element(By.ID, "draft")
        box.clear()
        box.send_keys("whatever. read the manual.")
        browser.find_element(By.ID, "grade-btn").click()
        WebDriverWait(browser, 15).until(lambda d: "your edit" in text_of(d, "scores-summary"))
        assert "fail" in text_of(browser, "scores").lower()

        browser.find_element(By.ID, "down-btn").click()
        browser.find_element(By.ID, "comment").send_keys("too curt after my edit")
        browser.find_element(By.ID, "send-feedback").click()
        WebDriverWait(browser, 10).until(lambda d: "saved" in text_of(d, "feedback-status"))
    from agent.web.feedback import FeedbackStore

    rows = list(FeedbackStore(tmp_path / "fb.sqlite3").rows())
    assert rows[-1]["rating"] == "down" and rows[-1]["edited"] is True


def test_markup_in_an_email_is_shown_never_run(browser: Any, tmp_path: Path) -> None:
    with live_desk(Settings(), tmp_path / "fb.sqlite3") as url:
        fill_and_draft(browser, url, f"Subject: {XSS}\n\nYou people are useless. {XSS}\n"
                       "Where is order 55120?", customer_name=XSS, notes=XSS)
        assert browser.execute_script("return typeof window.__xss") == "undefined"
        assert injected_elements(browser) == 0
        assert XSS in value_of(browser, "email")
        assert value_of(browser, "draft")


def xss_responder(request: dict[str, Any]) -> str:
    """A model that writes markup into every field the page shows."""
    out = good_output()
    out["analysis"]["goal"] = f"Goal with {XSS}"
    out["analysis"]["escalate"] = True
    out["analysis"]["escalation_reason"] = XSS
    out["draft"]["body"] = f"Hi Dana,\n\n{XSS}\n\nThank you for writing. Sam"
    out["draft"]["subject"] = XSS
    out["draft"]["internal_note"]["summary"] = f"Note {XSS}"
    return json.dumps(out)


def test_markup_from_the_model_is_shown_never_run(browser: Any, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-browser-canary-123456")
    with FakeModelServer(responder=xss_responder, chunk_chars=20, chunk_delay=0.002) as srv:
        settings = Settings(model=ModelSettings(name="fake-model", base_url=srv.base_url,
                                                max_retries=0, max_revisions=0))
        with live_desk(settings, tmp_path / "fb.sqlite3") as url:
            fill_and_draft(browser, url, HOSTILE)
            assert browser.execute_script("return typeof window.__xss") == "undefined"
            assert injected_elements(browser) == 0
            assert XSS in value_of(browser, "draft")
            assert XSS in text_of(browser, "goal")
            assert XSS in text_of(browser, "note-summary")
            assert "Model: fake-model" in text_of(browser, "engine")
            assert "sk-browser-canary" not in browser.page_source


def test_a_model_failure_shows_a_clear_message(browser: Any, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-browser-canary-123456")
    with FakeModelServer(faults=["401"] * 4, api_key="other") as srv:
        settings = Settings(model=ModelSettings(name="fake-model", base_url=srv.base_url,
                                                max_retries=0))
        with live_desk(settings, tmp_path / "fb.sqlite3") as url:
            fill_and_draft(browser, url, HOSTILE)
            error = text_of(browser, "error")
    assert "Could not draft a reply: the model failed" in error and "401" in error
    assert "Traceback" not in error and "sk-browser-canary" not in error

