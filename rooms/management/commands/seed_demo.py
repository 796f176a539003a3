"""Demo data through the project's own actions. Idempotent: run it as often as you like."""

from __future__ import annotations

import io
from typing import Any

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from hub.actions import check_accept_partnership, check_propose_partnership
from hub.models import Organization, Partnership, User
from rooms.actions.escalation_settings import check_set_escalation_contacts
from rooms.actions.files import upload_file
from rooms.actions.members import do_add_member
from rooms.actions.messages import do_send_message
from rooms.actions.reactions import do_set_reaction
from rooms.actions.rooms import check_create_internal_room, check_create_shared_room
from rooms.actions.workitems import check_create_work_item
from rooms.models.files import Upload
from rooms.models.messages import Message
from rooms.models.rooms import Room
from rooms.models.workitems import EscalationContact, WorkItem

DEMO_PASSWORD = "causeway-demo-2026"

ORGS = [
    ("northwind", "Northwind Components", ["northwind.example"]),
    ("acme", "Acme Manufacturing", ["acme.example"]),
]
PEOPLE = [
    ("anna@northwind.example", "Anna Berg", "Account manager", "northwind", "admin"),
    ("ben@northwind.example", "Ben Okafor", "Supply engineer", "northwind", "member"),
    ("carla@acme.example", "Carla Diaz", "Procurement lead", "acme", "admin"),
    ("dev@acme.example", "Dev Patel", "Quality engineer", "acme", "member"),
]
HISTORY = [
    ("anna@northwind.example", "Welcome to our shared room! Let's track the **Q1 ramp** here."),
    ("carla@acme.example", "Thanks Anna. Our forecast for March is 12k units of `NW-220`."),
    ("ben@northwind.example", "Lead time on NW-220 is 6 weeks; we can hold 4k in buffer stock."),
    ("dev@acme.example", "Could you share the latest *incoming inspection* report?"),
]


class Command(BaseCommand):
    help = "Create demo organizations, people, a partnership and rooms (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            orgs = {
                slug: Organization.objects.update_or_create(
                    slug=slug, defaults={"name": name, "verified_domains": domains}
                )[0]
                for slug, name, domains in ORGS
            }
            people = {}
            for email, name, title, org_slug, role in PEOPLE:
                user = User.objects.filter(email=email).first()
                if user is None:
                    user = User.objects.create_user(
                        email,
                        DEMO_PASSWORD,
                        display_name=name,
                        title=title,
                        organization=orgs[org_slug],
                        org_role=role,
                    )
                EmailAddress.objects.update_or_create(
                    user=user, email=email, defaults={"verified": True, "primary": True}
                )
                people[email] = user
            anna, carla = people["anna@northwind.example"], people["carla@acme.example"]
            partnership = Partnership.objects.filter(
                supplier=orgs["northwind"], client=orgs["acme"], status="active"
            ).first()
            if partnership is None:
                proposed = check_propose_partnership(anna, partner_slug="acme", as_side="supplier")
                partnership = check_accept_partnership(carla, partnership_id=proposed.pk)

            shared = Room.objects.filter(partnership=partnership, name="Acme + Northwind").first()
            if shared is None:
                shared = check_create_shared_room(
                    anna,
                    partnership_id=partnership.pk,
                    name="Acme + Northwind",
                    topic="Q1 supply ramp, quality and logistics",
                )
                for person in people.values():
                    do_add_member(anna, shared, person)
            if not Message.objects.filter(room=shared).exists():
                for i, (email, body) in enumerate(HISTORY):
                    do_send_message(
                        people[email], shared, client_id=f"demo-{i}", body=body, thread_root=None
                    )
                root = Message.objects.filter(room=shared).order_by("seq").last()
                ben = people["ben@northwind.example"]
                reply, _ = do_send_message(
                    ben,
                    shared,
                    client_id="demo-reply",
                    body="Attached to the thread: report QA-2291, all lots passed.",
                    thread_root=root,
                    uploads=[
                        demo_upload(ben, shared, "QA-2291 incoming inspection.pdf", report_pdf()),
                        demo_upload(ben, shared, "NW-220 lot 7.png", lot_photo()),
                    ],
                )
                # Both sides reacted to the good news.
                do_set_reaction(carla, reply, emoji="🎉", on=True)
                do_set_reaction(people["dev@acme.example"], reply, emoji="👍", on=True)
                do_set_reaction(anna, reply, emoji="🎉", on=True)
            if not WorkItem.objects.filter(room=shared).exists():
                check_create_work_item(
                    carla,
                    room_id=shared.pk,
                    title="Confirm March allocation of NW-220",
                    description="12k units forecast; 4k from buffer stock.",
                    assignee=people["ben@northwind.example"].pk,
                    priority=2,
                    labels=["allocation"],
                )
            for admin in (anna, carla):
                if not EscalationContact.objects.filter(
                    partnership=partnership, organization=admin.organization
                ).exists():
                    check_set_escalation_contacts(
                        admin, partnership_id=partnership.pk, person_ids=[admin.pk]
                    )
            for org_slug, owner_email in (("northwind", "anna"), ("acme", "carla")):
                org = orgs[org_slug]
                owner = people[f"{owner_email}@{org.verified_domains[0]}"]
                if not Room.objects.filter(organization=org, kind="internal").exists():
                    room = check_create_internal_room(
                        owner, name=f"{org.name} internal", topic="Only our people"
                    )
                    for person in people.values():
                        if person.organization_id == org.pk:
                            do_add_member(owner, room, person)
        self.stdout.write("Demo ready. Sign in at http://127.0.0.1:8000/ with:")
        for email, name, title, org_slug, role in PEOPLE:
            self.stdout.write(f"  {email:<26} {name} ({title}, {org_slug} {role})")
        self.stdout.write(f"Password for all: {DEMO_PASSWORD}")


def demo_upload(person: User, room: Room, name: str, data: bytes) -> Upload:
    """An upload as the web app makes one (checked, detected, stored)."""
    return upload_file(person, room_id=room.pk, stream=io.BytesIO(data), name=name, size=len(data))


def report_pdf() -> bytes:
    """A one-page inspection report (a PDF drawn with Pillow)."""
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (850, 1100), "white")
    draw = ImageDraw.Draw(page)
    lines = [
        "Northwind Components - Incoming inspection report QA-2291",
        "",
        "Part: NW-220 valve body      Lots: 5, 6, 7      Samples: 3 x 32",
        "Dimensions: all within drawing 4711 rev B",
        "Pressure test 16 bar: passed (96 of 96)",
        "Surface: no porosity found",
        "",
        "Result: all lots passed.",
    ]
    for i, line in enumerate(lines):
        draw.text((70, 90 + 34 * i), line, fill="black", font_size=22)
    out = io.BytesIO()
    page.save(out, "PDF", resolution=100)
    return out.getvalue()


def lot_photo() -> bytes:
    """A picture of lot 7's label (drawn, so the demo needs no image files)."""
    from PIL import Image, ImageDraw

    photo = Image.new("RGB", (960, 640), (58, 74, 92))
    draw = ImageDraw.Draw(photo)
    draw.rounded_rectangle((180, 170, 780, 470), radius=24, fill=(236, 239, 243))
    draw.text((230, 220), "NW-220", fill=(27, 35, 48), font_size=72)
    draw.text((230, 330), "Lot 7  ·  4,000 pcs  ·  QA passed", fill=(47, 91, 211), font_size=34)
    out = io.BytesIO()
    photo.save(out, "PNG")
    return out.getvalue()
