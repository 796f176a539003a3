"""An organization's single sign-on: its OpenID Connect provider, and who it may sign in.

Admins register the provider on the organization page (issuer, client id and
secret); it is stored as allauth's ``SocialApp`` (provider ``openid_connect``)
tied to the organization by ``IdentityProvider``. As for the other settings,
to anyone but the organization's admins it does not exist (``NotFound``); a
colleague who is not an admin is refused changing it (``Forbidden``). The
secret is write-only: nobody reads it back through the app.

The boundary rule lives in ``check_sso_person``: a provider signs in only
addresses of its own organization's verified domains, verified by the
provider, and never into an account of another organization.
"""

from __future__ import annotations

import secrets
from typing import TypedDict
from urllib.parse import urlsplit

from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.utils import timezone

from hub import audit
from hub.actions import organization_for_domain
from hub.errors import Forbidden, Invalid, NotFound
from hub.models import IdentityProvider, Organization, User
from hub.organization import access_admin_organization, check_org_admin

PROVIDER = "openid_connect"


class IdentityProviderView(TypedDict):
    """GET /api/organization/identity-provider/: never the secret, only whether one is set."""

    issuer: str
    client_id: str
    has_secret: bool
    require_sso: bool
    # Where the provider sends people back: the admin registers it there (after
    # the first save: the path names the app's random id).
    callback_path: str
    # Active people of the organization without a password (they joined through the
    # provider): if it is removed, they set one with "Forgot your password?".
    passwordless_people: int


def passwordless_people(organization_id: int) -> int:
    return (
        User.objects.filter(organization_id=organization_id, is_active=True)
        .filter(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .count()
    )


def _view(idp: IdentityProvider | None) -> IdentityProviderView | None:
    if idp is None:
        return None
    return {
        "issuer": idp.app.settings.get("server_url", ""),
        "client_id": idp.app.client_id,
        "has_secret": bool(idp.app.secret),
        "require_sso": idp.require_sso,
        "callback_path": f"/accounts/oidc/{idp.app.provider_id}/login/callback/",
        "passwordless_people": passwordless_people(idp.organization_id),
    }


def parse_issuer(raw: str) -> str:
    """An issuer URL, https only.

    The server fetches the issuer's discovery document when someone signs in,
    so an admin's issuer is an address the server will call: plain http would
    let any organization's admin point it at a service inside the operator's
    network (Redis on loopback, say). Tests register their loopback provider
    directly (``do_set_identity_provider``), never through this.
    """
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    if (
        parts.scheme != "https"
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise Invalid("The issuer must be an https:// URL, such as https://login.acme.example.")
    return url


def identity_provider(actor: User) -> IdentityProviderView | None:
    """The own organization's provider, to its admins (``NotFound`` to anyone else)."""
    organization = access_admin_organization(actor)
    return _view(
        IdentityProvider.objects.select_related("app").filter(organization=organization).first()
    )


def check_set_identity_provider(
    actor: User, *, issuer: str, client_id: str, client_secret: str | None, require_sso: bool
) -> IdentityProviderView:
    organization_id = check_org_admin(actor, changing="single sign-on")
    server_url = parse_issuer(issuer)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization_id)
        idp = (
            IdentityProvider.objects.select_related("app").filter(organization=organization).first()
        )
        if idp is None and not client_secret:
            raise Invalid("`client_secret` is required for a new identity provider.")
        return do_set_identity_provider(
            actor,
            organization,
            idp,
            server_url=server_url,
            client_id=client_id,
            client_secret=client_secret,
            require_sso=require_sso,
        )


def do_set_identity_provider(
    actor: User | None,
    organization: Organization,
    idp: IdentityProvider | None,
    *,
    server_url: str,
    client_id: str,
    client_secret: str | None,
    require_sso: bool,
) -> IdentityProviderView:
    """Call while holding the organization's row (``select_for_update``)."""
    if idp is None:
        # provider_id names the app in allauth's URLs (/accounts/oidc/<id>/login/):
        # random, so it does not spell out which organization uses the hub.
        app = SocialApp(provider=PROVIDER, provider_id=f"org-{secrets.token_hex(6)}")
        idp = IdentityProvider(organization=organization, app=app)
    app = idp.app
    app.name = f"{organization.name} single sign-on"
    app.client_id = client_id
    if client_secret:
        app.secret = client_secret
    app.settings = {"server_url": server_url}
    app.save()
    idp.app = app
    idp.require_sso = require_sso
    idp.updated_at = timezone.now()
    idp.save()
    # The secret is never in the log, only that it changed.
    audit.record(
        actor,
        "organization.idp_changed",
        organization,
        organization=organization,
        issuer=server_url,
        client_id=client_id,
        secret_changed=bool(client_secret),
        require_sso=require_sso,
    )
    view = _view(idp)
    assert view is not None
    return view


def check_remove_identity_provider(actor: User) -> None:
    organization_id = check_org_admin(actor, changing="single sign-on")
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization_id)
        idp = IdentityProvider.objects.filter(organization=organization).first()
        if idp is None:
            raise NotFound()
        do_remove_identity_provider(actor, organization, idp)


def do_remove_identity_provider(
    actor: User | None, organization: Organization, idp: IdentityProvider
) -> None:
    """Call while holding the organization's row. People keep their accounts; the links
    to the provider go with its app (allauth's SocialAccount rows name the provider id)."""
    app = idp.app
    idp.delete()
    SocialAccount.objects.filter(provider=app.provider_id).delete()
    app.delete()
    audit.record(
        actor, "organization.idp_changed", organization, organization=organization, removed=True
    )


# --- signing in --------------------------------------------------------------------------


def sso_for_email(email: str) -> IdentityProvider | None:
    """The provider of the organization that verified ``email``'s domain, if it has one."""
    organization = organization_for_domain(email)
    if organization is None:
        return None
    return IdentityProvider.objects.select_related("app").filter(organization=organization).first()


def sso_required_for(email: str) -> bool:
    idp = sso_for_email(email)
    return idp is not None and idp.require_sso


def check_sso_person(
    provider_id: str, *, email: str, email_verified: bool, existing: User | None
) -> Organization:
    """The organization someone signing in through ``provider_id`` belongs to, or ``Forbidden``.

    The provider's organization must be the one that verified the address's domain
    and, for someone who has an account already, theirs: one organization's provider
    never signs anyone into another. The provider must vouch for the address.
    """
    idp = (
        IdentityProvider.objects.select_related("organization")
        .filter(app__provider=PROVIDER, app__provider_id=provider_id)
        .first()
    )
    if idp is None:
        raise Forbidden("This single sign-on is not set up for any organization.")
    if not email:
        raise Forbidden("Your identity provider did not give an e-mail address.")
    if email_verified is not True:
        raise Forbidden(
            "Your identity provider has not verified your e-mail address, so it cannot sign you in."
        )
    organization = idp.organization
    by_domain = organization_for_domain(email)
    if by_domain is None or by_domain.pk != organization.pk:
        raise Forbidden(
            f"{email} is not an address of {organization.name}: "
            f"{organization.name}'s single sign-on cannot sign it in."
        )
    if existing is not None and existing.organization_id != organization.pk:
        raise Forbidden(
            f"The account of {email} belongs to another organization: "
            f"{organization.name}'s single sign-on cannot sign it in."
        )
    if existing is not None and not existing.is_active:
        raise Forbidden("This account has been deactivated.")
    return organization
