"""The password sign-in form: refused for organizations that sign in only through SSO."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm
from django import forms

from hub.identity import sso_required_for

SSO_REQUIRED = (
    "Your organization signs in through its single sign-on: "
    "use “Sign in with your organization's single sign-on” instead of a password."
)


class CausewayLoginForm(LoginForm):  # type: ignore[misc]  # allauth is untyped
    """allauth's sign-in form. An address on the verified domain of an organization that
    requires single sign-on is refused before the password is looked at, so the answer
    is the same whatever was typed (frontend.adapters refuses the other ways in)."""

    def clean(self) -> dict[str, Any]:
        login = str(self.data.get("login") or "").strip()
        if "@" in login and sso_required_for(login):
            raise forms.ValidationError(SSO_REQUIRED)
        cleaned: dict[str, Any] = super().clean()
        return cleaned
