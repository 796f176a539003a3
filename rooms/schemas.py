"""Every input of rooms, parsed once: one schema per socket frame and HTTP body.

A frame and the HTTP body of the same operation share one schema (the frame
adds its ``room`` and ``type``), so both transports accept and refuse exactly
the same values. Field types are ``hub.schemas``'; rules of a single field
live there, rules about the world (may this person do it?) in ``check_*``.
"""

from __future__ import annotations

import contextlib
import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo

from hub.errors import Invalid
from hub.schemas import (
    Body,
    ClientId,
    Id,
    Name,
    Note,
    OptionalBody,
    OptionalDate,
    QueryBool,
    QueryId,
    QuerySeq,
    QueryTime,
    Reason,
    Schema,
    Seq,
    StrictBool,
    Topic,
    text,
)
from hub.validation import clean_text, parse_id
from rooms.files.detect import KINDS
from rooms.models.reactions import REACTION_EMOJI

Severity = Literal["S1", "S2", "S3"]
Status = Literal["open", "in_progress", "blocked", "done", "cancelled"]
ItemTitle = Annotated[str, text(200)]
Description = Annotated[str, text(20_000, allow_empty=True)]


def _priority(value: Any, info: ValidationInfo) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
        raise Invalid("`priority` must be 1 (highest) to 4.")
    return value


def _labels(value: Any, info: ValidationInfo) -> list[str]:
    if not isinstance(value, list) or len(value) > 20:
        raise Invalid("`labels` must be a list of at most 20 strings.")
    labels = [clean_text(label, "label", max_chars=40) for label in value]
    return list(dict.fromkeys(labels))


def _version(value: Any, info: ValidationInfo) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise Invalid("`version` must be an integer.")
    return value


def _ids(limit: int) -> Any:
    def ids(value: Any, info: ValidationInfo) -> list[int]:
        if not isinstance(value, list) or len(value) > limit:
            raise Invalid(f"`{info.field_name}` must be a list of at most {limit} ids.")
        return [parse_id(item, info.field_name or "id") for item in value]

    return BeforeValidator(ids)


Priority = Annotated[int, BeforeValidator(_priority)]
Labels = Annotated[list[str], BeforeValidator(_labels)]
Version = Annotated[int | None, BeforeValidator(_version)]


class Frame(Schema):
    """A client frame: its ``type`` (``ref`` is read apart, so a bad one costs no reply)."""

    type: str


class InRoom(Frame):
    room: Id


# --- rooms and members ---------------------------------------------------------------------


class RoomNew(Schema):
    """POST /api/rooms/: an internal room, or a shared room of an accepted partnership."""

    kind: str | None = None
    name: Name
    topic: Topic = ""
    partnership: Id | None = None


class RoomChange(Schema):
    """PATCH /api/rooms/{room}/, and the ``room.update`` frame."""

    name: Name | None = None
    topic: Topic | None = None


class RoomUpdateFrame(RoomChange, InRoom):
    pass


class HistoryQuery(Schema):
    """GET /api/rooms/{room}/messages/?before=&after=&limit="""

    before: QuerySeq = None
    after: QuerySeq = None
    limit: QuerySeq = None


def _search_words(value: Any, info: ValidationInfo) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or "\x00" in value:
        raise Invalid("NUL characters are not allowed.")
    # Not stripped: a trailing space says the last word is whole (rooms.search.terms).
    if len(value) > 200:
        raise Invalid("`q` must be at most 200 characters.")
    return value


def _filter_words(value: Any, info: ValidationInfo) -> str:
    value = (value or "").strip() if isinstance(value, str) else value
    if not isinstance(value, str) or len(value) > 100 or "\x00" in value:
        raise Invalid("`q` must be at most 100 characters.")
    return value


class SearchQuery(Schema):
    """GET /api/search/?q=&room=&person=&organization=&after=&before=&in_thread=&has_files=&offset=

    ``after`` is inclusive, ``before`` exclusive. Words, a filter, or both.
    """

    q: Annotated[str, BeforeValidator(_search_words)] = ""
    room: QueryId = None
    person: QueryId = None
    organization: QueryId = None
    after: QueryTime = None
    before: QueryTime = None
    in_thread: QueryBool = None
    has_files: QueryBool = None
    offset: QuerySeq = None

    def filtered(self) -> bool:
        return any(
            value is not None
            for value in (
                self.room,
                self.person,
                self.organization,
                self.after,
                self.before,
                self.in_thread,
                self.has_files,
            )
        )


class FilesQuery(Schema):
    """GET /api/rooms/{room}/files/?q=&before="""

    q: Annotated[str, BeforeValidator(_filter_words)] = ""
    before: QuerySeq = None


