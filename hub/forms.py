from __future__ import annotations

from django import forms
from django.http import HttpRequest

from hub.models import User


class SignupProfileForm(forms.Form):
    """Extra sign-up fields; allauth adds e-mail and password."""

    display_name = forms.CharField(max_length=150, label="Your name")
    title = forms.CharField(max_length=150, required=False, label="Job title")

    def signup(self, request: HttpRequest, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"]
        user.title = self.cleaned_data.get("title", "")
        user.save(update_fields=["display_name", "title"])
