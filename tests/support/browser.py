"""What the browser tests share: Debian's Chromium under Playwright, the demo world served live, a
page watched for every address it asked for and every script error or policy violation it raised,
screenshots kept as artefacts, and axe-core (pinned in tests/browser/package.json) run over a view.

Fixtures `browser` and `served` are imported by the modules that use them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

from graph.kernel.db import Graph
from server.settings import Settings
from tests.conftest import hold_demo
from tests.support.workflow_helpers import start_server

NOW = datetime(2026, 11, 29, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "tests" / "artefacts"
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# As the machine's notes say: without these, Chromium keeps calling hosts a closed network refuses.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# An office network without internet: no name but the loopback's resolves.
NO_INTERNET = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
# Registered before any page script runs: what the Content-Security-Policy refused, if anything.
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def require_browser(*installed: Iterable[Path]) -> None:
    """Fails (never skips) with what to do when the browser, the CJK font or a page's files are missing."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (Debian: apt-get install chromium)")
    fonts = shutil.which("fc-list") and subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    if not (fonts or "").strip():
        pytest.fail("no CJK font: `make test` installs one (Debian: apt-get install fonts-noto-cjk)")
    for paths in (*installed, [AXE]):
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            pytest.fail(f"not installed: {missing}; run `make setup` (npm ci for the pages and tests/browser)")


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """One Chromium per module; every test opens its own context (`open_page`: no shared cookies,
    storage or cache)."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*FLAGS, *NO_INTERNET]
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def served(graph: Graph) -> AsyncIterator[str]:
    """The demo world (as of NOW) behind the real app under uvicorn; yields its base URL. A module
    marked `pytest.mark.demo(NOW)` gets the demo its last test left, when that one wrote nothing."""
    await hold_demo(graph, NOW)
    server, task, port = await start_server(graph, Settings(minhu_sweep_interval_seconds=0))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class Watched:
    """A page and what it did: every address it asked for (and every one to another host, refused),
    every script error it raised; `violations()` reads what its Content-Security-Policy refused."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.requested: list[str] = []
        self.elsewhere: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requested.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))

    async def cut_off(self, context: BrowserContext) -> None:
        """No internet: every request to another host is refused before it leaves (and counted)."""

        async def refuse(route: Any) -> None:
            url = route.request.url
            if url.startswith(self.origin + "/") or url.startswith("data:"):
                await route.continue_()
            else:
                self.elsewhere.append(url)
                await route.abort("internetdisconnected")

        await context.route("**/*", refuse)

    async def violations(self) -> list[str]:
        return await self.page.evaluate("window.__violations")

    async def until(self, predicate: str, arg: object = None, shown: str = "#error") -> None:
        """Waits for a JavaScript predicate; a timeout says what the page showed and raised meanwhile."""
        try:
            await self.page.wait_for_function(predicate, arg=arg, timeout=60_000)
        except PlaywrightTimeout:
            said = await self.page.evaluate("(s) => (document.querySelector(s) || {}).textContent", shown)
            pytest.fail(f"waited in vain for {predicate} ({arg}); the page said {said!r}, raised {self.errors}")

    def only_same_origin(self) -> bool:
        return bool(self.requested) and all(url.startswith(self.origin + "/") for url in self.requested)


async def open_page(
    browser: Browser, origin: str, path: str, network: dict[str, Any] | None = None
) -> tuple[BrowserContext, Watched]:
    """A fresh context on `origin + path`, cut off from other hosts; `network` emulates a slow link
    (Chromium's Network.emulateNetworkConditions: latency in ms, throughputs in bytes a second)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    await context.add_init_script(VIOLATIONS)
    watched = Watched(await context.new_page(), origin)
    await watched.cut_off(context)
    if network is not None:
        cdp = await context.new_cdp_session(watched.page)
        await cdp.send("Network.enable")
        await cdp.send("Network.emulateNetworkConditions", {"offline": False, **network})
    await watched.page.goto(origin + path)
    return context, watched


async def shot(page: Page, folder: str, name: str) -> None:
    (ARTEFACTS / folder).mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTEFACTS / folder / f"{name}.png"), full_page=True)


async def serious_violations(page: Page, include: str | None = None) -> list[dict[str, Any]]:
    """axe-core over the page as shown (or one part of it): the serious and critical violations.

    Evaluated through the DevTools protocol, which the page's policy does not govern, so the page is
    checked under the same policy it is served with."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    context = json.dumps({"include": [include]} if include else {"exclude": []})
    found = await page.evaluate(f"axe.run({context}, {{resultTypes: ['violations']}}).then(r => r.violations)")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
