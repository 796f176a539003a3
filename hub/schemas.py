"""Typed input, parsed once at the edge: the field types every schema is made of.

Each socket frame and each HTTP body is parsed by one schema (a pydantic
model: ``rooms.schemas``, ``hub.schemas`` below) into typed values before
anything else looks at it; ``check_*`` actions take those values. The field
types here carry the rules the two transports share, and fail with the
project's own errors (``Invalid``, ``TooLarge``), which pydantic lets
through, so a bad field answers exactly as it did when each action checked it
by hand.
"""

from __future__ import annotations

import datetime
import functools
import zoneinfo
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from django.conf import settings
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo

from hub import audit, handles
from hub.errors import Invalid
from hub.validation import clean_text, parse_id

S = TypeVar("S", bound="Schema")


class Schema(BaseModel):
    """Unknown keys are ignored (clients may send more); values are never coerced silently."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def parse(schema: type[S], data: Any) -> S:
    """``data`` (parsed JSON) as ``schema``, or ``Invalid`` naming the first bad field."""
    if not isinstance(data, dict):
        raise Invalid("Expected a JSON object.")
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise Invalid(_explain(error)) from None


def _explain(error: ValidationError) -> str:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "value"
    kind = first["type"]
    if kind == "missing":
        return f"`{field}` is required."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"`{field}` must be an integer."
    if kind in ("string_type", "string_unicode"):
        return f"`{field}` must be a string."
    if kind in ("bool_type", "bool_parsing"):
        return f"`{field}` must be true or false."
    if kind == "list_type":
        return f"`{field}` must be a list."
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"`{field}` must be a JSON object."
    if kind == "extra_forbidden":
        return f"Unknown fields: {first['loc'][-1]}."
    if kind == "literal_error":
        expected = first.get("ctx", {}).get("expected", "")
        return f"`{field}` must be {expected}."
    return f"`{field}`: {first['msg']}."


# --- field types --------------------------------------------------------------------------


def _id(value: Any, info: ValidationInfo) -> int:
    return parse_id(value, info.field_name or "id")


def _seq(value: Any, info: ValidationInfo) -> int:
    """A sequence number or count: a non-negative integer (never a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise Invalid(f"`{info.field_name}` must be a non-negative integer.")
    return value


def _strict_bool(value: Any, info: ValidationInfo) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"`{info.field_name}` must be true or false.")
    return value


def text(max_chars: int | Callable[[], int], *, allow_empty: bool = False) -> Any:
    """A string field, cleaned like ``clean_text``: at most ``max_chars`` characters
    (else ``TooLarge``), control characters removed, trimmed, not empty unless allowed.
    ``max_chars`` may be a function of the settings, read at parse time."""

    def clean(value: Any, info: ValidationInfo) -> str:
        limit = max_chars() if callable(max_chars) else max_chars
        what = info.field_name or "value"
        return clean_text(value, what, max_chars=limit, allow_empty=allow_empty)

    return BeforeValidator(clean)


def _message_max_chars() -> int:
    return int(settings.CAUSEWAY_MESSAGE_MAX_CHARS)


