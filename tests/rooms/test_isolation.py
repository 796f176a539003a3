"""Record what each person receives: nothing about a room they are not in, and nothing that
tells the partner organization what A did internally (the twin recorder, tests/boundary.py)."""

from __future__ import annotations

import asyncio
import datetime
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from hub.models import User
from rooms.actions.exports import run_next_export
from rooms.actions.members import check_add_member, check_remove_member
from rooms.actions.retention import do_apply_retention
from rooms.actions.rooms import check_update_room
from rooms.models.rooms import Room
from tests import boundary
from tests.conftest import PDF_BYTES, make_internal_room, make_org, make_person, png_bytes

pytestmark = pytest.mark.django_db(transaction=True)


async def test_no_frame_about_a_room_reaches_anyone_outside_its_membership(live_team, connect):
    t = live_team

    def third_org():
        org = make_org("Unrelated")
        person = make_person(org, admin=True, name="Una Unrelated")
        room = make_internal_room(person, name="Unrelated internal")
        return person, room

    outsider, outsider_room = await sync_to_async(third_org)()
    people = {
        "supplier_admin": t.supplier_admin,
        "supplier_member": t.supplier_member,
        "client_admin": t.client_admin,
        "client_member": t.client_member,
        "outsider": outsider,
    }
    rooms = {
        "shared": (
            t.shared,
            {"supplier_admin", "supplier_member", "client_admin", "client_member"},
        ),
        "supplier_internal": (t.supplier_internal, {"supplier_admin", "supplier_member"}),
        "client_internal": (t.client_internal, {"client_admin", "client_member"}),
        "outsider_internal": (outsider_room, {"outsider"}),
    }
    sockets = {name: await connect(person) for name, person in people.items()}
    # Everyone tries every room; only members may get in.
    for name, sock in sockets.items():
        for room, members in rooms.values():
            await sock.send({"type": "subscribe", "room": room.id})
            reply = await sock.expect("subscribed" if name in members else "error")
            assert reply.get("code", "ok") == ("ok" if name in members else "not_found")

    secrets = {}
    for room_name, (room, members) in rooms.items():
        author_name = sorted(members)[0]
        author = sockets[author_name]
        secret = f"secret-of-{room_name}"
        secrets[room_name] = secret
        await author.send(
            {"type": "message.send", "room": room.id, "client_id": room_name, "body": secret}
        )
        ack = await author.expect("ack")
        await author.send(
            {"type": "message.edit", "room": room.id, "id": ack["id"], "body": secret + "-edited"}
        )
        await author.send({"type": "typing", "room": room.id})
        await author.send({"type": "read", "room": room.id, "seq": ack["seq"]})
        await author.send(
            {"type": "message.send", "room": room.id, "client_id": room_name + "-2", "body": secret}
        )
        second = await author.expect("ack")
        await author.send({"type": "message.delete", "room": room.id, "id": second["id"]})
    await sockets["supplier_member"].send({"type": "presence.set", "state": "away"})
    newcomer = await sync_to_async(make_person)(t.supplier, name="Newt Newcomer")
    await sync_to_async(check_add_member)(
        t.supplier_admin, room_id=t.supplier_internal.id, person_id=newcomer.id
    )
    await sync_to_async(check_remove_member)(
        t.supplier_admin, room_id=t.supplier_internal.id, person_id=newcomer.id
    )
    await sync_to_async(check_update_room)(
        t.client_admin, room_id=t.client_internal.id, topic="our plans"
    )

    received = {}
    for name, sock in sockets.items():
        await sock.drain(0.5)
        received[name] = sock.frames
    room_members = {room.id: members for room, members in rooms.values()}
    for name, frames in received.items():
        assert frames, name
        for frame in frames:
            if "room" in frame and frame["room"] in room_members:
                assert name in room_members[frame["room"]], (name, frame)
        raw = json.dumps(frames)
        for room_name, (room, members) in rooms.items():
            if name not in members:
                assert secrets[room_name] not in raw, (name, room_name)
                assert f'"room": {room.id},' not in raw, (name, room_name)
    # And members did get their rooms' events (the check above is not vacuous).
    for room, members in rooms.values():
        for name in members:
            assert any(
                f.get("room") == room.id and f["type"] == "message.new" for f in received[name]
            )
    assert "our plans" not in json.dumps(received["supplier_member"])


# --- the frame recorder: B must not be able to tell A's internal activity apart ---------------
#
# Each test runs its scenario twice (tests/boundary.py): once with A's internal
# activity (`run.internal`) and once without, in two fresh worlds, and asserts
# that everything B's people received (socket frames, HTTP bodies, pages,
# e-mails) is the same once ids and timestamps are normalized. The `if
# run.internal:` blocks are that activity; every other step runs in both twins.


@pytest.fixture
def in_process(connect, settings):
    # Presence is announced at each settle (boundary.Run.settle), never by a
    # tick that could fire mid-step in one twin and not the other.
    settings.CAUSEWAY_PRESENCE_TICK_SECONDS = 3600
    return boundary.InProcess(connect)


async def mirror_into_a(run: boundary.Run, root: int) -> dict[str, Any]:
    """Ben mirrors the shared thread ``root`` into A's internal room."""
    w = run.world
    mirror: dict[str, Any] = await run.http(
        w.ben,
        "POST",
        "/api/mirrors/",
        {"source_room": w.shared.id, "thread": root, "target_room": w.a_internal.id},
        expect=201,
    )
    return mirror


