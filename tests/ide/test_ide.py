"""The GraphQL IDE (GET /graphql in a browser) in Debian's Chromium with no internet: the network
refuses every host but the server's, as on a district office's intranet. It loads, signs in with a
pasted token, runs a README example with it, shows the answer and the docs, and receives a
subscription event over graphql-transport-ws; nothing is asked of another host, the token never
enters an address, and the page's Content-Security-Policy refuses nothing it needs.

Screenshots are kept in tests/artefacts/ide/.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, WebSocket

from resolvers.kernel.events import BUS
from server.ide import VENDOR
from server.ide.examples import readme_examples
from tests.support.browser import NOW, Watched, browser, open_page, require_browser, serious_violations, served, shot
from tests.support.workflow_helpers import DISPATCH, token

__all__ = ["browser", "served"]  # fixtures
pytestmark = pytest.mark.demo(NOW)  # the demo, shared by the tests while none writes (tests/conftest.py)

SHUYUANMEN = "community:610103001009"
SEWER = "need:demo-sewer"
WATCH = f'subscription IdeWatch {{ needEvents(scopeId: "{SHUYUANMEN}") {{ type toState need {{ id }} }} }}'
RESPONSE = "document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"
CANDIDATE = (
    "query($n: ID!) { matchCandidates(needId: $n, kinds: [MEMBER], first: 1) { resource { ... on Member { id } } } }"
)
QUERY_EDITOR = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"


async def _answer(watched: Watched, containing: str) -> dict[str, Any]:
    """The response pane's JSON once it holds `containing` (GraphiQL shows the answer as text)."""
    await watched.until(f"(w) => {RESPONSE}.includes(w)", containing, shown=".graphiql-response")
    return json.loads(await watched.page.evaluate(RESPONSE))


async def _listening(count: int) -> None:
    for _ in range(3000):  # a guard against a subscription that never starts, not a timed assertion
        if BUS.subscribers >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the IDE's subscription never started listening")


async def test_ide_works_on_a_closed_network(served: str, browser: Browser) -> None:
    require_browser(VENDOR.values())
    tok = token("COORDINATOR", SHUYUANMEN)
    context, watched = await open_page(browser, served, "/graphql")
    page = watched.page
    sockets: list[WebSocket] = []
    sent: list[str] = []

    def socket_opened(ws: WebSocket) -> None:
        sockets.append(ws)
        ws.on("framesent", lambda payload: sent.append(payload if isinstance(payload, str) else payload.decode()))

    page.on("websocket", socket_opened)

    # The page and GraphiQL load, the README's examples listed beside the editor, the schema fetched.
    examples = readme_examples()
    entries = await page.evaluate("window.history.length")
    await page.wait_for_selector(".graphiql-container .graphiql-query-editor .CodeMirror")
    await watched.until("(n) => document.querySelectorAll('.minhu-examples li').length === n", len(examples))
    titles = await page.locator(".minhu-examples li h3").all_inner_texts()
    assert titles == [e.title for e in examples]
    assert await serious_violations(page, "#bar") == []
    await shot(page, "ide", "1-loaded-with-examples")

    # Signing in by pasting a token: it goes nowhere near the address bar.
    await page.fill("#token", tok)
    await page.click("#sign-in button[type=submit]")
    await watched.until("() => document.querySelector('#viewer').dataset.role === 'COORDINATOR'")
    assert await page.input_value("#token") == ""

    # One click runs the README's candidates example with the token: the answer is shown.
    needs_token = next(i for i, e in enumerate(examples) if e.signer and "matchCandidates" in e.query)
    await page.click(f'.minhu-examples li[data-example="{needs_token}"] .minhu-run')
    answer = await _answer(watched, "matchCandidates")
    assert "errors" not in answer and answer["data"]["matchCandidates"], answer
    await shot(page, "ide", "2-example-answered-with-token")

    # The docs explorer, from the schema the page fetched from this server.
    await page.click('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]')
    await page.click(".graphiql-doc-explorer a.graphiql-doc-explorer-type-name:has-text('Query')")
    await page.wait_for_selector(".graphiql-doc-explorer-title:has-text('Query')")
    await page.wait_for_selector(".graphiql-doc-explorer .graphiql-doc-explorer-field-name:has-text('matchCandidates')")
    await shot(page, "ide", "3-docs")

    # GraphiQL's other tools are there: the history (with the run), the explorer, variables, headers.
    await page.click('.graphiql-sidebar button[aria-label="Show History"]')
    await page.wait_for_selector(".graphiql-history-item")
    assert await page.locator('.graphiql-sidebar button[aria-label="Show GraphiQL Explorer"]').count() == 1
    tools = await page.locator(".graphiql-editor-tools button").all_inner_texts()
    assert {"Variables", "Headers"} <= {tool.strip() for tool in tools}, tools

    # A subscription: the token travels in connection_init; a dispatch over HTTP arrives as an event.
    before = BUS.subscribers
    await page.evaluate(f"(text) => {QUERY_EDITOR}.setValue(text)", WATCH)
    await watched.until(f"() => {QUERY_EDITOR}.operationName === 'IdeWatch'")
    await page.click(".graphiql-execute-button")
    await _listening(before + 1)
    async with httpx.AsyncClient(base_url=served, headers={"Authorization": f"Bearer {tok}"}, timeout=60) as http:
        found = await http.post(
            "/graphql",
            json={"query": CANDIDATE, "variables": {"n": SEWER}},
        )
        member = found.json()["data"]["matchCandidates"][0]["resource"]["id"]
        dispatched = await http.post(
            "/graphql", json={"query": DISPATCH, "variables": {"input": {"needId": SEWER, "handlerId": member}}}
        )
        assert "errors" not in dispatched.json(), dispatched.json()
    event = await _answer(watched, "DISPATCHED")
    assert event["data"]["needEvents"] == {"type": "DISPATCH", "toState": "DISPATCHED", "need": {"id": SEWER}}
    await shot(page, "ide", "4-subscription-event")
    await page.click(".graphiql-execute-button")  # stops the subscription

    # Same origin only, nothing refused for another host, the policy refused nothing, no script error.
    assert [ws.url for ws in sockets] == [served.replace("http://", "ws://") + "/graphql"]
    init = json.loads(sent[0])
    assert init == {"type": "connection_init", "payload": {"Authorization": f"Bearer {tok}"}}
    assert watched.only_same_origin(), watched.requested
    assert watched.elsewhere == []
    assert await watched.violations() == []
    assert watched.errors == []
    assert tok not in page.url and all(tok not in url for url in watched.requested)
    assert await page.evaluate("window.history.length") == entries  # nothing pushed, token or not
    await context.close()


async def test_ide_says_why_a_token_is_refused(served: str, browser: Browser) -> None:
    require_browser(VENDOR.values())
    context, watched = await open_page(browser, served, "/graphql")
    page = watched.page
    await page.wait_for_selector(".graphiql-container")
    await page.fill("#token", "not-a-token")
    await page.click("#sign-in button[type=submit]")
    await page.wait_for_selector("#error:not([hidden])")
    assert "UNAUTHENTICATED" in await page.inner_text("#error")
    assert await page.evaluate("sessionStorage.getItem('minhu.token')") is None
    assert "data-role" not in await page.evaluate("document.querySelector('#viewer').outerHTML")
    await context.close()
