"""Applicant accounts through django-allauth: whoever signs up is an applicant, and lands on
their applications."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest

from accounts.access import is_staff_member
from accounts.roles import Role
from accounts.services import user_grant_role


class ApplicantAccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            user_grant_role(user=user, role=Role.APPLICANT)
        return user

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        if is_staff_member(request.user):
            return settings.LOGIN_REDIRECT_URL
        return settings.WEBFORM_HOME
