"""Open a report in Debian's headless Chromium (driven by Playwright, never its own browser download) with
every request that is not a file refused, and read back what a person would have seen."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; `make test` installs it when it can)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (make install)"
    return None


@dataclass
class Opened:
    refused: list[str] = field(default_factory=list)       # every non-file request, aborted
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    containers: int = 0
    rendered: int = 0       # chart containers marked rendered AND holding a canvas or svg
    status: dict = field(default_factory=dict)
    spans: list[str] = field(default_factory=list)  # the span buttons clicked through (whole history included)


def open_report(html: Path, screenshot: Path, timeout_ms: int = 60_000) -> Opened:
    from playwright.sync_api import sync_playwright

    seen = Opened()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                                    args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def route(r):
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    seen.refused.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: seen.page_errors.append(str(e)))
            page.goto(Path(html).resolve().as_uri(), wait_until="load")
            page.wait_for_function("document.body.dataset.chartsDone === '1' || "
                                   "(window.REPORT_STATUS && window.REPORT_STATUS.errors.length > 0)",
                                   timeout=timeout_ms)
            page.wait_for_timeout(300)  # let the last canvases paint before the screenshot
            # every span redraws every chart (errors land in the console / page errors), then back to the default
            buttons = page.locator(".controls button")
            for i in [*range(1, buttons.count()), 0]:
                buttons.nth(i).click()
                page.wait_for_timeout(400)
                seen.spans.append(buttons.nth(i).inner_text())
            seen.containers = page.locator("div.chart").count()
            seen.rendered = page.locator("div.chart[data-rendered='1']:has(canvas, svg)").count()
            seen.status = page.evaluate("window.REPORT_STATUS")
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return seen
