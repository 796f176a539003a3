"""The one place Causeway customises django-allauth."""

from __future__ import annotations

import contextlib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import BaseForm
from django.http import HttpRequest

from hub.errors import ActionError, Forbidden
from hub.models import User
from rooms.actions.invitations import (
    check_accept_invitation,
    find_invitation,
    resolve_signup_organization,
)
from rooms.models.invitations import Invitation

INVITATION_SESSION_KEY = "causeway_invitation_token"
# Set on the request once sign-up has decided the new person's organization.
SIGNUP_ORGANIZATION_ATTR = "causeway_signup_organization"


def pending_invitation(request: HttpRequest | None) -> Invitation | None:
    if request is None or not hasattr(request, "session"):
        return None
    token = request.session.get(INVITATION_SESSION_KEY)
    return find_invitation(token) if token else None


class CausewayAccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        request = getattr(self, "request", None)
        match = getattr(request, "resolver_match", None)
        # Only sign-up decides an organization; adding a second address later
        # does not move anyone. Once save_user has decided it, allauth cleans
        # the address again (setup_user_email) after the invitation was used:
        # refusing it then would drop the invitation-verified address.
        if (
            match is not None
            and match.url_name == "account_signup"
            and not hasattr(request, SIGNUP_ORGANIZATION_ATTR)
        ):
            try:
                resolve_signup_organization(email, pending_invitation(request))
            except Forbidden as error:
                raise ValidationError(error.detail) from None
        return email

    def save_user(
        self, request: HttpRequest, new: Any, form: BaseForm, commit: bool = True
    ) -> User:
        user: User = super().save_user(request, new, form, commit=False)
        # Before the first save, which derives the handle from the name.
        user.display_name = form.cleaned_data.get("display_name", "")
        user.title = form.cleaned_data.get("title", "")
        invitation = pending_invitation(request)
        try:
            user.organization = resolve_signup_organization(user.email, invitation)
        except Forbidden as error:
            raise ValidationError(error.detail) from None
        user.org_role = User.OrgRole.MEMBER
        setattr(request, SIGNUP_ORGANIZATION_ATTR, user.organization)
        if not self.is_email_verified(request, user.email):
            # The invitation link proves only its own address: allauth would
            # otherwise attach it, verified and primary, to a person who signed
            # up (and was placed in an organization) with another address.
            self.unstash_verified_email(request)
        if commit:
            with transaction.atomic():
                user.save()
                token = request.session.get(INVITATION_SESSION_KEY)
                if (
                    token
                    and invitation is not None
                    and invitation.email.lower() == user.email.lower()
                ):
                    # The organization is decided already; a stale invitation
                    # must not block the sign-up.
                    with contextlib.suppress(ActionError):
                        check_accept_invitation(user, token=token)
            request.session.pop(INVITATION_SESSION_KEY, None)
        return user
