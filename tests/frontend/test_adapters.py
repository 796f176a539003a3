"""CausewaySocialAccountAdapter (frontend/adapters.py) in process: the boundary rule holds
whichever step allauth takes, also when its sign-up form lets the person edit the address."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.test import RequestFactory

from frontend.adapters import CausewaySocialAccountAdapter
from hub.identity import do_set_identity_provider
from hub.models import IdentityProvider, User
from tests.conftest import make_org


def social_login(provider_id: str, user_email: str, claims: dict[str, Any]) -> SocialLogin:
    account = SocialAccount(provider=provider_id, uid="ada", extra_data={"userinfo": claims})
    return SocialLogin(user=User(email=user_email), account=account)


@pytest.fixture
def acme_provider(db: None) -> str:
    acme = make_org("Acme", ["acme.example"])
    make_org("Northwind", ["northwind.example"])
    do_set_identity_provider(
        None,
        acme,
        None,
        server_url="https://login.acme.example",
        client_id="causeway",
        client_secret="s3cret",
        require_sso=False,
    )
    return IdentityProvider.objects.get(organization=acme).app.provider_id


ADA = {"email": "ada@acme.example", "email_verified": True, "name": "Ada Acme"}


def test_an_address_edited_on_the_sign_up_form_is_refused(acme_provider: str) -> None:
    request = RequestFactory().post("/accounts/3rdparty/signup/")
    adapter = CausewaySocialAccountAdapter(request)
    login = social_login(acme_provider, "carla@northwind.example", ADA)
    with pytest.raises(ImmediateHttpResponse) as refused:
        adapter.save_user(request, login)
    assert refused.value.response.status_code == 403
    assert b"ada@acme.example" in refused.value.response.content
    assert not User.objects.exists()


def test_pre_social_login_refuses_another_organizations_address(acme_provider: str) -> None:
    request = RequestFactory().get("/accounts/oidc/x/login/callback/")
    adapter = CausewaySocialAccountAdapter(request)
    claims = {**ADA, "email": "carla@northwind.example"}
    with pytest.raises(ImmediateHttpResponse) as refused:
        adapter.pre_social_login(request, social_login(acme_provider, "", claims))
    assert b"not an address of Acme" in refused.value.response.content
    # The address Acme's provider may vouch for passes.
    adapter.pre_social_login(request, social_login(acme_provider, "", ADA))