async def mirror_scenario(run: boundary.Run) -> None:
    """A mirrors a shared thread, writes, edits and deletes notes, then stops, while both talk."""
    w, mirror = run.world, None
    root = await run.say(w.dev, w.shared, "Forecast for Q3: can you confirm 12k units?")
    await run.settle("dev opens a thread")
    ben_reply = await run.say(w.ben, w.shared, "Looking into the forecast now", thread=root["id"])
    await run.settle("ben replies in the shared thread")
    if run.internal:
        mirror = await mirror_into_a(run, root["id"])
        await run.subscribe(w.anna, w.a_internal)
    await run.settle("ben mirrors the thread into A's internal room")
    reply = await run.say(w.dev, w.shared, "We need an answer by Friday", thread=root["id"])
    await run.settle("dev replies in the mirrored thread")
    if run.internal:
        assert mirror is not None
        copy = mirror["root_copy"]
        first = await run.say(
            w.anna,
            w.a_internal,
            f"@{w.carla.handle} pads every forecast; @{w.ben.handle} our margin is thin",
            thread=copy,
        )
        second = await run.say(w.ben, w.a_internal, "Plant 2 can do 10k, not 12k", thread=copy)
        await run.settle("A writes internal notes under the copy")
        await run.send(
            w.anna,
            {
                "type": "message.edit",
                "room": w.a_internal.id,
                "id": first["id"],
                "body": f"@{w.carla.handle} pads every forecast; the margin is thin",
            },
        )
        await run.send(
            w.ben, {"type": "message.delete", "room": w.a_internal.id, "id": second["id"]}
        )
        await run.typing(w.anna, w.a_internal, thread=copy)
        # A copy is an ordinary message of the internal room: its author may change it there.
        thread = await run.http(w.ben, "GET", f"/api/rooms/{w.a_internal.id}/threads/{copy}/")
        (own,) = [
            m for m in thread["messages"] if m.get("mirror", {}).get("message") == ben_reply["id"]
        ]
        await run.send(
            w.ben,
            {
                "type": "message.edit",
                "room": w.a_internal.id,
                "id": own["id"],
                "body": "(internal)",
            },
        )
        await run.send(w.ben, {"type": "message.delete", "room": w.a_internal.id, "id": own["id"]})
    else:
        await run.settle("A writes internal notes under the copy")
    await run.settle("A edits, deletes and types on its notes and copies")
    await run.send(
        w.dev,
        {
            "type": "message.edit",
            "room": w.shared.id,
            "id": reply["id"],
            "body": "We need an answer by Thursday",
        },
    )
    await run.settle("dev edits his reply")
    await run.say(w.anna, w.shared, "We will confirm the forecast tomorrow", thread=root["id"])
    await run.settle("anna replies in the shared thread")
    await run.send(w.dev, {"type": "message.delete", "room": w.shared.id, "id": reply["id"]})
    await run.settle("dev deletes his reply", checkpoint=True)
    if run.internal:
        assert mirror is not None
        await run.http(w.ben, "DELETE", f"/api/mirrors/{mirror['id']}/")
    await run.settle("ben stops the mirror")
    if run.internal:
        # A's admin exports the shared room; the worker builds the ZIP. B is told nothing:
        # no frame, no notification, no entry in B's audit log.
        anna = w.anna
        export = await run.http(anna, "POST", f"/api/rooms/{w.shared.id}/exports/", expect=201)
        status = await export_built(run, anna, export["id"])
        assert status["status"] == "done", status
    await run.settle("anna exports the shared room", checkpoint=True)
    await run.say(w.dev, w.shared, "Any update on the forecast?", thread=root["id"])
    await run.settle("dev asks again")
    if run.internal:
        # Not vacuous: the bridge did copy the thread, and the notes exist.
        kinds = await sync_to_async(room_kinds)(w.a_internal)
        assert kinds.count("mirror") == 4 and kinds.count("message") == 2, kinds


async def export_built(run: boundary.Run, person: User, export_id: int) -> dict[str, Any]:
    """The export's status once built: by a pass of the worker here, or by the worker
    process of the across-processes twins, whichever claims it first."""
    for _ in range(100):
        await sync_to_async(run_next_export)()
        status: dict[str, Any] = await run.http(person, "GET", f"/api/exports/{export_id}/")
        if status["status"] in ("done", "failed"):
            break
        await asyncio.sleep(0.1)
    return status


MIRROR_WORDS = ["forecast", "margin", "Plant 2", "pads", "Thursday"]


def room_kinds(room: Room) -> list[str]:
    from rooms.models import Message

    return list(Message.objects.filter(room=room).order_by("seq").values_list("kind", flat=True))


async def test_the_partner_cannot_tell_that_a_thread_was_mirrored_and_discussed(in_process):
    recorded = await boundary.twins(
        in_process, mirror_scenario, name="mirror", search_words=MIRROR_WORDS
    )
    boundary.assert_partner_sees_the_same("mirror", recorded)


async def reactions_scenario(run: boundary.Run) -> None:
    """Both sides react in a mirrored thread; A also reacts on the copies in its internal room."""
    w, mirror = run.world, None

    def react(room: Room, message: int, emoji: str, on: bool = True) -> dict[str, Any]:
        kind = "reaction.add" if on else "reaction.remove"
        return {"type": kind, "room": room.id, "id": message, "emoji": emoji}

    root = await run.say(w.dev, w.shared, "Lot 7 passed inspection")
    reply = await run.say(w.ben, w.shared, "Great, shipping Friday", thread=root["id"])
    await run.settle("dev opens a thread, ben replies")
    if run.internal:
        mirror = await mirror_into_a(run, root["id"])
        await run.subscribe(w.anna, w.a_internal)
    await run.settle("ben mirrors the thread into A's internal room")
    await run.send(w.dev, react(w.shared, root["id"], "👍"))
    await run.send(w.ben, react(w.shared, root["id"], "🎉"))
    await run.settle("dev and ben react in the shared thread")
    if run.internal:
        assert mirror is not None
        thread = await run.http(
            w.anna, "GET", f"/api/rooms/{w.a_internal.id}/threads/{mirror['root_copy']}/"
        )
        copy_root, copy_reply = (m["id"] for m in thread["messages"])
        await run.send(w.anna, react(w.a_internal, copy_root, "👀"))
        await run.send(w.ben, react(w.a_internal, copy_reply, "✅"))
        await run.send(w.anna, react(w.a_internal, copy_root, "👀", on=False))
        await run.send(w.anna, react(w.a_internal, copy_root, "🙏"))
        # The one ben gave in the shared room, taken off the copy: the copy
        # follows the original again at its next change, as after an edit.
        await run.send(w.ben, react(w.a_internal, copy_root, "🎉", on=False))
    await run.settle("A reacts on the copies internally")
    await run.send(w.dev, react(w.shared, reply["id"], "🚀"))
    await run.send(w.dev, react(w.shared, root["id"], "👍", on=False))
    await run.settle("dev changes his reactions", checkpoint=True)
    if run.internal:
        # Not vacuous: the copies hold both sides' relayed reactions and A's own.
        shown = await run.http(w.anna, "GET", f"/api/rooms/{w.a_internal.id}/threads/{copy_root}/")
        assert [[(r["emoji"], r["count"]) for r in m["reactions"]] for m in shown["messages"]] == [
            [("🙏", 1), ("🎉", 1)],
            [("✅", 1), ("🚀", 1)],
        ], shown
    await run.send(w.ben, react(w.shared, root["id"], "🎉", on=False))
    await run.settle("ben takes his reaction back")


