from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from hub import views as hub_views
from rooms import views as room_views

# An exception that escapes every view and middleware: JSON under /api/, 503
# for a database outage (config/errors.py).
handler500 = "config.errors.server_error"


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


api = [
    path("rooms/", room_views.rooms, name="rooms"),
    path("rooms/<int:room_id>/", room_views.room, name="room"),
    path("rooms/<int:room_id>/messages/", room_views.history, name="history"),
    path("rooms/<int:room_id>/threads/<int:root_id>/", room_views.thread, name="thread"),
    path("rooms/<int:room_id>/members/", room_views.members, name="members"),
    path(
        "rooms/<int:room_id>/members/candidates/",
        room_views.candidates,
        name="member-candidates",
    ),
    path("rooms/<int:room_id>/members/<int:person_id>/", room_views.member, name="member"),
    path("rooms/<int:room_id>/workitems/", room_views.work_items, name="work-items"),
    path("rooms/<int:room_id>/workitems/<int:item_id>/", room_views.work_item, name="work-item"),
    path(
        "rooms/<int:room_id>/workitems/<int:item_id>/escalate/",
        room_views.escalate,
        name="escalate",
    ),
    path(
        "escalations/<int:escalation_id>/<str:action>/",
        room_views.escalation_action,
        name="escalation-action",
    ),
    path("workitems/mine/", room_views.mine, name="my-work"),
    path("mirrors/", room_views.mirrors, name="mirrors"),
    path("mirrors/<int:mirror_id>/", room_views.mirror, name="mirror"),
    path("mirrors/<int:mirror_id>/share-back/", room_views.share_back, name="share-back"),
    path("notifications/", hub_views.notifications, name="notifications"),
    path(
        "partnerships/<int:partnership_id>/escalation-contacts/",
        hub_views.escalation_contacts,
        name="escalation-contacts",
    ),
    path(
        "partnerships/<int:partnership_id>/ack-targets/",
        hub_views.ack_targets,
        name="ack-targets",
    ),
    path("search/", room_views.search, name="search"),
    path("partnerships/", hub_views.partnerships, name="partnerships"),
    path(
        "partnerships/<int:partnership_id>/<str:decision>/",
        hub_views.partnership_decision,
        name="partnership-decision",
    ),
    path("me/", hub_views.me, name="me"),
    path("invitations/", hub_views.invitations, name="invitations"),
    path("invitations/<int:invitation_id>/", hub_views.invitation, name="invitation"),
    path(
        "people/<int:person_id>/deactivate/",
        hub_views.deactivate_person,
        name="deactivate-person",
    ),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/", include((api, "api"))),
    path("invitations/<str:token>/", hub_views.accept_invitation, name="accept-invitation"),
    path("healthz", healthz),
    path("", include("frontend.urls")),
]
