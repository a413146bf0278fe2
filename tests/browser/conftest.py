"""What every browser spec shares: Debian's chromium driven by Playwright (skipped, saying
why, where either is missing), a fresh page that records console errors, and an HTTP client on
the same live server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def playwright_api():
    """playwright.sync_api, or a skip naming what to install."""
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed at /usr/bin/chromium "
            "(apt-get install -y chromium); the browser tests need it."
        )
    return pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


class Console:
    """Console errors and uncaught exceptions seen by a page."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _message(self, message) -> None:
        if message.type == "error":
            self.errors.append(message.text)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api().sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nb-NO")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.console = Console(page)
    yield page
    context.close()


@pytest.fixture(scope="module")
def api(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client


AXE_SCRIPT = Path(__file__).resolve().parents[2] / ".venv" / "share" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each
    (rule, what it means, the first offending elements). The script is fetched by
    `scripts/setup.sh --test`; it is evaluated through the DevTools protocol, which the page's
    CSP does not govern, so the page under test stays exactly as served."""
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"{AXE_SCRIPT} is missing: run scripts/setup.sh --test (scripts/fetch_axe.py)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in result
        if v["impact"] in SERIOUS
    ]