async def test_the_partner_cannot_tell_what_a_reacted_with_internally(in_process):
    recorded = await boundary.twins(in_process, reactions_scenario, name="reactions")
    boundary.assert_partner_sees_the_same("reactions", recorded)


async def share_back_scenario(run: boundary.Run) -> None:
    """A shares an internal note back; without internal activity A types the same reply."""
    w, mirror = run.world, None
    root = await run.say(w.dev, w.shared, "Can you expedite lot 7?")
    await run.settle("dev asks in a new thread")
    if run.internal:
        mirror = await mirror_into_a(run, root["id"])
    await run.settle("ben mirrors the thread")
    # Written by A's internal-only colleague, shared back by Ben; it mentions B's admin.
    note_body = f"@{w.carla.handle} yes: lot 7 ships by Friday"
    if run.internal:
        assert mirror is not None
        await run.connect(w.ines)
        note = await run.say(w.ines, w.a_internal, note_body, thread=mirror["root_copy"])
        await run.say(
            w.anna,
            w.a_internal,
            "Do not promise Monday, the line is full",
            thread=mirror["root_copy"],
        )
    await run.settle("A writes internal notes")
    if run.internal:
        assert mirror is not None
        await run.http(
            w.ben,
            "POST",
            f"/api/mirrors/{mirror['id']}/share-back/",
            # The text the person confirmed; the server will soon require it.
            {"message": note["id"], "confirmed_body": note_body},
            expect=201,
        )
    else:
        await run.say(w.ben, w.shared, note_body, thread=root["id"])
    await run.settle("the note's text reaches the shared thread")
    if run.internal:
        assert mirror is not None
        await run.http(
            w.ben,
            "POST",
            f"/api/mirrors/{mirror['id']}/share-back/",
            {"body": "Tracking number follows"},
            expect=201,
        )
    else:
        await run.say(w.ben, w.shared, "Tracking number follows", thread=root["id"])
    await run.settle("new text is shared back")
    await run.say(w.dev, w.shared, "Thanks, Friday works", thread=root["id"])
    await run.settle("dev thanks them")


SHARE_BACK_WORDS = ["Friday", "Monday", "lot 7", "Tracking"]


async def test_a_shared_back_note_looks_like_a_reply_typed_in_the_shared_thread(in_process):
    recorded = await boundary.twins(
        in_process, share_back_scenario, name="share-back", search_words=SHARE_BACK_WORDS
    )
    boundary.assert_partner_sees_the_same("share-back", recorded)


async def files_scenario(run: boundary.Run) -> None:
    """B posts a photo; A discusses it internally with files and shares one report back.

    Without internal activity, A uploads the same report into the shared
    thread itself. Either way B sees one photo and one report, nothing else:
    not the internal files, not that they exist, not when they were uploaded.
    """
    w = run.world
    photo = await run.upload(w.dev, w.shared, "crack.png", png_bytes(640, 480))
    root = await run.say(w.dev, w.shared, "Crack on flange 7", files=[photo["id"]])
    await run.settle("dev posts a photo of the defect", checkpoint=True)
    note_body = "Root cause: porosity in the casting"
    if run.internal:
        mirror = await mirror_into_a(run, root["id"])
        await run.connect(w.ines)
        report = await run.upload(w.ines, w.a_internal, "8D report.pdf", PDF_BYTES)
        note = await run.say(
            w.ines, w.a_internal, note_body, thread=mirror["root_copy"], files=[report["id"]]
        )
        costs = await run.upload(w.anna, w.a_internal, "scrap cost.csv", b"lot,eur\n7,4200\n")
        await run.say(w.anna, w.a_internal, "What it costs us", files=[costs["id"]])
        # Uploaded for the shared room, never sent: B must not notice it either.
        await run.upload(w.ben, w.shared, "draft.pdf", PDF_BYTES)
    await run.settle("A discusses the photo with its own files")
    if run.internal:
        await run.http(
            w.ben,
            "POST",
            f"/api/mirrors/{mirror['id']}/share-back/",
            {"message": note["id"], "confirmed_body": note_body, "confirmed_files": [report["id"]]},
            expect=201,
        )
    else:
        report = await run.upload(w.ben, w.shared, "8D report.pdf", PDF_BYTES)
        await run.say(w.ben, w.shared, note_body, thread=root["id"], files=[report["id"]])
    await run.settle("the 8D report reaches the shared thread", checkpoint=True)
    await run.say(w.dev, w.shared, "Thanks, the report helps", thread=root["id"])
    await run.settle("dev thanks them", checkpoint=True)


FILE_WORDS = ["8D", "report", "crack", "scrap", "cost", "draft", "porosity"]


async def test_the_partner_sees_only_the_files_shared_on_purpose(in_process):
    recorded = await boundary.twins(
        in_process, files_scenario, name="files", search_words=FILE_WORDS
    )
    boundary.assert_partner_sees_the_same("files", recorded)


