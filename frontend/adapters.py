"""The one place Causeway customises django-allauth."""

from __future__ import annotations

import contextlib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse

from frontend.login import SSO_REQUIRED
from hub.errors import ActionError, Forbidden
from hub.identity import check_sso_person, sso_required_for
from hub.models import Organization, User
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


def sso_refused(request: HttpRequest, detail: str) -> ImmediateHttpResponse:
    # Imported here: frontend.sso imports hub.identity too, and allauth loads the
    # adapters while URLs may still be loading.
    from frontend.sso import sso_page

    return ImmediateHttpResponse(sso_page(request, error=detail, status=403))


class CausewayAccountAdapter(DefaultAccountAdapter):
    def pre_login(
        self,
        request: HttpRequest,
        user: Any,
        *,
        email_verification: str,
        signal_kwargs: dict[str, Any] | None,
        email: str | None,
        signup: bool,
        redirect_url: str | None,
    ) -> HttpResponse | None:
        # Every way in but single sign-on (password, a confirmation link, a
        # password reset) is refused when the organization requires it.
        through_sso = bool(signal_kwargs and signal_kwargs.get("sociallogin"))
        if not through_sso and sso_required_for(user.email):
            raise sso_refused(request, SSO_REQUIRED)
        response: HttpResponse | None = super().pre_login(
            request,
            user,
            email_verification=email_verification,
            signal_kwargs=signal_kwargs,
            email=email,
            signup=signup,
            redirect_url=redirect_url,
        )
        return response

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


def _claims(sociallogin: SocialLogin) -> dict[str, Any]:
    """What the provider said about the person: its userinfo, else the ID token's claims."""
    data = sociallogin.account.extra_data or {}
    picked = data.get("userinfo") or data.get("id_token") or data
    return picked if isinstance(picked, dict) else {}


class CausewaySocialAccountAdapter(DefaultSocialAccountAdapter):
    """Single sign-on through an organization's own OpenID Connect provider.

    On every sign-in, before allauth signs anyone in, connects or creates an
    account: the provider's organization must be the address's (by verified
    domain) and the existing account's, and the provider must have verified the
    address (``hub.identity.check_sso_person``).
    """

    def _organization(self, request: HttpRequest, sociallogin: SocialLogin) -> Organization:
        """``check_sso_person`` on what the provider said, or the refusal page."""
        claims = _claims(sociallogin)
        email = str(claims.get("email") or "").strip().lower()
        existing: User | None
        if sociallogin.is_existing:
            existing = sociallogin.user
        else:
            existing = User.objects.filter(email__iexact=email).first() if email else None
        try:
            return check_sso_person(
                sociallogin.account.provider,
                email=email,
                email_verified=claims.get("email_verified") is True,
                existing=existing,
            )
        except Forbidden as error:
            raise sso_refused(request, error.detail) from None

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        self._organization(request, sociallogin)

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: Any) -> Any:
        user = super().populate_user(request, sociallogin, data)
        claims = _claims(sociallogin)
        user.email = str(claims.get("email") or user.email or "").lower()
        user.display_name = str(claims.get("name") or "")[:150]
        return user

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        # New people join the provider's organization as members, as sign-up by a
        # verified domain does. Decided again here: allauth's sign-up form (shown when
        # it cannot sign up by itself) is a later request, and it lets the person edit
        # the address, which must stay the one the provider vouched for.
        organization = self._organization(request, sociallogin)
        user = sociallogin.user
        claimed = str(_claims(sociallogin).get("email") or "").strip().lower()
        if user.email.strip().lower() != claimed:
            raise sso_refused(
                request, f"Sign up with the address your identity provider gave: {claimed}."
            )
        user.organization = organization
        user.org_role = User.OrgRole.MEMBER
        return super().save_user(request, sociallogin, form)
