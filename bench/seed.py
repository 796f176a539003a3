"""Seed benchmark data through Causeway's own actions; reads a JSON spec on stdin.

Spec: {"reset": bool, "rooms": [{"members": N, "senders": S}], "backlog": {"room": id,
"sender": person id, "count": N}}. Prints one JSON line: per room its id, and the
session cookies of its members and senders.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from typing import Any


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command

    from hub.models import Organization, Partnership, User
    from rooms.actions.members import do_add_member
    from rooms.actions.messages import do_send_message
    from rooms.actions.rooms import do_create_room
    from rooms.models import Room

    spec: dict[str, Any] = json.loads(sys.stdin.read())
    if spec.get("migrate"):
        call_command("migrate", verbosity=0, interactive=False)

    def session_for(user: User) -> str:
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return str(store.session_key)

    run = uuid.uuid4().hex[:8]
    result: dict[str, Any] = {"rooms": []}
    if spec.get("rooms"):
        supplier = Organization.objects.create(
            name=f"Bench supplier {run}", slug=f"bench-s-{run}", verified_domains=[f"s{run}.test"]
        )
        client = Organization.objects.create(
            name=f"Bench client {run}", slug=f"bench-c-{run}", verified_domains=[f"c{run}.test"]
        )

        def person(org: Organization, n: str) -> User:
            user = User.objects.create_user(
                f"p{n}@{org.verified_domains[0]}", None, display_name=f"P{n}", organization=org
            )
            return user

        owner = person(supplier, "owner")
        partnership = Partnership.objects.create(
            supplier=supplier, client=client, proposed_by=owner, status="active"
        )
        counter = 0
        for r, room_spec in enumerate(spec["rooms"]):
            room = do_create_room(
                owner, kind=Room.Kind.SHARED, name=f"bench {run} {r}", partnership=partnership
            )
            members: list[User] = []
            senders: list[User] = []
            for i in range(room_spec["members"] + room_spec.get("senders", 1)):
                counter += 1
                user = person(supplier if i % 2 else client, f"{run}-{counter}")
                do_add_member(owner, room, user)
                (members if i < room_spec["members"] else senders).append(user)
            result["rooms"].append(
                {
                    "id": room.pk,
                    "members": [session_for(u) for u in members],
                    "senders": [session_for(u) for u in senders],
                    "sender_ids": [u.pk for u in senders],
                }
            )
    backlog = spec.get("backlog")
    if backlog:
        room = Room.objects.get(pk=backlog["room"])
        author = User.objects.get(pk=backlog["sender"])
        for i in range(backlog["count"]):
            do_send_message(
                author, room, client_id=f"backlog-{run}-{i}", body=f"backlog {i}", thread_root=None
            )
        result["head"] = Room.objects.get(pk=room.pk).last_seq
    print(json.dumps(result))


if __name__ == "__main__":
    main()