async def escalation_scenario(run: boundary.Run) -> None:
    """Both twins escalate a shared work item; one also talks in A's escalation room."""
    w = run.world
    created = await run.send(
        w.dev,
        {
            "type": "workitem.create",
            "room": w.shared.id,
            "title": "Line 3 is short of valves",
            "assignee": w.ben.id,
            "priority": 2,
        },
    )
    item = (await run.http(w.dev, "GET", f"/api/rooms/{w.shared.id}/workitems/{created['id']}/"))[
        "item"
    ]
    await run.settle("dev creates a work item")
    raised = await run.http(
        w.anna,
        "POST",
        f"/api/rooms/{w.shared.id}/workitems/{item['id']}/escalate/",
        {"severity": "S1", "reason": "Production stops Monday"},
        expect=201,
    )
    escalation = raised["escalation"]["id"]
    await run.settle("anna escalates it: each side gets its own escalation room")
    a_side = await escalation_room(run, w.ben)
    if run.internal:
        await run.subscribe(w.ben, a_side["room"])
        await run.say(
            w.ben,
            a_side["room"],
            f"@{w.anna.handle} @{w.ines.handle} we have to decide the valve allocation",
        )
        await run.http(
            w.anna,
            "POST",
            f"/api/rooms/{a_side['room']}/members/",
            {"person": w.ben.id},
            expect=201,
        )
        await run.say(
            w.ben, a_side["room"], "We could give them 4k from buffer", thread=a_side["root_copy"]
        )
        await run.typing(w.ben, a_side["room"])
    await run.settle("A discusses in its escalation room and adds a colleague")
    await run.say(w.dev, w.shared, "Any ETA on the valves?", thread=item["thread"])
    await run.settle("dev asks in the work item's thread")
    if run.internal:
        await run.say(w.anna, a_side["room"], "Give them 4k and keep 2k for the Acme buffer")
        await run.say(
            w.anna, a_side["room"], f"@{w.ben.handle} ship the 4k today", thread=a_side["root_copy"]
        )
    await run.settle("A keeps talking internally")
    await run.http(w.ben, "POST", f"/api/escalations/{escalation}/acknowledge/", {})
    await run.settle("ben acknowledges")
    b_side = await escalation_room(run, w.dev)
    await run.say(w.dev, b_side["room"], "They acknowledged; watching the valves")
    await run.settle("dev notes it in B's escalation room")
    await run.http(
        w.carla, "POST", f"/api/escalations/{escalation}/resolve/", {"note": "Valves arrived"}
    )
    await run.settle("carla resolves the escalation")


async def escalation_room(run: boundary.Run, person: User) -> dict[str, int]:
    """``person``'s side's escalation room and its mirror of the work item's thread."""
    mirrors = (await run.http(person, "GET", "/api/mirrors/"))["mirrors"]
    assert len(mirrors) == 1, mirrors
    return {"room": mirrors[0]["target_room"], "root_copy": mirrors[0]["root_copy"]}


async def test_the_partner_cannot_tell_what_happens_in_the_other_sides_escalation_room(
    in_process,
):
    recorded = await boundary.twins(
        in_process,
        escalation_scenario,
        name="escalation",
        search_words=["valve", "allocation", "buffer", "ETA"],
    )
    boundary.assert_partner_sees_the_same("escalation", recorded)


async def notifications_scenario(run: boundary.Run) -> None:
    """B's notifications, live and stored, and its e-mails do not depend on A's."""
    w = run.world
    created = await run.send(
        w.anna,
        {"type": "workitem.create", "room": w.shared.id, "title": "Certificate of conformity"},
    )
    await run.settle("anna creates a work item")
    raised = await run.http(
        w.dev,
        "POST",
        f"/api/rooms/{w.shared.id}/workitems/{created['id']}/escalate/",
        {"severity": "S2", "reason": "Goods are blocked at receiving"},
        expect=201,
    )
    await run.settle("dev escalates it")
    if run.internal:
        await run.http(w.ben, "POST", "/api/notifications/", {"ids": "all"})
        internal = await run.send(
            w.anna,
            {"type": "workitem.create", "room": w.a_internal.id, "title": "Audit our certificates"},
        )
        await run.http(
            w.ben,
            "POST",
            f"/api/rooms/{w.a_internal.id}/workitems/{internal['id']}/escalate/",
            {"severity": "S1", "reason": "Acme will audit us"},
            expect=201,
        )
    await run.settle("A reads its notifications and escalates an internal work item")
    # Past both targets: the internal escalation, too, is late and reminded.
    await run.clock(raised["escalation"]["id"], minutes_late=10)
    await run.settle("the clock flags the escalation late")
    await run.http(w.dev, "POST", "/api/notifications/", {"ids": "all"})
    await run.settle("dev marks his notifications read")


async def test_the_partner_cannot_tell_from_its_notifications_what_a_was_told(in_process):
    recorded = await boundary.twins(
        in_process,
        notifications_scenario,
        name="notifications",
        search_words=["certificate", "audit"],
    )
    boundary.assert_partner_sees_the_same("notifications", recorded)


async def search_scenario(run: boundary.Run) -> None:
    """Search finds the same for B whatever A wrote internally with the same words."""
    w = run.world
    root = await run.say(w.dev, w.shared, "The forecast for valve V-12 is 12k units")
    await run.say(w.ben, w.shared, "V-12 forecast received, checking", thread=root["id"])
    await run.settle("they talk about the V-12 forecast")
    if run.internal:
        await run.say(w.ben, w.a_internal, "Valve V-12: the margin is thin, the forecast padded")
        mirror = await mirror_into_a(run, root["id"])
        await run.say(w.anna, w.a_internal, "V-12 forecast review", thread=mirror["root_copy"])
        await run.send(
            w.anna,
            {"type": "workitem.create", "room": w.a_internal.id, "title": "V-12 forecast review"},
        )
    await run.settle("A uses the same words internally")
    await run.say(w.carla, w.b_internal, "The V-12 forecast looks high to me")
    await run.settle("carla talks in B's internal room")


async def test_the_partner_finds_nothing_of_as_internal_messages_in_search(in_process):
    recorded = await boundary.twins(
        in_process,
        search_scenario,
        name="search",
        search_words=["forecast", "V-12", "valve", "margin", "padded", "review", "12k"],
    )
    boundary.assert_partner_sees_the_same("search", recorded)


