"""Real-browser tests: Debian's Chromium driven by Playwright against `live_server`."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls a test
# makes between page actions are still plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SHOTS = os.environ.get("SCREENSHOT_DIR", "/tmp")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh tab that fails the test on any JavaScript error."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture
def sign_in(live_server):
    def sign_in(page, username, password):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/queue/")

    return sign_in
