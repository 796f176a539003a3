"""The way in to an organization's single sign-on: the person types their address first.

Nobody is shown a list of providers (that would tell anyone which companies use
the hub): the address's verified domain picks its organization's provider, and
the browser goes straight there. Who may then be signed in is decided by
``hub.identity.check_sso_person`` (frontend.adapters).
"""

from __future__ import annotations

import requests
from allauth.core import ratelimit
from allauth.socialaccount.providers.base import AuthProcess
from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from hub.identity import sso_for_email


class SsoForm(forms.Form):
    email = forms.EmailField(max_length=254)


def sso_page(
    request: HttpRequest, *, email: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    return render(request, "frontend/sso.html", {"email": email, "error": error}, status=status)


@require_http_methods(["GET", "POST"])
def sso(request: HttpRequest) -> HttpResponse:
    """GET /accounts/sso/: the address form; POST: off to the address's provider."""
    if request.method == "GET":
        return sso_page(request)
    form = SsoForm(request.POST)
    if not form.is_valid():
        return sso_page(request, error="Type a valid e-mail address.", status=400)
    email = form.cleaned_data["email"]
    # Per address (its domain decides the answer) and per client address, as allauth's
    # password reset is limited.
    if not ratelimit.consume(request, action="sso", key=email.lower()):
        return sso_page(
            request,
            email=email,
            error="Too many attempts: wait a minute, then try again.",
            status=429,
        )
    idp = sso_for_email(email)
    if idp is None:
        return sso_page(
            request,
            email=email,
            error="Single sign-on is not set up for that address: sign in with your password.",
            status=404,
        )
    provider = idp.app.get_provider(request)
    try:
        # allauth reads the issuer's discovery document first.
        response: HttpResponse = provider.redirect(
            request, AuthProcess.LOGIN, auth_params={"login_hint": email}
        )
    except (requests.RequestException, ValueError, KeyError):
        return sso_page(
            request,
            email=email,
            error="Your organization's identity provider could not be reached: try again soon.",
            status=502,
        )
    return response