async def partnership_end_scenario(run: boundary.Run) -> None:
    """B ends the partnership: what B sees of it says nothing of A's mirrors and notes."""
    w = run.world
    root = await run.say(w.dev, w.shared, "Ramp-down plan for Q1")
    await run.say(w.ben, w.shared, "We will follow it", thread=root["id"])
    await run.settle("they talk in the shared room")
    if run.internal:
        mirror = await mirror_into_a(run, root["id"])
        await run.say(w.anna, w.a_internal, "We lose 30% of volume", thread=mirror["root_copy"])
        await run.http(
            w.ben,
            "POST",
            "/api/invitations/",
            {"room": w.shared.id, "email": f"late@{w.a_org.slug}.test"},
            expect=201,
        )
    await run.settle("A follows the thread internally and invites a colleague")
    await run.http(
        w.carla,
        "POST",
        f"/api/partnerships/{w.partnership.id}/end/",
        {"reason": "Contract not renewed"},
        expect=200,
    )
    await run.settle("carla ends the partnership")
    await run.send(
        w.dev,
        {"type": "message.send", "room": w.shared.id, "client_id": "late", "body": "hi?"},
        error="archived",
    )
    await run.settle("dev writes into the archived room")


async def test_the_partner_cannot_tell_from_the_end_of_a_partnership_what_a_mirrored(
    in_process,
):
    recorded = await boundary.twins(
        in_process, partnership_end_scenario, name="partnership-end", search_words=["volume"]
    )
    boundary.assert_partner_sees_the_same("partnership-end", recorded)


async def presence_scenario(run: boundary.Run) -> None:
    """A's internal-only colleague, A's second tab and A's typing in internal rooms stay unseen."""
    w = run.world
    await run.subscribe(w.ben, w.shared)
    await run.settle("ben watches the shared room")
    if run.internal:
        await run.connect(w.ines)
        await run.subscribe(w.ines, w.a_internal)
        await run.typing(w.ines, w.a_internal)
        await run.subscribe(w.anna, w.a_internal)
        await run.typing(w.anna, w.a_internal)
    await run.settle("A's internal-only colleague comes online; A types internally")
    if run.internal:
        tab = await run.connect(w.anna, name="anna-2")
        await tab.request({"type": "subscribe", "room": w.a_internal.id})
        await tab.wire.send({"type": "typing", "room": w.a_internal.id, "thread": None})
        await run.disconnect("anna-2")
    await run.settle("anna opens and closes a second tab")
    await run.typing(w.ben, w.shared)
    await run.settle("ben types in the shared room")
    if run.internal:
        await run.http(
            w.anna,
            "POST",
            "/api/invitations/",
            {"room": w.a_internal.id, "email": f"newhire@{w.a_org.slug}.test"},
            expect=201,
        )
    await run.http(
        w.carla,
        "POST",
        "/api/invitations/",
        {"room": w.shared.id, "email": f"erin@{w.b_org.slug}.test"},
        expect=201,
    )
    await run.settle("anna invites a colleague into A's room; carla invites one into the shared")
    if run.internal:
        await run.peer(w.ines).wire.send({"type": "presence.set", "state": "away"})
        await run.settle("ines steps away")
        await run.disconnect("ines")
    else:
        await run.settle("ines steps away")
    await run.settle("ines goes offline")
    await run.peer(w.ben).wire.send({"type": "presence.set", "state": "away"})
    await run.settle("ben steps away")
    dev = run.peer(w.dev)
    await run.subscribe(w.dev, w.shared, since=dev.heads.get(w.shared.id, 0))
    await run.settle("dev subscribes to the shared room again")


async def test_the_partner_cannot_see_as_internal_presence_or_typing(in_process):
    recorded = await boundary.twins(in_process, presence_scenario, name="presence")
    boundary.assert_partner_sees_the_same("presence", recorded)


async def unread_scenario(run: boundary.Run) -> None:
    """B's unread counts, read markers and followed threads ignore A's internal rooms."""
    w = run.world
    first = await run.say(w.anna, w.shared, "Shipment plan for March is attached")
    await run.say(w.ben, w.shared, "The second batch leaves next week")
    await run.settle("A posts in the shared room")
    if run.internal:
        for n in range(3):
            await run.say(w.anna, w.a_internal, f"Internal count {n}: Acme reads slowly")
        mirror = await run.http(
            w.ben,
            "POST",
            "/api/mirrors/",
            {"source_room": w.shared.id, "thread": first["id"], "target_room": w.a_internal.id},
            expect=201,
        )
        await run.say(w.ben, w.a_internal, "Plan is optimistic", thread=mirror["root_copy"])
    await run.settle("A writes internally")
    await run.peer(w.carla).wire.send({"type": "read", "room": w.shared.id, "seq": first["seq"]})
    await run.settle("carla reads up to the first message")
    await run.send(w.dev, {"type": "thread.follow", "room": w.shared.id, "root": first["id"]})
    reply = await run.say(w.anna, w.shared, "Plan updated", thread=first["id"])
    await run.settle("dev follows the thread; anna replies in it")
    if run.internal:
        await run.say(
            w.ben, w.a_internal, "Updated plan is still optimistic", thread=mirror["root_copy"]
        )
    await run.settle("A notes the update internally")
    await run.send(
        w.dev,
        {"type": "thread.read", "room": w.shared.id, "root": first["id"], "seq": reply["seq"]},
    )
    await run.say(w.ben, w.shared, "Batch three is on schedule")
    await run.settle("dev reads the thread; ben posts again")
    for person in (w.carla, w.dev):
        peer = run.peer(person)
        await run.subscribe(person, w.shared, since=peer.heads.get(w.shared.id, 0))
    await run.settle("B subscribes to the shared room again")
    carla = run.peer(w.carla)
    await carla.wire.send({"type": "read", "room": w.shared.id, "seq": carla.heads[w.shared.id]})
    await run.settle("carla reads everything")


async def test_the_partners_unread_counts_ignore_as_internal_rooms(in_process):
    recorded = await boundary.twins(in_process, unread_scenario, name="unread")
    boundary.assert_partner_sees_the_same("unread", recorded)


