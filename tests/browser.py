"""Headless Chromium for the dashboard and report tests: Debian's chromium and chromium-driver (.ci/run installs
them), driven by selenium, which is told where both are so it never tries to download a browser."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "install Debian's chromium and chromium-driver (see .ci/run)"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,1100"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(driver))
    try:
        yield browser
    finally:
        browser.quit()


def console_errors(browser: webdriver.Chrome) -> list[dict]:
    """What the page logged at SEVERE level (script errors, failed loads) since the last call."""
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
