"""HTTP JSON for what is not live: room list, history, threads, search, members."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse

from hub.errors import Invalid
from hub.http import AuthedRequest, api, body, query
from rooms.actions.archiving import check_archive_room, check_unarchive_room
from rooms.actions.direct import check_start_direct, direct_candidates
from rooms.actions.members import (
    check_add_member,
    check_leave_room,
    check_remove_member,
    check_set_member_role,
)
from rooms.actions.messages import check_delete_message, check_edit_message, check_send_message
from rooms.actions.notifications import check_set_room_notify
from rooms.actions.rooms import (
    check_create_internal_room,
    check_create_shared_room,
    check_update_room,
)
from rooms.schemas import (
    CandidatesQuery,
    DirectNew,
    HistoryQuery,
    MemberNew,
    MemberRole,
    MessageChange,
    MessageNew,
    PageQuery,
    RoomChange,
    RoomLeave,
    RoomNew,
    RoomNotify,
    SearchQuery,
)
from rooms.selectors.access import access_membership, access_message
from rooms.selectors.messages import message_page, messages_around, thread_messages
from rooms.selectors.reading import threads_followed
from rooms.selectors.rooms import member_candidates, room_list, room_members
from rooms.selectors.search import search_messages
from rooms.wire.serializers import member_entry, message_data, person_ref, room_ref
from rooms.wire.types import (
    FollowedThread,
    FollowedThreads,
    MessageAround,
    SearchHit,
    SearchResults,
)


@api(("GET", "POST"))
def rooms(request: AuthedRequest) -> JsonResponse:
    if request.method == "POST":
        new = body(request, RoomNew)
        if new.kind == "internal":
            room = check_create_internal_room(request.user, name=new.name, topic=new.topic)
        elif new.partnership is None:
            raise Invalid("`partnership` is required for a shared room.")
        else:
            room = check_create_shared_room(
                request.user, partnership_id=new.partnership, name=new.name, topic=new.topic
            )
        return JsonResponse({"id": room.pk, "kind": room.kind, "name": room.name}, status=201)
    return JsonResponse({"rooms": room_list(request.user)})


@api(("POST",))
def direct(request: AuthedRequest) -> JsonResponse:
    """Open the direct conversation with these people, starting it if it does not exist."""
    room = check_start_direct(request.user, people=body(request, DirectNew).people)
    return JsonResponse({"id": room.pk, "kind": room.kind})


@api()
def direct_people(request: AuthedRequest) -> JsonResponse:
    """Whom the "New conversation" picker offers: see ``direct_candidates``."""
    words = query(request, CandidatesQuery).q
    return JsonResponse(
        {
            "people": [
                {
                    "person": person_ref(p),
                    "colleague": p.organization_id == request.user.organization_id,
                }
                for p in direct_candidates(request.user, words)
            ]
        }
    )


@api(("PATCH",))
def room(request: AuthedRequest, room_id: int) -> JsonResponse:
    change = body(request, RoomChange)
    updated = check_update_room(request.user, room_id=room_id, name=change.name, topic=change.topic)
    return JsonResponse({"id": updated.pk, "name": updated.name, "topic": updated.topic})


@api(("POST",))
def archive(request: AuthedRequest, room_id: int) -> JsonResponse:
    """An owner makes the room read-only for everyone in it."""
    room = check_archive_room(request.user, room_id=room_id)
    return JsonResponse({"id": room.pk, "archived": True})


@api(("POST",))
def unarchive(request: AuthedRequest, room_id: int) -> JsonResponse:
    """An owner reopens a room an owner archived (not one whose partnership ended)."""
    room = check_unarchive_room(request.user, room_id=room_id)
    return JsonResponse({"id": room.pk, "archived": False})


@api(("POST",))
def leave(request: AuthedRequest, room_id: int) -> JsonResponse:
    check_leave_room(request.user, room_id=room_id, new_owner=body(request, RoomLeave).new_owner)
    return JsonResponse({"ok": True})


@api(("GET", "POST"))
def history(request: AuthedRequest, room_id: int) -> JsonResponse:
    """GET: a page of the room's messages. POST: send one, as the socket's ``message.send``
    does (the same ``check_send_message``), for bots and scripts; 201 when stored, 200 for a
    ``client_id`` already used (the first message)."""
    if request.method == "POST":
        new = body(request, MessageNew)
        sent, created = check_send_message(
            request.user,
            room_id=room_id,
            client_id=new.client_id,
            body=new.body,
            thread=new.thread,
            also_to_room=new.also_to_room,
        )
        return JsonResponse(
            {"room": sent.room_id, "id": sent.pk, "seq": sent.seq, "client_id": sent.client_id},
            status=201 if created else 200,
        )
    membership = access_membership(request.user, room_id, readonly=True)
    params = query(request, HistoryQuery)
    limit = min(params.limit or settings.CAUSEWAY_PAGE_SIZE, 200)
    page = message_page(membership.room, before=params.before, after=params.after, limit=limit)
    return JsonResponse(
        {
            "room": membership.room_id,
            "head_seq": membership.room.last_seq,
            "messages": [message_data(m) for m in page],
        }
    )


# A permalink opens with this many of the room's messages on each side.
AROUND_EACH_SIDE = 25


@api(("GET", "PATCH", "DELETE"))
def message(request: AuthedRequest, room_id: int, message_id: int) -> JsonResponse:
    """GET: a permalink: the message, and the room's messages around it (or around its
    thread). PATCH and DELETE: the socket's ``message.edit`` and ``message.delete``."""
    if request.method == "PATCH":
        edited = check_edit_message(
            request.user,
            room_id=room_id,
            message_id=message_id,
            body=body(request, MessageChange).body,
        )
        return JsonResponse({"id": edited.pk, "room": edited.room_id})
    if request.method == "DELETE":
        deleted = check_delete_message(request.user, room_id=room_id, message_id=message_id)
        return JsonResponse({"id": deleted, "room": room_id})
    target = access_message(request.user, room_id, message_id, readonly=True)
    around = messages_around(target, each_side=AROUND_EACH_SIDE)
    return JsonResponse(
        MessageAround(
            room=target.room_id,
            head_seq=target.room.last_seq,
            message=message_data(target),
            anchor=around.anchor.pk,
            thread=target.thread_root_id,
            messages=[message_data(m) for m in around.messages],
            older=around.older,
            newer=around.newer,
        )
    )


