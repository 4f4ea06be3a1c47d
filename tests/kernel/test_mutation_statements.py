"""Each workflow mutation reads its facts under lock and writes everything in one statement: two
statements in its transaction (an idempotency key adds its claim and its store)."""

from __future__ import annotations

from tests.support import workflow_helpers as w
from tests.support.factories import make_places

FACTS_THEN_APPLY = ["needs.workflow.facts", "needs.workflow.apply"]


async def test_the_order_workflow_writes_in_two_statements(graph, graphql_client) -> None:
    await make_places(graph)
    await w.make_people(graph, members=3)
    client = graphql_client
    need = await w.submit(client)
    assert client.last_written == ["needs.write.intake_facts", "needs.write.create_need"]
    steps = [
        (w.DISPATCH, {"handlerId": w.member_id(1)}, w.coordinator()),
        (w.DECLINE, {"reason": "生病了"}, w.member(1)),
        (w.INVITE, {"candidateIds": [w.member_id(1), w.member_id(2)]}, w.coordinator()),
        (w.ACCEPT, {}, w.member(2)),
        (w.START, {}, w.member(2)),
        (w.COMPLETE, {"note": "疏通完毕"}, w.member(2)),
        (w.REOPEN, {"reason": "又堵了"}, w.resident()),
        (w.TRANSFER, {"handlerId": w.member_id(3), "reason": "换人"}, w.coordinator()),
    ]
    for document, extra, token in steps:
        await client(document, {"input": {"needId": need["id"], **extra}}, token=token)
        assert client.last_written == FACTS_THEN_APPLY, (document, client.last_written)
    await client(
        w.DISPATCH, {"input": {"needId": need["id"], "handlerId": w.OFFERING, "idempotencyKey": "k1"}},
        token=w.coordinator(), expect_errors=True,
    )  # fmt: skip
    assert client.last_written[0] == "kernel.idempotency.claim"
    assert len(client.last_written) <= 4
