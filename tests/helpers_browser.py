"""Debian's headless Chromium driven by Selenium, as the browser tests start it.

The browser reaches only the loopback interface (every other host name resolves to nothing), keeps
its performance and console logs (so that a test can list the requests a page made), and writes
its profile and chromedriver's log into directories the caller gives.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT = 30  # seconds for a page to load
ARGUMENTS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             # Requests for other hosts are still logged (so a test can fail on them), but never sent.
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost")


def skip_without_chromium() -> None:
    """Skip the calling test module when there is no Chromium, except in CI (CI set), where it fails."""
    if not CHROMIUM.is_file() and not os.environ.get("CI"):
        pytest.skip("the browser tests need Debian's chromium and chromium-driver (apt-get install chromium "
                    "chromium-driver, which `python3 dev.py test` does); in CI a missing browser fails instead",
                    allow_module_level=True)


@contextlib.contextmanager
def headless_chromium(profile: Path, logs: Path, *, width: int = 1300, height: int = 1000):
    """A Selenium Chrome driver for headless Chromium; quit when the block ends."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert CHROMIUM.is_file(), f"{CHROMIUM} is missing: apt-get install chromium chromium-driver"
    assert CHROMEDRIVER.is_file(), f"{CHROMEDRIVER} is missing: apt-get install chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (*ARGUMENTS, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(logs / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def requested_hosts(driver) -> set[str]:
    """The hosts of every request the browser sent since the performance log was last read."""
    hosts = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if url.startswith(("http:", "https:")):
                hosts.add(urlsplit(url).hostname)
    return hosts