@api()
def thread(request: AuthedRequest, room_id: int, root_id: int) -> JsonResponse:
    root = access_message(request.user, room_id, root_id, readonly=True)
    if root.thread_root_id is not None:
        raise Invalid("That message is a reply; open its thread root.")
    return JsonResponse(
        {"room": root.room_id, "root": root.pk, "messages": [
            message_data(m) for m in thread_messages(root)
        ]}
    )  # fmt: skip


@api(("PUT",))
def room_notify(request: AuthedRequest, room_id: int) -> JsonResponse:
    """What you are told of this room: all messages, mentions (and replies, work), nothing."""
    level = body(request, RoomNotify).level
    membership = check_set_room_notify(request.user, room_id=room_id, level=level)
    return JsonResponse({"room": membership.room_id, "notify": membership.notify})


@api()
def threads(request: AuthedRequest) -> JsonResponse:
    """The threads you follow, latest activity first, with their unread replies."""
    page = threads_followed(request.user, offset=query(request, PageQuery).offset or 0)
    return JsonResponse(
        FollowedThreads(
            threads=[
                FollowedThread(
                    root=message_data(f.root),
                    room=room_ref(f.root.room),
                    unread=unread,
                    last_read_seq=f.last_read_seq,
                    last_reply=(
                        message_data(page.last_replies[f.root_id])
                        if f.root_id in page.last_replies
                        else None
                    ),
                )
                for f, unread in page.follows
            ],
            next=page.next_offset,
        )
    )


@api(("GET", "POST"))
def members(request: AuthedRequest, room_id: int) -> JsonResponse:
    if request.method == "POST":
        check_add_member(request.user, room_id=room_id, person_id=body(request, MemberNew).person)
        return JsonResponse({"ok": True}, status=201)
    membership = access_membership(request.user, room_id, readonly=True)
    return JsonResponse(
        {
            "room": membership.room_id,
            "members": [member_entry(m) for m in room_members(membership.room)],
        }
    )


@api()
def candidates(request: AuthedRequest, room_id: int) -> JsonResponse:
    """Whom the "Add people" picker offers: see ``selectors.member_candidates``."""
    membership = access_membership(request.user, room_id)
    words = query(request, CandidatesQuery).q
    return JsonResponse(
        {
            "room": membership.room_id,
            "candidates": [
                {"person": person_ref(person), "colleague": colleague}
                for person, colleague in member_candidates(request.user, membership, words)
            ],
        }
    )


@api(("DELETE", "PATCH"))
def member(request: AuthedRequest, room_id: int, person_id: int) -> JsonResponse:
    if request.method == "PATCH":
        role = body(request, MemberRole).role
        changed = check_set_member_role(
            request.user, room_id=room_id, person_id=person_id, role=role
        )
        return JsonResponse(
            {"room": changed.room_id, "person": changed.user_id, "role": changed.role}
        )
    check_remove_member(request.user, room_id=room_id, person_id=person_id)
    return JsonResponse({"ok": True})


@api()
def search(request: AuthedRequest) -> JsonResponse:
    page = search_messages(request.user, query(request, SearchQuery))
    results = SearchResults(
        results=[
            SearchHit(
                message=message_data(hit.message),
                room=room_ref(hit.message.room),
                snippet=hit.snippet,
            )
            for hit in page.hits
        ],
        next=page.next_offset,
    )
    return JsonResponse(results)
