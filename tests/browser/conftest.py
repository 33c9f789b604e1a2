"""Playwright driving Debian's chromium (no browser download)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: run scripts/ensure_browser.sh")
    # Playwright's sync API runs an event loop; Django's async-unsafe guard must allow ORM calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    # Depending on live_server makes the page close *before* the test database is
    # flushed: requests still in flight (thumbnails) would otherwise hold table locks
    # that the flush's TRUNCATE deadlocks with on Postgres.
    context = browser.new_context(viewport={"width": 1360, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def wait_js(page, expression: str, timeout: float = 30_000) -> object:  # noqa: ANN001
    """Wait until ``expression`` (JavaScript: an expression or a function) is truthy.

    Polls ``page.evaluate`` from here instead of ``page.wait_for_function``: the latter
    compiles the expression with eval inside the page when it has to poll, which the
    app's Content-Security-Policy refuses, as it should.
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"Timed out after {timeout / 1000:.0f} s waiting for {expression}")
        page.wait_for_timeout(100)