async def room_management_scenario(run: boundary.Run) -> None:
    """A manages its internal rooms (renames, roles, archiving, leaving, adding) and talks in
    direct conversations: B cannot tell."""
    w = run.world
    await run.say(w.anna, w.shared, "Weekly plan is attached")
    await run.settle("A posts in the shared room")
    if run.internal:
        base = f"/api/rooms/{w.a_internal.id}/"
        await run.http(w.anna, "PATCH", base, {"name": "Acme account", "topic": "Pricing"})
        await run.http(w.anna, "PATCH", f"{base}members/{w.ben.id}/", {"role": "owner"})
        await run.http(w.anna, "POST", f"{base}archive/")
        await run.http(w.ben, "POST", f"{base}unarchive/")
        await run.http(w.anna, "POST", f"{base}leave/", {})
        await run.http(w.ben, "POST", f"{base}members/", {"person": w.anna.id}, expect=201)
        fresh = await run.http(
            w.ines, "POST", "/api/rooms/", {"kind": "internal", "name": "Pricing"}, expect=201
        )
        await run.http(
            w.ines, "POST", f"/api/rooms/{fresh['id']}/members/", {"person": w.ben.id}, expect=201
        )
        await run.http(w.ben, "POST", f"/api/rooms/{fresh['id']}/leave/", {})
        # A direct conversation of two of A's people, started twice.
        direct = await run.http(w.anna, "POST", "/api/direct/", {"people": [w.ben.id]})
        await run.say(w.ben, direct["id"], "Can we hold the price until March?")
        await run.http(w.ben, "POST", "/api/direct/", {"people": [w.anna.id, w.ines.id]})
    await run.settle("A manages its internal rooms")
    await run.say(w.ben, w.shared, "Batch three is on schedule")
    await run.settle("ben posts again")


async def test_the_partner_cannot_tell_how_a_manages_its_internal_rooms(in_process):
    recorded = await boundary.twins(in_process, room_management_scenario, name="room-management")
    boundary.assert_partner_sees_the_same("room-management", recorded)


async def retention_scenario(run: boundary.Run) -> None:
    """A keeps its internal messages and work items one day and holds one person; the job
    removes A's old internal notes (a reply under a mirror's copy too, never the copies) and
    its internal work item's text: B cannot tell, and B's shared work item is as it was."""
    w = run.world
    root = await run.say(w.dev, w.shared, "Delivery window for lot 9?")
    await run.say(w.anna, w.shared, "Thursday morning", thread=root["id"])
    await run.send(
        w.dev,
        {"type": "workitem.create", "room": w.shared.id, "title": "Count lot 9 pallets"},
    )
    await run.settle("both sides talk in the shared room")
    if run.internal:
        mirror = await mirror_into_a(run, root["id"])
        await run.say(w.anna, w.a_internal, "Lot 9 is short by 40", thread=mirror["root_copy"])
        await run.say(w.anna, w.a_internal, "Retention: old internal note")
        await run.say(w.ben, w.a_internal, "Held: keep this note")
        item = await run.send(
            w.anna,
            {
                "type": "workitem.create",
                "room": w.a_internal.id,
                "title": "Retention: our lot 9 plan",
                "description": "Hold 40 back from Acme",
            },
        )
        await run.send(
            w.anna,
            {
                "type": "workitem.update",
                "room": w.a_internal.id,
                "id": item["id"],
                "changes": {"title": "Retention: our lot 9 plan, v2"},
            },
        )
        await run.http(
            w.anna,
            "PUT",
            "/api/organization/retention/",
            {"shared_days": None, "internal_days": 1},
        )
        await run.http(w.anna, "POST", "/api/organization/holds/", {"person": w.ben.id}, expect=201)
    await run.settle("A writes internally and sets its internal retention")
    removed = await sync_to_async(do_apply_retention)(timezone.now() + datetime.timedelta(days=2))
    await run.settle("the retention job runs", checkpoint=True)
    await run.say(w.dev, w.shared, "Thanks, Thursday works", thread=root["id"])
    await run.settle("dev replies")
    if run.internal:
        # Not vacuous: A's two unheld internal messages and its work item's text went, the
        # copies stayed.
        assert removed == {w.a_org.id: 3}, removed
        kinds = await sync_to_async(room_kinds)(w.a_internal)
        assert kinds.count("mirror") == 3, kinds
    else:
        assert removed == {}


async def test_the_partner_cannot_tell_that_retention_removed_as_internal_messages(in_process):
    recorded = await boundary.twins(
        in_process, retention_scenario, name="retention", search_words=["lot 9", "Retention"]
    )
    boundary.assert_partner_sees_the_same("retention", recorded)


async def internal_work_items_scenario(run: boundary.Run) -> None:
    """Work items in A's internal rooms (created, changed, escalated, made from a copy) stay."""
    w = run.world
    shared_item = await run.send(
        w.dev,
        {
            "type": "workitem.create",
            "room": w.shared.id,
            "title": "Confirm the March allocation",
            "assignee": w.dev.id,
            "priority": 2,
            "due_date": "2026-12-04",
            "labels": ["allocation"],
        },
    )
    detail = await run.http(
        w.dev, "GET", f"/api/rooms/{w.shared.id}/workitems/{shared_item['id']}/"
    )
    await run.settle("dev creates a shared work item")
    if run.internal:
        source = await run.say(w.anna, w.a_internal, "We are short on the March allocation")
        internal = await run.send(
            w.anna,
            {
                "type": "workitem.create",
                "room": w.a_internal.id,
                "title": "Acme March allocation: our plan",
                "assignee": w.ines.id,
                "labels": ["acme"],
                "from_message": source["id"],
            },
        )
        await run.send(
            w.anna,
            {
                "type": "workitem.update",
                "room": w.a_internal.id,
                "id": internal["id"],
                "changes": {"status": "in_progress", "priority": 1},
            },
        )
        await run.http(
            w.ben,
            "POST",
            f"/api/rooms/{w.a_internal.id}/workitems/{internal['id']}/escalate/",
            {"severity": "S1", "reason": "Decide before Acme asks again"},
            expect=201,
        )
    await run.settle("A plans in an internal work item and escalates it")
    await run.send(
        w.ben,
        {
            "type": "workitem.update",
            "room": w.shared.id,
            "id": shared_item["id"],
            "changes": {"status": "in_progress"},
        },
    )
    await run.settle("ben starts the shared work item")
    if run.internal:
        mirror = await run.http(
            w.anna,
            "POST",
            "/api/mirrors/",
            {
                "source_room": w.shared.id,
                "thread": detail["item"]["thread"],
                "target_room": w.a_internal.id,
            },
            expect=201,
        )
        from_copy = await run.send(
            w.anna,
            {
                "type": "workitem.create",
                "room": w.a_internal.id,
                "title": "Follow up the Acme allocation",
                "from_message": mirror["root_copy"],
            },
        )
        await run.send(
            w.anna,
            {
                "type": "workitem.update",
                "room": w.a_internal.id,
                "id": from_copy["id"],
                "changes": {"status": "done"},
            },
        )
    await run.settle("A makes an internal work item from the mirrored one")
    await run.say(w.dev, w.shared, "Thanks for starting", thread=detail["item"]["thread"])
    await run.send(
        w.ben,
        {
            "type": "workitem.update",
            "room": w.shared.id,
            "id": shared_item["id"],
            "changes": {"priority": 1},
        },
    )
    await run.settle("dev replies and ben raises the priority")


