"""`themes serve`'s page in a real headless Chromium driven by Selenium (issue 14).

Skipped with a reason when no Chromium and chromedriver are found, except under CI=true,
where a missing browser fails (.ci/run installs Debian's chromium and chromium-driver).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
webdriver = pytest.importorskip("selenium.webdriver")

from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from themes.flows.tag import TagOptions, tag_file  # noqa: E402
from themes.io import read_table  # noqa: E402
from themes.serve import ServeSettings, create_app  # noqa: E402
from themes.store import load_model  # noqa: E402

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> tuple[str, str] | None:
    binary = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    return (binary, driver) if binary and driver else None


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    found = _browser()
    if found is None:
        message = "no Chromium and chromedriver found (apt-get install chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must run the browser tests")
        pytest.skip(message)
    options = Options()
    options.binary_location = found[0]
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1366,900",
        "--disable-gpu",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=found[1]), options=options)
    yield driver
    driver.quit()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def server(small_model, tmp_path, corpus_train) -> Iterator[tuple[str, Path]]:
    """A real server (uvicorn in a thread) with a folder holding a small review file."""
    folder = tmp_path / "files"
    folder.mkdir()
    log = tmp_path / "log.csv"
    rows = corpus_train.iloc[400:412][["reference", "date_received", "text"]].copy()
    rows["officer_note"] = "keep me"
    rows.to_csv(log, index=False)
    tag_file(load_model(small_model).model, log, folder / "review.csv", TagOptions(jobs=1))
    settings = ServeSettings(
        model=small_model, registry=tmp_path / "models", folder=folder, port=_free_port()
    )
    config = uvicorn.Config(
        create_app(settings), host=settings.host, port=settings.port, log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not running.started and time.time() < deadline:
        time.sleep(0.05)
    assert running.started, "the server did not start"
    yield settings.url, folder
    running.should_exit = True
    thread.join(10)


def _wait(driver, seconds: float = 30) -> WebDriverWait:
    return WebDriverWait(driver, seconds)


def test_type_a_complaint_and_see_a_suggestion(browser, server):
    url, _ = server
    browser.get(url + "/")
    box = browser.find_element(By.ID, "text")
    assert browser.find_element(By.CSS_SELECTOR, "label[for='text']").text
    box.send_keys(
        "Left three voicemails for the social worker and nobody rings back. "
        "The meeting was cancelled again."
    )
    browser.find_element(By.CSS_SELECTOR, "#suggest-form button[type='submit']").click()
    _wait(browser).until(ec.visibility_of_element_located((By.ID, "suggestion")))
    rows = browser.find_elements(By.CSS_SELECTOR, "#suggestion-rows tr")
    heads = [r.find_element(By.TAG_NAME, "th").text for r in rows]
    assert heads[0] == "Kind" and "Theme" in heads
    assert rows[0].find_elements(By.TAG_NAME, "td")[1].text.endswith("%")
    marks = browser.find_elements(By.CSS_SELECTOR, "#highlighted mark")
    assert marks, "no evidence word highlighted in the text"
    text = browser.find_element(By.ID, "highlighted").text
    assert text.startswith("Left three voicemails")
    assert "Suggestion ready" in browser.find_element(By.ID, "suggest-status").text
    # The result takes focus, so a screen reader reads it next.
    assert browser.switch_to.active_element.get_attribute("id") == "suggestion-title"


UNLABELLED = """
return [...document.querySelectorAll('input, select, textarea, button')].filter((node) => {
  const labelled = node.labels && node.labels.length && node.labels[0].textContent.trim();
  return !(labelled || node.getAttribute('aria-label') || node.textContent.trim());
}).map((node) => node.id || node.outerHTML.slice(0, 60));
"""


def test_every_control_has_a_name_and_the_page_logs_no_error(browser, server):
    url, _ = server
    browser.get(url + "/#review")
    _wait(browser).until(ec.visibility_of_element_located((By.ID, "review-title")))
    assert browser.execute_script(UNLABELLED) == []
    assert browser.find_element(By.CSS_SELECTOR, "a.skip").get_attribute("href").endswith("#main")
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    # Tab from the top of a fresh page: the skip link first, then the views in order.
    browser.get(url + "/")
    _wait(browser).until(ec.visibility_of_element_located((By.ID, "text")))
    order = []
    for _ in range(4):
        webdriver.ActionChains(browser).send_keys("\ue004").perform()  # Tab
        order.append(browser.switch_to.active_element.text)
    assert order == ["Skip to content", "Suggest", "Review file", "Model versions"]
    assert errors + [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_open_correct_save_and_read_the_file_back(browser, server):
    url, folder = server
    before = read_table(folder / "review.csv")
    browser.get(url + "/#review")
    _wait(browser).until(ec.visibility_of_element_located((By.ID, "file-choice")))
    Select(browser.find_element(By.ID, "file-choice")).select_by_visible_text("review.csv")
    browser.find_element(By.CSS_SELECTOR, "#open-form button").click()
    _wait(browser).until(ec.visibility_of_element_located((By.ID, "review-area")))
    first = browser.find_element(By.CSS_SELECTOR, "#rows tbody tr")
    row = int(first.get_attribute("data-row"))
    first.find_element(By.TAG_NAME, "button").click()
    _wait(browser).until(ec.visibility_of_element_located((By.ID, "editor")))
    assert browser.switch_to.active_element.get_attribute("id") == "edit-kind"
    Select(browser.find_element(By.ID, "edit-kind")).select_by_value("complaint")
    Select(browser.find_element(By.ID, "edit-category")).select_by_value("staff")
    for box in browser.find_elements(By.CSS_SELECTOR, "#edit-themes input:checked"):
        box.click()
    browser.find_element(By.CSS_SELECTOR, "label[for='theme-delay']").click()
    assert browser.find_element(By.ID, "edit-reviewed").is_selected()
    browser.find_element(By.ID, "editor-apply").click()
    _wait(browser).until(ec.invisibility_of_element_located((By.ID, "editor")))
    # Focus goes back to the row's button.
    assert browser.switch_to.active_element.get_attribute("data-row") == str(row)
    browser.find_element(By.ID, "save").click()
    _wait(browser).until(ec.text_to_be_present_in_element((By.ID, "save-status"), "Saved"))
    after = read_table(folder / "review.csv")
    assert (after.at[row, "kind"], after.at[row, "category"]) == ("complaint", "staff")
    assert after.at[row, "themes"] == "delay" and after.at[row, "reviewed"] == "yes"
    keep = [c for c in before.columns if c not in ("kind", "category", "themes", "reviewed")]
    assert after[keep].equals(before[keep])
    assert after.drop(index=row).equals(before.drop(index=row))


def test_upload_a_review_file_and_download_it_back(browser, server):
    url, folder = server
    browser.get(url + "/#review")
    _wait(browser).until(ec.visibility_of_element_located((By.ID, "upload")))
    browser.find_element(By.ID, "upload").send_keys(str(folder / "review.csv"))
    browser.find_element(By.CSS_SELECTOR, "#upload-form button").click()
    _wait(browser).until(ec.text_to_be_present_in_element((By.ID, "review-status"), "Opened"))
    assert "(uploaded)" in browser.find_element(By.ID, "review-name").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#rows tbody tr")) == 12
    browser.find_element(By.CSS_SELECTOR, "#rows tbody tr button").click()
    _wait(browser).until(ec.visibility_of_element_located((By.ID, "editor")))
    browser.find_element(By.ID, "editor-apply").click()
    browser.find_element(By.ID, "save").click()
    _wait(browser).until(ec.visibility_of_element_located((By.ID, "download")))
    link = browser.find_element(By.ID, "download")
    assert link.get_attribute("download") == "review.csv"
    assert "/download" in link.get_attribute("href")