def _client_id(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise Invalid(f"`{info.field_name}` must be a string of 1 to 64 characters.")
    return value


def _date(value: Any, info: ValidationInfo) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid(f"`{info.field_name}` must be a date (YYYY-MM-DD) or null.")


def _handle(value: Any, info: ValidationInfo) -> str:
    return handles.check_handle(value)


def _query_seq(value: Any, info: ValidationInfo) -> int | None:
    """A non-negative integer from a query string (absent or empty: None)."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(f"`{info.field_name}` must be an integer.") from None
    if not 0 <= number < 2**63:
        raise Invalid(f"`{info.field_name}` is out of range.")
    return number


def _query_id(value: Any, info: ValidationInfo) -> int | None:
    """An id from a query string (absent or empty: None)."""
    if value is None or value == "":
        return None
    return parse_id(value, info.field_name or "id")


def _query_bool(value: Any, info: ValidationInfo) -> bool | None:
    """``true``/``false`` (or ``1``/``0``) from a query string (absent or empty: None)."""
    if value is None or value == "":
        return None
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise Invalid(f"`{info.field_name}` must be true or false.")


def _query_time(value: Any, info: ValidationInfo) -> datetime.datetime | None:
    """An ISO 8601 moment with its offset, or a date (midnight UTC), from a query string."""
    found = _day_or_moment(value, info)
    if found is None or isinstance(found, datetime.datetime):
        return found
    return datetime.datetime.combine(found, datetime.time(), datetime.UTC)


Id = Annotated[int, BeforeValidator(_id)]
QueryId = Annotated[int | None, BeforeValidator(_query_id)]
QueryBool = Annotated[bool | None, BeforeValidator(_query_bool)]
QueryTime = Annotated[datetime.datetime | None, BeforeValidator(_query_time)]
QuerySeq = Annotated[int | None, BeforeValidator(_query_seq)]
Seq = Annotated[int, BeforeValidator(_seq)]
StrictBool = Annotated[bool, BeforeValidator(_strict_bool)]
ClientId = Annotated[str, BeforeValidator(_client_id)]
Body = Annotated[str, text(_message_max_chars)]
OptionalBody = Annotated[str, text(_message_max_chars, allow_empty=True)]
Name = Annotated[str, text(120)]
Topic = Annotated[str, text(500, allow_empty=True)]
Reason = Annotated[str, text(2000)]
Note = Annotated[str, text(2000, allow_empty=True)]
Title = Annotated[str, text(150, allow_empty=True)]
DisplayName = Annotated[str, text(150)]
Handle = Annotated[str, BeforeValidator(_handle)]
OptionalDate = Annotated[datetime.date | None, BeforeValidator(_date)]


def _time_zone(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str) or value not in time_zones():
        raise Invalid(f"`{info.field_name}` must be an IANA time zone, such as Europe/Berlin.")
    return value


@functools.cache
def time_zones() -> frozenset[str]:
    """The IANA time zones this server knows (zoneinfo's), the only ones a person may pick."""
    return frozenset(zoneinfo.available_timezones())


TimeZone = Annotated[str, BeforeValidator(_time_zone)]


def _audit_action(value: Any, info: ValidationInfo) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in audit.LABELS:
        raise Invalid(f"`{info.field_name}` must be one of the audit log's kinds of entry.")
    return value


def _day_or_moment(value: Any, info: ValidationInfo) -> datetime.date | datetime.datetime | None:
    """A day (YYYY-MM-DD, read later in the reader's own time zone) or a moment with its
    offset; a moment without one would mean a different instant to each reader."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) <= 40:
        try:
            if len(value) == 10:
                return datetime.date.fromisoformat(value)
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:
                return moment
    raise Invalid(
        f"`{info.field_name}` must be a date (YYYY-MM-DD) or a date and time with its "
        "offset (2026-12-01T09:00:00Z)."
    )


def _page_limit(value: Any, info: ValidationInfo) -> int:
    if value is None or value == "":
        return 50
    if isinstance(value, str) and value.isdigit() and 1 <= int(value) <= 200:
        return int(value)
    raise Invalid(f"`{info.field_name}` must be an integer from 1 to 200.")


# --- the kernel's own endpoints ---------------------------------------------------------


class PartnershipProposal(Schema):
    """POST /api/partnerships/"""

    partner: Annotated[str, text(80)]
    as_side: Literal["supplier", "client"]


class DomainNew(Schema):
    """POST /api/organization/domains/ (the domain is checked by ``hub.onboarding.parse_domain``)"""

    domain: Annotated[str, text(253)]


class IdentityProviderChange(Schema):
    """PUT /api/organization/identity-provider/ (the issuer is checked by
    ``hub.identity.parse_issuer``). Without ``client_secret`` the stored one is kept."""

    issuer: Annotated[str, text(500)]
    client_id: Annotated[str, text(191)]
    client_secret: Annotated[str, text(191)] | None = None
    require_sso: bool = False


class OrgRoleChange(Schema):
    """PUT /api/organization/people/{id}/"""

    role: Literal["admin", "member"]


class ProfileChange(Schema):
    """PATCH /api/me/"""

    display_name: DisplayName | None = None
    title: Title | None = None
    handle: Handle | None = None
    time_zone: TimeZone | None = None


class AuditFilter(Schema):
    """The filters of GET /api/organization/audit/ and its export: a kind of entry, the person
    who acted, and a range (``since`` inclusive; a day ``until`` includes that whole day)."""

    action: Annotated[str | None, BeforeValidator(_audit_action)] = None
    person: QueryId = None
    since: Annotated[datetime.date | datetime.datetime | None, BeforeValidator(_day_or_moment)] = (
        None
    )
    until: Annotated[datetime.date | datetime.datetime | None, BeforeValidator(_day_or_moment)] = (
        None
    )


class AuditQuery(AuditFilter):
    """GET /api/organization/audit/?before=&limit= (``before``: an entry id, the next page)"""

    before: QueryId = None
    limit: Annotated[int, BeforeValidator(_page_limit)] = 50


class AuditExportQuery(AuditFilter):
    """GET /api/organization/audit/export/?format=csv|json|jsonl"""

    format: Literal["csv", "json", "jsonl"] = "csv"
