"""The coordinators' console in a real headless Chromium (Debian's), driven by Playwright over the
real app under uvicorn on the demo data, with every other host refused as on an office intranet: it
signs in, lists the scope's queue (overdue first, paged, filtered by category and text), shows a
need's candidates with their reasons, dispatches one with a click, draws the need's and the
community's neighbourhood (laid out in a Web Worker), and charts the quarter review. Each view passes
axe-core without a serious or critical violation, every control is reached by the keyboard, and each
panel says what it is doing on a slow network and what went wrong on a failing one.

Screenshots are kept in tests/artefacts/console/ (CI keeps them as artefacts).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Route

from graph.kernel.db import Graph
from graph.needs.lists import lucene_query
from server.console import VENDOR
from tests.support.browser import (
    NOW,
    Watched,
    browser,
    open_page,
    require_browser,
    serious_violations,
    served,
    shot,
)
from tests.support.workflow_helpers import token

__all__ = ["browser", "served"]  # fixtures
pytestmark = pytest.mark.demo(NOW)  # the demo, shared by the tests while none writes (tests/conftest.py)

QUARTER = "2026-Q3"  # the last full quarter before the demo's NOW: the demo's class that doubled is in it
SHUYUANMEN = "community:610103001009"
BEILIN = "district:610103"
SEWER = "need:demo-sewer"
PAGE_SIZE = 20  # console.js PAGE_SIZE
WAITING = ["SUBMITTED", "DECLINED", "ESCALATED"]
IN_DISTRICT = "MATCH (:District {id: $d})<-[:IN*1..3]-(:Compound|Community)<-[:AT]-(n:Need) "
# A slow office line: 400 ms each way, 40 kB/s down (d3 alone takes seconds).
SLOW = {"latency": 400, "downloadThroughput": 40_000, "uploadThroughput": 20_000}


async def _drawn(watched: Watched, selector: str, attribute: str) -> int:
    await watched.until("([s, a]) => Number(document.querySelector(s).getAttribute(a)) > 0", [selector, attribute])
    return int(await watched.page.get_attribute(selector, attribute) or 0)


async def _accessible(watched: Watched, view: str) -> None:
    found = await serious_violations(watched.page)
    assert found == [], (view, found)


async def _rows(watched: Watched) -> list[dict[str, Any]]:
    return await watched.page.evaluate(
        "() => [...document.querySelectorAll('#queue-rows tr')]"
        ".map(r => ({id: r.dataset.needId, overdue: r.dataset.overdue === 'true'}))"
    )


async def _queue_settled(watched: Watched) -> None:
    await watched.until("() => document.querySelector('#queue').dataset.state === 'ready'")


async def test_console_lists_dispatches_draws_and_charts(graph: Graph, served: str, browser: Browser) -> None:
    require_browser(VENDOR.values())
    context, watched = await open_page(browser, served, f"/console?token={token('COORDINATOR', SHUYUANMEN)}")
    page = watched.page
    workers: list[str] = []
    page.on("worker", lambda worker: workers.append(worker.url))

    # The queue: the scope's needs waiting for a dispatch, the sewer need among them.
    sewer_row = page.locator(f'#queue-rows tr[data-need-id="{SEWER}"]')
    await watched.until('(id) => !!document.querySelector(`#queue-rows tr[data-need-id="${id}"]`)', SEWER)
    assert "COORDINATOR" in await page.inner_text("#viewer")
    assert "token=" not in page.url  # the token left the address bar
    rows = await page.locator("#queue-rows tr").count()
    waiting = await graph.read(
        "MATCH (:Community {id: $c})<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(n:Need) "
        "WHERE n.status IN $waiting RETURN count(n) AS n",
        c=SHUYUANMEN,
        waiting=WAITING,
    )
    assert rows == min(PAGE_SIZE, waiting[0]["n"]) and rows > 0
    await watched.until("() => document.querySelector('#review').dataset.state === 'ready'")
    await _accessible(watched, "the queue")
    await shot(page, "console", "1-queue")

    # One need: its candidates with reasons, and its neighbourhood laid out in a worker and drawn.
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
    assert await page.get_attribute("#graph-view", "data-layout") == "complete"
    assert workers and all(url == f"{served}/console/graph-layout.js" for url in workers)
    await _accessible(watched, "a need, its candidates and its graph")
    await shot(page, "console", "2-need-candidates-graph")

    # One click dispatches: the page says so, and the need leaves the waiting queue.
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
    await watched.until("() => document.querySelector('#candidates-panel').dataset.state === 'ready'")
    assert await page.locator("#candidates [data-dispatch]").count() == 0  # no longer dispatchable

    # The community's neighbourhood, one hop: its streets, compounds, members and venues.
    await page.select_option("#graph-hops", "1")
    await page.click("#graph-community")
    await watched.until("() => document.querySelector('#graph-centre').textContent.includes('书院门')")
    community_nodes = await _drawn(watched, "#graph-view", "data-node-count")
    assert await page.locator("#graph-view svg circle").count() == community_nodes > 2
    await shot(page, "console", "3-community-graph")

    # The quarter review of the street's district quarter: bars for now and before, one pair a class.
    await page.fill("#review-quarter", QUARTER)
    await page.click("#review-form button[type=submit]")
    await watched.until("(q) => document.querySelector('#review-caption').textContent.startsWith(q)", QUARTER)
    bars = int(await page.get_attribute("#review-chart", "data-bar-count") or 0)
    assert bars > 0
    assert await page.locator("#review-chart rect").count() == 2 * bars
    assert await page.locator("#review-rows tr").count() == bars
    await _accessible(watched, "the quarter review")
    await shot(page, "console", "4-quarter-review")

    assert watched.errors == []
    assert await watched.violations() == []
    assert watched.only_same_origin(), watched.requested
    assert watched.elsewhere == []
    await context.close()


async def test_console_signs_in_from_the_field_and_says_why_it_cannot(served: str, browser: Browser) -> None:
    require_browser(VENDOR.values())
    context, watched = await open_page(browser, served, "/console")
    page = watched.page
    assert await page.is_hidden("main")
    await _accessible(watched, "signed out")
    await page.fill("#token", "not-a-token")
    await page.click("#sign-in button[type=submit]")
    await page.wait_for_selector("#error:not([hidden])")
    assert "UNAUTHENTICATED" in await page.inner_text("#error")
    assert await page.is_hidden("main")
    await _accessible(watched, "a refused token")

    await page.fill("#token", token("DISTRICT_ADMIN", BEILIN))
    await page.click("#sign-in button[type=submit]")
    await page.wait_for_selector("#queue-rows tr")
    assert BEILIN in await page.inner_text("#viewer")
    assert await page.is_hidden("#error")
    await watched.until("(d) => document.querySelector('#review-place').value === d", BEILIN)
    await shot(page, "console", "5-signed-in-from-the-field")
    assert watched.only_same_origin() and watched.elsewhere == []
    await context.close()


async def test_queue_pages_with_overdue_first_and_filters_by_category_and_text(
    graph: Graph, served: str, browser: Browser
) -> None:
    require_browser(VENDOR.values())
    # Which waiting needs are overdue is read against the server's clock: two escalated needs are
    # made a day past their completion deadline and every other one a month short of it, whatever
    # the date the suite runs on.
    escalated = [
        r["id"]
        for r in await graph.read(
            IN_DISTRICT + "WHERE n.status = 'ESCALATED' RETURN DISTINCT n.id AS id ORDER BY id", d=BEILIN
        )
    ]
    assert len(escalated) >= 3
    late = set(escalated[:2])
    clock = datetime.now(UTC)
    await graph.write(
        "MATCH (n:Need) WHERE n.id IN $ids SET n.completionDeadline = "
        "CASE WHEN n.id IN $late THEN datetime($past) ELSE datetime($future) END",
        ids=escalated,
        late=sorted(late),
        past=(clock - timedelta(days=1)).isoformat(),
        future=(clock + timedelta(days=30)).isoformat(),
    )
    truth = await graph.read(
        IN_DISTRICT + "WHERE n.status IN $waiting "
        "OPTIONAL MATCH (n)-[:OF]->(k:Category) RETURN DISTINCT n.id AS id, n.createdAt AS at, k.code AS category",
        d=BEILIN,
        waiting=WAITING,
    )
    assert len(truth) > PAGE_SIZE  # more than a page
    created = {r["id"]: r["at"] for r in truth}

    context, watched = await open_page(browser, served, f"/console?token={token('DISTRICT_ADMIN', BEILIN)}")
    page = watched.page
    await page.wait_for_selector("#queue-rows tr")
    await _queue_settled(watched)

    # Page by page to the end: every waiting need once, the overdue ones first, newest first in each.
    shown: list[dict[str, Any]] = []
    pages = 0
    while True:
        on_page = await _rows(watched)
        assert 0 < len(on_page) <= PAGE_SIZE
        shown += on_page
        pages += 1
        if await page.is_disabled("#queue-next"):
            break
        first = on_page[0]["id"]
        await page.click("#queue-next")
        await watched.until("(id) => document.querySelector('#queue-rows tr').dataset.needId !== id", first)
        await _queue_settled(watched)
    ids = [row["id"] for row in shown]
    assert len(ids) == len(set(ids)) and set(ids) == set(created)
    assert pages == -(-len(created) // PAGE_SIZE)
    assert {row["id"] for row in shown[: len(late)]} == late and all(row["overdue"] for row in shown[: len(late)])
    assert not any(row["overdue"] for row in shown[len(late) :])
    for segment in (ids[: len(late)], ids[len(late) :]):
        assert [created[i] for i in segment] == sorted((created[i] for i in segment), reverse=True)
    assert f"共 {len(created)} 件，其中超时 {len(late)} 件排在前面" in await page.inner_text("#queue-count")
    await page.click("#queue-previous")
    await watched.until("(id) => document.querySelector('#queue-rows tr').dataset.needId !== id", ids[-1])
    await _queue_settled(watched)
    assert [row["id"] for row in await _rows(watched)] == ids[(pages - 2) * PAGE_SIZE : (pages - 1) * PAGE_SIZE]

    # One category: exactly its waiting needs.
    counts: dict[str, int] = {}
    for row in truth:
        counts[row["category"]] = counts.get(row["category"], 0) + 1
    category = max((c for c in counts if c and counts[c] <= PAGE_SIZE), key=lambda c: counts[c])
    await page.select_option("#queue-category", category)
    await page.click("#queue-filter button[type=submit]")
    await watched.until(
        "(n) => document.querySelector('#queue-count').textContent.startsWith(`共 ${n} 件`)", counts[category]
    )
    await _queue_settled(watched)
    assert {row["id"] for row in await _rows(watched)} == {r["id"] for r in truth if r["category"] == category}
    await _accessible(watched, "the queue filtered")
    await shot(page, "console", "6-queue-by-category")

    # Words from the need's title or description (the full-text index), in this category or not.
    await page.select_option("#queue-category", "")
    await page.fill("#queue-text", "下水道")
    await page.click("#queue-filter button[type=submit]")
    matching = await graph.read(
        "CALL db.index.fulltext.queryNodes('need_text', $q) YIELD node AS n "
        "MATCH (:District {id: $d})<-[:IN*1..3]-(:Compound|Community)<-[:AT]-(n) "
        "WHERE n.status IN $waiting RETURN DISTINCT n.id AS id",
        q=lucene_query("下水道"),
        d=BEILIN,
        waiting=WAITING,
    )
    assert 0 < len(matching) <= PAGE_SIZE
    await watched.until(
        "(n) => document.querySelector('#queue-count').textContent.startsWith(`共 ${n} 件`)", len(matching)
    )
    await _queue_settled(watched)
    assert {row["id"] for row in await _rows(watched)} == {r["id"] for r in matching}
    await shot(page, "console", "7-queue-by-text")

    await page.click("#queue-clear")
    await watched.until(
        "(n) => document.querySelector('#queue-count').textContent.startsWith(`共 ${n} 件`)", len(created)
    )
    assert await page.input_value("#queue-text") == ""
    assert watched.errors == [] and watched.elsewhere == []
    await context.close()


async def test_every_control_is_reached_by_the_keyboard(served: str, browser: Browser) -> None:
    require_browser(VENDOR.values())
    context, watched = await open_page(browser, served, f"/console?token={token('COORDINATOR', SHUYUANMEN)}")
    page = watched.page
    await page.wait_for_selector("#queue-rows tr button.pick")
    await watched.until("() => document.querySelector('#review').dataset.state === 'ready'")
    # A need chosen with the keyboard: its title is a button.
    await page.focus(f'#queue-rows tr[data-need-id="{SEWER}"] button.pick')
    await page.keyboard.press("Enter")
    await _drawn(watched, "#graph-view", "data-node-count")
    await watched.until("() => document.querySelector('#candidates-panel').dataset.state === 'ready'")

    controls = await page.evaluate(
        """() => {
          // Every focusable element, and what the page means as a control (the graph's nodes) either way.
          const wanted = 'button, input, select, a[href], [tabindex], #graph-view g.nodes > g';
          const all = [...document.querySelectorAll(wanted)]
            .filter((e) => e.getAttribute('tabindex') !== '-1' && !e.disabled && e.getClientRects().length > 0);
          all.forEach((e, i) => { e.dataset.kb = String(i); });
          return all.map((e) => e.getAttribute('aria-label') || e.textContent.trim() || e.id);
        }"""
    )
    await page.evaluate("() => document.activeElement && document.activeElement.blur()")
    reached: set[int] = set()
    for _ in range(len(controls) + 10):
        await page.keyboard.press("Tab")
        at = await page.evaluate("() => document.activeElement && document.activeElement.dataset.kb")
        if at is not None:
            reached.add(int(at))
    missed = [controls[i] for i in range(len(controls)) if i not in reached]
    assert missed == [], missed

    # Enter on a node of the graph centres the graph on it.
    other = page.locator("#graph-view g.nodes > g:not(.centre)").first
    name = await other.get_attribute("aria-label") or ""
    await other.focus()
    await page.keyboard.press("Enter")
    await watched.until(
        "(n) => document.querySelector('#graph-centre').textContent.includes(n)", name.split("：", 1)[1]
    )
    await shot(page, "console", "8-keyboard")
    assert watched.errors == []
    await context.close()


async def test_panels_say_what_they_wait_for_and_what_failed_on_a_slow_failing_network(
    served: str, browser: Browser
) -> None:
    require_browser(VENDOR.values())
    context, watched = await open_page(browser, served, "/console", network=SLOW)
    page = watched.page
    failures = {"ConsoleQueue": "503", "ConsoleReview": "UNAVAILABLE", "ConsoleNeighbourhood": "abort"}
    held = asyncio.Event()
    holding = asyncio.Event()

    async def unreliable(route: Route) -> None:
        body = route.request.post_data or ""
        for name, how in list(failures.items()):
            if name in body:
                del failures[name]  # each fails once; its retry goes through
                if how == "503":
                    await route.fulfill(status=503, content_type="text/html", body="<h1>502 Bad Gateway</h1>")
                elif how == "UNAVAILABLE":
                    error = {"message": "the graph database is unreachable", "extensions": {"code": "UNAVAILABLE"}}
                    await route.fulfill(status=200, json={"errors": [error]})
                else:
                    await route.abort("connectionreset")
                return
        if "ConsoleNeighbourhood" in body and not held.is_set():
            holding.set()
            await held.wait()  # the answer waits until the test has seen the panel wait for it
        await route.fallback()

    await page.route("**/graphql", unreliable)
    await page.fill("#token", token("COORDINATOR", SHUYUANMEN))
    await page.click("#sign-in button[type=submit]")

    # The queue's request fails (a proxy's error page): the panel says so and offers a retry.
    await watched.until("() => document.querySelector('#queue').dataset.state === 'error'")
    assert "HTTP 503" in await page.inner_text("#queue .panel-error")
    await watched.until("() => document.querySelector('#review').dataset.state === 'error'")
    assert "UNAVAILABLE" in await page.inner_text("#review .panel-error")
    await _accessible(watched, "panels that failed")
    await shot(page, "console", "9-failed-panels")
    await page.click("#queue .retry")
    await page.click("#review .retry")
    await page.wait_for_selector(f'#queue-rows tr[data-need-id="{SEWER}"]')
    await watched.until("() => document.querySelector('#review').dataset.state === 'ready'")
    assert await page.is_hidden("#queue .panel-error") and await page.is_hidden("#review .panel-error")

    # The graph's request is cut: its panel says so, the need's facts still show.
    await page.click(f'#queue-rows tr[data-need-id="{SEWER}"]')
    await watched.until("() => document.querySelector('#graph').dataset.state === 'error'")
    assert "连不上服务器" in await page.inner_text("#graph .panel-error")
    await watched.until("() => document.querySelector('#need').dataset.state === 'ready'")

    # Retried on a slow line: while the answer is on its way the panel says what it waits for.
    await page.click("#graph .retry")
    await holding.wait()
    assert await page.get_attribute("#graph", "aria-busy") == "true"
    assert "正在读取关系图" in await page.inner_text("#graph .panel-status")
    await shot(page, "console", "10-graph-waiting")
    held.set()
    await _drawn(watched, "#graph-view", "data-node-count")
    assert await page.get_attribute("#graph", "aria-busy") is None
    assert failures == {}

    # A layout past its budget stops, draws what it has and says it was cut short.
    await page.evaluate("() => { document.querySelector('#graph').dataset.layoutBudgetMs = '0'; }")
    await page.click("#graph-community")
    await watched.until("() => document.querySelector('#graph-view').dataset.layout === 'cut-short'")
    assert "停下" in await page.inner_text("#graph-caption")
    assert await page.locator("#graph-view svg circle").count() == int(
        await page.get_attribute("#graph-view", "data-node-count") or 0
    )
    await shot(page, "console", "11-layout-cut-short")
    assert watched.only_same_origin() and watched.elsewhere == []
    await context.close()


async def test_console_files_carry_a_same_origin_policy(served: str) -> None:
    async with httpx.AsyncClient(base_url=served) as http:
        paths = ("/console", "/console/console.js", "/console/graph-layout.js", "/console/vendor/d3.min.js")
        page, script, worker, vendor = [await http.get(p) for p in paths]
        unknown, outside = await http.get("/console/nothing.js"), await http.get("/console/vendor/..%2Fpackage.json")
    assert page.status_code == 200 and "协调员工作台" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    assert "worker-src 'self'" in page.headers["content-security-policy"]
    for answer in (script, worker):
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/javascript")
        assert answer.headers["content-security-policy"] == page.headers["content-security-policy"]
    assert 'importScripts("/console/vendor/d3.min.js")' in worker.text
    assert vendor.status_code == 200 and len(vendor.content) > 100_000
    assert unknown.status_code == 404 and outside.status_code == 404