async def test_the_partner_cannot_see_work_items_in_as_internal_rooms(in_process):
    recorded = await boundary.twins(
        in_process,
        internal_work_items_scenario,
        name="internal-work-items",
        search_words=["allocation", "March", "plan"],
    )
    boundary.assert_partner_sees_the_same("internal-work-items", recorded)


async def as_bot(token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """A request with the bot's token, as its script sends it: no cookie, no CSRF token."""
    from django.test import Client

    def call() -> tuple[int, Any]:
        client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")
        response = client.generic(
            method, path, json.dumps(body) if body is not None else "", "application/json"
        )
        return response.status_code, response.json()

    return await sync_to_async(call)()


async def post_to_hook(url: str, payload: dict[str, Any]) -> int:
    from django.test import Client

    path = url[url.index("/hooks/in/") :]
    response = await sync_to_async(Client().post)(
        path, json.dumps(payload), content_type="application/json"
    )
    return int(response.status_code)


async def bot_socket_says(token: str, room_id: int, thread: int, body: str) -> None:
    """The bot's own socket (``Authorization: Bearer``): subscribe, reply, close."""
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())]
    comm = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await comm.connect()
    assert connected
    try:
        assert (await comm.receive_json_from())["type"] == "hello"
        await comm.send_json_to({"type": "subscribe", "room": room_id, "ref": "s"})
        while (await comm.receive_json_from(timeout=3))["type"] != "subscribed":
            pass
        frame = {"type": "message.send", "room": room_id, "client_id": "bot-1", "body": body}
        await comm.send_json_to({**frame, "thread": thread})
        while (await comm.receive_json_from(timeout=3))["type"] != "ack":
            pass
    finally:
        await comm.disconnect()


async def bots_scenario(run: boundary.Run) -> None:
    """A's bot and incoming webhook post into the internal room that mirrors a shared thread:
    replies under the copy, top-level messages, an edit, a deletion, a socket; then A
    revokes them. B's frames and bodies must be those of a world with no bot at all."""
    w = run.world
    root = await run.say(w.dev, w.shared, "Is the fix for ticket 88 deployed yet?")
    await run.settle("dev asks in a new thread")
    bot: dict[str, Any] = {}
    hook: dict[str, Any] = {}
    mirror: dict[str, Any] = {}
    if run.internal:
        mirror = await mirror_into_a(run, root["id"])
        bot = await run.http(
            w.anna,
            "POST",
            "/api/organization/bots/",
            {"name": "Deploy", "rooms": [w.a_internal.id]},
            expect=201,
        )
        hook = await run.http(
            w.anna,
            "POST",
            "/api/organization/hooks/",
            {"name": "CI", "room": w.a_internal.id},
            expect=201,
        )
        await run.subscribe(w.anna, w.a_internal)
    await run.settle("A mirrors the thread and makes a bot and a webhook for its internal room")
    if run.internal:
        token, room, copy = bot["token"], w.a_internal.id, mirror["root_copy"]
        messages = f"/api/rooms/{room}/messages/"
        status, reply = await as_bot(
            token,
            "POST",
            messages,
            {"client_id": "r1", "body": f"@{w.carla.handle} fix 88 is on staging", "thread": copy},
        )
        assert status == 201, reply
        status, note = await as_bot(
            token, "POST", messages, {"client_id": "r2", "body": "Deploying 88 to production"}
        )
        assert status == 201, note
        status, _ = await as_bot(
            token, "PATCH", f"{messages}{note['id']}/", {"body": "Deployed 88 to production"}
        )
        assert status == 200
        status, _ = await as_bot(token, "DELETE", f"{messages}{reply['id']}/")
        assert status == 200
        await bot_socket_says(token, room, copy, "Rollback plan for 88 is ready")
        assert await post_to_hook(hook["url"], {"text": "Build 88 green"}) == 200
        assert await post_to_hook(hook["url"], {"text": "88 shipped", "username": "Jenkins"}) == 200
        # What the bot may not do: the shared room, a share-back, the partner's anything.
        status, _ = await as_bot(token, "POST", f"/api/rooms/{w.shared.id}/messages/", {
            "client_id": "x", "body": "leak"
        })  # fmt: skip
        assert status == 404
        status, _ = await as_bot(
            token, "POST", f"/api/mirrors/{mirror['id']}/share-back/", {"body": "leak"}
        )
        assert status == 404
    await run.settle("A's bot and webhook post, edit and delete in the internal room")
    await run.say(w.dev, w.shared, "Thanks, we will test on our side", thread=root["id"])
    await run.settle("dev replies in the mirrored thread", checkpoint=True)
    if run.internal:
        await run.http(w.anna, "DELETE", f"/api/organization/bots/{bot['id']}/")
        await run.http(w.anna, "DELETE", f"/api/organization/hooks/{hook['id']}/")
    await run.settle("A revokes its bot and removes its webhook", checkpoint=True)
    if run.internal:
        kinds = await sync_to_async(room_kinds)(w.a_internal)
        # Not vacuous: the copies and the bot's and the webhook's messages are there.
        assert kinds.count("mirror") == 2 and kinds.count("message") == 5, kinds


BOT_WORDS = ["88", "staging", "production", "Rollback", "Jenkins", "green"]


