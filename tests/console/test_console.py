"""The coordinators' console in a real headless Chromium (Debian's), driven by Playwright over the
real app under uvicorn on the demo data: it signs in, lists the scope's queue, shows a need's
candidates with their reasons, dispatches one with a click, draws the need's and the community's
neighbourhood, and charts the quarter review. It loads nothing from another host.

Screenshots are kept in tests/artefacts/console/ (CI keeps them as artefacts).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

from graph.kernel.db import Graph
from seeds.loader import load_preset
from server.console import VENDOR
from tests.server.test_server_ops import _live
from tests.support.workflow_helpers import token

NOW = datetime(2026, 11, 29, tzinfo=UTC)
QUARTER = "2026-Q3"  # the last full quarter before NOW: the demo's class that doubled is in it
SHUYUANMEN = "community:610103001009"
SEWER = "need:demo-sewer"
ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts" / "console"
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


def _require_browser() -> None:
    """Fails (never skips) with what to do when the browser or the CJK font is missing."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (Debian: apt-get install chromium)")
    fonts = shutil.which("fc-list") and subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    if not (fonts or "").strip():
        pytest.fail("no CJK font: `make test` installs one (Debian: apt-get install fonts-noto-cjk)")
    if not all(path.is_file() for path in VENDOR.values()):
        pytest.fail("the console's JavaScript is not installed: run `make setup` (npm ci in server/console/page)")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    _require_browser()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def served(graph: Graph) -> AsyncIterator[str]:
    await load_preset(graph, "demo", now=NOW)
    server, task, port = await _live(graph)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class Watched:
    """A page and what it did: every address it asked for, every script error it raised."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requested: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requested.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))

    async def until(self, predicate: str, arg: object = None) -> None:
        """Waits for a JavaScript predicate; a timeout says what the page showed and raised meanwhile."""
        try:
            await self.page.wait_for_function(predicate, arg=arg, timeout=60_000)
        except PlaywrightTimeout:
            shown = await self.page.inner_text("#error")
            pytest.fail(f"waited in vain for {predicate} ({arg}); the page said {shown!r}, raised {self.errors}")


async def _open(browser: Browser, url: str) -> Watched:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    watched = Watched(await context.new_page())
    await watched.page.goto(url)
    return watched


async def _shot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


async def _drawn(watched: Watched, selector: str, attribute: str) -> int:
    await watched.until("([s, a]) => Number(document.querySelector(s).getAttribute(a)) > 0", [selector, attribute])
    return int(await watched.page.get_attribute(selector, attribute) or 0)


async def test_console_lists_dispatches_draws_and_charts(graph: Graph, served: str, browser: Browser) -> None:
    watched = await _open(browser, f"{served}/console?token={token('COORDINATOR', SHUYUANMEN)}")
    page = watched.page

    # The queue: the scope's needs waiting for a dispatch, the sewer need among them.
    sewer_row = page.locator(f'#queue-rows tr[data-need-id="{SEWER}"]')
    await watched.until('(id) => !!document.querySelector(`#queue-rows tr[data-need-id="${id}"]`)', SEWER)
    assert "COORDINATOR" in await page.inner_text("#viewer")
    assert "token=" not in page.url  # the token left the address bar
    rows = await page.locator("#queue-rows tr").count()
    waiting = await graph.read(
        "MATCH (:Community {id: $c})<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(n:Need) "
        "WHERE n.status IN ['SUBMITTED', 'DECLINED', 'ESCALATED'] RETURN count(n) AS n",
        c=SHUYUANMEN,
    )
    assert rows == min(50, waiting[0]["n"]) and rows > 0
    await _shot(page, "1-queue")

    # One need: its candidates with reasons, and its neighbourhood drawn.
    await sewer_row.click()
    await watched.until("() => !!document.querySelector('#candidates [data-dispatch]')")
    reasons = await page.locator("#candidates .reason").all_inner_texts()
    assert reasons and all(reason.strip() for reason in reasons)
    nodes = await _drawn(watched, "#graph-view", "data-node-count")
    edges = int(await page.get_attribute("#graph-view", "data-edge-count") or 0)
    assert nodes > 2 and edges > 1
    assert await page.locator("#graph-view svg circle").count() == nodes
    assert await page.locator("#graph-view svg line").count() == edges
    assert "关系" in (await page.get_attribute("#graph-view", "aria-label") or "")
    await _shot(page, "2-need-candidates-graph")

    # One click dispatches: the graph says so, and the need leaves the waiting queue.
    button = page.locator("#candidates [data-dispatch]").first
    handler = await button.get_attribute("data-dispatch")
    await button.click()
    await watched.until("() => document.querySelector('#dispatch-result').dataset.status === 'DISPATCHED'")
    stored = await graph.read(
        "MATCH (n:Need {id: $n})<-[:OF]-(a:Assignment)-[:TO]->(h {id: $h}) RETURN n.status AS status, count(a) AS a",
        n=SEWER,
        h=handler,
    )
    assert stored == [{"status": "DISPATCHED", "a": 1}]
    await watched.until('(id) => !document.querySelector(`#queue-rows tr[data-need-id="${id}"]`)', SEWER)
    assert await page.locator("#candidates [data-dispatch]").count() == 0  # no longer dispatchable

    # The community's neighbourhood, one hop: its streets, compounds, members and venues.
    await page.select_option("#graph-hops", "1")
    await page.click("#graph-community")
    await watched.until("() => document.querySelector('#graph-centre').textContent.includes('书院门')")
    community_nodes = await _drawn(watched, "#graph-view", "data-node-count")
    assert await page.locator("#graph-view svg circle").count() == community_nodes > 2
    await _shot(page, "3-community-graph")

    # The quarter review of the street's district quarter: bars for now and before, one pair a class.
    await page.fill("#review-quarter", QUARTER)
    await page.click("#review-form button[type=submit]")
    await watched.until("(q) => document.querySelector('#review-caption').textContent.startsWith(q)", QUARTER)
    bars = int(await page.get_attribute("#review-chart", "data-bar-count") or 0)
    assert bars > 0
    assert await page.locator("#review-chart rect").count() == 2 * bars
    assert await page.locator("#review-rows tr").count() == bars
    await _shot(page, "4-quarter-review")

    assert watched.errors == []
    assert watched.requested and all(url.startswith(served + "/") for url in watched.requested), watched.requested


async def test_console_signs_in_from_the_field_and_says_why_it_cannot(served: str, browser: Browser) -> None:
    watched = await _open(browser, f"{served}/console")
    page = watched.page
    assert await page.is_hidden("main")
    await page.fill("#token", "not-a-token")
    await page.click("#sign-in button[type=submit]")
    await page.wait_for_selector("#error:not([hidden])")
    assert "UNAUTHENTICATED" in await page.inner_text("#error")
    assert await page.is_hidden("main")

    await page.fill("#token", token("DISTRICT_ADMIN", "district:610103"))
    await page.click("#sign-in button[type=submit]")
    await page.wait_for_selector("#queue-rows tr")
    assert "district:610103" in await page.inner_text("#viewer")
    assert await page.is_hidden("#error")
    assert await page.input_value("#review-place") == "district:610103"
    await _shot(page, "5-signed-in-from-the-field")
    assert all(url.startswith(served + "/") for url in watched.requested)


async def test_console_files_carry_a_same_origin_policy(served: str) -> None:
    async with httpx.AsyncClient(base_url=served) as http:
        paths = ("/console", "/console/console.js", "/console/vendor/d3.min.js")
        page, script, vendor = [await http.get(p) for p in paths]
        unknown, outside = await http.get("/console/nothing.js"), await http.get("/console/vendor/..%2Fpackage.json")
    assert page.status_code == 200 and "协调员工作台" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert vendor.status_code == 200 and len(vendor.content) > 100_000
    assert unknown.status_code == 404 and outside.status_code == 404
