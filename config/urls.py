from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from frontend import views as pages
from hub import api as hub_api
from rooms.api import bridge, people, rooms, workitems

# An exception that escapes every view and middleware: JSON under /api/, 503
# for a database outage (config/errors.py).
handler500 = "config.errors.server_error"


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


api = [
    path("rooms/", rooms.rooms, name="rooms"),
    path("rooms/<int:room_id>/", rooms.room, name="room"),
    path("rooms/<int:room_id>/messages/", rooms.history, name="history"),
    path("rooms/<int:room_id>/threads/<int:root_id>/", rooms.thread, name="thread"),
    path("rooms/<int:room_id>/members/", rooms.members, name="members"),
    path(
        "rooms/<int:room_id>/members/candidates/",
        rooms.candidates,
        name="member-candidates",
    ),
    path("rooms/<int:room_id>/members/<int:person_id>/", rooms.member, name="member"),
    path("rooms/<int:room_id>/workitems/", workitems.work_items, name="work-items"),
    path("rooms/<int:room_id>/workitems/<int:item_id>/", workitems.work_item, name="work-item"),
    path(
        "rooms/<int:room_id>/workitems/<int:item_id>/escalate/",
        workitems.escalate,
        name="escalate",
    ),
    path(
        "escalations/<int:escalation_id>/<str:action>/",
        workitems.escalation_action,
        name="escalation-action",
    ),
    path("workitems/mine/", workitems.mine, name="my-work"),
    path("mirrors/", bridge.mirrors, name="mirrors"),
    path("mirrors/<int:mirror_id>/", bridge.mirror, name="mirror"),
    path("mirrors/<int:mirror_id>/share-back/", bridge.share_back, name="share-back"),
    path("notifications/", people.notifications, name="notifications"),
    path(
        "partnerships/<int:partnership_id>/escalation-contacts/",
        workitems.escalation_contacts,
        name="escalation-contacts",
    ),
    path(
        "partnerships/<int:partnership_id>/ack-targets/",
        workitems.ack_targets,
        name="ack-targets",
    ),
    path("search/", rooms.search, name="search"),
    path("partnerships/", hub_api.partnerships, name="partnerships"),
    # Before the decisions: ending archives rooms, which the hub app knows nothing of.
    path("partnerships/<int:partnership_id>/end/", people.end_partnership, name="partnership-end"),
    path(
        "partnerships/<int:partnership_id>/<str:decision>/",
        hub_api.partnership_decision,
        name="partnership-decision",
    ),
    path("me/", hub_api.me, name="me"),
    path("invitations/", people.invitations, name="invitations"),
    path("invitations/<int:invitation_id>/", people.invitation, name="invitation"),
    path(
        "people/<int:person_id>/deactivate/",
        people.deactivate_person,
        name="deactivate-person",
    ),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/", include((api, "api"))),
    path("invitations/<str:token>/", pages.accept_invitation, name="accept-invitation"),
    path("healthz", healthz),
    path("", include("frontend.urls")),
]