def _file_name(value: Any, info: ValidationInfo) -> str:
    if value is None or value == "":
        return "file"
    if not isinstance(value, str) or len(value) > 1000:
        raise Invalid("`name` must be a file name of at most 1000 characters.")
    return value


class UploadQuery(Schema):
    """POST /api/rooms/{room}/files/?name= (cleaned for display by the upload)."""

    name: Annotated[str, BeforeValidator(_file_name)] = "file"


class PageQuery(Schema):
    """GET /api/threads/?offset="""

    offset: QuerySeq = None


class PeopleQuery(Schema):
    """GET /api/people/?q="""

    q: Annotated[str, BeforeValidator(_filter_words)] = ""


class CandidatesQuery(Schema):
    """GET /api/rooms/{room}/members/candidates/?q="""

    q: Annotated[str, BeforeValidator(_filter_words)] = ""


class MemberNew(Schema):
    """POST /api/rooms/{room}/members/"""

    person: Id


# --- messages ------------------------------------------------------------------------------


def _file_keys(value: Any, info: ValidationInfo) -> list[str]:
    if value is None:
        return []
    if (
        not isinstance(value, list)
        or len(value) > 50
        or not all(isinstance(key, str) and 0 < len(key) <= 64 for key in value)
    ):
        raise Invalid("`files` must be a list of file ids.")
    if len(set(value)) != len(value):
        raise Invalid("`files` names a file twice.")
    return list(value)


FileKeys = Annotated[list[str], BeforeValidator(_file_keys)]


class MessageSendFrame(InRoom):
    client_id: ClientId
    # May be empty when files are sent (``check_send_message`` checks).
    body: OptionalBody = ""
    thread: Id | None = None
    files: FileKeys = Field(default_factory=list)
    # A reply (``thread``) also shown in the room's timeline.
    also_to_room: StrictBool = False


class MessageEditFrame(InRoom):
    id: Id
    body: Body


class MessageDeleteFrame(InRoom):
    id: Id


class MessageNew(Schema):
    """POST /api/rooms/{room}/messages/ (bots and scripts; the web page sends on the socket).
    No files: an upload is the web page's (docs/connectors.md)."""

    client_id: ClientId
    body: Body
    thread: Id | None = None
    also_to_room: StrictBool = False


class MessageChange(Schema):
    """PATCH /api/rooms/{room}/messages/{id}/"""

    body: Body


def _emoji(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str) or value not in REACTION_EMOJI:
        raise Invalid(f"`emoji` must be one of {' '.join(REACTION_EMOJI)}.")
    return value


Emoji = Annotated[str, BeforeValidator(_emoji)]


class ReactionFrame(InRoom):
    """``reaction.add`` and ``reaction.remove``: the actor's emoji on message ``id``."""

    id: Id
    emoji: Emoji


class MarkdownPreview(Schema):
    """``POST /api/markdown/preview/``: a message's text, limited as a message is."""

    body: OptionalBody = ""


# --- reading, typing, presence ---------------------------------------------------------------


class SubscribeFrame(InRoom):
    since: Seq | None = None


class UnsubscribeFrame(InRoom):
    pass


class TypingFrame(InRoom):
    thread: Id | None = None
    # The text was erased: whoever was told you are typing stops being told.
    stop: StrictBool = False


class ReadFrame(InRoom):
    seq: Seq


class ThreadFollowFrame(InRoom):
    root: Id
    follow: StrictBool = True


class ThreadReadFrame(InRoom):
    root: Id
    seq: Seq


class PresenceSetFrame(Frame):
    state: Literal["active", "away"]


class PingFrame(Frame):
    pass


# --- work items and escalations ------------------------------------------------------------


class WorkItemNew(Schema):
    """POST /api/rooms/{room}/workitems/, and the ``workitem.create`` frame."""

    title: ItemTitle
    description: Description = ""
    assignee: Id | None = None
    priority: Priority = 3
    due_date: OptionalDate = None
    labels: Labels = Field(default_factory=list)
    from_message: Id | None = None


class WorkItemCreateFrame(WorkItemNew, InRoom):
    pass


def _query_assignee(value: Any, info: ValidationInfo) -> int | Literal["none"] | None:
    """A person's id, or ``none`` for the unassigned items (absent or empty: no filter)."""
    if value is None or value == "":
        return None
    if value == "none":
        return "none"
    return parse_id(value, "assignee")


def _query_priority(value: Any, info: ValidationInfo) -> int | None:
    if value is None or value == "":
        return None
    if value not in ("1", "2", "3", "4"):
        raise Invalid("`priority` must be 1 (highest) to 4.")
    return int(value)


