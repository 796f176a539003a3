from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, register_converter

from frontend import sso
from frontend import views as pages
from hub import api as hub_api
from hub.http import IdConverter
from rooms.api import (
    bots,
    bridge,
    connectors,
    exports,
    files,
    markdown,
    matrix,
    people,
    retention,
    rooms,
    workitems,
)

# Ids in paths: positive and within the database's range, or no match (404).
register_converter(IdConverter, "id")

# An exception that escapes every view and middleware: JSON under /api/, 503
# for a database outage (config/errors.py).
handler500 = "config.errors.server_error"


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


api = [
    path("rooms/", rooms.rooms, name="rooms"),
    path("rooms/<id:room_id>/", rooms.room, name="room"),
    path("direct/", rooms.direct, name="direct"),
    path("direct/people/", rooms.direct_people, name="direct-people"),
    path("rooms/<id:room_id>/archive/", rooms.archive, name="room-archive"),
    path("rooms/<id:room_id>/unarchive/", rooms.unarchive, name="room-unarchive"),
    path("rooms/<id:room_id>/leave/", rooms.leave, name="room-leave"),
    path("rooms/<id:room_id>/messages/", rooms.history, name="history"),
    path("rooms/<id:room_id>/notify/", rooms.room_notify, name="room-notify"),
    path("rooms/<id:room_id>/messages/<id:message_id>/", rooms.message, name="message"),
    path("rooms/<id:room_id>/threads/<id:root_id>/", rooms.thread, name="thread"),
    path("rooms/<id:room_id>/members/", rooms.members, name="members"),
    path("rooms/<id:room_id>/files/", files.files, name="room-files"),
    path("rooms/<id:room_id>/exports/", exports.room_exports, name="room-exports"),
    path("exports/<id:export_id>/", exports.export_status, name="room-export"),
    path("exports/<id:export_id>/download/", exports.export_download, name="room-export-download"),
    # Keys are token_urlsafe: letters, digits, "-" and "_" (anything else: 404).
    path("files/<slug:key>/", files.download, name="file"),
    path("files/<slug:key>/thumbnail/", files.thumbnail, name="file-thumbnail"),
    path("organization/file-policy/", files.file_policy, name="file-policy"),
    path("organization/", hub_api.organization, name="organization"),
    path("organization/domains/", hub_api.organization_domains, name="organization-domains"),
    path(
        "organization/domains/<str:domain>/",
        hub_api.organization_domain,
        name="organization-domain",
    ),
    path(
        "organization/identity-provider/",
        hub_api.organization_identity_provider,
        name="organization-identity-provider",
    ),
    path(
        "organization/people/<id:person_id>/",
        hub_api.organization_person,
        name="organization-person",
    ),
    path("organization/retention/", retention.retention, name="organization-retention"),
    path("organization/holds/", retention.holds, name="organization-holds"),
    path("organization/holds/<id:hold_id>/", retention.hold, name="organization-hold"),
    path("organization/connectors/", connectors.connectors, name="organization-connectors"),
    path(
        "organization/connectors/<id:connector_id>/",
        connectors.connector,
        name="organization-connector",
    ),
    path(
        "organization/connectors/<id:connector_id>/dead-letters/<id:letter_id>/",
        connectors.dead_letter,
        name="organization-connector-dead-letter",
    ),
    path("organization/bots/", bots.bot_tokens, name="bot-tokens"),
    path("organization/bots/<id:token_id>/", bots.bot_token, name="bot-token"),
    path("organization/hooks/", bots.incoming_webhooks, name="incoming-webhooks"),
    path("organization/hooks/<id:hook_id>/", bots.incoming_webhook, name="incoming-webhook"),
    path(
        "organization/hooks/<id:hook_id>/regenerate/",
        bots.incoming_webhook_regenerate,
        name="incoming-webhook-regenerate",
    ),
    path("organization/audit/", hub_api.audit_log, name="audit-log"),
    path("organization/connectors/matrix/", matrix.matrix_bridges, name="matrix-bridges"),
    path(
        "organization/connectors/<id:connector_id>/matrix/",
        matrix.matrix_bridge,
        name="matrix-bridge",
    ),
    path(
        "organization/connectors/<id:connector_id>/matrix/registration.yaml",
        matrix.matrix_registration,
        name="matrix-registration",
    ),
    path(
        "organization/connectors/<id:connector_id>/matrix/links/",
        matrix.matrix_links,
        name="matrix-links",
    ),
    path("organization/audit/export/", hub_api.audit_export, name="audit-export"),
    path(
        "rooms/<id:room_id>/members/candidates/",
        rooms.candidates,
        name="member-candidates",
    ),
    path("rooms/<id:room_id>/members/<id:person_id>/", rooms.member, name="member"),
    path("rooms/<id:room_id>/workitems/", workitems.work_items, name="work-items"),
    path("rooms/<id:room_id>/workitems/<id:item_id>/", workitems.work_item, name="work-item"),
    path(
        "rooms/<id:room_id>/workitems/<id:item_id>/escalate/",
        workitems.escalate,
        name="escalate",
    ),
    path(
        "escalations/<id:escalation_id>/<str:action>/",
        workitems.escalation_action,
        name="escalation-action",
    ),
    path("workitems/mine/", workitems.mine, name="my-work"),
    path("escalations/", workitems.escalations, name="open-escalations"),
    path("mirrors/", bridge.mirrors, name="mirrors"),
    path("mirrors/<id:mirror_id>/", bridge.mirror, name="mirror"),
    path("mirrors/<id:mirror_id>/share-back/", bridge.share_back, name="share-back"),
    path("notifications/", people.notifications, name="notifications"),
    path(
        "partnerships/<id:partnership_id>/escalation-contacts/",
        workitems.escalation_contacts,
        name="escalation-contacts",
    ),
    path(
        "partnerships/<id:partnership_id>/ack-targets/",
        workitems.ack_targets,
        name="ack-targets",
    ),
    path("search/", rooms.search, name="search"),
    path("markdown/preview/", markdown.preview, name="markdown-preview"),
    path("threads/", rooms.threads, name="threads"),
    path("partnerships/", hub_api.partnerships, name="partnerships"),
    # Before the decisions: ending archives rooms, which the hub app knows nothing of.
    path("partnerships/<id:partnership_id>/end/", people.end_partnership, name="partnership-end"),
    path(
        "partnerships/<id:partnership_id>/<str:decision>/",
        hub_api.partnership_decision,
        name="partnership-decision",
    ),
    path("me/", people.me, name="me"),
    path("me/notifications/", people.notification_settings, name="notification-settings"),
    path("people/", people.people, name="people"),
    path("people/<id:person_id>/", people.person, name="person"),
    path("people/<id:person_id>/avatar/<str:version>/", people.avatar, name="avatar"),
    path("me/avatar/", people.my_avatar, name="my-avatar"),
    path("invitations/", people.invitations, name="invitations"),
    path("invitations/<id:invitation_id>/", people.invitation, name="invitation"),
    path(
        "people/<id:person_id>/deactivate/",
        people.deactivate_person,
        name="deactivate-person",
    ),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/sso/", sso.sso, name="sso"),
    path("accounts/", include("allauth.urls")),
    path("api/", include((api, "api"))),
    path("invitations/<str:token>/", pages.accept_invitation, name="accept-invitation"),
    path("notifications/unsubscribe/<str:token>/", pages.unsubscribe, name="unsubscribe"),
    # Secrets are token_urlsafe (a slug): anything else is 404.
    path("hooks/in/<slug:secret>/", bots.incoming, name="incoming-hook"),
    path("healthz", healthz),
    # The Matrix bridge's application-service API: the homeserver calls it (hs_token).
    path(
        "matrix/<id:connector_id>/_matrix/app/v1/transactions/<str:txn_id>",
        matrix.appservice_transaction,
        name="matrix-transaction",
    ),
    path(
        "matrix/<id:connector_id>/_matrix/app/v1/ping",
        matrix.appservice_ping,
        name="matrix-ping",
    ),
    path(
        "matrix/<id:connector_id>/_matrix/app/v1/users/<str:what>",
        matrix.appservice_query,
        name="matrix-user-query",
    ),
    path(
        "matrix/<id:connector_id>/_matrix/app/v1/rooms/<str:what>",
        matrix.appservice_query,
        name="matrix-room-query",
    ),
    path("", include("frontend.urls")),
]
