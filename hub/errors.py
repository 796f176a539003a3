"""Errors raised by check_* actions and access_* selectors.

Each carries a stable ``code`` that the WebSocket error frame and the HTTP
JSON error body both use, so both transports answer alike.
"""

from __future__ import annotations


class ActionError(Exception):
    code = "invalid"
    http_status = 400

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail or self.default_detail()

    def default_detail(self) -> str:
        return self.code.replace("_", " ")


class Invalid(ActionError):
    code = "invalid"
    http_status = 400


class NotFound(ActionError):
    """Missing and forbidden look the same: never leak that something exists."""

    code = "not_found"
    http_status = 404

    def default_detail(self) -> str:
        return "Not found."


class Forbidden(ActionError):
    """For things the actor can see but may not do."""

    code = "forbidden"
    http_status = 403


class Conflict(ActionError):
    code = "conflict"
    http_status = 409


class RateLimited(ActionError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, detail: str = "", *, retry_after: int = 1) -> None:
        super().__init__(detail)
        # Whole seconds until the window reopens (at least 1): the client
        # holds its sends until then and sends them by itself.
        self.retry_after = max(1, retry_after)

    def default_detail(self) -> str:
        return "Too many requests; slow down."


class TooLarge(ActionError):
    code = "too_large"
    http_status = 413


class OrganizationRequired(ActionError):
    """An invitation's e-mail domain decides nothing: the inviter must choose."""

    code = "organization_required"
    http_status = 400


class ConfirmationRequired(ActionError):
    """A step that needs the person's explicit confirmation, sent again with it."""

    code = "confirmation_required"
    http_status = 400


class Archived(ActionError):
    """The room is archived (its partnership ended): it can be read, not changed."""

    code = "archived"
    http_status = 409

    def default_detail(self) -> str:
        return "This room is archived: it can be read, but not changed."