def _query_label(value: Any, info: ValidationInfo) -> str | None:
    if value is None or value == "":
        return None
    return clean_text(value, "label", max_chars=40)


class BoardQuery(Schema):
    """GET /api/rooms/{room}/workitems/?assignee=&organization=&label=&priority=&escalated=

    Every filter given must hold (and); none given is the whole board.
    """

    assignee: Annotated[int | Literal["none"] | None, BeforeValidator(_query_assignee)] = None
    organization: QueryId = None
    label: Annotated[str | None, BeforeValidator(_query_label)] = None
    priority: Annotated[int | None, BeforeValidator(_query_priority)] = None
    escalated: QueryBool = None


class WorkItemChanges(Schema):
    """The fields a change names; those it leaves out stay as they are."""

    model_config = Schema.model_config | {"extra": "forbid"}

    title: ItemTitle | None = None
    description: Description | None = None
    status: Status | None = None
    assignee: Id | None = None
    priority: Priority | None = None
    due_date: OptionalDate = None
    labels: Labels | None = None

    def given(self) -> dict[str, Any]:
        """Field -> new value, for the fields the client named (an assignee of null unassigns)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class WorkItemChange(Schema):
    """PATCH /api/rooms/{room}/workitems/{item}/"""

    changes: WorkItemChanges
    version: Version = None


class WorkItemUpdateFrame(WorkItemChange, InRoom):
    id: Id


class EscalationNew(Schema):
    """POST /api/rooms/{room}/workitems/{item}/escalate/"""

    severity: Severity
    reason: Reason


class Reassign(Schema):
    person: Id


class Downgrade(Schema):
    severity: Severity
    reason: Note = ""


class Resolve(Schema):
    """POST /api/escalations/{id}/resolve/: what was done, told to both sides."""

    note: Reason


class EscalationContacts(Schema):
    """POST /api/partnerships/{id}/escalation-contacts/"""

    people: Annotated[list[int], _ids(50)]


def _targets(value: Any, info: ValidationInfo) -> dict[str, int]:
    if not isinstance(value, dict) or set(value) - {"S1", "S2", "S3"}:
        raise Invalid("`targets` maps S1/S2/S3 to minutes.")
    for severity, minutes in value.items():
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise Invalid(f"The {severity} target must be 1 to 43200 minutes.")
        if not 1 <= minutes <= 43200:
            raise Invalid(f"The {severity} target must be 1 to 43200 minutes.")
    return dict(value)


class AckTargets(Schema):
    """POST /api/partnerships/{id}/ack-targets/"""

    targets: Annotated[dict[str, int], BeforeValidator(_targets)]


# --- the bridge ----------------------------------------------------------------------------


class MirrorNew(Schema):
    """POST /api/mirrors/"""

    source_room: Id
    thread: Id
    target_room: Id


class ShareBack(Schema):
    """POST /api/mirrors/{id}/share-back/: a note (with the text shown) or new text."""

    message: Id | None = None
    body: Body | None = None
    # Compared with the note as it is, not cleaned: it must be the exact text.
    confirmed_body: str | None = None
    # Every file of the note, as listed in the confirmation the person saw.
    confirmed_files: FileKeys | None = None


# --- files -------------------------------------------------------------------------------


def _kinds(value: Any, info: ValidationInfo) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(k, str) and k in KINDS for k in value):
        raise Invalid(f"`kinds` must be a list of: {', '.join(KINDS)} (empty: all).")
    return [k for k in KINDS if k in value]


def _max_mb(value: Any, info: ValidationInfo) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise Invalid("`max_mb` must be a whole number of megabytes (at least 1), or null.")
    return value


class FilePolicyChange(Schema):
    """PUT /api/organization/file-policy/"""

    model_config = Schema.model_config | {"extra": "forbid"}

    uploads_allowed: StrictBool
    kinds: Annotated[list[str], BeforeValidator(_kinds)] = Field(default_factory=list)
    max_mb: Annotated[int | None, BeforeValidator(_max_mb)] = None


def _days(value: Any, info: ValidationInfo) -> int | None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 36500
    ):
        raise Invalid(f"`{info.field_name}` must be a whole number of days (1 to 36500), or null.")
    return value


Days = Annotated[int | None, BeforeValidator(_days)]


class RetentionChange(Schema):
    """PUT /api/organization/retention/: days to keep the own people's messages; null: forever."""

    model_config = Schema.model_config | {"extra": "forbid"}

    shared_days: Days
    internal_days: Days


class HoldNew(Schema):
    """POST /api/organization/holds/: neither ``person`` nor ``room``: the whole organization."""

    model_config = Schema.model_config | {"extra": "forbid"}

    person: Id | None = None
    room: Id | None = None
    reason: Note = ""