async def test_the_partner_cannot_tell_that_a_has_bots_and_webhooks(in_process):
    recorded = await boundary.twins(in_process, bots_scenario, name="bots", search_words=BOT_WORDS)
    boundary.assert_partner_sees_the_same("bots", recorded)


async def people_scenario(run: boundary.Run) -> None:
    """A opens another internal room with the people B meets in the shared room and talks
    there; B opens their cards (every checkpoint GETs the card of everyone B may know of)."""
    w = run.world
    await run.say(w.ben, w.shared, "Samples ship Friday")
    await run.settle("ben writes in the shared room", checkpoint=True)
    if run.internal:
        room = await run.http(
            w.anna, "POST", "/api/rooms/", {"kind": "internal", "name": "Acme pricing"}, expect=201
        )
        for person in (w.ben, w.ines):
            await run.http(
                w.anna,
                "POST",
                f"/api/rooms/{room['id']}/members/",
                {"person": person.id},
                expect=201,
            )
        await run.say(w.ben, room["id"], "Their volume does not justify the discount")
    await run.settle("A opens an internal pricing room with ben", checkpoint=True)


async def test_a_persons_card_never_tells_the_partner_of_as_internal_rooms(in_process):
    recorded = await boundary.twins(in_process, people_scenario, name="people")
    cards = [
        call
        for step in recorded[True]
        for calls in step.get("http", {}).values()
        for call in calls
        if call["request"] == "card"
    ]
    assert cards, "the checkpoints read B's cards of A's people"
    boundary.assert_partner_sees_the_same("people", recorded)


# --- the same recorder across two live processes -------------------------------------------
#
# A's sockets and HTTP on one Daphne process, B's on the other, a real
# `run_worker` worker relaying, PostgreSQL and Redis between them: the bridge
# and share-back paths as they run in production.

LIVE_ENV = {
    "CAUSEWAY_RATE_WRITES": "100000",
    "CAUSEWAY_RATE_FRAMES": "100000",
    # Presence is announced by a per-process tick these twins cannot fence
    # (the in-process twins flush it at each step and record it): off here.
    "CAUSEWAY_PRESENCE_TICK": "3600",
}


@pytest.fixture
def two_processes(transactional_db):
    from tests.live import BridgeWorker, DaphneProcess

    started = [DaphneProcess(LIVE_ENV), DaphneProcess(LIVE_ENV)]
    worker = BridgeWorker("--interval", "0.05", extra_env=LIVE_ENV)
    yield boundary.Live(*started)
    worker.stop()
    for server in started:
        server.stop()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.live
async def test_the_partner_cannot_tell_that_a_thread_was_mirrored_across_processes(two_processes):
    recorded = await boundary.twins(
        two_processes, mirror_scenario, name="mirror-live", search_words=MIRROR_WORDS
    )
    boundary.assert_partner_sees_the_same("mirror-live", recorded)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.live
async def test_a_shared_back_note_looks_like_a_typed_reply_across_processes(two_processes):
    recorded = await boundary.twins(
        two_processes, share_back_scenario, name="share-back-live", search_words=SHARE_BACK_WORDS
    )
    boundary.assert_partner_sees_the_same("share-back-live", recorded)


async def test_the_partner_sees_only_the_files_shared_on_purpose_across_processes(two_processes):
    recorded = await boundary.twins(
        two_processes, files_scenario, name="files-live", search_words=FILE_WORDS
    )
    boundary.assert_partner_sees_the_same("files-live", recorded)


@pytest.fixture
def webhook_receiver(settings):
    """A real receiver process on loopback (tests/webhook_receiver.py), which the
    operator's setting lets A's webhook call."""
    from tests.rooms.test_webhooks import Receiver

    settings.CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    started = Receiver()
    try:
        yield started
    finally:
        started.stop()


async def webhook_scenario(run: boundary.Run, receiver: Any) -> None:
    """A connects an outgoing webhook to its internal room, which mirrors a shared thread;
    both sides talk, and every message (the copies too) is POSTed out. B cannot tell."""
    w = run.world
    before = len(receiver.requests())  # one receiver for both twins
    root = await run.say(w.dev, w.shared, "Can lot 12 ship early?")
    await run.settle("dev asks in a new thread")
    if run.internal:
        await mirror_into_a(run, root["id"])
        added = await run.http(
            w.anna,
            "POST",
            "/api/organization/connectors/",
            {"room": w.a_internal.id, "name": "Ops channel", "url": receiver.url},
            expect=201,
        )
        receiver.control(secret=added["secret"])
        await run.say(w.ben, w.a_internal, "Webhook: line 3 is free on Monday")
    await run.settle("A mirrors the thread and connects a webhook to its internal room")
    await run.say(w.dev, w.shared, "Monday would help a lot", thread=root["id"])
    await run.say(w.anna, w.shared, "Monday it is", thread=root["id"])
    await run.settle("both sides reply in the thread", checkpoint=True)
    if run.internal:
        await run.http(
            w.anna,
            "PUT",
            f"/api/organization/connectors/{added['connector']['id']}/",
            {"paused": True},
        )
    await run.say(w.dev, w.shared, "Thanks!", thread=root["id"])
    await run.settle("A pauses the webhook; dev thanks", checkpoint=True)
    if run.internal:
        # Not vacuous: the note and both replies' copies went out, signed; nothing after
        # the pause.
        seen = receiver.requests()[before:]
        posted = [json.loads(r["body"])["text"] for r in seen]
        assert posted == [
            "Webhook: line 3 is free on Monday",
            "Monday would help a lot",
            "Monday it is",
        ], posted
        assert all(r["verified"] and r["status"] == 200 for r in seen)
    else:
        assert len(receiver.requests()) == before


async def test_the_partner_cannot_tell_that_a_connected_a_webhook_to_its_internal_room(
    in_process, webhook_receiver
):
    async def scenario(run: boundary.Run) -> None:
        await webhook_scenario(run, webhook_receiver)

    recorded = await boundary.twins(
        in_process, scenario, name="webhook", search_words=["Monday", "Webhook"]
    )
    boundary.assert_partner_sees_the_same("webhook", recorded)
