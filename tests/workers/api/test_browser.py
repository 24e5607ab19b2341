"""The web page in headless Chromium: a user's feed loads, then a newly processed tweet appears live."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from workers.settings import Settings
from workers.store import FeedStore

pytestmark = pytest.mark.integration

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
#: Kept after the run (tmp_path is not); docs/screenshot.png in the README is a copy of one.
SCREENSHOT = Settings().run_dir / "screenshots" / "feed.png"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    # ops/setup.sh installs both: missing is a set-up failure, not a reason to skip.
    assert CHROMIUM.exists() and DRIVER.exists(), "needs Debian's chromium and chromium-driver (ops/setup.sh)"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1200,860",
                 f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    # An explicit driver path: selenium neither looks for nor downloads one.
    driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
    yield driver
    driver.quit()


def test_page_shows_the_feed_and_new_items_live(server, store: FeedStore, ingest, browser: WebDriver, tmp_path: Path) -> None:
    store.follow("alice", ["whale_alert", "vitalik", "degen"])
    ingest(
        ("1", "whale_alert", "$BTC breaking out, ETH next", 50),
        ("2", "vitalik", "Solana season: SOL to 500", 30),
        ("3", "degen", "Bought more $SOL and some PEPE 🐸 today", 12),
        ("4", "stranger", "$ETH and $BTC", 8),
        ("5", "whale_alert", "gm, coffee first", 5),
        ("p1", "stranger", "$BTC dump", 80),  # the trending window before
        ("p2", "stranger", "$BTC and $ETH", 95),
        ("p3", "stranger", "$SOL", 70),
    )
    wait = WebDriverWait(browser, 15)
    browser.get(f"{server.url}/?user=alice")
    wait.until(lambda b: "on" in b.find_element(By.ID, "live").get_attribute("class"))
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#feed li")) == 3)
    assert [li.get_attribute("data-id") for li in browser.find_elements(By.CSS_SELECTOR, "#feed li")] == ["3", "2", "1"]
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#chart rect"))
    following = [li.text.split()[0] for li in browser.find_elements(By.CSS_SELECTOR, "#following li")]
    assert following == ["@degen", "@vitalik", "@whale_alert"]

    # A tweet processed now reaches the open page through the Lua PUBLISH and the SSE stream.
    ingest(("6", "degen", "🚀🚀 $DOGE to the moon with Bitcoin", 0))
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, '#feed li[data-id="6"]'))
    top = browser.find_element(By.CSS_SELECTOR, "#feed li")
    assert top.get_attribute("data-id") == "6"
    # Offsets count code points: the emoji before the cashtag must not shift the highlight.
    assert [m.text for m in top.find_elements(By.CSS_SELECTOR, "mark.mention")] == ["$DOGE", "Bitcoin"]

    # Follow from the page.
    browser.find_element(By.ID, "account").send_keys("cz_binance")
    browser.find_element(By.CSS_SELECTOR, "#follow-form button").click()
    wait.until(lambda b: "@cz_binance" in b.find_element(By.ID, "following").text)
    assert "cz_binance" in store.following("alice")

    browser.execute_script("document.activeElement.blur()")
    shot = tmp_path / "page.png"
    assert browser.save_screenshot(str(shot))
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT)