class ConnectorNew(Schema):
    """POST /api/organization/connectors/: an outgoing webhook on an internal room
    (the URL is checked by ``rooms.connectors.outbound``)."""

    model_config = Schema.model_config | {"extra": "forbid"}

    room: Id
    kind: Literal["webhook_out"] = "webhook_out"
    name: Name
    url: Annotated[str, text(2000)]


class ConnectorChange(Schema):
    """PUT /api/organization/connectors/{id}/: pause or resume."""

    model_config = Schema.model_config | {"extra": "forbid"}

    paused: StrictBool


# --- people, invitations, notifications, partnerships -------------------------------------


class InvitationNew(Schema):
    """POST /api/invitations/"""

    room: Id
    email: Annotated[str, text(254)]
    organization: Annotated[str, text(80)] | None = None
    confirm_outside_domain: StrictBool = False


def _read_ids(value: Any, info: ValidationInfo) -> list[int] | Literal["all"]:
    if value == "all":
        return "all"
    if isinstance(value, list) and len(value) <= 500:
        return [parse_id(item, "id") for item in value]
    raise Invalid('`ids` must be a list of notification ids or "all".')


class NotificationsRead(Schema):
    """POST /api/notifications/"""

    ids: Annotated[list[int] | Literal["all"], BeforeValidator(_read_ids)]


def _moved_to_profile(value: Any, info: ValidationInfo) -> None:
    # A person has one time zone, their profile's: said plainly rather than
    # ignored, so an old client does not believe it changed it here.
    raise Invalid("`time_zone` is part of your profile now: PATCH /api/me/.")


def _clock(value: Any, info: ValidationInfo) -> datetime.time:
    if isinstance(value, str) and len(value) == 5:
        with contextlib.suppress(ValueError):
            return datetime.time.fromisoformat(value)
    raise Invalid(f"`{info.field_name}` must be a time of day, HH:MM.")


class QuietHours(Schema):
    enabled: StrictBool
    start: Annotated[datetime.time, BeforeValidator(_clock)]
    end: Annotated[datetime.time, BeforeValidator(_clock)]


class NotificationSettingsChange(Schema):
    """PUT /api/me/notifications/ (either; the time zone is the profile's, ``ProfileChange``)"""

    time_zone: Annotated[None, BeforeValidator(_moved_to_profile)] = None
    quiet: QuietHours | None = None
    email: dict[str, StrictBool] | None = None


class RoomNotify(Schema):
    """PUT /api/rooms/{room}/notify/"""

    level: Literal["all", "mentions", "none"]


class PartnershipEnd(Schema):
    """POST /api/partnerships/{id}/end/"""

    reason: Reason


class RoomLeave(Schema):
    """POST /api/rooms/{room}/leave/: the last owner names who becomes owner."""

    new_owner: Id | None = None


class MemberRole(Schema):
    """PATCH /api/rooms/{room}/members/{person}/"""

    role: Literal["owner", "member"]


class DirectNew(Schema):
    """POST /api/direct/: the other people of a direct conversation (one or two)."""

    people: Annotated[list[int], _ids(2)]


MatrixRef = Annotated[str, text(255)]


class MatrixBridgeNew(Schema):
    """POST /api/organization/connectors/matrix/: connect an internal room to a Matrix room."""

    model_config = Schema.model_config | {"extra": "forbid"}

    room: Id
    homeserver: Annotated[str, text(500)]
    matrix_room: MatrixRef
    name: Annotated[str, text(120, allow_empty=True)] = ""


class MatrixLinkNew(Schema):
    """POST /api/organization/connectors/<id>/matrix/links/: a Matrix user writes as a person."""

    model_config = Schema.model_config | {"extra": "forbid"}

    matrix_user: MatrixRef
    person: Id


class MatrixLinkGone(Schema):
    """DELETE /api/organization/connectors/<id>/matrix/links/: unlink a Matrix user."""

    model_config = Schema.model_config | {"extra": "forbid"}

    matrix_user: MatrixRef


# --- bots and incoming webhooks (rooms.actions.bots) --------------------------------------


class BotTokenNew(Schema):
    """POST /api/organization/bots/: the bot's name and the internal rooms it may act in."""

    name: Annotated[str, text(80)]
    rooms: Annotated[list[int], _ids(50)]


class IncomingWebhookNew(Schema):
    """POST /api/organization/hooks/: the name its messages show and its one room."""

    name: Annotated[str, text(80)]
    room: Id


class IncomingPayload(Schema):
    """POST /hooks/in/{secret}/: Slack's shape, ``text`` and an optional ``username``."""

    text: Body
    username: Annotated[str, text(80, allow_empty=True)] = ""
