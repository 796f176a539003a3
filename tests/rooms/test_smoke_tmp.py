import pytest

pytestmark = pytest.mark.django_db(transaction=True)


async def test_two_people_chat(live_team, connect):
    t = live_team
    a = await connect(t.supplier_member)
    b = await connect(t.client_member)
    await a.send({"type": "subscribe", "room": t.shared.id})
    sub = await a.expect("subscribed")
    print(sub)
    await b.send({"type": "subscribe", "room": t.shared.id, "since": sub["head_seq"]})
    await b.expect("subscribed")
    await a.send(
        {"type": "message.send", "room": t.shared.id, "client_id": "c1", "body": "hi **b**"}
    )
    ack = await a.expect("ack")
    got = await b.expect("message.new")
    assert got["seq"] == ack["seq"]
    print(got)
